package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"syscall"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
)

const syncUsage = `
Usage: revledger sync [flags]

The nightly incremental run. Accounts, accounting settings, labels, cards and team members are
read in full; transactions from the last checkpoint minus the look-back (default 30 days, so
that pending payments that completed, were declined or reverted are caught); expenses over a
wide window (default 180 days: they have no updated_at); receipts only when not yet stored.
Everything is booked, loaded into PostgreSQL, and every period that changed is exported.
Each chunk commits with its checkpoint: an interrupted sync loses nothing and simply runs again.
`

const backfillUsage = `
Usage: revledger backfill --from YYYY-MM-DD --to YYYY-MM-DD [flags]

Extracts and books any date range [from, to) (to is exclusive; dates in the configured time
zone), in chunks (calendar months by default) that each commit with their progress. Run the
same command again after an interruption and it resumes after the last committed chunk. It
never moves the nightly checkpoint backwards.
`

const exportUsage = `
Usage: revledger export --period YYYY-MM [flags]
       revledger export --from YYYY-MM --to YYYY-MM [flags]

Writes the workbook, the CSV files and the manifest of each period from the warehouse alone
(no API calls), to the export location (REVLEDGER_EXPORT_URL).
`

const migrateUsage = `
Usage: revledger migrate [flags]

Applies the warehouse's database migrations. The other commands do this themselves; run it on
its own to prepare a database, e.g. in a deploy step. Safe to run concurrently.
`

// runFlags are the flags of the commands that run the pipeline.
type runFlags struct {
	wait bool
}

func addRunFlags(fs *flag.FlagSet) *runFlags {
	rf := &runFlags{}
	fs.BoolVar(&rf.wait, "wait", false, "wait for another run holding the lock instead of exiting with status 75")
	return rf
}

func runSync(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "sync", syncUsage)
	rf := addRunFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	return withJob(ctx, env, cf, rf, true, func(ctx context.Context, j *job) (*pipeline.Summary, error) {
		return j.pipe.Sync(ctx)
	})
}

func runBackfill(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "backfill", backfillUsage)
	rf := addRunFlags(fs)
	fromS := fs.String("from", "", "first day of the range, YYYY-MM-DD (required)")
	toS := fs.String("to", "", "day after the last day of the range, YYYY-MM-DD (required; exclusive)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *fromS == "" || *toS == "" {
		return usagef("backfill needs --from and --to (YYYY-MM-DD)")
	}
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	loc, err := cfg.location()
	if err != nil {
		return usageError{err}
	}
	// Check the dates before anything connects.
	from, to, err := backfillRange(*fromS, *toS, loc)
	if err != nil {
		return err
	}
	if err := checkBackfillRange(from, to, cfg, time.Now()); err != nil {
		return err
	}
	return withJob(ctx, env, cf, rf, true, func(ctx context.Context, j *job) (*pipeline.Summary, error) {
		return j.pipe.Backfill(ctx, from, to)
	})
}

// backfillRange reads --from and --to (YYYY-MM-DD, --to exclusive) as instants in loc. A day
// starts at its local midnight, or where the clocks jump over midnight, at the first instant
// of the day (extract.DayStart, the month chunks' rule too).
func backfillRange(fromS, toS string, loc *time.Location) (from, to time.Time, err error) {
	day := func(flag, s string) (time.Time, error) {
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			return time.Time{}, usagef("--%s %q: want YYYY-MM-DD", flag, s)
		}
		return extract.DayStart(d.Year(), d.Month(), d.Day(), loc), nil
	}
	if from, err = day("from", fromS); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if to, err = day("to", toS); err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !from.Before(to) {
		return time.Time{}, time.Time{}, usagef("--from %s must be before --to %s (--to is exclusive)", fromS, toS)
	}
	return from, to, nil
}

// checkBackfillRange keeps a backfill within the dates revledger believes (Config.plausible):
// nothing older can be a Revolut Business record, and such a range would only make thousands
// of empty chunks.
func checkBackfillRange(from, to time.Time, cfg Config, now time.Time) error {
	pr := cfg.plausible(now)
	if from.Before(pr.From) {
		return usagef("--from %s is more than sync.plausible_past_years (%d) ago: use %s or later (records older than that are not booked anyway)",
			from.In(to.Location()).Format(time.DateOnly), cfg.Sync.PlausiblePastYears, pr.From.Format(time.DateOnly))
	}
	if to.After(pr.To) {
		return usagef("--to %s is more than sync.plausible_future_days (%d) ahead: use %s at the latest (--to is exclusive; tomorrow covers today)",
			to.In(from.Location()).Format(time.DateOnly), cfg.Sync.PlausibleFutureDays, pr.To.Format(time.DateOnly))
	}
	return nil
}

