package pipeline

import (
	"fmt"
	"time"
)

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
