package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/schedules"
)

const scheduleUsage = `
Usage: revledger schedule [flags]

Runs the cron daemon until SIGTERM or SIGINT. Entries come from the config file's
schedule.entries (default: sync at 02:00 every day and an export of the previous month at
04:00 on the 1st, in the configured time zone). A run still going when its next start comes is
skipped; across replicas, the warehouse's run lock lets only one run at a time. On SIGTERM no
new run starts, and a running one gets the grace period to finish its chunk, after which it is
cancelled and its current chunk rolls back. /healthz and /metrics (Prometheus) are served on
schedule.address.
`

func runSchedule(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "schedule", scheduleUsage)
	addr := fs.String("address", "", "listen address for /healthz and /metrics (default from the config, 127.0.0.1:9464)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Schedule.Address = *addr
	}
	// Check everything now: a daemon that only finds out at 02:00 that its config is wrong
	// is no use. Each run re-checks the credentials before it touches the warehouse.
	if err := cfg.validate(); err != nil {
		return usageError{err}
	}
	if err := cfg.validateAPI(); err != nil {
		return usageError{err}
	}
	if _, err := refreshToken(cfg); err != nil {
		return err
	}
	log, err := cf.logger(env)
	if err != nil {
		return err
	}
	loc, _ := cfg.location()

	runJob := func(kind string) func(context.Context) (schedules.Report, error) {
		return func(ctx context.Context) (schedules.Report, error) {
			var rep schedules.Report
			quiet := &environment{stdout: io.Discard, stderr: env.stderr, getenv: env.getenv}
			err := withJob(ctx, quiet, cf, &runFlags{}, kind == "sync", func(ctx context.Context, j *job) (*pipeline.Summary, error) {
				var (
					sum *pipeline.Summary
					err error
				)
				switch kind {
				case "sync":
					sum, err = j.pipe.Sync(ctx)
				case "export-previous-month":
					now := time.Now().In(loc)
					prev := time.Date(now.Year(), now.Month()-1, 1, 0, 0, 0, 0, time.UTC)
					sum, err = j.pipe.Export(ctx, []period.Period{period.Month(prev.Year(), prev.Month())})
				}
				if sum != nil {
					rep = schedules.Report{Rows: sum.LinesWritten, APIRequests: sum.APIRequests, RateLimited: sum.APIRateLimited}
				}
				return sum, err
			})
			if errors.Is(err, errLocked) {
				return rep, schedules.ErrSkipped
			}
			return rep, err
		}
	}
	var entries []schedules.Entry
	for _, e := range cfg.Schedule.Entries {
		switch e.Job {
		case "sync", "export-previous-month":
		default:
			return usagef("schedule entry %q: job %q: use sync or export-previous-month", e.Name, e.Job)
		}
		entries = append(entries, schedules.Entry{Name: e.Name, Spec: e.Cron, Run: runJob(e.Job)})
	}
	d, err := schedules.New(schedules.Config{
		Entries: entries, Location: loc, Address: cfg.Schedule.Address,
		Grace: time.Duration(cfg.Schedule.ShutdownGraceSeconds) * time.Second, Logger: log,
	})
	if err != nil {
		return usageError{err}
	}
	fmt.Fprintf(env.stderr, "revledger schedule: %d entries in %s; health and metrics on http://%s\n", len(entries), loc, cfg.Schedule.Address)
	return d.Run(ctx)
}
