package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Errors callers act on. Driver errors never leave this package untranslated where a caller
// could want to tell them apart.
var (
	// ErrNotFound is returned when a requested row does not exist.
	ErrNotFound = errors.New("load: not found")
	// ErrLocked is returned by AcquireRunLock(ctx, false) when another runner holds the lock.
	ErrLocked = errors.New("load: another run holds the run lock")
	// ErrLockLost is returned by a write when the run lock is no longer held by this process
	// (its connection died or was terminated); nothing of that write was committed.
	ErrLockLost = errors.New("load: the run lock was lost")
	// ErrUnbalanced is returned when the database rejects a journal entry whose lines do not
	// sum to zero per currency, or, when they all have base amounts, in base currency.
	ErrUnbalanced = errors.New("load: unbalanced journal entry")
	// ErrConstraint is returned when a write breaks another database constraint (a duplicate
	// line key, net + tax ≠ gross, a malformed currency, ...).
	ErrConstraint = errors.New("load: constraint violated")
	// ErrMigration is returned when the migrations cannot be applied safely: an applied file
	// changed (checksum mismatch) or a file name is malformed.
	ErrMigration = errors.New("load: migrations")
)

// Options configures a Store.
type Options struct {
	// MaxConns caps the pool; 0 keeps pgxpool's default (max(4, GOMAXPROCS)). The run lock
	// holds one more, dedicated connection outside the pool.
	MaxConns int32
	// Logger receives migration and run-lock events; nil discards them.
	Logger *slog.Logger
	// Schema, when set, is the PostgreSQL schema that holds this store's warehouse: every
	// connection (the pool's and the run lock's) runs with search_path = Schema, Migrate
	// creates the schema if missing and applies the migrations inside it, and the run lock
	// and the migration lock are keyed by the schema, so that two warehouses in one database
	// never wait for each other. It must be a plain lower-case identifier
	// ([a-z_][a-z0-9_]*, at most 63 bytes, not pg_*). Empty: the server's default search
	// path and the historical lock keys, i.e. the single-business warehouse exactly as before.
	//
	// search_path is a connection startup parameter: behind a pooler in transaction mode
	// (PgBouncer) it would not stick, so connect such stores directly.
	Schema string
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Store is the warehouse: a pgx pool with the exact decimal codec for numeric.
type Store struct {
	pool  *pgxpool.Pool
	log   *slog.Logger
	stats *statistics // keeps the planner's statistics of bulk-loaded tables fresh
	// schema is Options.Schema ("" for the default search path); runKey and migrateKey are
	// the advisory lock keys of this warehouse (see lockKeys).
	schema             string
	runKey, migrateKey int64
}

// Open connects to dsn and checks the connection. Every connection runs in UTC so that dates
// and timestamps round-trip without the server's time zone getting involved.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if opts.Schema != "" {
		if err := ValidSchema(opts.Schema); err != nil {
			return nil, err
		}
	}
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// The DSN may contain a password: do not echo it.
		return nil, errors.New("load: parse database URL: invalid connection string")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	// Staging tables are temporary tables, held in per-session local buffers: 8MB by default,
	// less than one 100k-row batch, which would then spill to temp files. The memory is only
	// taken by a session that stages that much.
	cfg.ConnConfig.RuntimeParams["temp_buffers"] = "64MB"
	// No JIT compilation. Its threshold is a plan cost, and the warehouse's queries that cross
	// it are the ones whose cost the planner overestimates (a per-row subquery it cannot see
	// is cheap: the period's bank openings, planned at 0.8M, run in 20 ms and then spent 1.1 s
	// compiling). None of its queries is long enough for compiled expressions to pay back.
	cfg.ConnConfig.RuntimeParams["jit"] = "off"
	if opts.Schema != "" {
		// Only this schema (and, implicitly, pg_catalog and the session's temporary schema):
		// an unqualified name can never reach another business's tables or public's.
		cfg.ConnConfig.RuntimeParams["search_path"] = pgx.Identifier{opts.Schema}.Sanitize()
	}
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		pgxdecimal.Register(conn.TypeMap())
		return nil
	}
	s, err := openWith(ctx, cfg, opts.Logger)
	if err != nil {
		return nil, err
	}
	s.schema = opts.Schema
	s.runKey, s.migrateKey = lockKeys(opts.Schema)
	return s, nil
}

// Schema returns the PostgreSQL schema the store works in ("" for the default search path).
func (s *Store) Schema() string { return s.schema }

// schemaName is what Options.Schema accepts: an identifier that needs no quoting, so that it
// reads the same in SQL, in logs and in `pg_dump -n`.
var schemaName = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,62}$`)

// ValidSchema returns nil if name can be Options.Schema, else an error saying why.
func ValidSchema(name string) error {
	if !schemaName.MatchString(name) || strings.HasPrefix(name, "pg_") || name == "information_schema" {
		return fmt.Errorf("load: schema %q must be a lower-case identifier ([a-z_][a-z0-9_]*, at most 63 bytes, not pg_* or information_schema)", name)
	}
	return nil
}

func openWith(ctx context.Context, cfg *pgxpool.Config, log *slog.Logger) (*Store, error) {
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("load: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("load: connect to %s/%s: %w", cfg.ConnConfig.Host, cfg.ConnConfig.Database, interpret(err))
	}
	runKey, migrateKey := lockKeys("")
	return &Store{pool: pool, log: log, stats: newStatistics(pool, log), runKey: runKey, migrateKey: migrateKey}, nil
}

// Close closes every pooled connection. A Writer still holding the run lock keeps its own connection until
// released.
func (s *Store) Close() {
	s.stats.close()
	s.pool.Close()
}

// interpret translates driver errors into this package's errors at the boundary. Errors that
// callers do not act on pass through unchanged.
func interpret(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "23514" && (pgErr.ConstraintName == "ledger_entry_balanced" || pgErr.ConstraintName == "ledger_entry_balanced_base"):
			return fmt.Errorf("%w: %s", ErrUnbalanced, pgErr.Message)
		case pgErr.Code == "23505", pgErr.Code == "23514", pgErr.Code == "23503", pgErr.Code == "23502", pgErr.Code == "23001":
			return fmt.Errorf("%w: %s (%s)", ErrConstraint, pgErr.Message, pgErr.ConstraintName)
		}
	}
	return err
}
