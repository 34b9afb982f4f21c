package sink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"mime"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// tmpPrefix starts the names of the folder sink's temporary files; List skips them.
const tmpPrefix = ".revledger-tmp-"

// Dir stores objects as files under a root folder; the key is the slash-separated path.
// Files are created with mode 0666 and folders with 0777, less the process's umask, as any
// other program's files: the operator's umask decides who may read the books.
type Dir struct {
	root string
	// sweep removes the temporary files a killed process left behind, once per process, on
	// the first Put.
	sweep sync.Once
}

// NewDir returns a Dir rooted at root, creating the folder if needed.
func NewDir(root string) (*Dir, error) {
	if root == "" {
		return nil, errors.New("sink: empty folder path")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("resolve export folder %q: %w", root, err)
	}
	if err := os.MkdirAll(abs, 0o777); err != nil {
		return nil, fmt.Errorf("create export folder: %w", err)
	}
	return &Dir{root: abs}, nil
}

// Root returns the absolute folder the sink writes to.
func (d *Dir) Root() string { return d.root }

func (d *Dir) path(key string) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	return filepath.Join(d.root, filepath.FromSlash(key)), nil
}

// Put writes r to a temporary file in the target's folder, syncs it and renames it over the
// target, so a reader sees the old file or the new one, never half of one.
func (d *Dir) Put(ctx context.Context, key string, r io.Reader, meta Meta) (ObjectInfo, error) {
	p, err := d.path(key)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, err
	}
	d.sweep.Do(func() {
		if _, err := d.RemoveStaleTemp(ctx, StaleTempAge); err != nil && ctx.Err() == nil {
			slog.WarnContext(ctx, "could not remove stale temporary files from the export folder", slog.String("error", err.Error()))
		}
	})
	if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	tmp, err := createTemp(filepath.Dir(p))
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	hr := newHashingReader(r)
	_, err = io.Copy(tmp, hr)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s: %w", key, err)
	}
	return ObjectInfo{Key: key, Size: hr.n, SHA256: hr.sum(), ContentType: contentType(key, meta.ContentType)}, nil
}

// createTemp creates a new temporary file in dir like os.CreateTemp, but with mode 0666 less
// the umask instead of 0600: it is renamed into place as the published file.
func createTemp(dir string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(dir, tmpPrefix+strconv.FormatUint(rand.Uint64(), 36))
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("create a temporary file in %s: too many name collisions", dir)
}

// StaleTempAge is the age from which a temporary file of the folder sink is taken to be left
// over by a killed process: a Put writes its file continuously, so a live one is seconds old.
const StaleTempAge = time.Hour

// RemoveStaleTemp removes the sink's temporary files (.revledger-tmp-*) anywhere under the
// root that were last modified more than olderThan ago: what a process killed in the middle
// of a Put (SIGKILL, a power cut) leaves behind. It returns how many it removed. Put calls it
// once per process.
func (d *Dir) RemoveStaleTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	n := 0
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || !strings.HasPrefix(e.Name(), tmpPrefix) {
			return nil
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if info.ModTime().After(cutoff) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("remove stale temporary files: %w", err)
	}
	return n, nil
}

// contentType is the declared type, else the one the extension implies: a folder keeps no
// metadata, so Stat derives it the same way.
func contentType(key, declared string) string {
	if declared != "" {
		return declared
	}
	if t := mime.TypeByExtension(path.Ext(key)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// Stat reads the file to compute its SHA-256: a folder keeps no metadata, and the files
// asked about (receipts) are small.
func (d *Dir) Stat(ctx context.Context, key string) (ObjectInfo, bool, error) {
	f, err := d.open(key)
	if errors.Is(err, ErrNotFound) {
		return ObjectInfo{}, false, nil
	}
	if err != nil {
		return ObjectInfo{}, false, err
	}
	defer f.Close()
	hr := newHashingReader(f)
	if _, err := io.Copy(io.Discard, hr); err != nil {
		return ObjectInfo{}, false, fmt.Errorf("stat %s: %w", key, err)
	}
	return ObjectInfo{Key: key, Size: hr.n, SHA256: hr.sum(), ContentType: contentType(key, "")}, true, nil
}

func (d *Dir) open(key string) (*os.File, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, key)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", key, err)
	}
	return f, nil
}

// Get opens the file.
func (d *Dir) Get(_ context.Context, key string) (io.ReadCloser, error) { return d.open(key) }

// Copy copies src to dst through Put, so dst is written atomically too.
func (d *Dir) Copy(ctx context.Context, src, dst string) error {
	f, err := d.open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := d.Put(ctx, dst, f, Meta{}); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}

// List walks the folder of prefix. SHA256 is left empty: Stat computes it when needed.
func (d *Dir) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	dir := d.root
	if i := strings.LastIndex(prefix, "/"); i > 0 {
		var err error
		if dir, err = d.path(prefix[:i]); err != nil {
			return nil, err
		}
	}
	var out []ObjectInfo
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) {
			return fs.SkipAll
		}
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || strings.HasPrefix(e.Name(), tmpPrefix) {
			return nil
		}
		rel, err := filepath.Rel(d.root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		out = append(out, ObjectInfo{Key: key, Size: info.Size(), ContentType: contentType(key, "")})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Link returns the key: a path relative to the folder, which stays valid when the whole
// export folder is moved or shared.
func (d *Dir) Link(key string) string { return key }

// Delete removes the file; a missing file is not an error.
func (d *Dir) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete %s: %w", key, err)
	}
	return nil
}
