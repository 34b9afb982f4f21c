package main

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/revledger/revledger/tenancy"
	"github.com/revledger/revledger/worker"
)

const statusUsage = `
Usage: revledger status [flags]

Shows every registered business: its state, its last job (kind, River state, when), the lag
since its last successful sync, its next scheduled sync, the job attempts that failed in the
last 24 hours and the jobs waiting or running. Read-only; needs no secret key.
`

func runStatus(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "status", statusUsage)
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	pool, err := controlPool(ctx, cfg, 0)
	if err != nil {
		return err
	}
	defer pool.Close()
	// Read-only: no migration, so that a read-only database role can run it.
	var registered bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('revledger.businesses') IS NOT NULL").Scan(&registered); err != nil {
		return fmt.Errorf("look for the business registry: %w", err)
	}
	if !registered {
		fmt.Fprintln(env.stdout, "No business registered: add one with `revledger business add`.")
		return nil
	}
	list, err := listBusinesses(ctx, tenancy.NewRegistry(pool, nil))
	if err != nil {
		return err
	}
	if len(list) == 0 {
		fmt.Fprintln(env.stdout, "No business registered: add one with `revledger business add`.")
		return nil
	}
	now := time.Now()
	st, err := worker.ReadStatus(ctx, pool, worker.DefaultSchema, list, now)
	if err != nil {
		return err
	}
	printStatus(env.stdout, st, now)
	return nil
}

func printStatus(w interface{ Write([]byte) (int, error) }, st []worker.Status, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "BUSINESS\tSTATE\tLAST JOB\tOUTCOME\tAT (UTC)\tLAG\tNEXT RUN (UTC)\tFAILED 24H\tQUEUED\tRUNNING")
	for _, s := range st {
		last, outcome, at := "-", "-", "-"
		if s.LastJob.Kind != "" {
			last, outcome, at = s.LastJob.Kind, s.LastJob.State, s.LastJob.At.UTC().Format("2006-01-02 15:04")
		}
		lag := "never synced"
		if !s.LastSuccess.IsZero() {
			lag = roundLag(s.Lag(now))
		}
		next := "-"
		if !s.Next.IsZero() {
			next = s.Next.UTC().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%d\t%d\n", s.Business.Slug, s.Business.State, last, outcome, at, lag, next,
			s.FailedAttempts24h, s.Queued, s.Running)
	}
	_ = tw.Flush()
	for _, s := range st {
		if s.LastJob.Error != "" && s.LastJob.State != "completed" {
			fmt.Fprintf(w, "\n%s: last error: %s", s.Business.Slug, oneLine(s.LastJob.Error, 200))
		}
	}
	fmt.Fprintln(w)
}

func roundLag(d time.Duration) string {
	switch {
	case d < time.Minute:
		return d.Round(time.Second).String()
	case d < 48*time.Hour:
		return d.Round(time.Minute).String()
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
