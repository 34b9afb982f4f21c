package schedules

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// ErrSkipped is returned by a job that did not run because another runner holds the lock.
var ErrSkipped = errors.New("skipped: another run holds the lock")

// Report is what a finished run tells the daemon for its metrics.
type Report struct {
	Rows        int64 // ledger lines written
	APIRequests int64
	RateLimited int64 // 429 answers seen
}

// Entry is one cron line.
type Entry struct {
	Name string
	// Spec is a standard five-field cron expression, evaluated in Config.Location.
	Spec string
	// Run does the work. It must return promptly once ctx is cancelled, leaving the
	// warehouse as it was before the chunk it was working on.
	Run func(ctx context.Context) (Report, error)
}

// Config configures a Daemon.
type Config struct {
	Entries []Entry
	// Location is the time zone of the cron expressions. Default UTC.
	Location *time.Location
	// Address serves /healthz and /metrics; empty disables the HTTP server.
	Address string
	// Grace is how long shutdown waits for a running job before cancelling it. Default
	// DefaultGrace.
	Grace time.Duration
	// Logger receives the daemon's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock, for tests. Default time.Now.
	Now func() time.Time
}

// DefaultGrace is Config.Grace's default: long enough for a chunk to commit.
const DefaultGrace = 60 * time.Second

