package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/handoff"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/transform"
)

// book books every source the warehouse marks as needing it, BookBatch sources per
// transaction.
//
// Reading and booking overlap with writing (handoff.Run): while one batch is written, the
// next is read from the pending cursor and booked. The reading side and the writing side each
// count what they did (bookCounts, writeCounts); the counts go into the summary once both
// are done.
func (r *run) book(ctx context.Context) error {
	settings, err := r.p.wh.Settings(ctx)
	if err != nil {
		return fmt.Errorf("read settings for booking: %w", err)
	}
	rb, err := newRateBook(ctx, r.p.wh, r.p.cfg.Rates, r.p.cfg.BaseCurrency, r.log)
	if err != nil {
		return fmt.Errorf("prepare booking: %w", err)
	}
	booker, err := transform.NewBooker(transform.Settings{
		Accounts: settings.Accounts, Categories: settings.Categories, TaxRates: settings.TaxRates,
		Cards: settings.Cards, TeamMembers: settings.TeamMembers, Counterparties: settings.Counterparties,
		Location: r.p.cfg.Location, Chart: r.p.cfg.Chart,
		Plausible: transform.PlausibleRange(r.p.cfg.Now(), r.p.cfg.PlausiblePastYears, r.p.cfg.PlausibleFutureDays),

		TaxRateHistory: settings.TaxRateHistory, CategoryHistory: settings.CategoryHistory,
		BaseCurrency: r.p.cfg.BaseCurrency, Rates: rb,
	})
	if err != nil {
		return fmt.Errorf("prepare booking: %w", err)
	}
	undecodable := settings.Undecodable

	// An entry booked without a rate is booked again until the rate exists (before the
	// refunds are flagged: a refund mirrors its original, which may be one of them). Without
	// a publisher no run can find a reference rate that an earlier one did not, so nothing
	// is booked again for that.
	if r.p.cfg.Rates != nil {
		if _, err := r.w.FlagMissingRatesForBooking(ctx); err != nil {
			return fmt.Errorf("prepare booking: %w", err)
		}
	}
	// Entries booked before base values existed are booked again, once, to be valued.
	if _, err := r.w.FlagUnvaluedForBooking(ctx); err != nil {
		return fmt.Errorf("prepare booking: %w", err)
	}
	// A refund mirrors its original: when an original is about to be (re)booked, possibly
	// arriving after its refund did, the refunds that name it are booked again too.
	if _, err := r.w.FlagRelatedForBooking(ctx); err != nil {
		return fmt.Errorf("prepare booking: %w", err)
	}

	var read bookCounts
	var wrote load.WriteStats
	err = handoff.Run(ctx, func(ctx context.Context, put func(bookedBatch) error) error {
		return r.bookPending(ctx, booker, rb, put, &read, &undecodable)
	}, func(ctx context.Context, b bookedBatch) error {
		return r.writeBooked(ctx, b, &wrote)
	})
	r.sum.SourcesBooked += read.booked
	r.sum.Exceptions += read.exceptions
	r.sum.NotBooked += read.notBooked
	r.sum.EntriesNew += int64(wrote.EntriesNew)
	r.sum.EntriesChanged += int64(wrote.EntriesChanged)
	r.sum.EntriesRemoved += int64(wrote.Tombstones)
	r.sum.LinesWritten += int64(wrote.LinesWritten)
	if err != nil {
		return err
	}
	if err := r.quarantineStored(ctx, undecodable); err != nil {
		return err
	}
	if r.p.cfg.RevalueMonthEnd {
		if err := r.revalue(ctx, booker, rb); err != nil {
			return err
		}
	}
	r.progress(Progress{Stage: "book", Stream: "ledger", Rows: r.sum.SourcesBooked, Done: true})
	return nil
}

// quarantineStored quarantines the stored records that no longer decode (written by an
// earlier version, say), as DESIGN says of any record that cannot be booked: the run goes on
// and its summary counts them, and they leave the booking queue until Revolut sends them anew.
func (r *run) quarantineStored(ctx context.Context, bad []*load.DecodeError) error {
	if len(bad) == 0 {
		return nil
	}
	for _, e := range bad {
		r.log.WarnContext(ctx, "stored record no longer decodes; quarantined", slog.String("stream", e.Stream),
			slog.String("id", e.ID), slog.String("error", e.Err.Error()))
	}
	n, err := r.w.QuarantineStored(ctx, r.sum.RunID, bad)
	if err != nil {
		return fmt.Errorf("quarantine undecodable stored records: %w", err)
	}
	r.sum.Quarantined += int64(n)
	return nil
}

// bookCounts is what the reading side of booking counts.
type bookCounts struct {
	booked, exceptions, notBooked int64
}

