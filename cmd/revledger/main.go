// Command revledger extracts Revolut Business data, books it as a balanced double-entry ledger
// in PostgreSQL and writes the workbook and CSV files accountants open.
//
// Run `revledger help` for the commands. This package only parses flags, environment and the
// config file, wires the stages together and maps outcomes to exit codes.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/revledger/revledger/internal/redact"
)

// Exit codes. Anything but 0 means the run did not complete.
const (
	exitOK     = 0
	exitFailed = 1  // the run started and failed; the warehouse keeps its previous state
	exitUsage  = 2  // bad flags, bad configuration or credentials: nothing was touched
	exitLocked = 75 // another run holds the lock (EX_TEMPFAIL): try again later
)

// usageError marks errors that are the user's to fix before anything runs.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// errLocked is returned when a run finds another holding the run lock and was told not to wait.
var errLocked = errors.New("another revledger run holds the lock (a nightly sync or a backfill on this warehouse); nothing was done, try again later or pass --wait")

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *environment, args []string) error
}

func commands() []command {
	return []command{
		{"sync", "the nightly incremental run: extract, book, load, export the periods that changed", runSync},
		{"backfill", "extract and book a date range (--from, --to), in chunks that resume after an interruption", runBackfill},
		{"export", "write the workbook and CSV files of a period (--period YYYY-MM or --from/--to) from the warehouse", runExport},
		{"schedule", "run the cron daemon (nightly sync, monthly export) with /healthz and /metrics", runSchedule},
		{"migrate", "apply the warehouse's database migrations", runMigrate},
		{"auth", "exchange a consent code for a refresh token (auth exchange), or show its status (auth status)", runAuth},
		{"fake-api", "serve the built-in fake Revolut Business API, for trying revledger without a bank account", runFakeAPI},
		{"close", "close a month (--period YYYY-MM): its files become final, later changes are adjustments", runClose},
		{"reopen", "reopen a closed month (--period YYYY-MM --reason \"...\"), recorded with who and why", runReopen},
		{"periods", "list the months: open or closed, last export, adjustments waiting", runPeriods},
		{"worker", "work the jobs of every registered business (many businesses: see README)", runWorker},
		{"status", "per business: state, last job and its outcome, lag, next run, failures", runStatus},
		{"demo", "run the whole job against the fake API with built-in defaults and show where the workbook is", runDemo},
		{"business", "multi-business mode: add, list, pause, resume, delete, export a business; rotate the secret key", runBusiness},
	}
}

// environment is what a command gets from the process: streams and environment variables.
// Tests build their own.
type environment struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	// isTerminal reports whether stderr is a terminal (progress bars, text logs).
	isTerminal bool
	// stdin answers confirmation prompts (business delete); stdinIsTerminal says whether a
	// person can type there. A nil stdin reads as empty.
	stdin           io.Reader
	stdinIsTerminal bool
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &environment{stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv, isTerminal: isTerminal(os.Stderr),
		stdin: os.Stdin, stdinIsTerminal: isTerminal(os.Stdin)}
	os.Exit(run(ctx, env, os.Args[1:]))
}

func run(ctx context.Context, env *environment, args []string) int {
	env = redacted(env)
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		if len(args) > 1 {
			return run(ctx, env, []string{args[1], "--help"})
		}
		printUsage(env.stdout)
		return exitOK
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		return report(env, c.name, err)
	}
	fmt.Fprintf(env.stderr, "revledger: unknown command %q\n\n", args[0])
	printUsage(env.stderr)
	return exitUsage
}

// redacted registers the secrets found in the environment with the redactor and returns env
// with its output streams redacted: every log record, progress line and error message the
// CLI prints goes through internal/redact, so an endpoint that echoed a credential into an
// error cannot make it reach a terminal or a log collector. The API client registers the
// tokens it is issued and the private key it loads; the AWS keys and the database password
// are registered here.
func redacted(env *environment) *environment {
	for _, name := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "REVOLUT_REFRESH_TOKEN", "REVLEDGER_SECRET_KEY"} {
		redact.Secret(env.getenv(name))
	}
	for _, name := range []string{"REVLEDGER_DATABASE_URL", "DATABASE_URL"} {
		if u, err := url.Parse(env.getenv(name)); err == nil && u.User != nil {
			if pw, ok := u.User.Password(); ok {
				redact.Secret(pw)
			}
		}
	}
	e := *env
	e.stdout, e.stderr = redact.Writer(env.stdout), redact.Writer(env.stderr)
	return &e
}

func report(env *environment, name string, err error) int {
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, errHelp):
		return exitOK
	case errors.Is(err, errLocked):
		fmt.Fprintf(env.stderr, "revledger %s: %v\n", name, err)
		return exitLocked
	case errors.As(err, &ue):
		fmt.Fprintf(env.stderr, "revledger %s: %v\n", name, err)
		return exitUsage
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(env.stderr, "revledger %s: interrupted; work committed so far is kept, the rest rolled back. Run the same command again to continue.\n", name)
		return exitFailed
	default:
		fmt.Fprintf(env.stderr, "revledger %s: %v\n", name, err)
		return exitFailed
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `revledger gets Revolut Business data into your books: it extracts transactions, expenses,
receipts and accounting settings, books them as a balanced double-entry ledger in PostgreSQL,
and writes an Excel workbook and CSV files (Xero, QuickBooks Online) to a folder or S3.

Usage:
  revledger <command> [flags]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'revledger <command> --help' for a command's flags.

Settings come from flags, then environment variables, then a YAML file (--config or
REVLEDGER_CONFIG), then defaults. Environment variables:
  REVLEDGER_DATABASE_URL (or DATABASE_URL)  PostgreSQL connection string
  REVOLUT_API_URL                           API base URL (default production)
  REVOLUT_CLIENT_ID, REVOLUT_PRIVATE_KEY_FILE, REVOLUT_ISSUER
                                            API certificate's client id, RSA key (PEM, mode 0600),
                                            redirect-URI host
  REVOLUT_REFRESH_TOKEN                     refresh token (else the one 'auth exchange' stored)
  REVLEDGER_EXPORT_URL                      s3://bucket/prefix or file:///path (default ./exports)
  AWS_REGION, AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
                                            standard AWS settings for S3
  REVLEDGER_CONFIG                          YAML config file (chart of accounts, schedules, time zone)
  REVLEDGER_SECRET_KEY, REVLEDGER_OLD_SECRET_KEYS
                                            multi-business mode: the key (base64, 32 bytes) that
                                            encrypts each business's credentials, and older keys

A month closes at its first export on or after its last day plus close.grace_days (config
file, default 5, 0 to 60), or with 'revledger close'. A closed month's files never change:
later changes to its records are booked as adjustments in the first open month.

Exit status: 0 the run completed; 1 it failed (the warehouse keeps its previous state);
2 bad usage, configuration or credentials (nothing was touched); 75 another run holds the lock.
`)
}

func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