func runExport(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "export", exportUsage)
	rf := addRunFlags(fs)
	periodS := fs.String("period", "", "the month to export, YYYY-MM")
	fromS := fs.String("from", "", "first month of a range, YYYY-MM")
	toS := fs.String("to", "", "last month of a range (inclusive), YYYY-MM")
	if err := parse(fs, args); err != nil {
		return err
	}
	periods, err := exportPeriods(*periodS, *fromS, *toS)
	if err != nil {
		return err
	}
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	if err := checkPeriods(periods, cfg.plausible(time.Now())); err != nil {
		return err
	}
	return withJob(ctx, env, cf, rf, false, func(ctx context.Context, j *job) (*pipeline.Summary, error) {
		return j.pipe.Export(ctx, periods)
	})
}

// maxExportPeriods bounds one export command: each period is a folder of files.
const maxExportPeriods = 120

// checkPeriods refuses periods that lie wholly outside the dates revledger believes: no
// record can be booked there, and a period such as 0000-01 or 9999-12 cannot even be written.
func checkPeriods(periods []period.Period, pr transform.DateRange) error {
	for _, p := range periods {
		from, to := p.From, p.To
		if !pr.Contains(from) && !pr.Contains(to.Add(-time.Nanosecond)) {
			return usagef("period %s is outside the dates revledger books, %s (sync.plausible_past_years, sync.plausible_future_days)", p, pr)
		}
	}
	return nil
}

// exportPeriods reads --period or --from/--to.
func exportPeriods(month, from, to string) ([]period.Period, error) {
	switch {
	case month != "" && (from != "" || to != ""):
		return nil, usagef("use either --period or --from/--to, not both")
	case month != "":
		p, err := period.Parse(month)
		if err != nil {
			return nil, usageError{err}
		}
		return []period.Period{p}, nil
	case from != "" && to != "":
		f, err := period.Parse(from)
		if err != nil {
			return nil, usageError{err}
		}
		t, err := period.Parse(to)
		if err != nil {
			return nil, usageError{err}
		}
		fb, tb := f.From, t.To
		if !fb.Before(tb) {
			return nil, usagef("--from %s is after --to %s", from, to)
		}
		if n := (t.From.Year()-f.From.Year())*12 + int(t.From.Month()) - int(f.From.Month()) + 1; n > maxExportPeriods {
			return nil, usagef("--from %s --to %s is %d months; export at most %d (ten years) per command", from, to, n, maxExportPeriods)
		}
		return period.Between(fb, tb), nil
	default:
		return nil, usagef("export needs --period YYYY-MM, or --from YYYY-MM and --to YYYY-MM")
	}
}

func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "migrate", migrateUsage)
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
	if cfg.DatabaseURL == "" {
		return usagef("no database: set REVLEDGER_DATABASE_URL (or DATABASE_URL, --database-url)")
	}
	if _, err := pgconn.ParseConfig(cfg.DatabaseURL); err != nil {
		return usagef("REVLEDGER_DATABASE_URL is not a valid PostgreSQL connection string: use postgres://user:password@host:5432/database")
	}
	store, err := openStore(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer store.Close()
	fmt.Fprintln(env.stdout, "Migrations applied; the warehouse is up to date.")
	return nil
}

// openStore connects to the warehouse and applies migrations.
func openStore(ctx context.Context, dsn string, log *slog.Logger) (*load.Store, error) {
	store, err := connectStore(ctx, dsn, log)
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("apply database migrations: %w", err)
	}
	return store, nil
}

