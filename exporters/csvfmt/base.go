package csvfmt

import (
	"errors"
	"slices"
	"strings"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// ErrNoBaseAmount says an entry has a line in another currency than the base currency
// without a base amount (no rate was found for it): it cannot be written to a file that
// takes base-currency amounts, since its foreign amount would be booked as base currency.
var ErrNoBaseAmount = errors.New("a line in a foreign currency has no base amount (no exchange rate)")

// BaseLines returns the lines of an entry in the base currency: each line's Amount becomes
// its base amount (a line already in base currency keeps its amount) and its Currency the
// base currency. The lines of an entry sum to zero in base currency when the ledger booked
// them (the FX rounding line takes up what per-line rounding leaves). ok is false, with no
// lines, when a foreign line has no base amount.
func BaseLines(entry []transform.Line, base string) (lines []transform.Line, ok bool) {
	lines, _, ok = baseLines(entry, base)
	return lines, ok
}

// baseLines is BaseLines with, per line, what a converted line was (" (EUR 100.00 at
// 0.855)", "" for a base-currency line), for the description the import file shows.
func baseLines(entry []transform.Line, base string) ([]transform.Line, []string, bool) {
	out := make([]transform.Line, 0, len(entry))
	notes := make([]string, len(entry))
	for i, l := range entry {
		if strings.EqualFold(l.Currency, base) {
			out = append(out, l)
			continue
		}
		if !l.BaseAmount.Valid {
			return nil, nil, false
		}
		notes[i] = " (" + l.Currency + " " + Amount(l.Amount, l.Currency)
		if l.BaseRate.Valid {
			notes[i] += " at " + l.BaseRate.Decimal.String()
		}
		notes[i] += ")"
		l.Amount, l.Currency = l.BaseAmount.Decimal, base
		out = append(out, l)
	}
	return out, notes, true
}

// MissingBase lists, sorted, the currencies of an entry's foreign lines that have no base
// amount.
func MissingBase(entry []transform.Line, base string) []string {
	var out []string
	for _, l := range entry {
		if !strings.EqualFold(l.Currency, base) && !l.BaseAmount.Valid && !slices.Contains(out, l.Currency) {
			out = append(out, l.Currency)
		}
	}
	slices.Sort(out)
	return out
}

// entryCurrency says in which currency QuickBooks gets an entry: the one foreign currency all
// its (non-zero) lines are in, at the one rate they were converted at; otherwise ("" and
// false) the entry goes in the base currency at its base amounts.
func entryCurrency(entry []transform.Line, base string) (string, decimal.Decimal, bool) {
	cur, rate := "", decimal.Decimal{}
	for _, l := range entry {
		if l.Amount.IsZero() {
			continue // an FX rounding line: only its base amount is not zero
		}
		if strings.EqualFold(l.Currency, base) || !l.BaseRate.Valid {
			return "", decimal.Decimal{}, false
		}
		if cur == "" {
			cur, rate = l.Currency, l.BaseRate.Decimal
			continue
		}
		if l.Currency != cur || !l.BaseRate.Decimal.Equal(rate) {
			return "", decimal.Decimal{}, false
		}
	}
	return cur, rate, cur != ""
}
