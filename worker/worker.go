package worker

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivertype"
)

// Defaults of Config.
const (
	DefaultConcurrency = 2
	// DefaultJobTimeout bounds one job. A sync or a month's backfill commits chunk by chunk,
	// so a job cut short by the timeout resumes where it stopped on its retry.
	DefaultJobTimeout = time.Hour
	// DefaultRescueAfter is when a job still "running" is taken to belong to a dead worker.
	DefaultRescueAfter = 90 * time.Minute
	// DefaultReloadEvery is how often the businesses are re-read for the periodic syncs and
	// the lag metric.
	DefaultReloadEvery = time.Minute
	// DefaultBusySnooze: see Config.BusySnooze.
	DefaultBusySnooze = 30 * time.Second
	// completedRetention keeps completed jobs a month (River's default is a day): the last
	// successful sync of a business, for `revledger status` and the lag metric, is read from
	// them. A business with a daily sync keeps about 31 rows.
	completedRetention = 31 * 24 * time.Hour
)

// Config configures a Worker.
type Config struct {
	// Pool connects to the database holding the control schema.
	Pool *pgxpool.Pool
	// Schema is the control schema holding River's tables. Default DefaultSchema.
	Schema string
	// ID names this worker in River's job table (attempted_by). Default: River's (host
	// name and start time).
	ID string
	// Concurrency is how many jobs this worker runs at once. Default DefaultConcurrency.
	Concurrency int
	// JobTimeout and RescueAfter: see the package documentation. RescueAfter must exceed
	// JobTimeout.
	JobTimeout, RescueAfter time.Duration
	// Runner runs the jobs.
	Runner Runner
	// Businesses lists the businesses; nil means no periodic jobs and no lag metric.
	Businesses func(context.Context) ([]Business, error)
	// BusySnooze is how long a job that found its business's run lock taken waits before
	// trying again. Default DefaultBusySnooze.
	BusySnooze time.Duration
	// ReloadEvery is how often Businesses is called. Default DefaultReloadEvery.
	ReloadEvery time.Duration
	// Logger receives the worker's and River's logs. Default discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Schema == "" {
		c.Schema = DefaultSchema
	}
	if c.Concurrency == 0 {
		c.Concurrency = DefaultConcurrency
	}
	if c.JobTimeout == 0 {
		c.JobTimeout = DefaultJobTimeout
	}
	if c.RescueAfter == 0 {
		c.RescueAfter = max(DefaultRescueAfter, c.JobTimeout+c.JobTimeout/2)
	}
	if c.BusySnooze == 0 {
		c.BusySnooze = DefaultBusySnooze
	}
	if c.ReloadEvery == 0 {
		c.ReloadEvery = DefaultReloadEvery
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	switch {
	case c.Pool == nil:
		return errors.New("worker: no database pool")
	case c.Runner == nil:
		return errors.New("worker: no runner")
	case c.Concurrency < 1:
		return fmt.Errorf("worker: concurrency %d: want at least 1", c.Concurrency)
	case c.JobTimeout < time.Second:
		return fmt.Errorf("worker: job timeout %s: want at least a second", c.JobTimeout)
	case c.RescueAfter <= c.JobTimeout:
		return fmt.Errorf("worker: rescue after %s must be longer than the job timeout %s, or a job still running could be rescued and run twice", c.RescueAfter, c.JobTimeout)
	}
	return nil
}

// Worker is one River client working revledger's jobs.
type Worker struct {
	cfg     Config
	client  *river.Client[pgx.Tx]
	runner  Runner
	metrics *Metrics
	log     *slog.Logger

	mu       sync.Mutex
	periodic map[string]rivertype.PeriodicJobHandle
}

// New builds a worker. River's tables must exist (Migrate).
func New(cfg Config) (*Worker, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	w := &Worker{cfg: cfg, runner: cfg.Runner, log: cfg.Logger, periodic: map[string]rivertype.PeriodicJobHandle{}}
	w.metrics = newMetrics(cfg.Pool, cfg.Schema)
	workers := river.NewWorkers()
	river.AddWorker(workers, &syncWorker{w: w})
	river.AddWorker(workers, &backfillWorker{w: w})
	river.AddWorker(workers, &exportWorker{w: w})
	river.AddWorker(workers, &receiptsWorker{w: w})
	client, err := river.NewClient(riverpgxv5.New(cfg.Pool), &river.Config{
		ID:                          cfg.ID,
		Schema:                      cfg.Schema,
		Queues:                      map[string]river.QueueConfig{Queue: {MaxWorkers: cfg.Concurrency}},
		Workers:                     workers,
		JobTimeout:                  cfg.JobTimeout,
		RescueStuckJobsAfter:        cfg.RescueAfter,
		CompletedJobRetentionPeriod: completedRetention,
		MaxAttempts:                 maxAttempts,
		Logger:                      cfg.Logger,
	})
	if err != nil {
		return nil, fmt.Errorf("worker: river client: %w", err)
	}
	w.client = client
	return w, nil
}

// Metrics serves the worker's metrics in the Prometheus text format.
func (w *Worker) Metrics() http.Handler { return w.metrics }

// Run works jobs until ctx ends, then stops gracefully: no new job is fetched, and running
// jobs get grace to finish. Those still running after it are cancelled (their context ends,
// the chunk in progress rolls back) and go back to the queue as retryable.
func (w *Worker) Run(ctx context.Context, grace time.Duration) error {
	if w.cfg.Businesses != nil {
		// The first read happens before Start, so a configuration error shows at once.
		if err := w.reloadPeriodic(ctx); err != nil {
			return err
		}
	}
	if err := w.metrics.refresh(ctx); err != nil {
		return err
	}
	if err := w.client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("worker: start river client: %w", err)
	}
	reloadDone := make(chan struct{})
	go func() {
		defer close(reloadDone)
		w.reloadLoop(ctx)
	}()
	<-ctx.Done()
	<-reloadDone
	w.log.Info("worker stopping: no new jobs; running jobs get the grace period", "grace", grace.String())
	stopCtx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := w.client.Stop(stopCtx)
	if err == nil {
		return nil
	}
	w.log.Warn("grace period over: cancelling the jobs still running; they will be retried")
	hard, cancelHard := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelHard()
	if err := w.client.StopAndCancel(hard); err != nil {
		return fmt.Errorf("worker: stop: %w", err)
	}
	return nil
}

func (w *Worker) reloadLoop(ctx context.Context) {
	t := time.NewTicker(w.cfg.ReloadEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if w.cfg.Businesses != nil {
			if err := w.reloadPeriodic(ctx); err != nil && ctx.Err() == nil {
				w.log.Warn("reload businesses", "error", err)
			}
		}
		if err := w.metrics.refresh(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("refresh metrics", "error", err)
		}
	}
}
