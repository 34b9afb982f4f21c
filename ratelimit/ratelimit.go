// Package ratelimit is a request budget per business shared by every process that uses one
// PostgreSQL database: however many workers call the Revolut API for one business, together
// they never get more than PerWindow grants in any rolling Window.
//
// It is a sliding-window log, not a token bucket. A bucket of capacity B refilled at r per
// second lets a caller take B at once and then r·Window more in the same window: B + r·Window
// requests in one window, more than the server allows unless B is 1, and with B = 1 the
// budget becomes an even pace that no worker can spend in a burst after an idle spell. The log
// keeps, per business, the database times of the last PerWindow grants in one row; a grant
// is made, with the row locked FOR UPDATE, only when fewer than PerWindow of them lie within
// the last Window, else the caller sleeps until the oldest leaves the window and tries again.
// That is exact: any window of length Window contains at most PerWindow grant times.
//
// Times come from the database (clock_timestamp(), read after the row lock is taken), so
// machines with skewed clocks agree, and a grant is stamped with the time it was made, not
// the time its transaction began waiting.
package ratelimit

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Defaults for Options fields left at zero: Revolut's documented budget per business.
const (
	DefaultPerWindow = 60
	DefaultWindow    = time.Minute
	DefaultSchema    = "revledger"
	// maxSleep bounds one sleep between tries, so that a caller notices a cancelled context
	// or a grant freed by a changed budget reasonably soon.
	maxSleep = 5 * time.Second
)

// Options configures a Limiter.
type Options struct {
	// PerWindow is how many grants one business gets in any rolling Window. Default 60.
	PerWindow int
	// Window is the length of the rolling window. Default 1 minute.
	Window time.Duration
	// Schema holds the state table rate_limit_grants. Default "revledger" (the control
	// schema tenancy migrates). Migrate creates the table.
	Schema string
}

func (o Options) withDefaults() Options {
	if o.PerWindow <= 0 {
		o.PerWindow = DefaultPerWindow
	}
	if o.Window <= 0 {
		o.Window = DefaultWindow
	}
	if o.Schema == "" {
		o.Schema = DefaultSchema
	}
	return o
}

// Limiter hands out grants. It is safe for concurrent use; any number of Limiters in any
// number of processes on one database share each business's budget, provided they use the
// same Options.
type Limiter struct {
	pool  *pgxpool.Pool
	opts  Options
	table string // quoted schema.table
	// sleep waits d or until ctx ends; replaceable in tests.
	sleep func(ctx context.Context, d time.Duration) error
	// onGrant, when set (tests), is told each grant's database time after its commit.
	onGrant func(businessID int64, at time.Time)
}

// New returns a Limiter on pool. It makes no query; call Migrate once (tenancy's
// Registry.Migrate does) before the first Wait.
func New(pool *pgxpool.Pool, opts Options) *Limiter {
	opts = opts.withDefaults()
	return &Limiter{
		pool:  pool,
		opts:  opts,
		table: tableName(opts.Schema),
		sleep: sleepContext,
	}
}

func tableName(schema string) string {
	return pgx.Identifier{schema, "rate_limit_grants"}.Sanitize()
}

// Migrate creates the schema and the state table if they are missing. The table is one row
// per business that ever asked: the business id and the times of its latest grants (at most
// PerWindow of them, oldest first). There is deliberately no foreign key to the businesses
// table: the limiter knows business ids only; tenancy removes a deleted business's row with
// Forget, in the same transaction that deletes the business. Two concurrent calls can race in
// the catalog (CREATE ... IF NOT EXISTS is not atomic): tenancy's Registry.Migrate calls it
// under its migration lock.
func Migrate(ctx context.Context, db interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}, schema string) error {
	if schema == "" {
		schema = DefaultSchema
	}
	_, err := db.Exec(ctx, fmt.Sprintf(`CREATE SCHEMA IF NOT EXISTS %s;
CREATE TABLE IF NOT EXISTS %s (
    business_id bigint PRIMARY KEY,
    grants      timestamptz[] NOT NULL DEFAULT '{}'
)`, pgx.Identifier{schema}.Sanitize(), tableName(schema)))
	if err != nil {
		return fmt.Errorf("ratelimit: create table: %w", err)
	}
	return nil
}

// Forget removes businessID's state, inside the caller's transaction tx.
func Forget(ctx context.Context, tx pgx.Tx, schema string, businessID int64) error {
	if schema == "" {
		schema = DefaultSchema
	}
	if _, err := tx.Exec(ctx, "DELETE FROM "+tableName(schema)+" WHERE business_id = $1", businessID); err != nil {
		return fmt.Errorf("ratelimit: forget business %d: %w", businessID, err)
	}
	return nil
}

// Wait blocks until businessID may make one more request, and records the grant. It returns
// ctx's error if ctx ends first (no grant is then recorded), or a database error.
func (l *Limiter) Wait(ctx context.Context, businessID int64) error {
	for {
		wait, err := l.try(ctx, businessID)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("ratelimit: business %d: %w", businessID, err)
		}
		if wait <= 0 {
			return nil
		}
		if err := l.sleep(ctx, min(wait, maxSleep)); err != nil {
			return err
		}
	}
}

// try makes one attempt: it grants (returns 0) or says how long until the oldest grant in the
// window leaves it.
func (l *Limiter) try(ctx context.Context, businessID int64) (time.Duration, error) {
	var wait time.Duration
	var granted time.Time
	err := pgx.BeginFunc(ctx, l.pool, func(tx pgx.Tx) error {
		// The row must exist before it can be locked; ON CONFLICT makes the first grant of a
		// business safe against a concurrent first grant.
		if _, err := tx.Exec(ctx, "INSERT INTO "+l.table+" (business_id) VALUES ($1) ON CONFLICT (business_id) DO NOTHING", businessID); err != nil {
			return err
		}
		var grants []time.Time
		if err := tx.QueryRow(ctx, "SELECT grants FROM "+l.table+" WHERE business_id = $1 FOR UPDATE", businessID).Scan(&grants); err != nil {
			return err
		}
		// The clock is read in a statement of its own, once the lock is ours: every grant is
		// stamped after the previous one committed, so the stamps are in grant order.
		var now time.Time
		if err := tx.QueryRow(ctx, "SELECT clock_timestamp()").Scan(&now); err != nil {
			return err
		}
		keep := grants[:0]
		for _, g := range grants {
			if g.After(now.Add(-l.opts.Window)) {
				keep = append(keep, g)
			}
		}
		if len(keep) >= l.opts.PerWindow {
			// The oldest in the window leaves it at keep[len-PerWindow] + Window (grants are
			// kept oldest first); nothing to write.
			wait = max(keep[len(keep)-l.opts.PerWindow].Add(l.opts.Window).Sub(now), time.Millisecond)
			return nil
		}
		keep = append(keep, now)
		_, err := tx.Exec(ctx, "UPDATE "+l.table+" SET grants = $2 WHERE business_id = $1", businessID, keep)
		granted = now
		return err
	})
	if err != nil {
		return 0, err
	}
	if wait == 0 && l.onGrant != nil {
		l.onGrant(businessID, granted)
	}
	return wait, nil
}

// For returns businessID's budget as what revolut.Config.Limiter takes.
func (l *Limiter) For(businessID int64) interface{ Wait(context.Context) error } {
	return waiter{l: l, id: businessID}
}

type waiter struct {
	l  *Limiter
	id int64
}

func (w waiter) Wait(ctx context.Context) error { return w.l.Wait(ctx, w.id) }

func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