// connectStore connects to the warehouse without changing it. A server that refuses the
// credentials or has no such database is the user's to fix (exit 2); one that cannot be
// reached may be down for a moment (exit 1). Either way nothing was touched.
func connectStore(ctx context.Context, dsn string, log *slog.Logger) (*load.Store, error) {
	store, err := load.Open(ctx, dsn, load.Options{Logger: log})
	if err == nil {
		return store, nil
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && (strings.HasPrefix(pgErr.Code, "28") || pgErr.Code == "3D000") {
		return nil, usageError{fmt.Errorf("connect to the database: the server refused it (check the user, password and database name in REVLEDGER_DATABASE_URL); nothing was touched: %w", err)}
	}
	return nil, fmt.Errorf("connect to the database (check REVLEDGER_DATABASE_URL and that PostgreSQL is running); nothing was touched: %w", err)
}

// probeKey names the object written and deleted to prove the export location is writable.
const probeKey = ".revledger-write-probe"

// probeOutput proves that the export location takes a write and a delete, before anything
// else is touched: a wrong secret, a missing bucket or a read-only folder would otherwise
// only show at the first export, after the warehouse has changed. A refusal (an S3 4xx, a
// permission error) is the user's to fix; anything else (the network) exits 1.
func probeOutput(ctx context.Context, out sink.Sink, where string) error {
	key := fmt.Sprintf("%s-%d", probeKey, time.Now().UnixNano())
	classify := func(what string, err error) error {
		err = fmt.Errorf("the export location %s is not usable: %s %s: %w", where, what, key, err)
		var re *awshttp.ResponseError
		if errors.As(err, &re) && re.HTTPStatusCode() >= 400 && re.HTTPStatusCode() < 500 &&
			re.HTTPStatusCode() != http.StatusRequestTimeout && re.HTTPStatusCode() != http.StatusTooManyRequests {
			return usageError{fmt.Errorf("%w (check the bucket, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION and the bucket's policy; nothing was touched)", err)}
		}
		if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
			return usageError{fmt.Errorf("%w (check the folder's permissions; nothing was touched)", err)}
		}
		return fmt.Errorf("%w; nothing was touched", err)
	}
	if _, err := out.Put(ctx, key, strings.NewReader("revledger checks that it can write here; this file is deleted at once\n"), sink.Meta{ContentType: "text/plain"}); err != nil {
		return classify("write", err)
	}
	if err := out.Delete(ctx, key); err != nil {
		return classify("delete", err)
	}
	return nil
}

// job is a wired pipeline and what must be closed after it.
type job struct {
	cfg    Config
	loc    *time.Location
	log    *slog.Logger
	client *revolut.Client
	store  *load.Store
	pipe   *pipeline.Pipeline
	view   *progressView
	signIn revolut.Stats // the client's requests before the run: the credential check
	rates  rates.Source  // the exchange-rate publisher (fx.source); nil for none
}

// withJob validates everything, wires the pipeline, runs body and prints the summary.
// Configuration and credentials are checked before the database is touched.
func withJob(ctx context.Context, env *environment, cf *commonFlags, rf *runFlags, needAPI bool,
	body func(context.Context, *job) (*pipeline.Summary, error)) error {
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	log, err := cf.logger(env)
	if err != nil {
		return err
	}
	return runJob(ctx, env, cfg, log, rf, needAPI, body)
}

// runJob is withJob for an assembled configuration (the demo builds its own).
func runJob(ctx context.Context, env *environment, cfg Config, log *slog.Logger, rf *runFlags, needAPI bool,
	body func(context.Context, *job) (*pipeline.Summary, error)) error {
	if err := cfg.validate(); err != nil {
		return usageError{err}
	}
	j := &job{cfg: cfg, log: log}
	j.loc, _ = cfg.location()
	var err error
	if j.rates, err = cfg.FX.rateSource(cfg.Export.BaseCurrency); err != nil {
		return err
	}

	// Everything is checked before anything changes: configuration and credentials files,
	// then the database (connect only) and the export location (a probe written and
	// deleted), then the Revolut credentials; only then migrations and the run.
	var token string
	if needAPI {
		if token, err = refreshToken(cfg); err != nil {
			return err
		}
		if j.client, err = newAPIClient(cfg, token, log, nil); err != nil {
			return err
		}
	}
	store, err := connectStore(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return err
	}
	defer store.Close()
	j.store = store
	out, exp, err := openOutput(ctx, j.cfg, j.store, j.log)
	if err != nil {
		return err
	}
	if err := probeOutput(ctx, out, cfg.Export.URL); err != nil {
		return err
	}

	var api pipeline.API
	if needAPI {
		// Prove the credentials before the database is changed (the pipeline checks again
		// before it takes the run lock, for callers other than this CLI).
		if _, err := j.client.Authenticate(ctx); err != nil {
			if errors.Is(err, revolut.ErrReauthorize) {
				return usageError{fmt.Errorf("authenticate with Revolut: %w", err)}
			}
			return fmt.Errorf("authenticate with Revolut: %w", err)
		}
		j.signIn = j.client.Stats()
		api = j.client
	}
	if err := store.Migrate(ctx); err != nil {
		return fmt.Errorf("apply database migrations: %w", err)
	}
	return runWired(ctx, env, j, api, rf, out, exp, body)
}

