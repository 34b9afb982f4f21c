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
// loc when days is 0 (a month starts at DayStart of its 1st), else every `days` days. Each
// chunk is committed with its checkpoint, so an interrupted backfill loses at most one chunk
// of work. The chunks are contiguous, cover w exactly and strictly advance in every zone.
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
			// Where the clocks go back across midnight, an instant just after the 1st's
			// start can read the previous month again: take the first month start after it.
			y, m, _ := from.In(loc).Date()
			for m++; ; m++ {
				if next = DayStart(y, m, 1, loc); next.After(from) {
					break
				}
			}
		}
		if next.After(w.To) {
			next = w.To
		}
		out = append(out, Window{From: from.UTC(), To: next.UTC()})
		from = next
	}
	return out
}

// DayStart returns the first instant of the local calendar day y-m-d in loc: its midnight,
// or, where that midnight does not exist because the clocks jump over it (America/Asuncion on
// 2023-10-01, Europe/London's switch from local mean time on 1847-12-01), the first instant
// whose local date is that day or later. Out-of-range months and days normalise as in
// time.Date.
//
// time.Date gives no such guarantee: for a midnight in a gap it may return an instant of the
// previous local day, and month chunking built on it then asks for the same month again and
// never ends. This is the one place local day and month boundaries are computed: booking dates
// and export periods are calendar dates (midnight UTC), not instants.
func DayStart(y int, m time.Month, d int, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	// naive is the wanted wall-clock reading, as if it were UTC.
	naive := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	// Every UTC offset is within ±26 hours, so 48 hours before naive the local calendar is
	// still on an earlier day. Walk the zone periods forward from there: within a period the
	// wall clock runs with the instant, so the wanted reading is at naive − offset if that
	// falls in the period; if it is before the period's start, the transition jumped past
	// midnight and the start is the first instant of the day.
	t := naive.Add(-48 * time.Hour).In(loc)
	for {
		_, end := t.ZoneBounds()
		_, off := t.Zone()
		at := naive.Add(-time.Duration(off) * time.Second)
		if !at.After(t) {
			return t // the zone period starting at t already reads d or later
		}
		if end.IsZero() || at.Before(end) || !end.After(t) {
			return at.In(loc)
		}
		t = end.In(loc)
	}
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
