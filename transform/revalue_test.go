package transform

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// monthRates is a RateBook of rates by currency and day ("EUR 2026-01-31"), for the month
// ends of revaluation tests.
type monthRates map[string]string

func (m monthRates) BaseRate(cur string, day time.Time) (decimal.Decimal, string, bool) {
	v, ok := m[cur+" "+day.Format(time.DateOnly)]
	if !ok {
		return decimal.Decimal{}, "", false
	}
	return dec(v), RateHMRC, true
}

func (monthRates) Name() string { return RateHMRC }

func revalBooker(t *testing.T, rates RateBook, accounts ...revolut.Account) *Booker {
	t.Helper()
	s := testSettings()
	s.Accounts = accounts
	s.Rates = rates
	s.Location = time.UTC
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC) }

// renderReval prints a revaluation line: "entry date role account amount currency = base @ rate source".
func renderReval(l Line) string {
	return l.EntryID + " " + l.BookingDate.Format(time.DateOnly) + " " + l.Key.Role + " " + l.AccountCode + " " +
		l.Amount.String() + " " + l.Currency + " = " + l.BaseAmount.Decimal.StringFixed(2) + " @ " + l.BaseRate.Decimal.String() + " " + l.RateSource
}

func checkReval(t *testing.T, got Revaluation, want []string, wantKinds ...string) {
	t.Helper()
	var lines []string
	for _, l := range got.Lines {
		lines = append(lines, renderReval(l))
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("lines:\n  got  %s\n  want %s", strings.Join(lines, "\n       "), strings.Join(want, "\n       "))
	}
	var kinds []string
	for _, e := range got.Exceptions {
		kinds = append(kinds, e.Kind)
		if e.SourceType != SourceRevaluation || e.SourceID != got.AccountID {
			t.Errorf("exception %s belongs to %s/%s, want %s/%s", e.Kind, e.SourceType, e.SourceID, SourceRevaluation, got.AccountID)
		}
	}
	if !reflect.DeepEqual(kinds, wantKinds) {
		t.Errorf("exception kinds = %v, want %v", kinds, wantKinds)
		for _, e := range got.Exceptions {
			t.Logf("  %s: %s", e.Kind, e.Reason)
		}
	}
	// Every entry balances per currency (all amounts are 0) and in base currency.
	sums := map[string]decimal.Decimal{}
	for _, l := range got.Lines {
		if !l.Amount.IsZero() {
			t.Errorf("%s: amount %s, want 0 (a revaluation moves no currency)", l.Key, l.Amount)
		}
		sums[l.EntryID] = sums[l.EntryID].Add(l.BaseAmount.Decimal)
	}
	for id, s := range sums {
		if !s.IsZero() {
			t.Errorf("entry %s: base amounts sum to %s", id, s)
		}
	}
}

var eurAccount = revolut.Account{ID: "acc-eur", Name: "Euro", Currency: "EUR"}

