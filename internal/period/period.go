// Package period is the unit of export: a window of booking dates, in practice a calendar
// month. It sits below every package that names one (exporters, pipeline, cmd) so that the
// month a run exports, the folder it is written to and the ledger lines it reads are one value.
package period

import (
	"fmt"
	"time"
)

// Period is the window one export covers: booking dates in [From, To), as midnight UTC dates
// (how ledger lines carry their booking date), named by Label ("2024-01" for a month), which
// names the export's folder and files.
type Period struct {
	Label string
	From  time.Time
	To    time.Time
}

// Month returns the Period of a calendar month.
func Month(year int, month time.Month) Period {
	from := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
	return Period{Label: from.Format("2006-01"), From: from, To: from.AddDate(0, 1, 0)}
}

// Parse reads "YYYY-MM" as the Period of that month.
func Parse(s string) (Period, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Period{}, fmt.Errorf("period %q: want YYYY-MM", s)
	}
	return Month(t.Year(), t.Month()), nil
}

// Between lists the months that intersect the booking dates [from, to).
func Between(from, to time.Time) []Period {
	var out []Period
	for m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC); m.Before(to); m = m.AddDate(0, 1, 0) {
		out = append(out, Month(m.Year(), m.Month()))
	}
	return out
}

// String returns the Label.
func (p Period) String() string { return p.Label }
