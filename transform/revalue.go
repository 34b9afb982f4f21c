package transform

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Month-end revaluation of foreign-currency bank balances (optional; the pipeline's
// RevalueMonthEnd). A bank account in a currency other than the base currency holds a fixed
// amount of that currency whose base value moves with the rate; its base balance in the books
// is the sum of the base values its movements were booked at. At each month end the base
// balance is brought to the balance at the month end's reference rate, with the difference on
// the unrealised FX gains/losses account:
//
//	C = the account's balance in its currency at the month end (every current line on its bank
//	    code, in its currency, dated up to and including the month's last day)
//	B = its base balance then (the same lines' base amounts, with the revaluations of earlier
//	    months)
//	R = the reference rate of the currency for the month's last day (the configured publisher)
//	T = Round(C × R, base currency)    D = T − B
//
// When D ≠ 0 the entry "reval:<account id>:<YYYY-MM>", dated the month's last day, has two
// lines (line index YYYYMM) in the account's currency with amount 0 (the currency balances are untouched): the
// bank line with base amount D and the unrealised FX line with −D, both at rate R.
//
// Revaluations are cumulative, not reversed: each month revalues to that month end from
// where the previous revaluation left the account, so the base balance at every month end is
// T. Reversing each revaluation on the 1st and revaluing in full gives the same balances at
// every month end, but doubles the entries and needs the reversals kept in step with their
// originals when an earlier month changes; and an accounting package importing the journal
// then takes each revaluation as a plain journal, with nothing to reverse.
const (
	// RoleRevaluation is the revaluation's line on the bank account.
	RoleRevaluation = "revaluation"
	// RoleFXUnrealised is the revaluation's line on the chart's unrealised FX account.
	RoleFXUnrealised = "fx_unrealised"
	// RevaluationEntryPrefix starts the id of every revaluation entry: "reval:<account>:<YYYY-MM>".
	RevaluationEntryPrefix = "reval:"
	// KindRevaluationUnvalued: the account has lines without a base value up to a month end
	// (a missing rate, or lines booked before base values existed in a closed period), so its
	// base balance is unknown and the month is not revalued.
	KindRevaluationUnvalued = "revaluation_unvalued"
)

// RevaluedAccount is a foreign-currency bank account revalued at month ends: the Revolut
// account that owns the revaluation entries, and the bank code and currency of the lines
// whose balance is revalued.
type RevaluedAccount struct {
	AccountID string
	Code      string // bank GL code (Chart.ForAccounts)
	Name      string // the code's display name, e.g. "Revolut Main EUR"
	Currency  string
}

// MonthBalance is what the ledger holds on one bank code in one currency at the end of one
// month: cumulative sums over the current lines dated up to the month's last day.
type MonthBalance struct {
	Code     string
	Currency string
	Month    time.Time       // the month's first day, midnight UTC
	Amount   decimal.Decimal // C: sum of the lines' amounts
	// Base is the sum of the lines' base amounts, revaluation lines (SourceRevaluation,
	// their adjustments included) left out: Revalue adds the revaluations it books itself, so
	// that a changed month carries into the months after it within one run.
	Base decimal.Decimal
	// Unvalued counts the lines without a base amount.
	Unvalued int64
}

// Revaluation is what Revalue books for one account: an entry per month end whose base
// balance moved, and the month ends it could not revalue, as exceptions.
type Revaluation struct {
	AccountID  string // the source id (SourceRevaluation)
	Lines      []Line
	Exceptions []Exception
}

// RevaluationEntryID is "reval:<account id>:<YYYY-MM>".
func RevaluationEntryID(accountID string, month time.Time) string {
	return RevaluationEntryPrefix + accountID + ":" + month.Format("2006-01")
}

// RevaluedAccounts lists the bank accounts to revalue: every Revolut account in a currency
// other than the base currency, by bank code and currency. Accounts that share a code in one
// currency (Chart.BankMergeByCurrency) are one balance in the books, revalued once, under the
// account opened first (then by id). Sorted by code, currency.
func (b *Booker) RevaluedAccounts() []RevaluedAccount {
	ids := make([]string, 0, len(b.accounts))
	for id := range b.accounts {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(x, y string) int {
		return cmp.Or(b.accounts[x].CreatedAt.Compare(b.accounts[y].CreatedAt.Time), strings.Compare(x, y))
	})
	seen := map[[2]string]bool{}
	var out []RevaluedAccount
	for _, id := range ids {
		cur := strings.ToUpper(strings.TrimSpace(b.accounts[id].Currency))
		if id == "" || !IsCurrencyCode(cur) || cur == b.baseCurrency {
			continue
		}
		code := b.chart.bankCode(id, cur)
		if seen[[2]string{code, cur}] {
			continue
		}
		seen[[2]string{code, cur}] = true
		out = append(out, RevaluedAccount{AccountID: id, Code: code, Name: b.chart.name(code, ""), Currency: cur})
	}
	slices.SortFunc(out, func(x, y RevaluedAccount) int {
		return cmp.Or(strings.Compare(x.Code, y.Code), strings.Compare(x.Currency, y.Currency))
	})
	return out
}

// monthEnd is the last day of the month starting at month, midnight UTC.
func monthEnd(month time.Time) time.Time {
	y, m, _ := month.Date()
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC)
}

