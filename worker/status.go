package worker

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Status is one business's operational state, for `revledger status`.
type Status struct {
	Business Business
	// LastJob is the business's most recent job that finished or is running; zero Kind
	// when it has none.
	LastJob JobSummary
	// LastSuccess is when its last sync completed; zero if never (or not within the
	// completed jobs' retention, a month).
	LastSuccess time.Time
	// Next is its next scheduled sync; zero when it has none.
	Next time.Time
	// FailedAttempts24h counts job attempts of the business that failed in the last 24 hours.
	FailedAttempts24h int
	// Queued counts its jobs waiting (available, scheduled, retryable); Running those running.
	Queued, Running int
}

// Lag is now − LastSuccess; zero when the business never synced.
func (s Status) Lag(now time.Time) time.Duration {
	if s.LastSuccess.IsZero() {
		return 0
	}
	return now.Sub(s.LastSuccess)
}

// JobSummary is one job as status shows it.
type JobSummary struct {
	ID    int64
	Kind  string
	State string // River's: running, completed, retryable, discarded, cancelled, ...
	At    time.Time
	// Error is the last error River stored for the job (already redacted by the worker).
	Error string
}

// ReadStatus reads the status of each business from River's job table in schema. It only
// reads: before any worker has migrated the job table, every business shows no job.
func ReadStatus(ctx context.Context, pool *pgxpool.Pool, schema string, businesses []Business, now time.Time) ([]Status, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	jobs := table(schema, "river_job")
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", jobs).Scan(&exists); err != nil {
		return nil, fmt.Errorf("worker: look for the job table: %w", err)
	}
	last := map[string]time.Time{}
	if exists {
		var err error
		if last, err = lastSuccesses(ctx, pool, schema); err != nil {
			return nil, err
		}
	}
	byBusiness := map[string]*Status{}
	out := make([]Status, len(businesses))
	for i, b := range businesses {
		out[i] = Status{Business: b, LastSuccess: last[b.Slug]}
		if next, ok := NextRun(b, now); ok {
			out[i].Next = next
		}
		byBusiness[b.Slug] = &out[i]
	}
	if !exists {
		return out, nil // no worker has run on this database yet
	}

	rows, err := pool.Query(ctx, `SELECT DISTINCT ON (args->>'business') args->>'business', id, kind, state::text,
			coalesce(finalized_at, attempted_at), coalesce(errors[array_length(errors, 1)]->>'error', '')
		FROM `+jobs+`
		WHERE args ? 'business' AND attempted_at IS NOT NULL
		ORDER BY args->>'business', coalesce(finalized_at, attempted_at) DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("worker: read last jobs: %w", err)
	}
	for rows.Next() {
		var slug string
		var j JobSummary
		if err := rows.Scan(&slug, &j.ID, &j.Kind, &j.State, &j.At, &j.Error); err != nil {
			rows.Close()
			return nil, fmt.Errorf("worker: read last jobs: %w", err)
		}
		if s, ok := byBusiness[slug]; ok {
			s.LastJob = j
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("worker: read last jobs: %w", err)
	}

	rows, err = pool.Query(ctx, `SELECT args->>'business',
			count(*) FILTER (WHERE state IN ('available', 'scheduled', 'retryable', 'pending')),
			count(*) FILTER (WHERE state = 'running'),
			coalesce(sum((SELECT count(*) FROM unnest(errors) e WHERE (e->>'at')::timestamptz > $1)), 0)
		FROM `+jobs+` WHERE args ? 'business' GROUP BY 1`, now.Add(-24*time.Hour))
	if err != nil {
		return nil, fmt.Errorf("worker: count jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var slug string
		var queued, running, failed int64
		if err := rows.Scan(&slug, &queued, &running, &failed); err != nil {
			return nil, fmt.Errorf("worker: count jobs: %w", err)
		}
		if s, ok := byBusiness[slug]; ok {
			s.Queued, s.Running, s.FailedAttempts24h = int(queued), int(running), int(failed)
		}
	}
	return out, rows.Err()
}
