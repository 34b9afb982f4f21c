// Package pgserver finds a PostgreSQL server to use, or starts a private one.
//
// The order is the one docs/DESIGN.md ("Real parts") promises users and CI: an explicit connection
// URL, else a server answering on 127.0.0.1:5432, else a private cluster made with the
// installed initdb and pg_ctl in a folder of the caller's choosing. Both the test harness
// (internal/testenv) and `revledger demo` use it, so a fresh machine behaves the same for both.
package pgserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a reachable PostgreSQL server.
type Server struct {
	// URL is a connection string for a database on the server that the caller may use to
	// create other databases (the "postgres" maintenance database).
	URL string
	// Source says where the server came from, for messages: "env", "local" or "private".
	Source string
}

// Options controls Find.
type Options struct {
	// URL, when set, is used as is (from TEST_DATABASE_URL or REVLEDGER_DATABASE_URL).
	URL string
	// LocalAddr is probed when URL is empty. Default "127.0.0.1:5432".
	LocalAddr string
	// PrivateDir is where a private cluster lives when nothing else answers. Empty disables
	// starting one. The cluster is left running so that later test binaries and demo runs
	// reuse it; Stop ends it.
	PrivateDir string
}

// ErrUnavailable means no server could be found or started; its message says how to get one.
var ErrUnavailable = errors.New("no PostgreSQL server available")

// Find returns a usable server following the order described in the package doc.
func Find(ctx context.Context, opts Options) (*Server, error) {
	if opts.URL != "" {
		if err := ping(ctx, opts.URL); err != nil {
			return nil, fmt.Errorf("connect to the configured PostgreSQL: %w", err)
		}
		return &Server{URL: opts.URL, Source: "env"}, nil
	}
	if opts.LocalAddr == "" {
		opts.LocalAddr = "127.0.0.1:5432"
	}
	host, port, err := net.SplitHostPort(opts.LocalAddr)
	if err != nil {
		return nil, fmt.Errorf("local PostgreSQL address %q: %w", opts.LocalAddr, err)
	}
	var localErr error
	if conn, err := net.DialTimeout("tcp", opts.LocalAddr, time.Second); err == nil {
		conn.Close()
		for _, u := range []string{"postgres", currentUser()} {
			dsn := fmt.Sprintf("postgres://%s@%s/postgres?sslmode=disable", url.PathEscape(u), net.JoinHostPort(host, port))
			if localErr = ping(ctx, dsn); localErr == nil {
				return &Server{URL: dsn, Source: "local"}, nil
			}
		}
	}
	if opts.PrivateDir == "" {
		return nil, unavailable(localErr, nil)
	}
	srv, err := startPrivate(ctx, opts.PrivateDir)
	if err != nil {
		return nil, unavailable(localErr, err)
	}
	return srv, nil
}

func unavailable(localErr, privateErr error) error {
	msg := "set TEST_DATABASE_URL (tests) or REVLEDGER_DATABASE_URL to a PostgreSQL you may create databases on, " +
		"start one on 127.0.0.1:5432, or install PostgreSQL's server binaries (initdb, pg_ctl; Debian: apt-get install postgresql) " +
		"so that a private cluster can be started"
	var details []string
	if localErr != nil {
		details = append(details, "127.0.0.1:5432: "+localErr.Error())
	}
	if privateErr != nil {
		details = append(details, "private cluster: "+privateErr.Error())
	}
	if len(details) > 0 {
		msg += " (" + strings.Join(details, "; ") + ")"
	}
	return fmt.Errorf("%w: %s", ErrUnavailable, msg)
}

func ping(ctx context.Context, dsn string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	return conn.Ping(ctx)
}

func currentUser() string {
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return "postgres"
}

// startPrivate starts (or reuses) a cluster in dir. It listens only on a Unix socket in dir
// and on a loopback TCP port recorded in dir/port, so several processes can share it; a lock
// file serialises creation.
func startPrivate(ctx context.Context, dir string) (*Server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	unlock, err := lockFile(filepath.Join(dir, "lock"))
	if err != nil {
		return nil, err
	}
	defer unlock()

	owner, err := clusterOwner()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(dir, "data")
	portFile := filepath.Join(dir, "port")
	if b, err := os.ReadFile(portFile); err == nil {
		dsn := privateURL(strings.TrimSpace(string(b)))
		if ping(ctx, dsn) == nil {
			return &Server{URL: dsn, Source: "private"}, nil
		}
	}
	if owner != nil {
		if err := chownR(dir, owner); err != nil {
			return nil, err
		}
	}
	if _, err := os.Stat(filepath.Join(data, "PG_VERSION")); err != nil {
		out, err := run(ctx, owner, filepath.Join(bin, "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")
		if err != nil {
			return nil, fmt.Errorf("initdb: %w: %s", err, out)
		}
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -c port=%d -c unix_socket_directories=%s -c fsync=off -c max_connections=200", port, dir)
	out, err := run(ctx, owner, filepath.Join(bin, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"), "-o", opts, "-w", "-t", "60", "start")
	if err != nil {
		return nil, fmt.Errorf("pg_ctl start: %w: %s", err, out)
	}
	if err := os.WriteFile(portFile, []byte(strconv.Itoa(port)), 0o644); err != nil {
		return nil, err
	}
	dsn := privateURL(strconv.Itoa(port))
	if err := ping(ctx, dsn); err != nil {
		return nil, fmt.Errorf("private cluster started but does not answer: %w", err)
	}
	return &Server{URL: dsn, Source: "private"}, nil
}

// Stop stops a private cluster started in dir, if one runs.
func Stop(ctx context.Context, dir string) error {
	bin, err := binDir()
	if err != nil {
		return err
	}
	owner, err := clusterOwner()
	if err != nil {
		return err
	}
	out, err := run(ctx, owner, filepath.Join(bin, "pg_ctl"), "-D", filepath.Join(dir, "data"), "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w: %s", err, out)
	}
	return os.Remove(filepath.Join(dir, "port"))
}

func privateURL(port string) string {
	return "postgres://postgres@127.0.0.1:" + port + "/postgres?sslmode=disable"
}

// binDir finds the directory holding initdb and pg_ctl: on PATH, through pg_config, or in
// Debian's versioned /usr/lib/postgresql/N/bin (newest first).
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		d := strings.TrimSpace(string(out))
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("initdb not found on PATH, through pg_config, or in /usr/lib/postgresql/*/bin")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// clusterOwner returns the unprivileged user to run initdb/pg_ctl as when we are root
// (initdb refuses to run as root), or nil to run as ourselves.
func clusterOwner() (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root and there is no 'postgres' user to own a private cluster (initdb refuses to run as root)")
	}
	return u, nil
}

func run(ctx context.Context, owner *user.User, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if owner != nil {
		uid, _ := strconv.ParseUint(owner.Uid, 10, 32)
		gid, _ := strconv.ParseUint(owner.Gid, 10, 32)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Dir = os.TempDir()
	}
	// The server must outlive this process; pg_ctl daemonises it, and a new session keeps it
	// out of our process group's signals.
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setsid = true
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func chownR(dir string, owner *user.User) error {
	uid, _ := strconv.Atoi(owner.Uid)
	gid, _ := strconv.Atoi(owner.Gid)
	// The owner must be able to reach dir through its parents; make them traversable.
	for p := filepath.Dir(dir); p != "/" && p != "."; p = filepath.Dir(p) {
		if fi, err := os.Stat(p); err == nil && fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(p, fi.Mode().Perm()|0o711); err != nil {
				return err
			}
		}
	}
	return filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
