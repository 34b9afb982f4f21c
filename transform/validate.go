package transform

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// Exception kinds of records refused before booking: their data cannot be trusted or stored,
// so nothing of them is booked and the rest of the run books as usual.
const (
	// KindInvalidCurrency: a currency that is not three upper-case ASCII letters (ISO 4217's
	// shape) on a leg, a bill, an expense, a split or the leg's account. The ledger's
	// currency columns are character(3) with a CHECK, so booking it would fail the whole
	// write.
	KindInvalidCurrency = "invalid_currency"
	// KindImplausibleDate: a date outside Settings.Plausible (a completed_at in year 9999
	// would otherwise book, and then export, period 9999-12). The exception belongs to no
	// period.
	KindImplausibleDate = "implausible_date"
)

// Defaults of the plausible range around now: older records cannot be Revolut Business ones,
// and a record dated more than a week ahead is not a clock-skew artefact but bad data.
const (
	DefaultPlausiblePastYears  = 30
	DefaultPlausibleFutureDays = 7
)

// DateRange is a half-open range of instants [From, To). A zero bound is unbounded, so the
// zero DateRange holds every instant.
type DateRange struct {
	From, To time.Time
}

// PlausibleRange is [now − pastYears, now + futureDays).
func PlausibleRange(now time.Time, pastYears, futureDays int) DateRange {
	now = now.UTC()
	return DateRange{From: now.AddDate(-pastYears, 0, 0), To: now.AddDate(0, 0, futureDays)}
}

// Contains reports whether t is within r.
func (r DateRange) Contains(t time.Time) bool {
	return (r.From.IsZero() || !t.Before(r.From)) && (r.To.IsZero() || t.Before(r.To))
}

// String renders r's bounds as dates, for messages.
func (r DateRange) String() string {
	f, t := "the beginning", "the end"
	if !r.From.IsZero() {
		f = r.From.UTC().Format(time.DateOnly)
	}
	if !r.To.IsZero() {
		t = r.To.UTC().Format(time.DateOnly)
	}
	return f + " to " + t
}

// IsCurrencyCode reports whether s has ISO 4217's shape: three upper-case ASCII letters.
// Lower case is refused too: Revolut sends upper case, so anything else is corrupt data.
func IsCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// refuseTransaction returns the exception booking of a transaction whose dates or currencies
// cannot be booked, and false when it can be. The expenses linked to it are checked too: their
// splits would be booked in the transaction's entry.
func (b *Booker) refuseTransaction(tx revolut.Transaction, expenses []revolut.Expense) (Booking, bool) {
	var reasons []string
	if tx.CreatedAt.IsZero() && tx.UpdatedAt.IsZero() && tx.CompletedAt.IsZero() && b.plausible != (DateRange{}) {
		return b.refuseDate(SourceTransaction, tx.ID, fmt.Sprintf("transaction %s has no date at all; it is not booked", tx.ID)), true
	}
	for _, d := range []struct {
		name string
		at   time.Time
	}{{"created_at", tx.CreatedAt.Time}, {"updated_at", tx.UpdatedAt.Time}, {"completed_at", tx.CompletedAt.Time}} {
		if !d.at.IsZero() && !b.plausible.Contains(d.at) {
			return b.refuseDate(SourceTransaction, tx.ID, fmt.Sprintf("transaction %s has %s %s, outside the plausible range %s (sync.plausible_past_years, sync.plausible_future_days); it is not booked",
				tx.ID, d.name, d.at.UTC().Format(time.RFC3339), b.plausible)), true
		}
	}
	for i, leg := range tx.Legs {
		if leg.Currency != "" && !IsCurrencyCode(leg.Currency) {
			reasons = append(reasons, fmt.Sprintf("leg %d currency %q", i, leg.Currency))
		}
		if leg.BillCurrency != "" && !IsCurrencyCode(leg.BillCurrency) {
			reasons = append(reasons, fmt.Sprintf("leg %d bill currency %q", i, leg.BillCurrency))
		}
		if a, ok := b.accounts[leg.AccountID]; ok && leg.AccountID != "" && a.Currency != "" && !IsCurrencyCode(a.Currency) {
			reasons = append(reasons, fmt.Sprintf("leg %d account %s currency %q", i, leg.AccountID, a.Currency))
		}
	}
	for _, x := range expenses {
		reasons = append(reasons, expenseCurrencyProblems(x)...)
	}
	if len(reasons) == 0 {
		return Booking{}, false
	}
	e := b.newEntry(SourceTransaction, tx.ID, "", cmp.Or(tx.CompletedAt.Time, tx.CreatedAt.Time), Line{})
	return Booking{Exceptions: []Exception{e.exception(KindInvalidCurrency,
		fmt.Sprintf("transaction %s has a malformed currency (%s; want three upper-case letters such as GBP); it is not booked",
			tx.ID, strings.Join(reasons, ", ")))}}, true
}

// refuseExpense is refuseTransaction for an expense booked (or reported) on its own: its
// expense_date dates its entry.
func (b *Booker) refuseExpense(x revolut.Expense) (Booking, bool) {
	if !b.plausible.Contains(x.ExpenseDate.Time) {
		return b.refuseDate(SourceExpense, x.ID, fmt.Sprintf("expense %s has expense_date %s, outside the plausible range %s (sync.plausible_past_years, sync.plausible_future_days); it is not booked",
			x.ID, x.ExpenseDate.UTC().Format(time.RFC3339), b.plausible)), true
	}
	reasons := expenseCurrencyProblems(x)
	if len(reasons) == 0 {
		return Booking{}, false
	}
	e := b.newEntry(SourceExpense, x.ID, "", x.ExpenseDate.Time, Line{})
	return Booking{Exceptions: []Exception{e.exception(KindInvalidCurrency,
		fmt.Sprintf("expense %s has a malformed currency (%s; want three upper-case letters such as GBP); it is not booked",
			x.ID, strings.Join(reasons, ", ")))}}, true
}

func expenseCurrencyProblems(x revolut.Expense) []string {
	var out []string
	if c := x.SpentAmount.Currency; c != "" && !IsCurrencyCode(c) {
		out = append(out, fmt.Sprintf("expense %s spent currency %q", x.ID, c))
	}
	for i, s := range x.Splits {
		if c := s.Amount.Currency; c != "" && !IsCurrencyCode(c) {
			out = append(out, fmt.Sprintf("expense %s split %d currency %q", x.ID, i, c))
		}
	}
	return out
}

// refuseDate reports a record whose date is implausible. It belongs to no period and carries
// no date: a period for it is exactly what must not come into being.
func (b *Booker) refuseDate(source, id, reason string) Booking {
	return Booking{Exceptions: []Exception{{SourceType: source, SourceID: id, Kind: KindImplausibleDate, Reason: reason}}}
}