// TestRevalueEUR: €1,000.00 received in January at 0.85 (booked base 850.00), nothing in
// February.
//
//	January:  C = 1,000.00, B = 850.00, R(31 Jan) = 0.86 → T = 1,000.00 × 0.86 = 860.00, D = 860.00 − 850.00 = +10.00
//	February: C = 1,000.00, B = 850.00 + 10.00 (January's revaluation) = 860.00,
//	          R(28 Feb) = 0.84 → T = 840.00, D = 840.00 − 860.00 = −20.00
//	March:    R(31 Mar) = 0.84 → T = 840.00 = B (860.00 − 20.00): no entry
func TestRevalueEUR(t *testing.T) {
	b := revalBooker(t, monthRates{"EUR 2026-01-31": "0.86", "EUR 2026-02-28": "0.84", "EUR 2026-03-31": "0.84"}, eurAccount)
	accounts := b.RevaluedAccounts()
	if want := []RevaluedAccount{{AccountID: "acc-eur", Code: "1201", Name: "Revolut Euro EUR", Currency: "EUR"}}; !reflect.DeepEqual(accounts, want) {
		t.Fatalf("RevaluedAccounts = %+v, want %+v", accounts, want)
	}
	balances := []MonthBalance{
		// Given out of order: Revalue sorts each account's months.
		{Code: "1201", Currency: "EUR", Month: month(2026, 2), Amount: dec("1000.00"), Base: dec("850.00")},
		{Code: "1201", Currency: "EUR", Month: month(2026, 1), Amount: dec("1000.00"), Base: dec("850.00")},
		{Code: "1201", Currency: "EUR", Month: month(2026, 3), Amount: dec("1000.00"), Base: dec("850.00")},
	}
	got := b.Revalue(accounts, balances)
	if len(got) != 1 {
		t.Fatalf("%d revaluations, want 1", len(got))
	}
	checkReval(t, got[0], []string{
		"reval:acc-eur:2026-01 2026-01-31 revaluation 1201 0 EUR = 10.00 @ 0.86 hmrc",
		"reval:acc-eur:2026-01 2026-01-31 fx_unrealised 7930 0 EUR = -10.00 @ 0.86 hmrc",
		"reval:acc-eur:2026-02 2026-02-28 revaluation 1201 0 EUR = -20.00 @ 0.84 hmrc",
		"reval:acc-eur:2026-02 2026-02-28 fx_unrealised 7930 0 EUR = 20.00 @ 0.84 hmrc",
	})
	l := got[0].Lines[0]
	if l.Description != "Month-end revaluation of Revolut Euro EUR at 1 EUR = 0.86 GBP" || l.RevolutAccountID != "acc-eur" ||
		l.Key.SourceType != SourceRevaluation || l.Key.SourceID != "acc-eur" || l.Key.Index != 202601 || l.Period != "2026-01" ||
		!l.OccurredAt.Equal(time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC)) || got[0].Lines[1].AccountName != "Unrealised FX gains/losses" {
		t.Errorf("bank line %+v", l)
	}

	// The books already hold January's revaluation and nothing else changed: the base
	// balances Revalue is given leave revaluation lines out, so it books the same again.
	again := b.Revalue(accounts, balances)
	if !reflect.DeepEqual(again, got) {
		t.Errorf("revaluing the same balances again gave other lines")
	}
}

// TestRevalueEarlierMonthChangesLaterOnes: a €100.00 payment received on 20 January at 0.85
// (base 85.00) arrives late. January's and February's balances change:
//
//	January:  C = 1,100.00, B = 850.00 + 85.00 = 935.00, T = 1,100.00 × 0.86 = 946.00, D = +11.00
//	February: C = 1,100.00, B = 935.00 + 11.00 = 946.00, T = 1,100.00 × 0.84 = 924.00, D = −22.00
func TestRevalueEarlierMonthChangesLaterOnes(t *testing.T) {
	b := revalBooker(t, monthRates{"EUR 2026-01-31": "0.86", "EUR 2026-02-28": "0.84"}, eurAccount)
	got := b.Revalue(b.RevaluedAccounts(), []MonthBalance{
		{Code: "1201", Currency: "EUR", Month: month(2026, 1), Amount: dec("1100.00"), Base: dec("935.00")},
		{Code: "1201", Currency: "EUR", Month: month(2026, 2), Amount: dec("1100.00"), Base: dec("935.00")},
	})
	checkReval(t, got[0], []string{
		"reval:acc-eur:2026-01 2026-01-31 revaluation 1201 0 EUR = 11.00 @ 0.86 hmrc",
		"reval:acc-eur:2026-01 2026-01-31 fx_unrealised 7930 0 EUR = -11.00 @ 0.86 hmrc",
		"reval:acc-eur:2026-02 2026-02-28 revaluation 1201 0 EUR = -22.00 @ 0.84 hmrc",
		"reval:acc-eur:2026-02 2026-02-28 fx_unrealised 7930 0 EUR = 22.00 @ 0.84 hmrc",
	})
}

