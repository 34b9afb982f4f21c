package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/ratelimit"
	"github.com/revledger/revledger/tenancy"
	"github.com/revledger/revledger/worker"
)

const workerUsage = `
Usage: revledger worker [flags]

Works the jobs of every business registered with 'revledger business add' (sync, backfill
chunks, exports, receipts), from the River job queue in the database's control schema
(revledger). Run as many workers as you like, on any machines, against one database: a
business never has two syncs queued or running at once, and its Revolut budget
(--rate-limit, 60 a minute by default as Revolut allows) is shared by every worker.

The elected leader among the workers enqueues each active business's sync on its cron
schedule, in its time zone; every worker re-reads the businesses every minute, so businesses
added, paused or deleted are picked up without a restart.

A job runs at most --job-timeout; a job whose worker died (SIGKILL, a lost machine) is run
again after --rescue-after, which must be longer. On SIGTERM or SIGINT the worker takes no new
job and gives the running ones --grace to finish; those still running are cancelled (their
current chunk rolls back) and retried by another worker.

Needs the secret key that seals the businesses' credentials: REVLEDGER_SECRET_KEY (and
REVLEDGER_OLD_SECRET_KEYS during a rotation) or --secret-key-file. Prometheus metrics per
business are served at /metrics on --metrics-addr, /healthz beside them.
`

// WorkerConfig is the config file's worker section. Flags and REVLEDGER_WORKER_JOB_TIMEOUT,
// REVLEDGER_WORKER_RESCUE_AFTER win over it.
type WorkerConfig struct {
	// JobTimeout bounds one job (default 1h): a sync or a month's backfill commits chunk by
	// chunk, so a job cut short resumes on its retry.
	JobTimeout time.Duration `yaml:"job_timeout"`
	// RescueAfter is when a job still marked running is taken to belong to a dead worker and
	// run again (default 90m). It must be longer than JobTimeout.
	RescueAfter time.Duration `yaml:"rescue_after"`
}

