package extract

import (
	"fmt"
	"time"
)

// Window is a half-open time range [From, To), in UTC, like the API's from/to filters.
type Window struct {
	From, To time.Time
}

// String renders the window for logs and run history.
func (w Window) String() string {
	return fmt.Sprintf("[%s, %s)", w.From.UTC().Format(time.RFC3339), w.To.UTC().Format(time.RFC3339))
}

// Empty reports whether the window holds no instant.
func (w Window) Empty() bool { return !w.From.Before(w.To) }

// Chunks splits w into consecutive windows that each end on a boundary: calendar months in
// loc when days is 0, else every `days` days. Each chunk is committed with its checkpoint, so
// an interrupted backfill loses at most one chunk of work.
func (w Window) Chunks(loc *time.Location, days int) []Window {
	if w.Empty() {
		return nil
	}
	var out []Window
	for from := w.From; from.Before(w.To); {
		var next time.Time
		if days > 0 {
			next = from.Add(time.Duration(days) * 24 * time.Hour)
		} else {
			l := from.In(loc)
			next = time.Date(l.Year(), l.Month()+1, 1, 0, 0, 0, 0, loc)
		}
		if next.After(w.To) {
			next = w.To
		}
		out = append(out, Window{From: from.UTC(), To: next.UTC()})
		from = next
	}
	return out
}

// Policy is how far each time-filtered stream reaches back.
type Policy struct {
	// TransactionsLookback is re-read before the checkpoint: a transaction's state changes
	// (pending → completed, declined, reverted) only show up by reading it again.
	TransactionsLookback time.Duration
	// ExpensesWindow is re-read by every sync: expenses have no updated_at, and their state
	// and date move after the fact.
	ExpensesWindow time.Duration
	// InitialHistory is how far the first sync (no checkpoint yet) reaches back.
	InitialHistory time.Duration
}

// Nightly plans a sync's two time-filtered streams at now.
//
// Transactions: from the checkpoint minus the look-back, or the initial history when there
// is no checkpoint yet. Expenses: the wide refresh window, reaching back at least as far as
// the transactions, which keeps an expense and its transaction booked together.
func (p Policy) Nightly(now, checkpoint time.Time, hasCheckpoint bool) (tx, exp Window) {
	from := now.Add(-p.InitialHistory)
	if hasCheckpoint {
		from = checkpoint.Add(-p.TransactionsLookback)
	}
	tx = Window{From: from.UTC(), To: now.UTC()}
	expFrom := now.Add(-p.ExpensesWindow)
	if tx.From.Before(expFrom) {
		expFrom = tx.From
	}
	exp = Window{From: expFrom.UTC(), To: now.UTC()}
	return tx, exp
}

// BackfillExpenses is the expense window of a backfill of transactions created in w: an
// expense is dated when its transaction completes, which can be after the transaction's
// created_at, so it reaches past the end by the look-back (never past now).
func (p Policy) BackfillExpenses(w Window, now time.Time) Window {
	to := w.To.Add(p.TransactionsLookback)
	if now := now.UTC(); to.After(now) {
		to = now
	}
	return Window{From: w.From, To: to}
}