// TestRevalueJPY: a yen account, 0 minor units, base GBP. ¥150,000 received at 0.0052
// (base 780.00); ¥20,000 paid at 0.0051 (base −102.00).
//
//	January: C = 150,000 − 20,000 = 130,000, B = 780.00 − 102.00 = 678.00,
//	         R = 0.005263 → T = 130,000 × 0.005263 = 684.19, D = 684.19 − 678.00 = +6.19
//	(the rate gives a base value with pennies even though the yen amount has no minor units)
func TestRevalueJPY(t *testing.T) {
	b := revalBooker(t, monthRates{"JPY 2026-01-31": "0.005263"}, revolut.Account{ID: "acc-jpy", Name: "Yen", Currency: "JPY"})
	accounts := b.RevaluedAccounts()
	if len(accounts) != 1 || accounts[0].Code != "1209" {
		t.Fatalf("RevaluedAccounts = %+v, want the yen account on 1209", accounts)
	}
	got := b.Revalue(accounts, []MonthBalance{{Code: "1209", Currency: "JPY", Month: month(2026, 1), Amount: dec("130000"), Base: dec("678.00")}})
	checkReval(t, got[0], []string{
		"reval:acc-jpy:2026-01 2026-01-31 revaluation 1209 0 JPY = 6.19 @ 0.005263 hmrc",
		"reval:acc-jpy:2026-01 2026-01-31 fx_unrealised 7930 0 JPY = -6.19 @ 0.005263 hmrc",
	})
}

// TestRevalueRoundsHalfAwayFromZero: €0.50 at 0.85 → T = 0.425 → 0.43 (half away from zero);
// B = 0.42 → D = +0.01. And −€0.50 → T = −0.425 → −0.43; B = −0.42 → D = −0.01.
func TestRevalueRoundsHalfAwayFromZero(t *testing.T) {
	b := revalBooker(t, monthRates{"EUR 2026-01-31": "0.85"}, eurAccount)
	got := b.Revalue(b.RevaluedAccounts(), []MonthBalance{{Code: "1201", Currency: "EUR", Month: month(2026, 1), Amount: dec("0.50"), Base: dec("0.42")}})
	checkReval(t, got[0], []string{
		"reval:acc-eur:2026-01 2026-01-31 revaluation 1201 0 EUR = 0.01 @ 0.85 hmrc",
		"reval:acc-eur:2026-01 2026-01-31 fx_unrealised 7930 0 EUR = -0.01 @ 0.85 hmrc",
	})
	got = b.Revalue(b.RevaluedAccounts(), []MonthBalance{{Code: "1201", Currency: "EUR", Month: month(2026, 1), Amount: dec("-0.50"), Base: dec("-0.42")}})
	checkReval(t, got[0], []string{
		"reval:acc-eur:2026-01 2026-01-31 revaluation 1201 0 EUR = -0.01 @ 0.85 hmrc",
		"reval:acc-eur:2026-01 2026-01-31 fx_unrealised 7930 0 EUR = 0.01 @ 0.85 hmrc",
	})
}

// TestRevalueMissingRate: no rate for 31 January. January is not revalued (an exception);
// February revalues from the books as they are:
//
//	February: C = 1,000.00, B = 850.00 (no January revaluation), R = 0.84 → T = 840.00, D = −10.00
func TestRevalueMissingRate(t *testing.T) {
	b := revalBooker(t, monthRates{"EUR 2026-02-28": "0.84"}, eurAccount)
	got := b.Revalue(b.RevaluedAccounts(), []MonthBalance{
		{Code: "1201", Currency: "EUR", Month: month(2026, 1), Amount: dec("1000.00"), Base: dec("850.00")},
		{Code: "1201", Currency: "EUR", Month: month(2026, 2), Amount: dec("1000.00"), Base: dec("850.00")},
	})
	checkReval(t, got[0], []string{
		"reval:acc-eur:2026-02 2026-02-28 revaluation 1201 0 EUR = -10.00 @ 0.84 hmrc",
		"reval:acc-eur:2026-02 2026-02-28 fx_unrealised 7930 0 EUR = 10.00 @ 0.84 hmrc",
	}, KindMissingFXRate)
	if e := got[0].Exceptions[0]; e.Period != "2026-01" || e.EntryID != "reval:acc-eur:2026-01" || !strings.Contains(e.Reason, "2026-01-31") {
		t.Errorf("exception %+v", e)
	}
	// No rate source at all: every month is an exception, nothing is booked.
	none := revalBooker(t, nil, eurAccount)
	got = none.Revalue(none.RevaluedAccounts(), []MonthBalance{{Code: "1201", Currency: "EUR", Month: month(2026, 1), Amount: dec("1000.00"), Base: dec("850.00")}})
	checkReval(t, got[0], nil, KindMissingFXRate)
}

// TestRevalueSkipsUnvaluedBalances: a line without a base value up to 31 January (and so up
// to every later month end) leaves the base balance unknown: no revaluation, an exception
// per month.
func TestRevalueSkipsUnvaluedBalances(t *testing.T) {
	b := revalBooker(t, monthRates{"EUR 2026-01-31": "0.86", "EUR 2026-02-28": "0.84"}, eurAccount)
	got := b.Revalue(b.RevaluedAccounts(), []MonthBalance{
		{Code: "1201", Currency: "EUR", Month: month(2026, 1), Amount: dec("1000.00"), Base: dec("850.00"), Unvalued: 1},
		{Code: "1201", Currency: "EUR", Month: month(2026, 2), Amount: dec("1000.00"), Base: dec("850.00"), Unvalued: 1},
	})
	checkReval(t, got[0], nil, KindRevaluationUnvalued, KindRevaluationUnvalued)
}

// TestRevaluedAccounts: base-currency accounts are not revalued; two EUR accounts have a
// code each (1201, then 1211: the test chart uses 1210) and are revalued apart; merged by currency, they are one
// balance revalued once, under the account opened first.
func TestRevaluedAccounts(t *testing.T) {
	opened := func(id, cur string, day int) revolut.Account {
		a := revolut.Account{ID: id, Name: id, Currency: cur}
		a.CreatedAt.Time = time.Date(2025, 1, day, 0, 0, 0, 0, time.UTC)
		return a
	}
	accounts := []revolut.Account{opened("gbp", "GBP", 1), opened("eur-b", "EUR", 3), opened("eur-a", "EUR", 2), opened("usd", "USD", 4)}
	b := revalBooker(t, nil, accounts...)
	var got []string
	for _, a := range b.RevaluedAccounts() {
		got = append(got, a.AccountID+" "+a.Code+" "+a.Currency+" "+a.Name)
	}
	if want := []string{"eur-a 1201 EUR Revolut eur-a EUR", "usd 1202 USD Revolut usd USD", "eur-b 1211 EUR Revolut eur-b EUR"}; !reflect.DeepEqual(got, want) {
		t.Errorf("RevaluedAccounts = %q, want %q", got, want)
	}

	s := testSettings()
	s.Accounts = accounts
	s.Chart.BankMergeByCurrency = true
	merged, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	got = nil
	for _, a := range merged.RevaluedAccounts() {
		got = append(got, a.AccountID+" "+a.Code+" "+a.Currency)
	}
	if want := []string{"eur-a 1201 EUR", "usd 1202 USD"}; !reflect.DeepEqual(got, want) {
		t.Errorf("merged RevaluedAccounts = %q, want %q", got, want)
	}
}

func TestRevaluationRatesNeeded(t *testing.T) {
	b := revalBooker(t, nil, eurAccount)
	got := b.RevaluationRatesNeeded([]MonthBalance{
		{Code: "1201", Currency: "EUR", Month: month(2026, 1)},
		{Code: "1210", Currency: "EUR", Month: month(2026, 1)},
		{Code: "1201", Currency: "EUR", Month: month(2024, 2)},
	})
	want := []RateNeed{{Currency: "EUR", Day: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)}, {Currency: "EUR", Day: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RevaluationRatesNeeded = %v, want %v", got, want)
	}
}