// RevaluationRatesNeeded lists the reference rates Revalue will ask for: the currency of
// each balance on its month's last day.
func (b *Booker) RevaluationRatesNeeded(balances []MonthBalance) []RateNeed {
	seen := map[RateNeed]bool{}
	var out []RateNeed
	for _, mb := range balances {
		n := RateNeed{Currency: strings.ToUpper(mb.Currency), Day: monthEnd(mb.Month)}
		if n.Currency != b.baseCurrency && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// Revalue books the month-end revaluations of accounts from their month-end balances (any
// order; a month without a balance has none to revalue), one Revaluation per account, in the
// order of accounts. For each account the months are taken in order, and the revaluations
// booked for the earlier months are added to the base balance of the later ones.
//
// A month end is not revalued, with an exception, when the account has lines without a base
// value up to it (KindRevaluationUnvalued) or when there is no rate for its last day
// (KindMissingFXRate); the next month end revalues from where the books are.
func (b *Booker) Revalue(accounts []RevaluedAccount, balances []MonthBalance) []Revaluation {
	byCode := map[[2]string][]MonthBalance{}
	for _, mb := range balances {
		k := [2]string{mb.Code, strings.ToUpper(mb.Currency)}
		byCode[k] = append(byCode[k], mb)
	}
	out := make([]Revaluation, 0, len(accounts))
	for _, a := range accounts {
		months := byCode[[2]string{a.Code, a.Currency}]
		slices.SortFunc(months, func(x, y MonthBalance) int { return x.Month.Compare(y.Month) })
		out = append(out, b.revalueAccount(a, months))
	}
	return out
}

func (b *Booker) revalueAccount(a RevaluedAccount, months []MonthBalance) Revaluation {
	base := b.baseCurrency
	rv := Revaluation{AccountID: a.AccountID}
	booked := decimal.Zero // the revaluations booked for the earlier months
	name := cmp.Or(a.Name, a.Code)
	for _, mb := range months {
		last := monthEnd(mb.Month)
		y, m, d := last.Date()
		// The end of the month's last day in the business's time zone.
		at := time.Date(y, m, d, 23, 59, 59, 0, b.loc).UTC()
		id := RevaluationEntryID(a.AccountID, mb.Month)
		period := mb.Month.Format("2006-01")
		except := func(kind, reason string) {
			rv.Exceptions = append(rv.Exceptions, Exception{SourceType: SourceRevaluation, SourceID: a.AccountID,
				EntryID: id, Period: period, OccurredAt: at, Kind: kind, Reason: reason})
		}
		if mb.Unvalued > 0 {
			except(KindRevaluationUnvalued, fmt.Sprintf("%s has %d line(s) without a %s value up to %s, so its %s balance is not known; it was not revalued at this month end",
				name, mb.Unvalued, base, last.Format(time.DateOnly), base))
			continue
		}
		rate, src, ok := decimal.Zero, "", false
		if b.rates != nil {
			rate, src, ok = b.rates.BaseRate(a.Currency, last)
		}
		if !ok || !rate.IsPositive() {
			except(KindMissingFXRate, fmt.Sprintf("no %s→%s rate for %s from %s; %s was not revalued at this month end",
				a.Currency, base, last.Format(time.DateOnly), b.rateSourceName(), name))
			continue
		}
		target := Round(mb.Amount.Mul(rate), base)
		diff := target.Sub(mb.Base.Add(booked))
		if diff.IsZero() {
			continue
		}
		booked = booked.Add(diff)
		// The month as YYYYMM is the lines' index: one source books an entry per month, and
		// a line key names one line of the source.
		index := y*100 + int(m)
		desc := fmt.Sprintf("Month-end revaluation of %s at 1 %s = %s %s", name, a.Currency, rate.String(), base)
		line := func(role, code string, amount decimal.Decimal) Line {
			return Line{
				Key:     LineKey{SourceType: SourceRevaluation, SourceID: a.AccountID, Index: index, Role: role},
				Version: 1, EntryID: id, BookingDate: last, OccurredAt: at, Period: period,
				AccountCode: code, AccountName: b.chart.name(code, ""),
				Amount: decimal.Zero, Currency: a.Currency,
				BaseAmount: decimal.NewNullDecimal(amount), BaseRate: decimal.NewNullDecimal(rate), RateSource: src,
				Description: desc,
			}
		}
		bank := line(RoleRevaluation, a.Code, diff)
		bank.RevolutAccountID = a.AccountID
		rv.Lines = append(rv.Lines, bank, line(RoleFXUnrealised, cmp.Or(b.chart.FXUnrealised, DefaultChart().FXUnrealised), diff.Neg()))
	}
	return rv
}
