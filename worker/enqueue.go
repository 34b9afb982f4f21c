package worker

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
)

// Enqueuer inserts jobs without working them: the commands that queue work
// (`revledger business sync`, `business backfill`) use it.
type Enqueuer struct {
	client *river.Client[pgx.Tx]
}

// NewEnqueuer returns an insert-only River client on schema (default DefaultSchema).
func NewEnqueuer(pool *pgxpool.Pool, schema string) (*Enqueuer, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	c, err := river.NewClient(riverpgxv5.New(pool), &river.Config{Schema: schema})
	if err != nil {
		return nil, fmt.Errorf("worker: river client: %w", err)
	}
	return &Enqueuer{client: c}, nil
}

// Enqueued is the outcome of inserting one job.
type Enqueued struct {
	JobID int64
	// Duplicate is true when an equal job was already waiting or running: nothing was
	// inserted, and JobID is that job's.
	Duplicate bool
}

// Enqueue inserts one job (SyncArgs, BackfillChunkArgs, ExportPeriodArgs or ReceiptsArgs).
func (e *Enqueuer) Enqueue(ctx context.Context, args river.JobArgs) (Enqueued, error) {
	res, err := e.client.Insert(ctx, args, nil)
	if err != nil {
		return Enqueued{}, fmt.Errorf("worker: enqueue %s: %w", args.Kind(), err)
	}
	return Enqueued{JobID: res.Job.ID, Duplicate: res.UniqueSkippedAsDuplicate}, nil
}

// EnqueueBackfill inserts one backfill_chunk job per month of [from, to) (MonthChunks).
func (e *Enqueuer) EnqueueBackfill(ctx context.Context, business, from, to string) ([]Enqueued, error) {
	chunks, err := MonthChunks(business, from, to)
	if err != nil {
		return nil, err
	}
	params := make([]river.InsertManyParams, len(chunks))
	for i, c := range chunks {
		params[i] = river.InsertManyParams{Args: c}
	}
	res, err := e.client.InsertMany(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("worker: enqueue backfill of %s: %w", business, err)
	}
	out := make([]Enqueued, len(res))
	for i, r := range res {
		out[i] = Enqueued{JobID: r.Job.ID, Duplicate: r.UniqueSkippedAsDuplicate}
	}
	return out, nil
}
