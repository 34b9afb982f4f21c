package tenancy

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/ratelimit"
)

// ControlSchema holds the control-plane tables: businesses, their secrets, the rate
// limiter's state and this package's own schema_migrations.
const ControlSchema = "revledger"

// migrationsFS are the control plane's migrations, NNNN_name.sql, applied in order inside
// ControlSchema. An applied file never changes (its checksum is checked).
//
//go:embed migrations/*.sql
var migrationsFS embed.FS

// controlMigrateLockKey serialises concurrent Registry.Migrate calls ("rvl-ctrl").
const controlMigrateLockKey int64 = 0x72766c2d6374726c

var controlMigrationFile = regexp.MustCompile(`^([0-9]{4})_([a-z0-9_]+)\.sql$`)

// Migrate creates the control schema and applies its migrations that are not applied yet,
// then creates the rate limiter's table there. Like load's runner (load/migrate.go): an
// advisory lock serialises callers, each file runs in a transaction with its
// schema_migrations row, and a changed applied file stops with an error.
func (r *Registry) Migrate(ctx context.Context) (err error) {
	files, err := fs.Glob(migrationsFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("tenancy: migrate: %w", err)
	}
	sort.Strings(files)
	conn, err := r.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("tenancy: migrate: acquire connection: %w", err)
	}
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", controlMigrateLockKey); err != nil {
		conn.Release()
		return fmt.Errorf("tenancy: migrate: take migration lock: %w", err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, uerr := conn.Exec(uctx, "SELECT pg_advisory_unlock($1)", controlMigrateLockKey); uerr != nil {
			_ = conn.Hijack().Close(uctx)
			return
		}
		conn.Release()
	}()
	schema := pgx.Identifier{ControlSchema}.Sanitize()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+schema+`;
CREATE TABLE IF NOT EXISTS `+schema+`.schema_migrations (
    version    integer PRIMARY KEY,
    name       text        NOT NULL,
    checksum   text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("tenancy: migrate: create %s.schema_migrations: %w", ControlSchema, err)
	}
	applied := map[int]string{}
	rows, _ := conn.Query(ctx, "SELECT version, checksum FROM "+schema+".schema_migrations")
	var v int
	var sum string
	if _, err := pgx.ForEachRow(rows, []any{&v, &sum}, func() error { applied[v] = sum; return nil }); err != nil {
		return fmt.Errorf("tenancy: migrate: read schema_migrations: %w", err)
	}
	for _, path := range files {
		base := path[len("migrations/"):]
		m := controlMigrationFile.FindStringSubmatch(base)
		if m == nil {
			return fmt.Errorf("tenancy: migrate: file %q is not named NNNN_name.sql", base)
		}
		version, _ := strconv.Atoi(m[1])
		body, err := migrationsFS.ReadFile(path)
		if err != nil {
			return fmt.Errorf("tenancy: migrate: %w", err)
		}
		digest := sha256.Sum256(body)
		checksum := hex.EncodeToString(digest[:])
		if got, ok := applied[version]; ok {
			if got != checksum {
				return fmt.Errorf("tenancy: migrate: %s was changed after it was applied; add a new migration instead", base)
			}
			continue
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			// The file's names are unqualified: they land in the control schema.
			if _, err := tx.Exec(ctx, "SET LOCAL search_path = "+schema); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO "+schema+".schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
				version, m[2], checksum)
			return err
		})
		if err != nil {
			return fmt.Errorf("tenancy: migrate: apply %s: %w", base, err)
		}
	}
	if err := ratelimit.Migrate(ctx, conn, ControlSchema); err != nil {
		return fmt.Errorf("tenancy: migrate: %w", err)
	}
	return nil
}
