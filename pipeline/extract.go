package pipeline

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/load"
)

// windowStream describes a stream read by time window (transactions, expenses) for
// extractWindow: how to list a chunk, where its records go in a batch, and what to do around
// each load.
type windowStream[T any] struct {
	name       string // the records' stream, for counts, progress and quarantine
	checkpoint string // the sync_state key a chunk's end is stored under
	list       extract.List[T]
	put        func(b *load.Batch, records []T)
	// checkpointAt returns the checkpoint to store at a chunk's end; nil leaves it.
	checkpointAt func(ctx context.Context, end time.Time) (*time.Time, error)
	// quietEnd reports an error that ends the stream without failing the run.
	quietEnd func(ctx context.Context, err error) bool
}

// extractWindow reads w in the batches extract.Batches cuts (FlushRecords each, every chunk
// ending with its own) and loads each batch in one transaction; the checkpoint (the chunk's
// end) is written with the chunk's last batch, so state is never ahead of data. Batches are
// loaded in order by a handoff worker while the pager fetches the next records.
func extractWindow[T any](ctx context.Context, r *run, w Window, s windowStream[T]) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loader := startHandoff(cancel, func(b extract.Batch[T]) error { return loadWindowBatch(ctx, r, s, b) })
	return loader.finish(readWindow(ctx, r, w, s, loader))
}

// readWindow hands the window's batches to loader, then a final empty one that reports the
// stream done.
func readWindow[T any](ctx context.Context, r *run, w Window, s windowStream[T], loader *handoff[extract.Batch[T]]) error {
	chunking := extract.Chunking{Location: r.p.cfg.Location, Days: r.p.cfg.ChunkDays}
	var last extract.Batch[T]
	for b, err := range extract.Batches(ctx, w, chunking, r.p.cfg.FlushRecords, s.list) {
		if err != nil {
			if s.quietEnd != nil && s.quietEnd(ctx, err) {
				return nil
			}
			return fmt.Errorf("extract %s %w", s.name, err)
		}
		r.sum.Records[s.name] += int64(len(b.Records))
		if err := loader.put(b); err != nil {
			return err
		}
		last = b
	}
	return loader.put(extract.Batch[T]{Chunk: last.Chunks, Chunks: last.Chunks, Listed: last.Listed})
}

// loadWindowBatch loads one batch: its records, its undecodable records into quarantine and,
// for a chunk's last batch, the checkpoint, in one transaction; then the progress event. The
// stream's final, empty batch only reports that the stream is done.
func loadWindowBatch[T any](ctx context.Context, r *run, s windowStream[T], eb extract.Batch[T]) error {
	ev := Progress{Stage: "extract", Stream: s.name, Rows: eb.Listed, Chunk: eb.Chunk, Chunks: eb.Chunks}
	if eb.Window.Empty() {
		ev.Done = true
		r.progress(ev)
		return nil
	}
	b := load.Batch{Stream: s.checkpoint, RunID: r.sum.RunID, WindowFrom: eb.Window.From, WindowTo: eb.Window.To}
	s.put(&b, eb.Records)
	for _, rec := range eb.Bad {
		b.Quarantine = append(b.Quarantine, quarantined(s.name, rec))
	}
	if eb.Last {
		cp, err := s.checkpointAt(ctx, eb.Window.To)
		if err != nil {
			return err
		}
		b.Checkpoint = cp
	}
	stats, err := r.p.wh.LoadBatch(ctx, r.lock, b)
	if err != nil {
		return err
	}
	r.tally(stats)
	r.progress(ev)
	return nil
}

// extractTransactions pulls transactions created in w. For the nightly stream the
// checkpoint only moves forward; a backfill keeps its own progress under its own key.
func (r *run) extractTransactions(ctx context.Context, w Window, checkpoint string) error {
	return extractWindow(ctx, r, w, windowStream[revolut.Transaction]{
		name:       streamTransactions,
		checkpoint: checkpoint,
		list: func(ctx context.Context, c Window) iter.Seq2[revolut.Transaction, error] {
			return r.p.api.Transactions(ctx, revolut.TransactionListOptions{From: c.From, To: c.To})
		},
		put: func(b *load.Batch, v []revolut.Transaction) { b.Transactions = v },
		checkpointAt: func(ctx context.Context, end time.Time) (*time.Time, error) {
			return r.checkpointFor(ctx, checkpoint, end)
		},
	})
}

// checkpointFor returns the checkpoint to store for stream at the end of a chunk: the
// nightly transactions checkpoint only moves forward.
func (r *run) checkpointFor(ctx context.Context, stream string, end time.Time) (*time.Time, error) {
	if stream == streamTransactions {
		cur, ok, err := r.p.wh.Checkpoint(ctx, stream)
		if err != nil {
			return nil, err
		}
		if ok && !end.After(cur) {
			return nil, nil
		}
	}
	end = end.UTC()
	return &end, nil
}

// advanceNightly moves the nightly transactions checkpoint to end when that is forward.
func (r *run) advanceNightly(ctx context.Context, end time.Time) error {
	cp, err := r.checkpointFor(ctx, streamTransactions, end)
	if err != nil || cp == nil {
		return err
	}
	_, err = r.p.wh.LoadBatch(ctx, r.lock, load.Batch{Stream: streamTransactions, RunID: r.sum.RunID, Checkpoint: cp})
	return err
}

// extractExpenses pulls expenses dated in w; their receipts are the receipt step's
// (storeReceipts). A business without the expenses feature books transactions without
// expense detail.
func (r *run) extractExpenses(ctx context.Context, w Window, checkpoint string) error {
	return extractWindow(ctx, r, w, windowStream[revolut.Expense]{
		name:       streamExpenses,
		checkpoint: checkpoint,
		list: func(ctx context.Context, c Window) iter.Seq2[revolut.Expense, error] {
			return r.p.api.Expenses(ctx, revolut.ExpenseListOptions{From: c.From, To: c.To})
		},
		put: func(b *load.Batch, v []revolut.Expense) { b.Expenses = v },
		checkpointAt: func(_ context.Context, end time.Time) (*time.Time, error) {
			end = end.UTC()
			return &end, nil
		},
		quietEnd: func(ctx context.Context, err error) bool {
			if !isFeatureDisabled(err) {
				return false
			}
			r.log.WarnContext(ctx, "expenses are not enabled for this business; booking transactions without expense detail")
			return true
		},
	})
}
