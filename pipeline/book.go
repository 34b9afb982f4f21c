package pipeline

import (
	"context"
	"fmt"

	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/transform"
)

// book books every source the warehouse marks as needing it, BookBatch sources per
// transaction.
//
// Reading and booking overlap with writing: while one batch is written (a PostgreSQL
// backend busy merging it), the next is read from the pending cursor and booked in Go. One
// writer writes the batches in order, and at most one batch waits for it, so memory stays at
// two batches whatever the size of the backlog.
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

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := r.startLedgerWriter(ctx, cancel)
	readErr := r.bookPending(ctx, booker, w)
	writeErr := w.close()
	// A failed write cancels the read, whose error is then only the cancellation: the
	// write's error is the one that says what went wrong.
	if writeErr != nil {
		return writeErr
	}
	if readErr != nil {
		return readErr
	}
	r.progress(Progress{Stage: "book", Stream: "ledger", Rows: r.sum.SourcesBooked, Done: true})
	return nil
}

// bookPending reads the pending sources, books them and hands them to w in batches.
func (r *run) bookPending(ctx context.Context, booker *transform.Booker, w *ledgerWriter) error {
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
		if err := w.write(pending, r.sum.SourcesBooked); err != nil {
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
		if err := add(transform.SourceTransaction, tb.Transaction.ID, booker.BookTransaction(tb.Transaction, tb.Expenses)); err != nil {
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
	return w.write(pending, r.sum.SourcesBooked)
}

// ledgerWriter writes booked batches with WriteBookings on its own goroutine, in the order
// they were handed to it.
type ledgerWriter struct {
	batches chan bookedBatch
	done    chan struct{}
	err     error // set by the writer goroutine before done is closed
}

type bookedBatch struct {
	bookings []load.SourceBooking
	booked   int64 // sources booked so far, for progress
}

// startLedgerWriter starts the writer. A failed write cancels ctx (through cancel), so that
// the reader stops at once instead of booking a backlog that will never be written.
func (r *run) startLedgerWriter(ctx context.Context, cancel context.CancelFunc) *ledgerWriter {
	w := &ledgerWriter{batches: make(chan bookedBatch, 1), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for b := range w.batches {
			st, err := r.p.wh.WriteBookings(ctx, r.lock, r.sum.RunID, b.bookings)
			if err != nil {
				w.err = fmt.Errorf("write ledger: %w", err)
				cancel()
				return
			}
			r.sum.EntriesNew += int64(st.EntriesNew)
			r.sum.EntriesChanged += int64(st.EntriesChanged)
			r.sum.EntriesRemoved += int64(st.Tombstones)
			r.sum.LinesWritten += int64(st.LinesWritten)
			r.progress(Progress{Stage: "book", Stream: "ledger", Rows: b.booked})
		}
	}()
	return w
}

// write hands a batch to the writer, waiting while the previous one is still queued. Once a
// write has failed the writer is gone, and write returns context.Canceled (close returns the
// failure itself).
func (w *ledgerWriter) write(bookings []load.SourceBooking, booked int64) error {
	select {
	case w.batches <- bookedBatch{bookings: bookings, booked: booked}:
		return nil
	case <-w.done:
		return context.Canceled
	}
}

// close waits for every handed batch to be written and returns the first write error.
func (w *ledgerWriter) close() error {
	close(w.batches)
	<-w.done
	return w.err
}
