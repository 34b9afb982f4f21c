package pipeline

import (
	"context"
	"errors"
	"time"

	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/load"
)

// This file is the warehouse's side of extraction: package extract reads the API and hands
// over batches; these store them through the run's writer and count what they stored.

// extractSettings reads the settings in full (extract.Settings) and loads them in one
// transaction, the cards no longer listed marked missing in the same one.
func (r *run) extractSettings(ctx context.Context) error {
	lists, err := extract.Settings(ctx, r.p.api)
	for stream, n := range lists.Listed {
		r.sum.Records[stream] += n
	}
	if err != nil {
		return err
	}
	now := r.p.cfg.Now().UTC()
	b := load.Batch{Stream: streamSettings, RunID: r.sum.RunID,
		Accounts: lists.Accounts, Categories: lists.Categories, TaxRates: lists.TaxRates, LabelGroups: lists.LabelGroups,
		Labels: lists.Labels, Cards: lists.Cards, TeamMembers: lists.TeamMembers, Counterparties: lists.Counterparties,
		Checkpoint: &now, CardsListedAt: now}
	for _, bad := range lists.Bad {
		b.Quarantine = append(b.Quarantine, quarantined(bad.Stream, bad.Err))
	}
	stats, err := r.w.LoadBatch(ctx, b)
	if err != nil {
		return err
	}
	r.tally(stats)
	r.progress(Progress{Stage: "extract", Stream: streamSettings, Rows: lists.Rows(), Done: true})
	return nil
}

func quarantined(stream string, rec *revolut.RecordError) load.Quarantined {
	return load.Quarantined{Stream: stream, SourceID: rec.ID, Reason: rec.Err.Error(), Raw: rec.Raw}
}

func (r *run) tally(s load.BatchStats) {
	r.sum.Changed += int64(s.Inserted + s.Updated)
	r.sum.Quarantined += int64(s.Quarantined)
}

// windowSink stores the batches of a window stream (extract.Sink): each in one transaction
// with its undecodable records and, for a chunk's last batch, the checkpoint (the chunk's
// end), so state is never ahead of data. It runs on the loader goroutine and alone touches
// stats; the run merges them once the stream is done.
type windowSink[T any] struct {
	r          *run
	name       string // the records' stream, for progress and quarantine
	checkpoint string // the sync_state key a chunk's end is stored under
	forward    bool   // the checkpoint only moves forward (the nightly transactions one)
	put        func(b *load.Batch, records []T)
	stats      load.BatchStats
}

// Put implements extract.Sink. The stream's final, empty batch only reports that the stream
// is done.
func (s *windowSink[T]) Put(ctx context.Context, eb extract.Batch[T]) error {
	ev := Progress{Stage: "extract", Stream: s.name, Rows: eb.Listed, Chunk: eb.Chunk, Chunks: eb.Chunks}
	if eb.Window.Empty() {
		ev.Done = true
		s.r.progress(ev)
		return nil
	}
	b := load.Batch{Stream: s.checkpoint, RunID: s.r.sum.RunID, WindowFrom: eb.Window.From, WindowTo: eb.Window.To}
	s.put(&b, eb.Records)
	for _, rec := range eb.Bad {
		b.Quarantine = append(b.Quarantine, quarantined(s.name, rec))
	}
	if eb.Last {
		end := eb.Window.To.UTC()
		b.Checkpoint, b.ForwardOnly = &end, s.forward
	}
	stats, err := s.r.w.LoadBatch(ctx, b)
	if err != nil {
		return err
	}
	s.stats.Inserted += stats.Inserted
	s.stats.Updated += stats.Updated
	s.stats.Quarantined += stats.Quarantined
	s.r.progress(ev)
	return nil
}

// extractTransactions pulls transactions created in w (extract.Transactions), stored with
// checkpoint: the nightly stream's only moves forward; a backfill keeps its own progress
// under its own key.
func (r *run) extractTransactions(ctx context.Context, w Window, checkpoint string) error {
	sink := &windowSink[revolut.Transaction]{r: r, name: streamTransactions, checkpoint: checkpoint,
		forward: checkpoint == streamTransactions,
		put:     func(b *load.Batch, v []revolut.Transaction) { b.Transactions = v }}
	listed, err := extract.Transactions(ctx, r.p.api, w, r.p.cfg.extractOptions(), sink)
	r.sum.Records[streamTransactions] += listed
	r.tally(sink.stats)
	return err
}

// advanceNightly moves the nightly transactions checkpoint to end when that is forward.
func (r *run) advanceNightly(ctx context.Context, end time.Time) error {
	end = end.UTC()
	_, err := r.w.LoadBatch(ctx, load.Batch{Stream: streamTransactions, RunID: r.sum.RunID, Checkpoint: &end, ForwardOnly: true})
	return err
}

// extractExpenses pulls expenses dated in w (extract.Expenses); their receipts are the
// receipt step's (storeReceipts). A business without the expenses feature books transactions
// without expense detail.
func (r *run) extractExpenses(ctx context.Context, w Window, checkpoint string) error {
	sink := &windowSink[revolut.Expense]{r: r, name: streamExpenses, checkpoint: checkpoint,
		put: func(b *load.Batch, v []revolut.Expense) { b.Expenses = v }}
	listed, err := extract.Expenses(ctx, r.p.api, w, r.p.cfg.extractOptions(), sink)
	r.sum.Records[streamExpenses] += listed
	r.tally(sink.stats)
	if errors.Is(err, extract.ErrExpensesNotEnabled) {
		r.log.WarnContext(ctx, "expenses are not enabled for this business; booking transactions without expense detail")
		return nil
	}
	return err
}
