package pipeline

import (
	"context"
	"errors"
	"fmt"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/transform"
)

// book books every source the warehouse marks as needing it, BookBatch sources per
// transaction.
//
// Reading and booking overlap with writing (handoff): while one batch is written, the next
// is read from the pending cursor and booked.
func (r *run) book(ctx context.Context) error {
	settings, err := r.p.wh.Settings(ctx)
	if err != nil {
		return fmt.Errorf("read settings for booking: %w", err)
	}
	booker, err := transform.NewBooker(transform.Settings{
		Accounts: settings.Accounts, Categories: settings.Categories, TaxRates: settings.TaxRates,
		Cards: settings.Cards, TeamMembers: settings.TeamMembers, Counterparties: settings.Counterparties,
		Location: r.p.cfg.Location, Chart: r.p.cfg.Chart,
	})
	if err != nil {
		return fmt.Errorf("prepare booking: %w", err)
	}

	// A refund mirrors its original: when an original is about to be (re)booked, possibly
	// arriving after its refund did, the refunds that name it are booked again too.
	if _, err := r.p.wh.FlagRelatedForBooking(ctx, r.lock); err != nil {
		return fmt.Errorf("prepare booking: %w", err)
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := startHandoff(cancel, func(b bookedBatch) error { return r.writeBooked(ctx, b) })
	if err := w.finish(r.bookPending(ctx, booker, w)); err != nil {
		return err
	}
	r.progress(Progress{Stage: "book", Stream: "ledger", Rows: r.sum.SourcesBooked, Done: true})
	return nil
}

// bookPending reads the pending sources, books them and hands them to w in batches.
func (r *run) bookPending(ctx context.Context, booker *transform.Booker, w *handoff[bookedBatch]) error {
	pending := make([]load.SourceBooking, 0, r.p.cfg.BookBatch)
	add := func(sourceType, id string, b transform.Booking) error {
		pending = append(pending, load.SourceBooking{SourceType: sourceType, SourceID: id, Lines: b.Lines, Exceptions: b.Exceptions})
		r.sum.Exceptions += int64(len(b.Exceptions))
		if !b.Booked {
			r.sum.NotBooked++
		}
		if len(pending) < r.p.cfg.BookBatch {
			return nil
		}
		if err := w.put(bookedBatch{bookings: pending, booked: r.sum.SourcesBooked}); err != nil {
			return err
		}
		pending = make([]load.SourceBooking, 0, r.p.cfg.BookBatch)
		return nil
	}
	// The pending set streams from one cursor while batches are written on other
	// connections; the cursor's snapshot is not disturbed by the flags being cleared.
	for tb, err := range r.p.wh.PendingTransactions(ctx) {
		if err != nil {
			return fmt.Errorf("read transactions to book: %w", err)
		}
		r.sum.SourcesBooked++
		orig, err := r.original(ctx, tb.Transaction)
		if err != nil {
			return err
		}
		if err := add(transform.SourceTransaction, tb.Transaction.ID, booker.BookTransaction(tb.Transaction, tb.Expenses, orig...)); err != nil {
			return err
		}
		// An expense booked with its transaction is no longer an orphan: clear whatever an
		// earlier run recorded under the expense itself.
		for _, e := range tb.Expenses {
			if err := add(transform.SourceExpense, e.ID, transform.Booking{Booked: true}); err != nil {
				return err
			}
		}
	}
	for e, err := range r.p.wh.PendingExpenses(ctx) {
		if err != nil {
			return fmt.Errorf("read expenses to book: %w", err)
		}
		b := booker.OrphanExpense(e)
		if e.TransactionID == "" {
			b = booker.BookExpense(e)
		}
		r.sum.SourcesBooked++
		if err := add(transform.SourceExpense, e.ID, b); err != nil {
			return err
		}
	}
	if len(pending) == 0 {
		return nil
	}
	return w.put(bookedBatch{bookings: pending, booked: r.sum.SourcesBooked})
}

// original looks up the transaction tx refers to (related_transaction_id) with its
// expenses, for the booker to mirror; none when tx names none or the warehouse does not hold
// it (the booker then books the refund to allocate, and FlagRelatedForBooking books it again
// once the original arrives). An original that cannot be decoded is treated as not held:
// the refund is still booked, to allocate.
func (r *run) original(ctx context.Context, tx revolut.Transaction) ([]transform.Original, error) {
	if tx.RelatedTransactionID == "" || tx.RelatedTransactionID == tx.ID {
		return nil, nil
	}
	o, ok, err := r.p.wh.Transaction(ctx, tx.RelatedTransactionID)
	var de *load.DecodeError
	switch {
	case errors.As(err, &de):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("look up the original of transaction %s: %w", tx.ID, err)
	case !ok:
		return nil, nil
	}
	return []transform.Original{{Transaction: o.Transaction, Expenses: o.Expenses}}, nil
}

// bookedBatch is one batch of bookings for writeBooked.
type bookedBatch struct {
	bookings []load.SourceBooking
	booked   int64 // sources booked so far, for progress
}

// writeBooked writes one batch in one transaction and counts what it wrote.
func (r *run) writeBooked(ctx context.Context, b bookedBatch) error {
	st, err := r.p.wh.WriteBookings(ctx, r.lock, r.sum.RunID, b.bookings)
	if err != nil {
		return fmt.Errorf("write ledger: %w", err)
	}
	r.sum.EntriesNew += int64(st.EntriesNew)
	r.sum.EntriesChanged += int64(st.EntriesChanged)
	r.sum.EntriesRemoved += int64(st.Tombstones)
	r.sum.LinesWritten += int64(st.LinesWritten)
	r.progress(Progress{Stage: "book", Stream: "ledger", Rows: b.booked})
	return nil
}
