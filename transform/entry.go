package transform

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// entry collects the lines and exceptions of one journal entry while it is being built. Every
// line starts as a copy of base, the provenance shared by the whole entry.
type entry struct {
	b        *Booker
	source   string
	sourceID string
	id       string // EntryID; "" when nothing is booked
	date     time.Time
	occurred time.Time
	period   string
	base     Line
	country  string // the card merchant's country, for the VAT treatment of splits
	lines    []Line
	exc      []Exception
	baseOnly bool // every line is in the base currency (convert): balanced in base if balanced at all
}

func (b *Booker) newEntry(source, sourceID, entryID string, at time.Time, base Line) *entry {
	at = at.UTC()
	date := bookingDate(at, b.loc)
	return &entry{
		b: b, source: source, sourceID: sourceID, id: entryID,
		date: date, occurred: at, period: date.Format("2006-01"),
		base: base,
	}
}

// bookingDate is the calendar date of t in loc, as midnight UTC: a card payment at 00:30 in
// London during summer time belongs to that London day, not to the previous UTC day.
func bookingDate(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// newLine returns a line of this entry with the shared provenance, its key and its amount
// rounded to the minor units of currency. The caller completes it and passes it to add.
func (e *entry) newLine(index int, role, code, fallbackName string, amount decimal.Decimal, currency string) Line {
	l := e.base
	l.Key = LineKey{SourceType: e.source, SourceID: e.sourceID, Index: index, Role: role}
	l.Version = 1
	l.EntryID = e.id
	l.BookingDate, l.OccurredAt, l.Period = e.date, e.occurred, e.period
	if code != "" {
		l.AccountCode, l.AccountName = code, e.b.chart.name(code, fallbackName)
	}
	l.Amount = Round(amount, currency)
	l.Currency = currency
	l.CardReferences = slices.Clone(e.base.CardReferences)
	return l
}

func (e *entry) add(l Line) { e.lines = append(e.lines, l) }

func (e *entry) exception(kind, reason string) Exception {
	return Exception{
		SourceType: e.source, SourceID: e.sourceID, EntryID: e.id,
		Period: e.period, OccurredAt: e.occurred, Kind: kind, Reason: reason,
	}
}

func (e *entry) except(kind, reason string) { e.exc = append(e.exc, e.exception(kind, reason)) }

// amount rounds a source amount to the minor units of currency and reports it when rounding
// changed it: Revolut amounts are already in minor units, so a change means bad data.
func (e *entry) amount(d decimal.Decimal, currency, what string) decimal.Decimal {
	r := Round(d, currency)
	if !r.Equal(d) {
		e.except(KindAmountRounded, fmt.Sprintf("%s of %s %s is %s, more decimals than %s has; it was rounded to %s",
			what, e.source, e.sourceID, d, currency, r.StringFixed(MinorUnits(currency))))
	}
	return r
}

func (e *entry) money(d decimal.Decimal, currency string) string {
	return d.StringFixed(MinorUnits(currency)) + " " + currency
}

// finish checks that the entry balances per currency (and in base currency when its lines
// have base values) and returns it. An unbalanced entry is a
// bug in this package, never a property of the input; it is dropped and reported rather than
// handed to the warehouse.
func (e *entry) finish() Booking {
	bk := Booking{Lines: e.lines, Exceptions: e.exc, Booked: len(e.lines) > 0}
	if cur, sum, ok := balanced(e.lines); !ok {
		bk.Exceptions = append(bk.Exceptions, e.exception(KindUnbalancedEntry,
			fmt.Sprintf("entry %s does not balance in %s (off by %s); it was not booked, please report this", e.id, cur, sum)))
		bk.Lines, bk.Booked = nil, false
		return bk
	}
	if e.baseOnly {
		return bk
	}
	if sum, ok := baseBalanced(e.lines); !ok {
		bk.Exceptions = append(bk.Exceptions, e.exception(KindUnbalancedEntry,
			fmt.Sprintf("entry %s does not balance in base currency (off by %s); it was not booked, please report this", e.id, sum)))
		bk.Lines, bk.Booked = nil, false
	}
	return bk
}

// balanced reports whether lines sum to zero per currency and per entry, and if not, the first
// currency that does not.
func balanced(lines []Line) (string, decimal.Decimal, bool) {
	type key struct{ entry, cur string }
	sums := map[key]decimal.Decimal{}
	var order []key
	for _, l := range lines {
		k := key{l.EntryID, strings.ToUpper(l.Currency)}
		if _, ok := sums[k]; !ok {
			order = append(order, k)
		}
		sums[k] = sums[k].Add(l.Amount)
	}
	for _, k := range order {
		if !sums[k].IsZero() {
			return k.cur, sums[k], false
		}
	}
	return "", decimal.Zero, true
}
