package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/load"
)

// streamExpensesFullRefresh is the sync_state key that records when the last full expense
// refresh committed.
const streamExpensesFullRefresh = "expenses_full_refresh"

// streamRechecked counts, in the summary, the transactions re-read by id.
const streamRechecked = "transactions_rechecked"

func (c Config) lateChanges() extract.LateChanges {
	return extract.LateChanges{PendingFor: c.PendingRecheck, ExpensesFullRefresh: c.ExpensesFullRefresh}
}

// expenseWindow widens the nightly expense window to every stored expense when a full
// refresh is due (extract.LateChanges.FullExpenses).
func (r *run) expenseWindow(ctx context.Context, now time.Time, exp Window) (Window, bool, error) {
	last, ok, err := r.p.wh.Checkpoint(ctx, streamExpensesFullRefresh)
	if err != nil {
		return exp, false, err
	}
	oldest, _, err := r.p.wh.OldestExpenseDate(ctx)
	if err != nil {
		return exp, false, err
	}
	w, full := r.p.cfg.lateChanges().FullExpenses(now, last, ok, exp, oldest)
	if full {
		r.log.InfoContext(ctx, "full expense refresh", slog.String("window", w.String()))
	}
	return w, full, nil
}

// recordFullRefresh records, once the expenses of a full refresh committed, when it happened.
func (r *run) recordFullRefresh(ctx context.Context, now time.Time, full bool) error {
	if !full {
		return nil
	}
	now = now.UTC()
	_, err := r.w.LoadBatch(ctx, load.Batch{Stream: streamExpensesFullRefresh, RunID: r.sum.RunID, Checkpoint: &now})
	if err != nil {
		return fmt.Errorf("record the full expense refresh: %w", err)
	}
	return nil
}

// recheckTransactions re-reads by id the stored transactions that the window tx no longer
// lists but that may still change (extract.LateChanges.Recheck, extract.RecheckTransactions),
// and loads them in batches of FlushRecords: a changed one is flagged for booking like any
// other. One that Revolut no longer knows (404) is left as it is and logged; one that does
// not decode is quarantined.
func (r *run) recheckTransactions(ctx context.Context, now time.Time, tx Window) error {
	rc := r.p.cfg.lateChanges().Recheck(now, tx)
	ids, err := r.p.wh.TransactionsToRecheck(ctx, rc.CreatedBefore, rc.PendingSince, rc.CompletedSince)
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return nil
	}
	r.log.InfoContext(ctx, "re-reading transactions the look-back no longer lists", slog.Int("transactions", len(ids)))
	res, err := extract.RecheckTransactions(ctx, r.p.api, ids, r.p.cfg.FlushRecords, func(ctx context.Context, rb extract.Rechecked) error {
		b := load.Batch{Stream: streamTransactions, RunID: r.sum.RunID, Transactions: rb.Transactions}
		for _, rec := range rb.Bad {
			b.Quarantine = append(b.Quarantine, quarantined(streamTransactions, rec))
		}
		stats, err := r.w.LoadBatch(ctx, b)
		if err != nil {
			return err
		}
		r.tally(stats)
		return nil
	})
	for _, id := range res.Gone {
		r.log.WarnContext(ctx, "a stored transaction is no longer known to Revolut; kept as last seen", slog.String("transaction_id", id))
	}
	r.sum.Records[streamRechecked] += res.Read
	if err != nil {
		return err
	}
	r.progress(Progress{Stage: "extract", Stream: streamRechecked, Rows: r.sum.Records[streamRechecked], Done: true})
	return nil
}
