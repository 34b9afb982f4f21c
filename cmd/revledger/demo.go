package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/rates/ratesfake"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/internal/pgserver"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
)

const demoUsage = `
Usage: revledger demo [flags]

Runs the whole job with nothing configured: starts the fake Revolut API in-process with a year
of realistic data, finds PostgreSQL (REVLEDGER_DATABASE_URL, else 127.0.0.1:5432, else a private
cluster started in .cache/demo-postgres with the installed initdb/pg_ctl), applies the
migrations to a database named revledger_demo, backfills the year, exports every month to
./exports and prints a summary and the path of each workbook. Running it again the same day
changes nothing: the second run shows zero new rows.

With --adjustments it then changes five records of the newest month the run closed (a card
payment reverted, expenses recategorised and rejected, a pending payment completed) in the
fake, syncs again and shows the adjustment entries booked in the open month, and the workbook
whose Adjustments sheet lists them.

With --revalue the foreign-currency bank accounts are also revalued at each month end (config
fx.revalue), with entries on the unrealised FX gains/losses account.

Exchange rates come from a local stand-in for HMRC's monthly rates (generated files in HMRC's
format, illustrative figures), so the demo needs no network.
`

// demoDatabase is the database the demo creates and reuses on the server it finds.
const demoDatabase = "revledger_demo"

func runDemo(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	exportDir := fs.String("export-dir", "exports", "folder the workbooks and CSV files are written to")
	logLevel := fs.String("log-level", "warn", "log level: debug, info, warn, error")
	adjustments := fs.Bool("adjustments", false, "then change five records of the newest closed month in the fake, sync, and show the adjustments booked")
	revalue := fs.Bool("revalue", false, "revalue the foreign-currency bank accounts at each month end (config fx.revalue)")
	// The fake allows 100 times Revolut's 60 requests/minute, and the client paces itself to
	// the same: the limiter is at work, and a year of data takes seconds, not an hour.
	ff := addFakeFlags(fs, 4000, 6000)
	fs.Usage = func() { fmt.Fprintf(fs.Output(), "%s\nFlags:\n", demoUsage); fs.PrintDefaults() }
	if err := parse(fs, args); err != nil {
		return err
	}
	cf := &commonFlags{logFormat: "auto", logLevel: *logLevel}
	log, err := cf.logger(env)
	if err != nil {
		return err
	}
	start := time.Now()

	fmt.Fprintf(env.stdout, "revledger demo: generating a year of data for the fake Revolut API (%d transactions, seed %d)…\n", ff.transactions, ff.seed)
	fake, err := ff.newFake()
	if err != nil {
		return usageError{err}
	}
	apiURL, stop, err := fake.Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the fake API: %w", err)
	}
	defer stop()
	keyDir, err := os.MkdirTemp("", "revledger-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(keyDir)
	creds := fake.Credentials()
	keyFile, err := writeKey(keyDir, creds.PrivateKeyPEM)
	if err != nil {
		return err
	}

	// The exchange rates come from a local stand-in for HMRC and the ECB (generated files in
	// their formats, the same figures every run), so the demo needs no network.
	ratesURL, stopRates, err := ratesfake.New(ratesfake.Options{}).Start("127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("start the fake exchange-rate publisher: %w", err)
	}
	defer stopRates()

	dbURL, where, err := demoDatabaseURL(ctx, env)
	if err != nil {
		return err
	}
	absExports, err := filepath.Abs(*exportDir)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stdout, "revledger demo: fake API on %s; PostgreSQL: %s; exports to %s\n", apiURL, where, absExports)

	cfg := defaultConfig()
	cfg.Company = "Demo Trading Ltd"
	cfg.DatabaseURL = dbURL
	cfg.Export.URL = absExports
	cfg.Revolut.APIURL = apiURL
	cfg.Revolut.ClientID = creds.ClientID
	cfg.Revolut.Issuer = creds.Issuer
	cfg.Revolut.PrivateKeyFile = keyFile
	cfg.Revolut.RefreshToken = creds.RefreshToken
	cfg.Revolut.RatePerMinute = ff.rate
	cfg.Chart = cfg.Chart.WithDefaults()
	cfg.FX.HMRCURL, cfg.FX.ECBURL = ratesURL+"/hmrc/", ratesURL+"/ecb/"
	cfg.FX.Revalue = *revalue

	end := time.Now().UTC().Truncate(24 * time.Hour)
	from := end.AddDate(-1, 0, 0)
	var coverage string
	err = runJob(ctx, env, cfg, log, &runFlags{wait: true}, true, func(ctx context.Context, j *job) (*pipeline.Summary, error) {
		sum, err := j.pipe.Backfill(ctx, from, end)
		if err != nil {
			return sum, err
		}
		// The backfill exports the periods it changed. A warehouse that already held the
		// year (a second demo, another checkout) changes none, so write the rest too: the
		// demo always leaves every month's workbook in the export folder.
		done := map[string]bool{}
		for _, e := range sum.Exports {
			done[e.Period] = true
		}
		var rest []period.Period
		for _, p := range period.Between(from, end) {
			if !done[p.String()] {
				rest = append(rest, p)
			}
		}
		if len(rest) > 0 {
			exp, err := j.pipe.Export(ctx, rest)
			if exp != nil {
				sum.Exports = append(sum.Exports, exp.Exports...)
			}
			if err != nil {
				return sum, err
			}
		}
		coverage, err = bookedCoverage(ctx, j.store)
		return sum, err
	})
	if err != nil {
		return err
	}
	fmt.Fprint(env.stdout, coverage)
	if *adjustments {
		if err := runDemoAdjustments(ctx, env, fake, cfg, log, absExports); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "\nDone in %s. Open a workbook, e.g.:\n  %s\n", time.Since(start).Round(100*time.Millisecond), latestWorkbook(absExports))
	return nil
}