// runWired builds the sink, exporter and pipeline around an open store and runs body.
func runWired(ctx context.Context, env *environment, j *job, api pipeline.API, rf *runFlags,
	out sink.Sink, exp *exporters.Exporter, body func(context.Context, *job) (*pipeline.Summary, error)) error {
	var err error
	j.view = newProgressView(env.stderr, env.isTerminal, j.log)
	j.pipe, err = pipeline.New(pipeline.Config{
		Location:             j.loc,
		Chart:                j.cfg.chart(),
		BaseCurrency:         j.cfg.Export.BaseCurrency,
		Rates:                j.rates,
		RevalueMonthEnd:      j.cfg.FX.Revalue,
		TransactionsLookback: days(j.cfg.Sync.TransactionsLookbackDays),
		ExpensesWindow:       days(j.cfg.Sync.ExpensesWindowDays),
		InitialHistory:       days(j.cfg.Sync.InitialHistoryDays),
		PendingRecheck:       days(j.cfg.Sync.PendingRecheckDays),
		ExpensesFullRefresh:  days(j.cfg.Sync.ExpensesFullRefreshDays),
		ChunkDays:            j.cfg.Sync.ChunkDays,
		PlausiblePastYears:   j.cfg.Sync.PlausiblePastYears,
		PlausibleFutureDays:  j.cfg.Sync.PlausibleFutureDays,
		CloseOnExport:        true,
		CloseGraceDays:       j.cfg.Close.GraceDays,
		WaitForLock:          rf.wait,
		OnProgress:           j.view.Update,
		Logger:               j.log,
	}, api, j.store, out, exp)
	if err != nil {
		return usageError{err}
	}
	sum, err := body(ctx, j)
	j.view.Finish()
	if errors.Is(err, pipeline.ErrLocked) {
		return errLocked
	}
	if errors.Is(err, revolut.ErrReauthorize) {
		// Nothing was touched: the credentials were checked before the run lock was taken.
		return usageError{err}
	}
	if sum != nil {
		sum.APIRequests += j.signIn.Requests
		sum.TokenRefreshes += j.signIn.TokenRefreshes
		printSummary(env.stdout, sum, err, j.cfg.Export.URL)
	}
	return err
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// printSummary prints the one-screen run summary.
func printSummary(w io.Writer, s *pipeline.Summary, runErr error, exportURL string) {
	dur := s.Finished.Sub(s.Started).Round(100 * time.Millisecond)
	fmt.Fprintf(w, "\nrevledger %s, run %d: %s in %s\n", s.Kind, s.RunID, outcome(s, runErr), dur)
	fmt.Fprintf(w, "  window          %s → %s\n", s.Window.From.Format("2006-01-02 15:04"), s.Window.To.Format("2006-01-02 15:04 MST"))
	if len(s.Records) > 0 {
		fmt.Fprintf(w, "  records         %s transactions, %s expenses (%s new or changed, %s quarantined)\n",
			groupThousands(s.Records["transactions"]), groupThousands(s.Records["expenses"]),
			groupThousands(s.Changed), groupThousands(s.Quarantined))
		fmt.Fprintf(w, "  receipts        %s stored, %s already stored, %s failed\n",
			groupThousands(s.ReceiptsStored), groupThousands(s.ReceiptsSkipped), groupThousands(s.ReceiptsFailed))
		fmt.Fprintf(w, "  ledger          %s entries new, %s changed, %s removed; %s lines written\n",
			groupThousands(s.EntriesNew), groupThousands(s.EntriesChanged), groupThousands(s.EntriesRemoved), groupThousands(s.LinesWritten))
		fmt.Fprintf(w, "  exceptions      %s (of which %s not booked: pending, declined or failed)\n",
			groupThousands(s.Exceptions), groupThousands(s.NotBooked))
		fmt.Fprintf(w, "  API requests    %s (%s rate-limited, %s retries, %s token refreshes)\n",
			groupThousands(s.APIRequests), groupThousands(s.APIRateLimited), groupThousands(s.APIRetries), groupThousands(s.TokenRefreshes))
	}
	for _, e := range s.Exports {
		fmt.Fprintf(w, "  export %s  %7s lines → %s\n", e.Period, groupThousands(e.Lines), exportLocation(exportURL, e.Workbook))
	}
	if len(s.Exports) == 0 && runErr == nil && s.Kind != "export" {
		fmt.Fprintln(w, "  exports         none: no period changed")
	}
}

func outcome(s *pipeline.Summary, runErr error) string {
	if runErr != nil {
		return "FAILED (work committed before the failure is kept)"
	}
	if s.Quarantined > 0 || s.ReceiptsFailed > 0 {
		return "completed with records to look at"
	}
	return "completed"
}
