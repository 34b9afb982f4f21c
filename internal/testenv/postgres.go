package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/internal/pgserver"
)

var (
	serverOnce sync.Once
	server     *pgserver.Server
	serverErr  error
)

// Database returns the URL of a new, empty database that exists for the duration of the test
// and is dropped in t.Cleanup. The server is TEST_DATABASE_URL if set, else 127.0.0.1:5432,
// else a private cluster under the repository's .cache/testpg (started once, shared by all
// test binaries).
func Database(t testing.TB) string {
	t.Helper()
	srv := postgresServer(t)

	name := "revledger_test_" + randomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, srv.URL)
	if err != nil {
		unavailable(t, "PostgreSQL", "connect to "+srv.Source+" server: "+err.Error())
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("testenv: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, srv.URL)
		if err != nil {
			t.Logf("testenv: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Logf("testenv: drop database %s: %v", name, err)
		}
	})
	return withDatabase(srv.URL, name)
}

func postgresServer(t testing.TB) *pgserver.Server {
	t.Helper()
	serverOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		opts := pgserver.Options{URL: os.Getenv("TEST_DATABASE_URL")}
		if root, err := RepoRoot(); err == nil {
			opts.PrivateDir = filepath.Join(root, ".cache", "testpg")
		}
		server, serverErr = pgserver.Find(ctx, opts)
	})
	if serverErr != nil {
		unavailable(t, "PostgreSQL", serverErr.Error())
	}
	return server
}

// withDatabase returns dsn with its database (path) replaced by name.
func withDatabase(dsn, name string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		// Keyword/value form: append; libpq takes the last dbname.
		return strings.TrimSpace(dsn) + " dbname=" + name
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// unavailable fails the test under CI and skips it elsewhere, saying how to get the service.
func unavailable(t testing.TB, service, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("testenv: %s is required under CI but is not available: %s", service, why)
	}
	t.Skipf("testenv: skipping, %s is not available: %s", service, why)
}

// RepoRoot returns the directory holding go.mod, found by walking up from the working
// directory (a test's working directory is its package folder).
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", os.ErrNotExist
		}
		dir = parent
	}
}