// bookPending reads the pending sources, books them and hands them to put in batches,
// counting in c. Stored records that no longer decode are added to bad and skipped.
//
// Sources are read a batch at a time, the exchange rates the batch needs are fetched at once
// (rb.prefetch: stored rates are in memory already, so only new ones cost a request), and
// then the batch is booked.
func (r *run) bookPending(ctx context.Context, booker *transform.Booker, rb *rateBook, put func(bookedBatch) error, c *bookCounts, bad *[]*load.DecodeError) error {
	pending := make([]load.SourceBooking, 0, r.p.cfg.BookBatch)
	add := func(sourceType, id string, b transform.Booking) error {
		pending = append(pending, load.SourceBooking{SourceType: sourceType, SourceID: id, Lines: b.Lines, Exceptions: b.Exceptions})
		c.exceptions += int64(len(b.Exceptions))
		if !b.Booked {
			c.notBooked++
		}
		if len(pending) < r.p.cfg.BookBatch {
			return nil
		}
		if err := put(bookedBatch{bookings: pending, booked: r.sum.SourcesBooked + c.booked}); err != nil {
			return err
		}
		pending = make([]load.SourceBooking, 0, r.p.cfg.BookBatch)
		return nil
	}

	var txs []load.TransactionToBook
	var needs []transform.RateNeed
	bookTxs := func() error {
		if err := rb.prefetch(ctx, needs); err != nil {
			return fmt.Errorf("fetch exchange rates: %w", err)
		}
		originals, err := r.originals(ctx, txs)
		if err != nil {
			return err
		}
		for _, t := range txs {
			c.booked++
			if err := add(transform.SourceTransaction, t.Transaction.ID, booker.BookTransaction(t.Transaction, t.Expenses, originals(t.Transaction)...)); err != nil {
				return err
			}
			// An expense booked with its transaction is no longer an orphan: clear whatever an
			// earlier run recorded under the expense itself.
			for _, e := range t.Expenses {
				if err := add(transform.SourceExpense, e.ID, transform.Booking{Booked: true}); err != nil {
					return err
				}
			}
		}
		txs, needs = txs[:0], needs[:0]
		return nil
	}
	// The pending set streams from one cursor while batches are written on other
	// connections; the cursor's snapshot is not disturbed by the flags being cleared.
	for tb, err := range r.p.wh.PendingTransactions(ctx) {
		if d := (*load.DecodeError)(nil); errors.As(err, &d) {
			*bad = append(*bad, d)
			continue
		}
		if err != nil {
			return fmt.Errorf("read transactions to book: %w", err)
		}
		txs = append(txs, tb)
		needs = append(needs, booker.RatesNeeded(tb.Transaction, tb.Expenses)...)
		if len(txs) >= r.p.cfg.BookBatch {
			if err := bookTxs(); err != nil {
				return err
			}
		}
	}
	if err := bookTxs(); err != nil {
		return err
	}

	var xs []revolut.Expense
	bookExpenses := func() error {
		if err := rb.prefetch(ctx, needs); err != nil {
			return fmt.Errorf("fetch exchange rates: %w", err)
		}
		for _, e := range xs {
			b := booker.OrphanExpense(e)
			if e.TransactionID == "" {
				b = booker.BookExpense(e)
			}
			c.booked++
			if err := add(transform.SourceExpense, e.ID, b); err != nil {
				return err
			}
		}
		xs, needs = xs[:0], needs[:0]
		return nil
	}
	for e, err := range r.p.wh.PendingExpenses(ctx) {
		if d := (*load.DecodeError)(nil); errors.As(err, &d) {
			*bad = append(*bad, d)
			continue
		}
		if err != nil {
			return fmt.Errorf("read expenses to book: %w", err)
		}
		xs = append(xs, e)
		if e.TransactionID == "" {
			needs = append(needs, booker.ExpenseRatesNeeded(e)...)
		}
		if len(xs) >= r.p.cfg.BookBatch {
			if err := bookExpenses(); err != nil {
				return err
			}
		}
	}
	if err := bookExpenses(); err != nil {
		return err
	}
	if len(pending) == 0 {
		return nil
	}
	return put(bookedBatch{bookings: pending, booked: r.sum.SourcesBooked + c.booked})
}

// originals looks up, in one query, the transactions the batch's transactions refer to
// (related_transaction_id) with their expenses, for the booker to mirror. The function it
// returns gives a transaction's original, none when it names none or the warehouse does not
// hold it (the booker then books the refund to allocate, and FlagRelatedForBooking books it
// again once the original arrives). An original that cannot be decoded is treated as not
// held: the refund is still booked, to allocate.
func (r *run) originals(ctx context.Context, txs []load.TransactionToBook) (func(revolut.Transaction) []transform.Original, error) {
	var ids []string
	for _, t := range txs {
		if id := t.Transaction.RelatedTransactionID; id != "" && id != t.Transaction.ID {
			ids = append(ids, id)
		}
	}
	held, err := r.p.wh.Transactions(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("look up the originals of refunds: %w", err)
	}
	return func(tx revolut.Transaction) []transform.Original {
		o, ok := held[tx.RelatedTransactionID]
		if !ok || tx.RelatedTransactionID == tx.ID {
			return nil
		}
		return []transform.Original{{Transaction: o.Transaction, Expenses: o.Expenses}}
	}, nil
}

// bookedBatch is one batch of bookings for writeBooked.
type bookedBatch struct {
	bookings []load.SourceBooking
	booked   int64 // sources booked so far, for progress
}

// writeBooked writes one batch in one transaction and counts what it wrote in wrote.
func (r *run) writeBooked(ctx context.Context, b bookedBatch, wrote *load.WriteStats) error {
	st, err := r.w.WriteBookings(ctx, r.sum.RunID, b.bookings)
	if err != nil {
		return fmt.Errorf("write ledger: %w", err)
	}
	wrote.EntriesNew += st.EntriesNew
	wrote.EntriesChanged += st.EntriesChanged
	wrote.Tombstones += st.Tombstones
	wrote.LinesWritten += st.LinesWritten
	r.progress(Progress{Stage: "book", Stream: "ledger", Rows: b.booked})
	return nil
}