func runWorker(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "worker", workerUsage)
	concurrency := fs.Int("concurrency", worker.DefaultConcurrency, "jobs this worker runs at once")
	metricsAddr := fs.String("metrics-addr", ":9090", "listen address for /metrics and /healthz (empty: none)")
	jobTimeout := fs.Duration("job-timeout", 0, "longest a job may run (default $REVLEDGER_WORKER_JOB_TIMEOUT, worker.job_timeout, else 1h)")
	rescueAfter := fs.Duration("rescue-after", 0, "when a job still running is taken for a dead worker's (default $REVLEDGER_WORKER_RESCUE_AFTER, worker.rescue_after, else 90m)")
	rate := fs.Int("rate-limit", ratelimit.DefaultPerWindow, "each business's Revolut requests per --rate-window, shared by all workers")
	window := fs.Duration("rate-window", ratelimit.DefaultWindow, "the rolling window of --rate-limit (Revolut's is a minute; tests shorten it)")
	grace := fs.Duration("grace", 30*time.Second, "on SIGTERM, how long running jobs get to finish before they are cancelled and retried")
	id := fs.String("id", "", "this worker's name in the job table (default: host name and pid)")
	keyFile := fs.String("secret-key-file", "", "file of the key(s) sealing the businesses' credentials (default $REVLEDGER_SECRET_KEY)")
	reload := fs.Duration("reload-every", worker.DefaultReloadEvery, "how often the businesses are re-read for their schedules")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	log, err := cf.logger(env)
	if err != nil {
		return err
	}
	wc, err := workerSettings(cfg.Worker, env.getenv, *jobTimeout, *rescueAfter)
	if err != nil {
		return err
	}
	if *concurrency < 1 {
		return usagef("--concurrency %d: want at least 1", *concurrency)
	}
	if *rate < 1 || *window < time.Second {
		return usagef("--rate-limit %d per --rate-window %s: want at least 1 per second or longer", *rate, *window)
	}
	keys, err := tenancy.LoadKeyring(env.getenv, *keyFile)
	if err != nil {
		return usageError{err}
	}
	if *id == "" {
		host, _ := os.Hostname()
		*id = host + "-" + strconv.Itoa(os.Getpid())
	}
	pool, err := controlPool(ctx, cfg, int32(2*(*concurrency)+6))
	if err != nil {
		return err
	}
	defer pool.Close()
	reg := tenancy.NewRegistry(pool, keys)
	if err := reg.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate the control schema: %w", err)
	}
	if err := worker.Migrate(ctx, pool, worker.DefaultSchema); err != nil {
		return err
	}
	runner := &businessRunner{cfg: cfg, reg: reg, limiter: ratelimit.New(pool, ratelimit.Options{PerWindow: *rate, Window: *window}), log: log, getenv: env.getenv}
	w, err := worker.New(worker.Config{
		Pool: pool, ID: *id, Concurrency: *concurrency, JobTimeout: wc.JobTimeout, RescueAfter: wc.RescueAfter,
		Runner: runner, Businesses: func(ctx context.Context) ([]worker.Business, error) { return listBusinesses(ctx, reg) },
		ReloadEvery: *reload, Logger: log,
	})
	if err != nil {
		return usageError{err}
	}
	if *metricsAddr != "" {
		ln, err := net.Listen("tcp", *metricsAddr)
		if err != nil {
			return usagef("--metrics-addr %s: %v", *metricsAddr, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", w.Metrics())
		mux.HandleFunc("GET /healthz", func(rw http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(rw, "ok\n") })
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
		}()
		fmt.Fprintf(env.stderr, "revledger worker %s: %d concurrent jobs, job timeout %s, rescue after %s; metrics on http://%s/metrics\n",
			*id, *concurrency, wc.JobTimeout, wc.RescueAfter, ln.Addr())
	} else {
		fmt.Fprintf(env.stderr, "revledger worker %s: %d concurrent jobs, job timeout %s, rescue after %s\n", *id, *concurrency, wc.JobTimeout, wc.RescueAfter)
	}
	return w.Run(ctx, *grace)
}

// workerSettings resolves the job timeout and rescue delay: flags, then the environment,
// then the config file, then the defaults.
func workerSettings(file WorkerConfig, getenv func(string) string, timeoutFlag, rescueFlag time.Duration) (WorkerConfig, error) {
	wc := WorkerConfig{JobTimeout: worker.DefaultJobTimeout, RescueAfter: worker.DefaultRescueAfter}
	if file.JobTimeout != 0 {
		wc.JobTimeout = file.JobTimeout
	}
	if file.RescueAfter != 0 {
		wc.RescueAfter = file.RescueAfter
	}
	for _, e := range []struct {
		name string
		dst  *time.Duration
	}{{"REVLEDGER_WORKER_JOB_TIMEOUT", &wc.JobTimeout}, {"REVLEDGER_WORKER_RESCUE_AFTER", &wc.RescueAfter}} {
		if v := getenv(e.name); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return WorkerConfig{}, usagef("%s %q: want a duration such as 45m", e.name, v)
			}
			*e.dst = d
		}
	}
	if timeoutFlag != 0 {
		wc.JobTimeout = timeoutFlag
	}
	if rescueFlag != 0 {
		wc.RescueAfter = rescueFlag
	}
	if wc.JobTimeout < time.Second {
		return WorkerConfig{}, usagef("job timeout %s: want at least 1s", wc.JobTimeout)
	}
	if wc.RescueAfter <= wc.JobTimeout {
		return WorkerConfig{}, usagef("rescue after %s must be longer than the job timeout %s: a job still running would be rescued and run twice", wc.RescueAfter, wc.JobTimeout)
	}
	return wc, nil
}

