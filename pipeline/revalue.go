package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/transform"
)

// revalue books the month-end revaluation of the foreign-currency bank accounts
// (Config.RevalueMonthEnd; transform/revalue.go), after booking, so that it sees this run's
// entries, and before the export, so that the periods it changes are exported with them.
//
// It is computed again in full on every run from the ledger: the month-end balances of every
// account in one query, the reference rates of the month ends through the booking's rate
// book (stored rates, else the publisher through the cache), then one source per account
// (transform.SourceRevaluation) with an entry per month end. WriteBookings does the rest as
// for any source: an unchanged entry writes nothing, a changed one is a new version, a month
// end no longer revalued is tombstoned, and a change to a closed period's revaluation is an
// adjustment in the first open period.
//
// The months are those complete in the business's time zone: up to the one before the month
// of now.
func (r *run) revalue(ctx context.Context, booker *transform.Booker, rb *rateBook) error {
	accounts := booker.RevaluedAccounts()
	if len(accounts) == 0 {
		return nil
	}
	y, m, _ := r.p.cfg.Now().In(r.p.cfg.Location).Date()
	until := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	balances, err := r.p.wh.RevaluationBalances(ctx, accounts, until)
	if err != nil {
		return fmt.Errorf("revalue foreign bank balances: %w", err)
	}
	if err := rb.prefetch(ctx, booker.RevaluationRatesNeeded(balances)); err != nil {
		return fmt.Errorf("revalue foreign bank balances: fetch exchange rates: %w", err)
	}
	revals := booker.Revalue(accounts, balances)
	bookings := make([]load.SourceBooking, 0, len(revals))
	var exceptions int64
	for _, rv := range revals {
		bookings = append(bookings, load.SourceBooking{SourceType: transform.SourceRevaluation, SourceID: rv.AccountID,
			Lines: rv.Lines, Exceptions: rv.Exceptions})
		exceptions += int64(len(rv.Exceptions))
	}
	st, err := r.w.WriteBookings(ctx, r.sum.RunID, bookings)
	if err != nil {
		return fmt.Errorf("revalue foreign bank balances: write ledger: %w", err)
	}
	r.sum.Exceptions += exceptions
	r.sum.EntriesNew += int64(st.EntriesNew)
	r.sum.EntriesChanged += int64(st.EntriesChanged)
	r.sum.EntriesRemoved += int64(st.Tombstones)
	r.sum.LinesWritten += int64(st.LinesWritten)
	return nil
}