func (c Config) withDefaults() Config {
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.Grace == 0 {
		c.Grace = DefaultGrace
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

func (c Config) validate() error {
	if len(c.Entries) == 0 {
		return errors.New("schedule: no entries")
	}
	seen := map[string]bool{}
	var errs []error
	for _, e := range c.Entries {
		if e.Name == "" {
			errs = append(errs, errors.New("schedule: an entry has no name"))
		}
		if seen[e.Name] {
			errs = append(errs, fmt.Errorf("schedule: entry name %q used twice", e.Name))
		}
		seen[e.Name] = true
		if _, err := cron.ParseStandard(e.Spec); err != nil {
			errs = append(errs, fmt.Errorf("schedule: entry %q: cron expression %q: %w", e.Name, e.Spec, err))
		}
		if e.Run == nil {
			errs = append(errs, fmt.Errorf("schedule: entry %q has nothing to run", e.Name))
		}
	}
	if c.Grace < 0 {
		errs = append(errs, errors.New("schedule: negative grace period"))
	}
	return errors.Join(errs...)
}

// Daemon runs cron entries until its context ends.
type Daemon struct {
	cfg     Config
	cron    *cron.Cron
	metrics *Metrics

	jobCtx    context.Context
	cancelJob context.CancelFunc
	running   sync.WaitGroup
}

// New validates cfg and builds a daemon; Run starts it.
func New(cfg Config) (*Daemon, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &Daemon{cfg: cfg, metrics: newMetrics()}
	d.jobCtx, d.cancelJob = context.WithCancel(context.Background())
	logger := cronLogger{cfg.Logger}
	d.cron = cron.New(
		cron.WithLocation(cfg.Location),
		cron.WithLogger(logger),
		cron.WithChain(cron.Recover(logger), cron.SkipIfStillRunning(logger)),
	)
	for _, e := range cfg.Entries {
		if _, err := d.cron.AddJob(e.Spec, d.job(e)); err != nil {
			return nil, fmt.Errorf("schedule entry %q: %w", e.Name, err)
		}
	}
	return d, nil
}

// Metrics returns the daemon's metrics (also served on /metrics).
func (d *Daemon) Metrics() *Metrics { return d.metrics }

// Next returns the next start time of each entry, by name.
func (d *Daemon) Next() map[string]time.Time {
	out := map[string]time.Time{}
	now := d.cfg.Now().In(d.cfg.Location)
	for _, e := range d.cfg.Entries {
		s, _ := cron.ParseStandard(e.Spec)
		out[e.Name] = s.Next(now)
	}
	return out
}

// job wraps an entry so that every start is counted, logged and timed, and runs under the
// daemon's job context (cancelled only when the grace period of a shutdown runs out).
func (d *Daemon) job(e Entry) cron.Job {
	return cron.FuncJob(func() {
		d.running.Add(1)
		defer d.running.Done()
		d.RunNow(d.jobCtx, e)
	})
}

// RunNow runs one entry immediately, recording its metrics. The daemon uses it for every
// scheduled start; tests call it directly.
func (d *Daemon) RunNow(ctx context.Context, e Entry) {
	log := d.cfg.Logger.With(slog.String("job", e.Name))
	start := d.cfg.Now()
	log.InfoContext(ctx, "job started")
	var (
		rep Report
		err error
	)
	func() {
		// cron.Recover only logs a panic; recover here too so it is counted as a failure.
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		rep, err = e.Run(ctx)
	}()
	dur := d.cfg.Now().Sub(start)
	switch {
	case errors.Is(err, ErrSkipped):
		d.metrics.record(e.Name, "skipped", dur, rep, time.Time{})
		log.InfoContext(ctx, "job skipped: another runner holds the lock")
	case err != nil:
		d.metrics.record(e.Name, "failed", dur, rep, time.Time{})
		log.ErrorContext(ctx, "job failed", slog.String("error", err.Error()), slog.Float64("duration_seconds", dur.Seconds()))
	default:
		d.metrics.record(e.Name, "succeeded", dur, rep, d.cfg.Now())
		log.InfoContext(ctx, "job finished", slog.Float64("duration_seconds", dur.Seconds()), slog.Int64("rows", rep.Rows), slog.Int64("api_requests", rep.APIRequests))
	}
}

// Run serves until ctx is cancelled (SIGTERM/SIGINT in the CLI), then stops scheduling,
// gives a running job cfg.Grace to finish, cancels it after that, and waits for it to return.
func (d *Daemon) Run(ctx context.Context) error {
	var srv *http.Server
	if d.cfg.Address != "" {
		ln, err := net.Listen("tcp", d.cfg.Address)
		if err != nil {
			return fmt.Errorf("listen for /healthz and /metrics on %s: %w", d.cfg.Address, err)
		}
		srv = &http.Server{Handler: d.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				d.cfg.Logger.Error("metrics server stopped", slog.String("error", err.Error()))
			}
		}()
		d.cfg.Logger.InfoContext(ctx, "serving health and metrics", slog.String("address", ln.Addr().String()))
	}
	for name, next := range d.Next() {
		d.cfg.Logger.InfoContext(ctx, "scheduled", slog.String("job", name), slog.Time("next_run", next))
	}
	d.cron.Start()
	<-ctx.Done()

	d.cfg.Logger.Info("shutting down: no new runs; waiting for a running job", slog.Float64("grace_seconds", d.cfg.Grace.Seconds()))
	stopped := d.cron.Stop() // stops scheduling; its context is done when running jobs return
	done := make(chan struct{})
	go func() { <-stopped.Done(); d.running.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d.cfg.Grace):
		d.cfg.Logger.Warn("grace period over: cancelling the running job; its current chunk rolls back")
		d.cancelJob()
		<-done
	}
	d.cancelJob()
	if srv != nil {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}
	return nil
}

// Handler serves /healthz (200 while the daemon runs, with the last success per job) and
// /metrics (Prometheus text format).
func (d *Daemon) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
		for name, at := range d.metrics.lastSuccess() {
			fmt.Fprintf(w, "%s last_success=%s\n", name, at.UTC().Format(time.RFC3339))
		}
	})
	mux.Handle("GET /metrics", d.metrics)
	return mux
}

// cronLogger adapts slog to robfig/cron's logger.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) {
	// cron logs every wake-up at Info; keep those out of the way.
	c.l.Debug("cron: "+msg, kv...)
}

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, slog.String("error", err.Error()))...)
}