// controlPool connects to the database that holds the control schema and every business's
// warehouse.
func controlPool(ctx context.Context, cfg Config, maxConns int32) (*pgxpool.Pool, error) {
	if cfg.DatabaseURL == "" {
		return nil, usagef("no database: set REVLEDGER_DATABASE_URL (or DATABASE_URL, --database-url)")
	}
	pc, err := pgxpool.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, usagef("REVLEDGER_DATABASE_URL is not a valid PostgreSQL connection string: use postgres://user:password@host:5432/database")
	}
	if maxConns > pc.MaxConns {
		pc.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("connect to the database: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to the database (check REVLEDGER_DATABASE_URL and that PostgreSQL is running): %w", err)
	}
	return pool, nil
}

// listBusinesses is the registry's businesses as the worker schedules them.
func listBusinesses(ctx context.Context, reg *tenancy.Registry) ([]worker.Business, error) {
	list, err := reg.List(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]worker.Business, len(list))
	for i, b := range list {
		out[i] = worker.Business{Slug: b.Slug, State: b.State, Schedule: b.Schedule, TimeZone: b.TimeZone}
	}
	return out, nil
}

// businessRunner runs one business's job: it wires the same parts as a single-business run
// (runWired: pipeline, sink, exporter), with the business's settings, credentials, warehouse
// schema and shared rate limit in place of the config file's.
type businessRunner struct {
	cfg     Config // the config file's: sync windows, VAT, export targets, client pacing
	reg     *tenancy.Registry
	limiter *ratelimit.Limiter
	log     *slog.Logger
	getenv  func(string) string
}

func (r *businessRunner) Sync(ctx context.Context, slug string) (worker.Report, error) {
	return r.run(ctx, slug, true, func(ctx context.Context, j *job) (*pipeline.Summary, error) { return j.pipe.Sync(ctx) })
}

// Receipts stores the receipts not stored yet. The pipeline stores receipts as a step of a
// run, after extraction; it has no entry point for that step alone, so a receipts job runs a
// sync (which downloads only what is missing).
func (r *businessRunner) Receipts(ctx context.Context, slug string) (worker.Report, error) {
	return r.Sync(ctx, slug)
}

func (r *businessRunner) Backfill(ctx context.Context, slug, fromS, toS string) (worker.Report, error) {
	return r.run(ctx, slug, true, func(ctx context.Context, j *job) (*pipeline.Summary, error) {
		from, to, err := backfillRange(fromS, toS, j.loc)
		if err != nil {
			return nil, err
		}
		if err := checkBackfillRange(from, to, j.cfg, time.Now()); err != nil {
			return nil, err
		}
		return j.pipe.Backfill(ctx, from, to)
	})
}

func (r *businessRunner) Export(ctx context.Context, slug, month string) (worker.Report, error) {
	return r.run(ctx, slug, false, func(ctx context.Context, j *job) (*pipeline.Summary, error) {
		p, err := period.Parse(month)
		if err != nil {
			return nil, usageError{err}
		}
		return j.pipe.Export(ctx, []period.Period{p})
	})
}

// businessConfig is the config file's settings with the business's own in place.
func businessConfig(base Config, b tenancy.Business) (Config, error) {
	cfg := base
	chart, err := b.Chart()
	if err != nil {
		return Config{}, err
	}
	cfg.Company = b.Name
	cfg.TimeZone = b.TimeZone
	cfg.Chart = chart
	cfg.Export.URL = b.ExportURL
	cfg.Export.BaseCurrency = b.BaseCurrency
	cfg.Revolut = RevolutConfig{APIURL: b.APIURL, ClientID: b.ClientID, Issuer: b.Issuer, RatePerMinute: base.Revolut.RatePerMinute}
	return cfg, cfg.validate()
}

