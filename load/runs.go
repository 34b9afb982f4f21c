package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/revledger/revledger/internal/redact"
)

// RunStatus is a run's status in the runs table. Every status load writes is one of these.
type RunStatus string

// Run statuses.
const (
	// RunRunning is the status of a run from StartRun until FinishRun.
	RunRunning   RunStatus = "running"
	RunSucceeded RunStatus = "succeeded"
	RunFailed    RunStatus = "failed"
	// RunCancelled marks a run stopped by its context (a signal, a deadline) before it
	// finished; what it committed is kept.
	RunCancelled RunStatus = "cancelled"
	// RunAbandoned marks a run whose process ended (SIGKILL, a lost machine) before it
	// recorded an outcome; the next run that takes the lock marks it.
	RunAbandoned RunStatus = "abandoned"
)

// RunKind is what a run does, as the runs table records it.
type RunKind string

// Run kinds.
const (
	RunSync     RunKind = "sync"
	RunBackfill RunKind = "backfill"
	RunExport   RunKind = "export"
)

// Outcome is how a run ended, for FinishRun.
type Outcome struct {
	Status      RunStatus        // a final status: not RunRunning
	Counts      map[string]int64 // counts per stage, stored as JSON
	APIRequests int64
	Error       string // the error text, if any; stored through StoredText
}

// RunID identifies a run in the runs table.
type RunID = int64

// StartRun records the start of a run of the given kind (sync, backfill, export, ...) over the
// window [from, to); zero times are stored as NULL. Run bookkeeping does not need the run lock:
// a run that failed to get the lock is still worth recording.
func (s *Store) StartRun(ctx context.Context, kind RunKind, from, to time.Time) (RunID, error) {
	var id RunID
	err := s.pool.QueryRow(ctx,
		"INSERT INTO runs (kind, window_from, window_to) VALUES ($1, $2, $3) RETURNING id",
		kind, nullTime(from), nullTime(to)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("load: start %s run: %w", kind, interpret(err))
	}
	return id, nil
}

// AbandonStaleRuns marks every run still recorded as running, other than current, as
// abandoned, and returns how many it marked. Only the holder of the run lock may call it:
// with the lock held, no other run can be running, so those rows belong to processes that
// died without recording an outcome.
func (w *Writer) AbandonStaleRuns(ctx context.Context, current RunID) (int, error) {
	var n int
	err := w.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE runs SET status = $1, finished_at = now(),
				error = 'the process ended before it recorded an outcome; work it committed is kept'
			WHERE status = $2 AND id <> $3`, RunAbandoned, RunRunning, current)
		n = int(tag.RowsAffected())
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load: mark abandoned runs: %w", interpret(err))
	}
	return n, nil
}

// FinishRun records how run id ended: its final status, counts per stage, the number of API
// requests and the error text if any. It returns ErrNotFound for an unknown run.
func (s *Store) FinishRun(ctx context.Context, id RunID, o Outcome) error {
	status, counts := o.Status, o.Counts
	if status == RunRunning {
		return fmt.Errorf("load: finish run %d: status %q is not a final status", id, status)
	}
	if counts == nil {
		counts = map[string]int64{}
	}
	js, err := json.Marshal(counts)
	if err != nil {
		return fmt.Errorf("load: finish run %d: encode counts: %w", id, err)
	}
	tag, err := s.pool.Exec(ctx,
		`UPDATE runs SET status = $2, counts = $3, api_requests = $4, error = $5, finished_at = now()
		 WHERE id = $1`,
		id, status, js, o.APIRequests, nullString(StoredText(o.Error)))
	var pgErr *pgconn.PgError
	if err != nil && errors.As(err, &pgErr) {
		// The server refused a value, not the connection. The outcome matters more than its
		// details: record the status alone, with the reason the details are missing, so that
		// the run is not left as running.
		note := StoredText(fmt.Sprintf("the outcome's details could not be recorded (%v); the run's log has them", interpret(err)))
		tag, err2 := s.pool.Exec(ctx, `UPDATE runs SET status = $2, error = $3, finished_at = now() WHERE id = $1`, id, status, note)
		if err2 != nil {
			return fmt.Errorf("load: finish run %d: %w; recording the status alone failed too (%v): the run stays recorded as running until the next run marks it abandoned",
				id, interpret(err), interpret(err2))
		}
		if tag.RowsAffected() == 0 {
			return fmt.Errorf("load: finish run %d: %w", id, ErrNotFound)
		}
		s.log.Warn("run outcome recorded without its details", slog.Int64("run_id", id), slog.String("status", string(status)),
			slog.String("error", StoredText(interpret(err).Error())))
		return nil
	}
	if err != nil {
		return fmt.Errorf("load: finish run %d: %w; the run stays recorded as running until the next run marks it abandoned", id, interpret(err))
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("load: finish run %d: %w", id, ErrNotFound)
	}
	return nil
}

// maxStoredText caps error and reason text stored in the warehouse: an error that quotes a
// whole response body must not bloat the run history.
const maxStoredText = 16 << 10

// StoredText is the one place that makes error and reason text fit to be stored: credentials
// are redacted (an endpoint may echo the request into an error), NUL bytes (which PostgreSQL
// text refuses with SQLSTATE 22021) and invalid UTF-8 become U+FFFD, and the text is capped
// at 16 KiB. Every error or reason column written by load goes through it: runs.error,
// quarantine.reason, exceptions.reason.
func StoredText(s string) string {
	if s == "" {
		return s
	}
	s = redact.String(s)
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) > maxStoredText {
		s = strings.ToValidUTF8(s[:maxStoredText], "") + "… (truncated)"
	}
	return s
}

// Checkpoint returns the stored checkpoint of a stream; ok is false when the stream has never
// been checkpointed.
func (s *Store) Checkpoint(ctx context.Context, stream string) (checkpoint time.Time, ok bool, err error) {
	err = s.pool.QueryRow(ctx, "SELECT checkpoint FROM sync_state WHERE stream = $1", stream).Scan(&checkpoint)
	if err = interpret(err); err == ErrNotFound {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("load: read checkpoint of %s: %w", stream, err)
	}
	return checkpoint.UTC(), true, nil
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
