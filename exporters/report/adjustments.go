package report

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// IsAdjustment reports whether l is a line of an adjustment entry: an entry booked in an
// open period because the source of an entry version in a closed period changed.
func IsAdjustment(l *transform.Line) bool { return l.AdjustsEntryID != "" }

// AdjustmentShort is the reason of an adjustment in two or three words, for a journal's
// narration ("reverted", "expense rejected").
func AdjustmentShort(reason string) string {
	switch reason {
	case transform.AdjustmentReverted:
		return "reverted"
	case transform.AdjustmentRecategorised:
		return "recategorised"
	case transform.AdjustmentExpenseRejected:
		return "expense rejected"
	case transform.AdjustmentAmountChanged:
		return "amount changed"
	case transform.AdjustmentSettingsChanged:
		return "settings changed"
	case "", transform.AdjustmentOtherChange:
		return "changed"
	}
	return strings.ReplaceAll(reason, "_", " ")
}

// AdjustmentReason says in plain words why an adjustment to closed period period
// ("2026-10") was booked, for an accountant: "Payment reverted, declined or failed after
// October 2026 was closed".
func AdjustmentReason(reason, period string) string {
	what := ""
	switch reason {
	case transform.AdjustmentReverted:
		what = "Payment reverted by the merchant, declined or failed"
	case transform.AdjustmentRecategorised:
		what = "Expense recategorised (category, VAT rate or labels changed)"
	case transform.AdjustmentExpenseRejected:
		what = "Expense rejected, reverted or reopened by an approver"
	case transform.AdjustmentAmountChanged:
		what = "Amount changed (the payment completed with another amount)"
	case transform.AdjustmentSettingsChanged:
		what = "Tax rate or category changed in the Revolut settings"
	default:
		what = "Changed in Revolut"
	}
	return what + " after " + MonthName(period) + " was closed"
}

// MonthName renders a period label "2026-10" as "October 2026"; another label is returned
// as it is.
func MonthName(period string) string {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return period
	}
	return t.Format("January 2006")
}

// AdjustmentNarration is the text an import file shows for an adjustment entry, before the
// payee and description: "Adjustment to 2026-10 (reverted)". It names the closed period; the
// entry id that follows it in brackets names the original entry and version
// ("adj:<original entry>:v<version>:<n>").
func AdjustmentNarration(l *transform.Line) string {
	return "Adjustment to " + l.AdjustsPeriod + " (" + AdjustmentShort(l.AdjustmentReason) + ")"
}

// AdjustmentTotal is the sum of the adjustment lines of one reason (in plain words, so one
// per closed period too) and currency.
type AdjustmentTotal struct {
	Reason   string // AdjustmentReason's words
	Currency string
	Debit    decimal.Decimal // positive
	Credit   decimal.Decimal // positive
	Lines    int
}

// Adjustments collects a period's adjustment lines for the totals and checks under the
// Adjustments sheet: the entries, the totals per reason and currency, and the entries that
// do not balance in some currency.
type Adjustments struct {
	entries []string // in the order they were seen
	sums    map[string]map[string]decimal.Decimal
	totals  map[[2]string]*AdjustmentTotal
}

// Add takes a line; lines of ordinary entries are ignored.
func (a *Adjustments) Add(l *transform.Line) {
	if !IsAdjustment(l) {
		return
	}
	if a.sums == nil {
		a.sums = map[string]map[string]decimal.Decimal{}
		a.totals = map[[2]string]*AdjustmentTotal{}
	}
	s, ok := a.sums[l.EntryID]
	if !ok {
		s = map[string]decimal.Decimal{}
		a.sums[l.EntryID] = s
		a.entries = append(a.entries, l.EntryID)
	}
	s[l.Currency] = s[l.Currency].Add(l.Amount)
	reason := AdjustmentReason(l.AdjustmentReason, l.AdjustsPeriod)
	k := [2]string{reason, l.Currency}
	t := a.totals[k]
	if t == nil {
		t = &AdjustmentTotal{Reason: reason, Currency: l.Currency}
		a.totals[k] = t
	}
	t.Lines++
	if l.Amount.IsNegative() {
		t.Credit = t.Credit.Sub(l.Amount)
	} else {
		t.Debit = t.Debit.Add(l.Amount)
	}
}

// Entries returns the number of adjustment entries seen.
func (a *Adjustments) Entries() int { return len(a.entries) }

// Totals returns the totals by reason, then currency.
func (a *Adjustments) Totals() []AdjustmentTotal {
	out := make([]AdjustmentTotal, 0, len(a.totals))
	for _, t := range a.totals {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(x, y AdjustmentTotal) int {
		if c := strings.Compare(x.Reason, y.Reason); c != 0 {
			return c
		}
		return strings.Compare(x.Currency, y.Currency)
	})
	return out
}

// Check is the check that every adjustment entry balances in each currency (an adjustment
// is the exact reversal of a balanced entry plus a balanced booking, so it must).
func (a *Adjustments) Check() Check {
	var bad []string
	for _, e := range a.entries {
		for _, cur := range slices.Sorted(maps.Keys(a.sums[e])) {
			if !a.sums[e][cur].IsZero() {
				bad = append(bad, e+" ("+cur+" off by "+a.sums[e][cur].String()+")")
			}
		}
	}
	c := Check{Name: "Each adjustment entry balances per currency", Passed: len(bad) == 0}
	switch {
	case len(a.entries) == 0:
		c.Detail = "no adjustments"
	case len(bad) == 0:
		c.Detail = strconv.Itoa(len(a.entries)) + " adjustment entries balance"
	default:
		c.Detail = strconv.Itoa(len(bad)) + " do not balance: " + join(bad[:min(len(bad), maxListed)])
	}
	return c
}
