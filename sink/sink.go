package sink

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// Meta describes an object being stored.
type Meta struct {
	// ContentType is stored with the object; empty means application/octet-stream.
	ContentType string
	// ContentDisposition is stored with the object where the store keeps headers (S3), e.g.
	// "attachment" for a receipt a browser must not render. A folder keeps no headers.
	ContentDisposition string
}

// ObjectInfo describes a stored object.
type ObjectInfo struct {
	Key         string
	Size        int64
	SHA256      string // hex SHA-256 of the whole content; "" when the store does not know it
	ContentType string
}

// ErrNotFound is returned by Get for a key that holds no object.
var ErrNotFound = errors.New("sink: object not found")

// Sink is what both stores offer. Consumers declare the subset they use; Open returns this
// because the store is chosen at run time from a URL.
type Sink interface {
	// Put stores r's content under key, atomically, and returns what was stored.
	Put(ctx context.Context, key string, r io.Reader, meta Meta) (ObjectInfo, error)
	// Stat returns the object's info and true, or false when there is none.
	Stat(ctx context.Context, key string) (ObjectInfo, bool, error)
	// Get opens the object's content; ErrNotFound when there is none.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Copy copies the object at src to dst, keeping its content type and SHA-256.
	Copy(ctx context.Context, src, dst string) error
	// Delete removes the object; a missing object is not an error.
	Delete(ctx context.Context, key string) error
	// List returns the objects whose key starts with prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]ObjectInfo, error)
	// Link returns how a person reaches the object: an absolute URL, or a slash-separated
	// path relative to the sink's root (the folder sink) for the caller to make relative to
	// the document that links it.
	Link(key string) string
}

// Config selects and configures a sink. Only URL is required.
type Config struct {
	// URL is file:///absolute/path, a plain path, or s3://bucket/optional/prefix (ParseURL).
	URL string
	// S3 holds the settings of an S3 sink; ignored for a folder.
	S3 S3Options
}

// Open returns the sink Config.URL names.
func Open(ctx context.Context, cfg Config) (Sink, error) {
	loc, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	if loc.IsS3() {
		opts := cfg.S3
		opts.Bucket, opts.Prefix = loc.Bucket, loc.Prefix
		return NewS3(ctx, opts)
	}
	return NewDir(loc.Dir)
}

// CheckKey rejects keys that could leave the sink's root or that S3 and file systems treat
// differently: empty, absolute, with "." or ".." elements, or with backslashes.
func CheckKey(key string) error {
	if !fs.ValidPath(key) || key == "." || strings.Contains(key, `\`) {
		return fmt.Errorf("sink: invalid object key %q", key)
	}
	return nil
}

// hashingReader hashes what is read through it and counts the bytes.
type hashingReader struct {
	r io.Reader
	h interface {
		io.Writer
		Sum([]byte) []byte
	}
	n int64
}

func newHashingReader(r io.Reader) *hashingReader { return &hashingReader{r: r, h: sha256.New()} }

func (h *hashingReader) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.n += int64(n)
	_, _ = h.h.Write(p[:n])
	return n, err
}

func (h *hashingReader) sum() string { return hex.EncodeToString(h.h.Sum(nil)) }

// spool gives r as a seekable body of known size and SHA-256: a file is hashed in place and
// rewound; anything else is copied to a temporary file first. cleanup removes the copy.
func spool(r io.Reader, tmpDir string) (body io.ReadSeeker, size int64, sum string, cleanup func(), err error) {
	if f, ok := r.(*os.File); ok {
		start, err := f.Seek(0, io.SeekCurrent)
		if err == nil {
			hr := newHashingReader(f)
			if _, err := io.Copy(io.Discard, hr); err != nil {
				return nil, 0, "", nil, fmt.Errorf("hash %s: %w", f.Name(), err)
			}
			if _, err := f.Seek(start, io.SeekStart); err != nil {
				return nil, 0, "", nil, fmt.Errorf("rewind %s: %w", f.Name(), err)
			}
			return io.NewSectionReader(f, start, hr.n), hr.n, hr.sum(), func() {}, nil
		}
	}
	tmp, err := os.CreateTemp(tmpDir, "revledger-upload-*")
	if err != nil {
		return nil, 0, "", nil, fmt.Errorf("spool upload: %w", err)
	}
	cleanup = func() { tmp.Close(); os.Remove(tmp.Name()) }
	hr := newHashingReader(r)
	if _, err := io.Copy(tmp, hr); err != nil {
		cleanup()
		return nil, 0, "", nil, fmt.Errorf("spool upload: %w", err)
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return nil, 0, "", nil, fmt.Errorf("rewind spooled upload: %w", err)
	}
	return tmp, hr.n, hr.sum(), cleanup, nil
}