// run wires one business's job and runs body. Errors no retry can fix (the business is gone
// or paused, its settings or credentials are wrong) are marked permanent; a run lock held by
// another run of the business is worker.ErrBusy.
func (r *businessRunner) run(ctx context.Context, slug string, needAPI bool, body func(context.Context, *job) (*pipeline.Summary, error)) (rep worker.Report, _ error) {
	b, err := r.reg.Get(ctx, slug)
	if errors.Is(err, tenancy.ErrNotFound) {
		return rep, worker.Permanent(fmt.Errorf("business %s is not registered (deleted?)", slug))
	}
	if err != nil {
		return rep, err
	}
	if b.State != tenancy.StateActive {
		return rep, worker.Permanent(fmt.Errorf("business %s is %s: its jobs do not run", slug, b.State))
	}
	cfg, err := businessConfig(r.cfg, b)
	if err != nil {
		return rep, worker.Permanent(fmt.Errorf("business %s: %w", slug, err))
	}
	log := r.log.With(slog.String("business", slug))
	j := &job{cfg: cfg, log: log}
	j.loc, _ = cfg.location()
	// The rate source follows the business's base currency (fx.source's default depends on
	// it): the config file's fx section, read for this business.
	if j.rates, err = cfg.FX.rateSource(cfg.Export.BaseCurrency); err != nil {
		return rep, worker.Permanent(fmt.Errorf("business %s: %w", slug, err))
	}

	var api pipeline.API
	if needAPI {
		rc, err := r.reg.RevolutConfig(ctx, b, log)
		if err != nil {
			return rep, fmt.Errorf("business %s: credentials: %w", slug, err)
		}
		if rc.RefreshToken == "" {
			return rep, worker.Permanent(fmt.Errorf("business %s has no refresh token: run `revledger auth exchange --business %s --code ...`", slug, slug))
		}
		rc.RatePerMinute = cfg.Revolut.RatePerMinute
		rc.Limiter = r.limiter.For(b.ID)
		if j.client, err = revolut.NewClient(rc); err != nil {
			return rep, worker.Permanent(fmt.Errorf("business %s: %w", slug, err))
		}
		// Every request counts, the sign-in's and a failed run's included (rep is the named
		// result: the deferred assignment reaches the caller).
		defer func() { rep.APIRequests = j.client.Stats().Requests }()
		if _, err := j.client.Authenticate(ctx); err != nil {
			if errors.Is(err, revolut.ErrReauthorize) {
				return rep, worker.Permanent(fmt.Errorf("business %s: authenticate with Revolut: %w", slug, err))
			}
			return rep, fmt.Errorf("business %s: authenticate with Revolut: %w", slug, err)
		}
		j.signIn = j.client.Stats()
		api = j.client
	}
	store, err := r.reg.OpenStore(ctx, b, load.Options{Logger: log})
	if err != nil {
		return rep, err
	}
	defer store.Close()
	j.store = store
	out, exp, err := openOutput(ctx, cfg, store, log)
	if err != nil {
		return rep, permanentIfUsage(err)
	}
	if err := probeOutput(ctx, out, cfg.Export.URL); err != nil {
		return rep, permanentIfUsage(err)
	}
	quiet := &environment{stdout: io.Discard, stderr: io.Discard, getenv: r.getenv}
	err = runWired(ctx, quiet, j, api, &runFlags{}, out, exp, func(ctx context.Context, j *job) (*pipeline.Summary, error) {
		sum, err := body(ctx, j)
		if sum != nil {
			rep.Lines = sum.LinesWritten
		}
		return sum, err
	})
	if errors.Is(err, errLocked) {
		return rep, fmt.Errorf("business %s: %w", slug, worker.ErrBusy)
	}
	return rep, permanentIfUsage(err)
}

// permanentIfUsage marks the errors that are the user's to fix (bad settings, refused
// credentials) as permanent: retrying them would only fail again.
func permanentIfUsage(err error) error {
	var ue usageError
	if errors.As(err, &ue) {
		return worker.Permanent(err)
	}
	return err
}
