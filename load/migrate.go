package load

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"io/fs"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/migrations"
)

// Advisory lock keys of the default warehouse (Options.Schema empty). Fixed 64-bit constants
// (ASCII of a name) so that every revledger process, whatever its version, agrees on them.
const (
	migrateLockKey int64 = 0x72766c2d6d696772 // "rvl-migr"
	runLockKey     int64 = 0x72766c2d72756e00 // "rvl-run\0"
)

// lockKeys returns the run-lock and migration-lock keys of the warehouse in schema. The
// default warehouse keeps the historical constants. A named schema gets the FNV-1a 64 hash
// of "rvl-run:"+schema and "rvl-migr:"+schema: stable across processes and versions, the same
// for every store of one schema (its runs still exclude each other) and different between
// schemas (one business's run never waits for another's). Advisory keys are one namespace
// per database; a collision between two of these 64-bit hashes would only make two
// businesses take turns, never let two runs of one business overlap.
func lockKeys(schema string) (run, migrate int64) {
	if schema == "" {
		return runLockKey, migrateLockKey
	}
	hash := func(s string) int64 {
		h := fnv.New64a()
		h.Write([]byte(s))
		return int64(h.Sum64())
	}
	return hash("rvl-run:" + schema), hash("rvl-migr:" + schema)
}

// Migrate applies the embedded migrations that are not applied yet.
//
// The runner is deliberately small (about 80 lines) instead of tern, goose or golang-migrate:
// what is needed is exactly embed.FS + pgx + an advisory lock + a checksum, and each of those
// tools would add a dependency (and, for golang-migrate, its own driver stack) for less control
// over locking. How it behaves:
//   - a session advisory lock serialises concurrent callers: one applies, the others wait and
//     then find nothing to do;
//   - each migration runs in its own transaction together with its schema_migrations row, so a
//     failed migration leaves no trace and is retried next time;
//   - an applied file is never re-applied, and if its content changed (checksum mismatch)
//     Migrate fails with ErrMigration instead of guessing.
func (s *Store) Migrate(ctx context.Context) error {
	return s.migrate(ctx, migrations.FS)
}

type migration struct {
	version  int
	name     string
	sql      string
	checksum string
}

var migrationFile = regexp.MustCompile(`^([0-9]+)_([a-z0-9_]+)\.sql$`)

func readMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, fmt.Errorf("%w: list files: %v", ErrMigration, err)
	}
	var out []migration
	seen := map[int]string{}
	for _, name := range names {
		m := migrationFile.FindStringSubmatch(name)
		if m == nil {
			return nil, fmt.Errorf("%w: file %q is not named NNNN_name.sql", ErrMigration, name)
		}
		v, _ := strconv.Atoi(m[1])
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("%w: files %q and %q have the same version %d", ErrMigration, prev, name, v)
		}
		seen[v] = name
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("%w: read %s: %v", ErrMigration, name, err)
		}
		sum := sha256.Sum256(body)
		out = append(out, migration{version: v, name: m[2], sql: string(body), checksum: hex.EncodeToString(sum[:])})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

func (s *Store) migrate(ctx context.Context, fsys fs.FS) (err error) {
	files, err := readMigrations(fsys)
	if err != nil {
		return err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("load: migrate: acquire connection: %w", interpret(err))
	}
	// A session lock (not a transaction lock) because it must span several transactions.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", s.migrateKey); err != nil {
		conn.Release()
		return fmt.Errorf("load: migrate: take migration lock: %w", interpret(err))
	}
	defer func() {
		// Unlock with a fresh context: ctx may be what failed. If the unlock fails the
		// connection still holds the lock, so it must not go back to the pool.
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", s.migrateKey); uerr != nil {
			_ = conn.Hijack().Close(uctx)
			return
		}
		conn.Release()
	}()

	if s.schema != "" {
		// Under the migration lock, so that two stores creating one schema do not race.
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{s.schema}.Sanitize()); err != nil {
			return fmt.Errorf("load: migrate: create schema %s: %w", s.schema, interpret(err))
		}
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		name       text        NOT NULL,
		checksum   text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("load: migrate: create schema_migrations: %w", interpret(err))
	}
	applied := map[int]string{}
	rows, _ := conn.Query(ctx, "SELECT version, checksum FROM schema_migrations")
	var v int
	var sum string
	if _, err := pgx.ForEachRow(rows, []any{&v, &sum}, func() error { applied[v] = sum; return nil }); err != nil {
		return fmt.Errorf("load: migrate: read schema_migrations: %w", interpret(err))
	}

	for _, m := range files {
		if got, ok := applied[m.version]; ok {
			if got != m.checksum {
				return fmt.Errorf("%w: %04d_%s.sql was changed after it was applied (checksum %s, applied %s); add a new migration instead",
					ErrMigration, m.version, m.name, m.checksum[:12], got[:min(12, len(got))])
			}
			continue
		}
		start := time.Now()
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// No arguments: the simple protocol runs the whole multi-statement file.
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
				m.version, m.name, m.checksum)
			return err
		})
		if err != nil {
			return fmt.Errorf("load: migrate: apply %04d_%s.sql: %w", m.version, m.name, interpret(err))
		}
		s.log.InfoContext(ctx, "migration applied", slog.Int("version", m.version), slog.String("name", m.name),
			slog.Duration("took", time.Since(start)))
	}
	return nil
}
