package pipeline

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

// syncWindows plans the nightly run's two time-filtered streams.
//
// Transactions: from the checkpoint minus the look-back (pending → completed/declined/
// reverted changes only show up by re-reading), or the initial history when there is no
// checkpoint yet. Expenses: always the wide refresh window, since they have no updated_at and
// their state and date move after the fact; reaching back at least as far as the transactions
// keeps an expense and its transaction booked together.
func syncWindows(now time.Time, checkpoint time.Time, hasCheckpoint bool, lookback, expenseWindow, initial time.Duration) (tx, exp Window) {
	from := now.Add(-initial)
	if hasCheckpoint {
		from = checkpoint.Add(-lookback)
	}
	tx = Window{From: from.UTC(), To: now.UTC()}
	expFrom := now.Add(-expenseWindow)
	if tx.From.Before(expFrom) {
		expFrom = tx.From
	}
	exp = Window{From: expFrom.UTC(), To: now.UTC()}
	return tx, exp
}

// Period is a calendar month, the unit of export.
type Period struct {
	Year  int
	Month time.Month
}

// ParsePeriod reads "YYYY-MM".
func ParsePeriod(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Period{}, fmt.Errorf("period %q: want YYYY-MM", s)
	}
	return Period{Year: t.Year(), Month: t.Month()}, nil
}

// String renders "YYYY-MM".
func (p Period) String() string { return fmt.Sprintf("%04d-%02d", p.Year, int(p.Month)) }

// Bounds returns the booking-date range of the period: [first day, first day of next month),
// as midnight UTC dates, which is how ledger lines carry their booking date.
func (p Period) Bounds() (from, to time.Time) {
	from = time.Date(p.Year, p.Month, 1, 0, 0, 0, 0, time.UTC)
	return from, from.AddDate(0, 1, 0)
}

// PeriodsBetween lists the periods whose months intersect the booking dates [from, to).
func PeriodsBetween(from, to time.Time) []Period {
	var out []Period
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		out = append(out, Period{Year: m.Year(), Month: m.Month()})
	}
	return out
}
