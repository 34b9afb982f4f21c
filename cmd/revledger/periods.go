package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os/user"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/load"
)

const closeUsage = `
Usage: revledger close --period YYYY-MM [--by NAME] [flags]

Closes a month by hand, before its export after close.grace_days would. From then on its
files are final: exporting it again writes the same bytes, and a later change to one of its
records is booked as an adjustment in the first open month. Closing a closed month changes
nothing. Takes the run lock, like sync.
`

const reopenUsage = `
Usage: revledger reopen --period YYYY-MM --reason "..." [--by NAME] [flags]

Reopens a closed month, recording who, when and why in the warehouse. Its entries are then
re-booked in place again, so its files can change: reopen only a month you have not filed, or
one you will correct in Xero/QuickBooks too. Adjustments already booked stay. Takes the run
lock, like sync.
`

const periodsUsage = `
Usage: revledger periods [flags]

Lists each month the warehouse knows: open or closed, when, by whom and how it was closed,
when it was last exported, and how many adjustment entries in open months correct it.
`

// periodFlags are close's and reopen's own flags.
type periodFlags struct {
	period, by string
}

func addPeriodFlags(fs *flag.FlagSet) *periodFlags {
	pf := &periodFlags{}
	fs.StringVar(&pf.period, "period", "", "the month, YYYY-MM (required)")
	fs.StringVar(&pf.by, "by", "", "who does it, recorded in the warehouse (default the OS user)")
	return pf
}

// check reads --period and fills in --by, before anything connects.
func (pf *periodFlags) check(env *environment, cmd string) (string, error) {
	if pf.period == "" {
		return "", usagef("%s needs --period YYYY-MM", cmd)
	}
	p, err := period.Parse(pf.period)
	if err != nil {
		return "", usageError{err}
	}
	pf.by = strings.TrimSpace(pf.by)
	if pf.by == "" {
		pf.by = osUser(env)
	}
	if pf.by == "" {
		return "", usagef("%s: cannot tell who you are from the system: pass --by NAME", cmd)
	}
	return p.String(), nil
}

// osUser is the name close and reopen record by default: $USER, else the account's name.
func osUser(env *environment) string {
	if u := strings.TrimSpace(env.getenv("USER")); u != "" {
		return u
	}
	if u, err := user.Current(); err == nil {
		return u.Username
	}
	return ""
}

func runClose(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "close", closeUsage)
	rf := addRunFlags(fs)
	pf := addPeriodFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	p, err := pf.check(env, "close")
	if err != nil {
		return err
	}
	return withWriter(ctx, env, cf, rf, func(ctx context.Context, w *load.Writer) error {
		closed, err := w.ClosePeriod(ctx, p, pf.by, load.ClosedByCommand, 0)
		if err != nil {
			return err
		}
		if closed {
			fmt.Fprintf(env.stdout, "%s closed by %s\n", p, pf.by)
		} else {
			fmt.Fprintf(env.stdout, "%s was already closed\n", p)
		}
		return nil
	})
}

func runReopen(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "reopen", reopenUsage)
	rf := addRunFlags(fs)
	pf := addPeriodFlags(fs)
	reason := fs.String("reason", "", "why the month is reopened, recorded in the warehouse (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	p, err := pf.check(env, "reopen")
	if err != nil {
		return err
	}
	why := strings.TrimSpace(*reason)
	if why == "" {
		return usagef(`reopen needs --reason "...": reopening a month whose files an accountant may have imported is recorded with who and why; nothing was changed`)
	}
	return withWriter(ctx, env, cf, rf, func(ctx context.Context, w *load.Writer) error {
		reopened, err := w.ReopenPeriod(ctx, p, pf.by, why)
		if errors.Is(err, load.ErrReasonRequired) {
			return usageError{err}
		}
		if err != nil {
			return err
		}
		if reopened {
			fmt.Fprintf(env.stdout, "%s reopened by %s: %s\n", p, pf.by, why)
		} else {
			fmt.Fprintf(env.stdout, "%s was not closed; nothing changed\n", p)
		}
		return nil
	})
}

// withWriter checks the configuration, opens the warehouse (applying migrations) and runs
// body under the run lock, so that a close or reopen never lands in the middle of a sync.
func withWriter(ctx context.Context, env *environment, cf *commonFlags, rf *runFlags, body func(context.Context, *load.Writer) error) error {
	store, _, err := openChecked(ctx, env, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	w, err := store.AcquireRunLock(ctx, rf.wait)
	if errors.Is(err, load.ErrLocked) {
		return errLocked
	}
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = w.Release(cctx)
	}()
	return body(ctx, w)
}

// openChecked validates the configuration and opens the warehouse with its migrations applied.
func openChecked(ctx context.Context, env *environment, cf *commonFlags) (*load.Store, Config, error) {
	cfg, err := cf.config(env)
	if err != nil {
		return nil, Config{}, err
	}
	if err := cfg.validate(); err != nil {
		return nil, Config{}, usageError{err}
	}
	log, err := cf.logger(env)
	if err != nil {
		return nil, Config{}, err
	}
	store, err := openStore(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return nil, Config{}, err
	}
	return store, cfg, nil
}

func runPeriods(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "periods", periodsUsage)
	if err := parse(fs, args); err != nil {
		return err
	}
	store, cfg, err := openChecked(ctx, env, cf)
	if err != nil {
		return err
	}
	defer store.Close()
	list, err := store.Periods(ctx)
	if err != nil {
		return err
	}
	loc, _ := cfg.location()
	printPeriods(env, list, loc)
	return nil
}

// printPeriods writes the periods table; times are in the business's time zone.
func printPeriods(env *environment, list []load.PeriodState, loc *time.Location) {
	if len(list) == 0 {
		fmt.Fprintln(env.stdout, "No periods yet: nothing has been booked or exported.")
		return
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	tw := tabwriter.NewWriter(env.stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "PERIOD\tSTATE\tCLOSED AT\tCLOSED BY\tHOW\tLAST EXPORT\tPENDING ADJUSTMENTS")
	for _, p := range list {
		state, by, how := "open", "-", "-"
		if p.Closed {
			state, by, how = "closed", p.ClosedBy, p.ClosedHow
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.Period, state, at(p.ClosedAt), by, how, at(p.LastExport), strconv.Itoa(p.PendingAdjustments))
	}
	_ = tw.Flush()
}