// bookedCoverage counts, from the ledger, the transactions booked per Revolut type and the
// expenses booked per state, so the demo shows that every kind of movement the fake makes
// went through the booker.
func bookedCoverage(ctx context.Context, store *load.Store) (string, error) {
	txs, exps := map[string]map[string]bool{}, map[string]map[string]bool{}
	add := func(m map[string]map[string]bool, key, id string) {
		if key == "" || id == "" {
			return
		}
		if m[key] == nil {
			m[key] = map[string]bool{}
		}
		m[key][id] = true
	}
	for l, err := range store.LedgerLines(ctx, time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			return "", fmt.Errorf("count booked types and states: %w", err)
		}
		add(txs, l.TransactionType, l.TransactionID)
		add(exps, l.ExpenseState, l.ExpenseID)
	}
	line := func(title string, m map[string]map[string]bool) string {
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, len(m[k])))
		}
		return fmt.Sprintf("%s (%d): %s\n", title, len(m), strings.Join(parts, ", "))
	}
	return "\n" + line("Transactions booked by type", txs) + line("Expenses booked by state", exps), nil
}

// demoDatabaseURL finds a PostgreSQL server the way the tests do and makes sure the demo's
// database exists on it.
func demoDatabaseURL(ctx context.Context, env *environment) (dsn, where string, err error) {
	if u := cmp.Or(env.getenv("REVLEDGER_DATABASE_URL"), env.getenv("DATABASE_URL")); u != "" {
		return u, "REVLEDGER_DATABASE_URL", nil
	}
	srv, err := pgserver.Find(ctx, pgserver.Options{PrivateDir: filepath.Join(".cache", "demo-postgres")})
	if err != nil {
		return "", "", err
	}
	admin, err := pgx.Connect(ctx, srv.URL)
	if err != nil {
		return "", "", fmt.Errorf("connect to PostgreSQL (%s): %w", srv.Source, err)
	}
	defer admin.Close(ctx)
	var exists bool
	if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", demoDatabase).Scan(&exists); err != nil {
		return "", "", fmt.Errorf("look for the demo database: %w", err)
	}
	if !exists {
		if _, err := admin.Exec(ctx, "CREATE DATABASE "+demoDatabase); err != nil && !strings.Contains(err.Error(), "already exists") {
			return "", "", fmt.Errorf("create the demo database: %w", err)
		}
	}
	u, err := url.Parse(srv.URL)
	if err != nil {
		return "", "", err
	}
	u.Path = "/" + demoDatabase
	where = map[string]string{"local": "the server on 127.0.0.1:5432", "private": "a private cluster in .cache/demo-postgres"}[srv.Source]
	return u.String(), where + ", database " + demoDatabase, nil
}

// latestWorkbook returns the workbook of the last whole period under root (the newest one when
// it is the only one), for the closing hint.
func latestWorkbook(root string) string {
	matches, _ := filepath.Glob(filepath.Join(root, "*", "revledger_*.xlsx"))
	if len(matches) == 0 {
		return root
	}
	// The demo's data ends today, so the newest month holds only a few days: show the last
	// whole month when there is one.
	slices.Sort(matches)
	latest := matches[len(matches)-1]
	if len(matches) > 1 {
		latest = matches[len(matches)-2]
	}
	if rel, err := filepath.Rel(".", latest); err == nil {
		return rel
	}
	return latest
}
