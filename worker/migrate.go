package worker

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// DefaultSchema is the control schema River's tables go into, beside the business registry.
const DefaultSchema = "revledger"

// migrateLockKey serialises River's migrations across processes that start together: three
// workers of a fresh deployment would otherwise race to create the same tables. The value
// is arbitrary, distinct from the warehouse's lock keys.
const migrateLockKey int64 = 0x7265766c_72697672 // "revlrivr"

// Migrate creates the control schema if needed and applies River's migrations to it, holding
// a session advisory lock on a connection of its own meanwhile. River applies each migration
// in its own transaction (a later one uses an enum value an earlier one adds, which one
// transaction cannot). It is safe to run concurrently and again: applied migrations are
// skipped.
func Migrate(ctx context.Context, pool *pgxpool.Pool, schema string) error {
	if schema == "" {
		schema = DefaultSchema
	}
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: schema})
	if err != nil {
		return fmt.Errorf("worker: river migrations: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("worker: river migrations: connect: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLockKey); err != nil {
		return fmt.Errorf("worker: river migrations: lock: %w", err)
	}
	defer func() { _, _ = conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrateLockKey) }()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return fmt.Errorf("worker: create schema %s: %w", schema, err)
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("worker: river migrations in schema %s: %w", schema, err)
	}
	return nil
}

// table is schema.name, quoted.
func table(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }
