package worker

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/riverqueue/river"

	"github.com/revledger/revledger/internal/redact"
)

// Runner runs one job of one business. The worker knows businesses only by slug: the
// implementation (cmd/revledger) looks up the business, its credentials and its warehouse
// schema when the job starts, so nothing secret ever sits in the queue.
type Runner interface {
	Sync(ctx context.Context, business string) (Report, error)
	// Backfill books [from, to): dates YYYY-MM-DD in the business's time zone, to exclusive.
	Backfill(ctx context.Context, business, from, to string) (Report, error)
	// Export writes the files of one month, YYYY-MM.
	Export(ctx context.Context, business, period string) (Report, error)
	// Receipts stores the receipts not stored yet.
	Receipts(ctx context.Context, business string) (Report, error)
}

// Report is what a job did, for the metrics.
type Report struct {
	APIRequests int64
	Lines       int64
}

// ErrBusy is returned (wrapped) by a Runner when the business's run lock is held by another
// run: the job is snoozed for Config.BusySnooze and tried again, without counting as a failure.
var ErrBusy = errors.New("worker: the business's run lock is held by another run")

// errPermanent marks errors that no retry can fix (the business was deleted, its
// credentials must be re-authorised): the job is cancelled at once instead of retried.
var errPermanent = errors.New("permanent")

// Permanent marks err as one that no retry can fix: the job is cancelled, not retried.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

type permanentError struct{ err error }

func (p permanentError) Error() string        { return p.err.Error() }
func (p permanentError) Unwrap() []error      { return []error{p.err, errPermanent} }
func (p permanentError) Is(target error) bool { return target == errPermanent }

// IsPermanent reports whether err was marked by Permanent.
func IsPermanent(err error) bool { return errors.Is(err, errPermanent) }

// outcome is how a job attempt ended, as the metrics count it.
type outcome string

const (
	outcomeCompleted outcome = "completed"
	outcomeFailed    outcome = "failed"
	outcomeSnoozed   outcome = "snoozed"
	outcomeCancelled outcome = "cancelled"
)

// run runs one job through fn and turns its result into River's answer: nil completes the
// job, ErrBusy snoozes it, a permanent error cancels it, any other error makes it retryable.
// The error River stores in its job table is redacted.
func (w *Worker) run(ctx context.Context, jobID int64, kind, business string, fn func(context.Context) (Report, error)) error {
	// One job per business at a time, across kinds: a backfill's monthly chunks, a sync and
	// an export of one business would only queue on its run lock, each attempt having paid
	// a sign-in against the business's API budget first. A job that finds another of its
	// business running (a dead worker's included, until it is rescued) waits instead.
	busy, err := w.otherJobRunning(ctx, jobID, business)
	if err != nil {
		return err
	}
	if busy {
		w.metrics.snoozed(business, kind)
		return river.JobSnooze(w.snooze())
	}
	started := time.Now()
	w.metrics.started(business, kind)
	rep, err := fn(ctx)
	now := time.Now()
	var oc outcome
	var answer error
	switch {
	case err == nil:
		oc = outcomeCompleted
	case errors.Is(err, ErrBusy):
		oc, answer = outcomeSnoozed, river.JobSnooze(w.snooze())
	case IsPermanent(err):
		oc, answer = outcomeCancelled, river.JobCancel(redact.Error(err))
	default:
		oc, answer = outcomeFailed, redact.Error(err)
	}
	w.metrics.finished(business, kind, oc, rep, now)
	w.log.InfoContext(ctx, "job finished", "kind", kind, "business", business, "outcome", string(oc),
		"seconds", now.Sub(started).Seconds(), "api_requests", rep.APIRequests)
	if answer != nil && oc == outcomeFailed {
		return fmt.Errorf("%s %s: %w", kind, business, answer)
	}
	return answer
}

// otherJobRunning reports whether another job of the business is running.
func (w *Worker) otherJobRunning(ctx context.Context, jobID int64, business string) (bool, error) {
	var busy bool
	err := w.cfg.Pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+table(w.cfg.Schema, "river_job")+`
		WHERE state = 'running' AND args->>'business' = $1 AND id <> $2)`, business, jobID).Scan(&busy)
	if err != nil {
		return false, fmt.Errorf("worker: look for running jobs of %s: %w", business, err)
	}
	return busy, nil
}

// snooze is Config.BusySnooze with ±50% jitter, so that two jobs of one business that
// found each other running do not wake up together again.
func (w *Worker) snooze() time.Duration {
	d := w.cfg.BusySnooze
	return d/2 + time.Duration(rand.Int64N(int64(d)))
}

type syncWorker struct {
	river.WorkerDefaults[SyncArgs]
	w *Worker
}

func (s *syncWorker) Work(ctx context.Context, job *river.Job[SyncArgs]) error {
	b := job.Args.Business
	return s.w.run(ctx, job.ID, KindSync, b, func(ctx context.Context) (Report, error) { return s.w.runner.Sync(ctx, b) })
}

type backfillWorker struct {
	river.WorkerDefaults[BackfillChunkArgs]
	w *Worker
}

func (s *backfillWorker) Work(ctx context.Context, job *river.Job[BackfillChunkArgs]) error {
	a := job.Args
	return s.w.run(ctx, job.ID, KindBackfillChunk, a.Business, func(ctx context.Context) (Report, error) {
		return s.w.runner.Backfill(ctx, a.Business, a.From, a.To)
	})
}

type exportWorker struct {
	river.WorkerDefaults[ExportPeriodArgs]
	w *Worker
}

func (s *exportWorker) Work(ctx context.Context, job *river.Job[ExportPeriodArgs]) error {
	a := job.Args
	return s.w.run(ctx, job.ID, KindExportPeriod, a.Business, func(ctx context.Context) (Report, error) {
		return s.w.runner.Export(ctx, a.Business, a.Period)
	})
}

type receiptsWorker struct {
	river.WorkerDefaults[ReceiptsArgs]
	w *Worker
}

func (s *receiptsWorker) Work(ctx context.Context, job *river.Job[ReceiptsArgs]) error {
	b := job.Args.Business
	return s.w.run(ctx, job.ID, KindReceipts, b, func(ctx context.Context) (Report, error) { return s.w.runner.Receipts(ctx, b) })
}
