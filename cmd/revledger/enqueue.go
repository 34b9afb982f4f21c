package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/revledger/revledger/tenancy"
	"github.com/revledger/revledger/worker"
)

const businessSyncUsage = `
Usage: revledger business sync --slug SLUG [flags]

Queues a sync of the business for the workers ('revledger worker'). If one is already waiting
or running, nothing is added.
`

const businessBackfillUsage = `
Usage: revledger business backfill --slug SLUG --from YYYY-MM-DD --to YYYY-MM-DD [flags]

Queues a backfill of [from, to) (dates in the business's time zone, --to exclusive) as one
job per calendar month, for the workers ('revledger worker'). A month already waiting or
running is not added twice.
`

// runBusinessSync is `revledger business sync`.
func runBusinessSync(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "business sync", businessSyncUsage)
	slug := fs.String("slug", "", "the business (required)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *slug == "" {
		return usagef("business sync needs --slug")
	}
	return withEnqueuer(ctx, env, cf, *slug, func(ctx context.Context, e *worker.Enqueuer, b tenancy.Business) error {
		res, err := e.Enqueue(ctx, worker.SyncArgs{Business: b.Slug})
		if err != nil {
			return err
		}
		if res.Duplicate {
			fmt.Fprintf(env.stdout, "A sync of %s is already queued or running (job %d); nothing added.\n", b.Slug, res.JobID)
		} else {
			fmt.Fprintf(env.stdout, "Sync of %s queued (job %d).\n", b.Slug, res.JobID)
		}
		return nil
	})
}

// runBusinessBackfill is `revledger business backfill`.
func runBusinessBackfill(ctx context.Context, env *environment, args []string) error {
	fs, cf := newFlagSet(env, "business backfill", businessBackfillUsage)
	slug := fs.String("slug", "", "the business (required)")
	fromS := fs.String("from", "", "first day, YYYY-MM-DD (required)")
	toS := fs.String("to", "", "day after the last day, YYYY-MM-DD (required; exclusive)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *slug == "" || *fromS == "" || *toS == "" {
		return usagef("business backfill needs --slug, --from and --to (YYYY-MM-DD)")
	}
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	return withEnqueuer(ctx, env, cf, *slug, func(ctx context.Context, e *worker.Enqueuer, b tenancy.Business) error {
		bcfg, err := businessConfig(cfg, b)
		if err != nil {
			return usageError{err}
		}
		loc, _ := bcfg.location()
		from, to, err := backfillRange(*fromS, *toS, loc)
		if err != nil {
			return err
		}
		if err := checkBackfillRange(from, to, bcfg, time.Now()); err != nil {
			return err
		}
		res, err := e.EnqueueBackfill(ctx, b.Slug, *fromS, *toS)
		if err != nil {
			return err
		}
		added := 0
		for _, r := range res {
			if !r.Duplicate {
				added++
			}
		}
		fmt.Fprintf(env.stdout, "Backfill of %s from %s to %s: %d monthly jobs queued, %d already queued or running.\n",
			b.Slug, *fromS, *toS, added, len(res)-added)
		return nil
	})
}

// withEnqueuer connects, finds the business and gives body an enqueuer.
func withEnqueuer(ctx context.Context, env *environment, cf *commonFlags, slug string,
	body func(context.Context, *worker.Enqueuer, tenancy.Business) error) error {
	cfg, err := cf.config(env)
	if err != nil {
		return err
	}
	pool, err := controlPool(ctx, cfg, 0)
	if err != nil {
		return err
	}
	defer pool.Close()
	reg := tenancy.NewRegistry(pool, nil)
	if err := reg.Migrate(ctx); err != nil {
		return fmt.Errorf("migrate the control schema: %w", err)
	}
	if err := worker.Migrate(ctx, pool, worker.DefaultSchema); err != nil {
		return err
	}
	b, err := reg.Get(ctx, slug)
	if errors.Is(err, tenancy.ErrNotFound) {
		return usagef("no business %q: see `revledger business list`", slug)
	}
	if err != nil {
		return err
	}
	if b.State != tenancy.StateActive {
		return usagef("business %s is %s: its jobs would not run", slug, b.State)
	}
	e, err := worker.NewEnqueuer(pool, worker.DefaultSchema)
	if err != nil {
		return err
	}
	return body(ctx, e, b)
}
