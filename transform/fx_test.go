package transform

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// fixedRates is a RateBook of fixed rates by currency, the same on every day, and records
// what it was asked.
type fixedRates struct {
	source string
	rates  map[string]string
}

func (f fixedRates) BaseRate(cur string, _ time.Time) (decimal.Decimal, string, bool) {
	v, ok := f.rates[cur]
	if !ok {
		return decimal.Decimal{}, "", false
	}
	return dec(v), f.source, true
}

func (f fixedRates) Name() string { return f.source }

func fxBooker(t *testing.T, rates RateBook) *Booker {
	t.Helper()
	s := testSettings()
	s.Accounts = append(s.Accounts, revolut.Account{ID: "acc-usd", Name: "Dollar", Currency: "USD"})
	s.Rates = rates
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// renderBase prints a line with its base value: "role account amount currency = base
// (rate source)", or "= null" without one.
func renderBase(l Line) string {
	s := l.Key.Role + " " + l.AccountCode + " " + l.Amount.StringFixed(MinorUnits(l.Currency)) + " " + l.Currency
	if !l.BaseAmount.Valid {
		return s + " = null"
	}
	return s + " = " + l.BaseAmount.Decimal.StringFixed(2) + " (" + l.BaseRate.Decimal.String() + " " + l.RateSource + ")"
}

func checkBase(t *testing.T, got Booking, want []string, wantKinds ...string) {
	t.Helper()
	var lines []string
	for _, l := range got.Lines {
		lines = append(lines, renderBase(l))
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("lines:\n  got  %s\n  want %s", strings.Join(lines, "\n       "), strings.Join(want, "\n       "))
	}
	var gk []string
	for _, e := range got.Exceptions {
		gk = append(gk, e.Kind)
	}
	if !reflect.DeepEqual(gk, wantKinds) {
		t.Errorf("exception kinds = %v, want %v", gk, wantKinds)
		for _, e := range got.Exceptions {
			t.Logf("  %s: %s", e.Kind, e.Reason)
		}
	}
	checkInvariants(t, got)
}

// ukMerchant makes tx a purchase from a UK merchant, so that a UK VAT rate on a price in
// another currency is reclaimable (vat.go) and the entry has a VAT line to convert.
func ukMerchant(tx revolut.Transaction) revolut.Transaction {
	tx.Merchant = &revolut.Merchant{Name: "Eurostar", Country: "GB"}
	return tx
}

// hmrcEUR is HMRC's EUR rate of March 2024 as rates.HMRC answers EUR→GBP: HMRC publishes
// 1.1698 EUR per £1, and 1 ÷ 1.1698 = 0.85484698239015... rounded to rates.CrossDigits (10)
// significant digits is 0.8548469824.
const hmrcEUR = "0.8548469824"

func TestConvertCardPaymentAtReferenceRate(t *testing.T) {
	b := fxBooker(t, fixedRates{source: RateHMRC, rates: map[string]string{"EUR": hmrcEUR}})
	tx := ukMerchant(txn("fx1", revolut.TypeCardPayment, leg("acc-eur", "-10.01", "EUR")))
	x := expense("fx1x", "fx1", revolut.ExpenseApproved, "10.01", "EUR", split("10.01", "EUR", "cat-travel", "Travel", "493", "tr-std", "20"))
	// VAT: round(10.01 × 20/120) = round(1.66833) = 1.67; net 10.01 − 1.67 = 8.34.
	// Base at 0.8548469824:
	//   bank -10.01 × r = -8.55701829... → -8.56
	//   net    8.34 × r =  7.12942383... →  7.13
	//   VAT    1.67 × r =  1.42759446... →  1.43
	//   -8.56 + 7.13 + 1.43 = 0: no rounding line.
	checkBase(t, b.BookTransaction(tx, []revolut.Expense{x}), []string{
		"bank 1201 -10.01 EUR = -8.56 (0.8548469824 hmrc)",
		"net 493 8.34 EUR = 7.13 (0.8548469824 hmrc)",
		"vat 2201 1.67 EUR = 1.43 (0.8548469824 hmrc)",
	})
}

func TestConvertRoundsHalfAwayFromZero(t *testing.T) {
	b := fxBooker(t, fixedRates{source: RateHMRC, rates: map[string]string{"EUR": "0.85"}})
	tx := txn("fx2", revolut.TypeCardPayment, leg("acc-eur", "-10.10", "EUR"))
	// -10.10 × 0.85 = -8.585 → -8.59 (half away from zero; half-even would give -8.58), and
	// the suspense line +10.10 × 0.85 = +8.585 → +8.59.
	checkBase(t, b.BookTransaction(tx, nil), []string{
		"bank 1201 -10.10 EUR = -8.59 (0.85 hmrc)",
		"balancing 9999 10.10 EUR = 8.59 (0.85 hmrc)",
	}, KindMissingExpense)
}

func TestConvertRoundingLine(t *testing.T) {
	b := fxBooker(t, fixedRates{source: RateHMRC, rates: map[string]string{"EUR": hmrcEUR}})
	tx := ukMerchant(txn("fx3", revolut.TypeCardPayment, leg("acc-eur", "-10.03", "EUR")))
	x := expense("fx3x", "fx3", revolut.ExpenseApproved, "10.03", "EUR", split("10.03", "EUR", "cat-travel", "Travel", "493", "tr-std", "20"))
	// VAT: round(10.03 × 20/120) = round(1.67167) = 1.67; net 10.03 − 1.67 = 8.36.
	// Base at 0.8548469824:
	//   bank -10.03 × r = -8.57411523... → -8.57
	//   net    8.36 × r =  7.14652077... →  7.15
	//   VAT    1.67 × r =  1.42759446... →  1.43
	//   -8.57 + 7.15 + 1.43 = +0.01, so a rounding line of -0.01 on 7920, in EUR with amount 0
	//   (the bank line is the largest) at the same rate.
	checkBase(t, b.BookTransaction(tx, []revolut.Expense{x}), []string{
		"bank 1201 -10.03 EUR = -8.57 (0.8548469824 hmrc)",
		"net 493 8.36 EUR = 7.15 (0.8548469824 hmrc)",
		"vat 2201 1.67 EUR = 1.43 (0.8548469824 hmrc)",
		"fx_rounding 7920 0.00 EUR = -0.01 (0.8548469824 hmrc)",
	})
}

func TestConvertExchangeFromBaseIsExact(t *testing.T) {
	// No RateBook at all: the exchange's own legs value the EUR.
	b := fxBooker(t, nil)
	tx := txn("fx4", revolut.TypeExchange, leg("acc-gbp", "-100.00", "GBP"), leg("acc-eur", "117.13", "EUR"))
	// Rate: 100.00 / 117.13 = 0.853752241099632886536... → 18 decimal places.
	// EUR bank +117.13 is worth exactly the £100.00 given; the EUR clearing line -117.13 ×
	// rate = -99.99999999999999999... → -100.00. The clearing lines net to zero in GBP
	// (+100.00 − 100.00): no FX line.
	checkBase(t, b.BookTransaction(tx, nil), []string{
		"bank 1200 -100.00 GBP = -100.00 (1 base)",
		"bank 1201 117.13 EUR = 100.00 (0.853752241099632887 exchange)",
		"fx_clearing 1290 100.00 GBP = 100.00 (1 base)",
		"fx_clearing 1290 -117.13 EUR = -100.00 (0.853752241099632887 exchange)",
	})
}

func TestConvertExchangeAcrossForeignCurrenciesBooksRealisedFX(t *testing.T) {
	b := fxBooker(t, fixedRates{source: RateECB, rates: map[string]string{"EUR": "0.8548", "USD": "0.7897"}})
	tx := txn("fx5", revolut.TypeExchange, leg("acc-eur", "-100.00", "EUR"), leg("acc-usd", "108.00", "USD"))
	// EUR: -100.00 × 0.8548 = -85.48 given;  USD: 108.00 × 0.7897 = 85.2876 → 85.29 received.
	// The clearing lines are worth +85.48 (EUR) and -85.29 (USD): 0.19 left on FX clearing in
	// GBP, a loss of 85.48 − 85.29 = 0.19. It is taken off clearing (GBP -0.19) and debited
	// to realised FX gains/losses (GBP +0.19).
	checkBase(t, b.BookTransaction(tx, nil), []string{
		"bank 1201 -100.00 EUR = -85.48 (0.8548 ecb)",
		"bank 1202 108.00 USD = 85.29 (0.7897 ecb)",
		"fx_clearing 1290 100.00 EUR = 85.48 (0.8548 ecb)",
		"fx_clearing 1290 -108.00 USD = -85.29 (0.7897 ecb)",
		"fx_clearing_base 1290 -0.19 GBP = -0.19 (1 base)",
		"fx_gain_loss 7910 0.19 GBP = 0.19 (1 base)",
	})
}

func TestConvertJPY(t *testing.T) {
	// HMRC: 189.39 JPY per £1; 1 ÷ 189.39 = 0.0052801098262843... → 0.005280109826 (10 significant digits).
	b := fxBooker(t, fixedRates{source: RateHMRC, rates: map[string]string{"JPY": "0.005280109826"}})
	tx := ukMerchant(txn("fx6", revolut.TypeCardPayment, leg("acc-jpy", "-1500", "JPY")))
	x := expense("fx6x", "fx6", revolut.ExpenseApproved, "1500", "JPY", split("1500", "JPY", "cat-travel", "Travel", "493", "tr-std", "20"))
	// JPY has no minor units: VAT round(1500 × 20/120) = 250, net 1250.
	// Base: bank -1500 × r = -7.920164739 → -7.92; net 1250 × r = 6.6001372825 → 6.60;
	// VAT 250 × r = 1.3200274565 → 1.32. -7.92 + 6.60 + 1.32 = 0.
	checkBase(t, b.BookTransaction(tx, []revolut.Expense{x}), []string{
		"bank 1211 -1500 JPY = -7.92 (0.005280109826 hmrc)",
		"net 493 1250 JPY = 6.60 (0.005280109826 hmrc)",
		"vat 2201 250 JPY = 1.32 (0.005280109826 hmrc)",
	})
}

func TestConvertBillAmountInBase(t *testing.T) {
	// The publisher's rate is not used: the bill amount in GBP values the payment.
	b := fxBooker(t, fixedRates{source: RateHMRC, rates: map[string]string{"EUR": hmrcEUR}})
	l := leg("acc-eur", "-10.00", "EUR")
	l.BillAmount, l.BillCurrency = ndec("8.57"), "GBP"
	tx := txn("fx7", revolut.TypeCardPayment, l)
	// Rate 8.57 / 10.00 = 0.857; bank -8.57 exactly; suspense +10.00 × 0.857 = +8.57.
	checkBase(t, b.BookTransaction(tx, nil), []string{
		"bank 1201 -10.00 EUR = -8.57 (0.857 bill)",
		"balancing 9999 10.00 EUR = 8.57 (0.857 bill)",
	}, KindMissingExpense)
}

func TestConvertMissingRateBooksWithoutBaseValues(t *testing.T) {
	b := fxBooker(t, fixedRates{source: RateECB, rates: map[string]string{"USD": "0.7897"}})
	tx := txn("fx8", revolut.TypeExchange, leg("acc-eur", "-100.00", "EUR"), leg("acc-usd", "108.00", "USD"))
	got := b.BookTransaction(tx, nil)
	// USD has a rate but EUR has none: no line of the entry gets a base value (never a zero,
	// never half an entry).
	checkBase(t, got, []string{
		"bank 1201 -100.00 EUR = null",
		"bank 1202 108.00 USD = null",
		"fx_clearing 1290 100.00 EUR = null",
		"fx_clearing 1290 -108.00 USD = null",
	}, KindMissingFXRate)
	if r := got.Exceptions[0].Reason; !strings.Contains(r, "EUR→GBP") || !strings.Contains(r, "2024-09-14") || !strings.Contains(r, "ecb") {
		t.Errorf("reason %q should name the currency, the day and the source", r)
	}
	if !got.Booked || got.Exceptions[0].EntryID != "txn:fx8" {
		t.Errorf("booked %v, exception entry %q: the entry is booked all the same", got.Booked, got.Exceptions[0].EntryID)
	}
}

func TestConvertReversalNegatesBaseAmounts(t *testing.T) {
	b := fxBooker(t, fixedRates{source: RateHMRC, rates: map[string]string{"EUR": hmrcEUR}})
	tx := ukMerchant(txn("fx9", revolut.TypeCardPayment, leg("acc-eur", "-10.03", "EUR")))
	tx.State, tx.UpdatedAt = revolut.TransactionReverted, ts("2024-10-02T09:00:00Z")
	x := expense("fx9x", "fx9", revolut.ExpenseReverted, "10.03", "EUR", split("10.03", "EUR", "cat-travel", "Travel", "493", "tr-std", "20"))
	// The entry as in TestConvertRoundingLine, then its reversal: every base amount negated at
	// the original's rate (not October's), the rounding line included.
	checkBase(t, b.BookTransaction(tx, []revolut.Expense{x}), []string{
		"bank 1201 -10.03 EUR = -8.57 (0.8548469824 hmrc)",
		"net 493 8.36 EUR = 7.15 (0.8548469824 hmrc)",
		"vat 2201 1.67 EUR = 1.43 (0.8548469824 hmrc)",
		"fx_rounding 7920 0.00 EUR = -0.01 (0.8548469824 hmrc)",
		"bank:reversal 1201 10.03 EUR = 8.57 (0.8548469824 hmrc)",
		"net:reversal 493 -8.36 EUR = -7.15 (0.8548469824 hmrc)",
		"vat:reversal 2201 -1.67 EUR = -1.43 (0.8548469824 hmrc)",
		"fx_rounding:reversal 7920 0.00 EUR = 0.01 (0.8548469824 hmrc)",
	}, KindReversed)
}

func TestAdjustNegatesBaseAmounts(t *testing.T) {
	b := fxBooker(t, fixedRates{source: RateHMRC, rates: map[string]string{"EUR": "0.85"}})
	booked := b.BookTransaction(txn("fx10", revolut.TypeCardPayment, leg("acc-eur", "-10.10", "EUR")), nil).Lines
	lines := Adjust(booked, nil, Adjustment{EntryID: "adj:txn:fx10:v1:1", Date: time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC),
		AdjustsEntryID: "txn:fx10", AdjustsVersion: 1, AdjustsPeriod: "2024-09", Reason: AdjustmentReverted})
	var got []string
	for _, l := range lines {
		got = append(got, renderBase(l))
	}
	// -8.59 and +8.59 (TestConvertRoundsHalfAwayFromZero) reversed.
	want := []string{"bank:reversed 1201 10.10 EUR = 8.59 (0.85 hmrc)", "balancing:reversed 9999 -10.10 EUR = -8.59 (0.85 hmrc)"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("adjustment:\n  got  %v\n  want %v", got, want)
	}
}

func TestConvertReimbursementInForeignCurrency(t *testing.T) {
	b := fxBooker(t, fixedRates{source: RateHMRC, rates: map[string]string{"EUR": "0.85"}})
	x := expense("fx11", "", revolut.ExpenseApproved, "20.00", "EUR", split("20.00", "EUR", "cat-travel", "Travel", "493", "tr-zero", "0"))
	x.TransactionType = revolut.ExpenseTypeExternal
	// 20.00 × 0.85 = 17.00 each way.
	checkBase(t, b.BookExpense(x), []string{
		"net 493 20.00 EUR = 17.00 (0.85 hmrc)",
		"reimbursement 2250 -20.00 EUR = -17.00 (0.85 hmrc)",
	})
}

func TestRatesNeeded(t *testing.T) {
	b := fxBooker(t, nil)
	day := time.Date(2024, 9, 14, 0, 0, 0, 0, time.UTC)
	bill := leg("acc-eur", "-10.00", "EUR")
	bill.BillAmount, bill.BillCurrency = ndec("8.57"), "GBP"
	tests := []struct {
		name string
		tx   revolut.Transaction
		want []RateNeed
	}{
		{"base currency", txn("n1", revolut.TypeCardPayment, leg("acc-gbp", "-1.00", "GBP")), nil},
		{"foreign card payment", txn("n2", revolut.TypeCardPayment, leg("acc-eur", "-1.00", "EUR")), []RateNeed{{"EUR", day}}},
		{"bill in base", txn("n3", revolut.TypeCardPayment, bill), nil},
		{"exchange from base", txn("n4", revolut.TypeExchange, leg("acc-gbp", "-1.00", "GBP"), leg("acc-eur", "1.17", "EUR")), nil},
		{"exchange across foreign", txn("n5", revolut.TypeExchange, leg("acc-eur", "-1.00", "EUR"), leg("acc-usd", "1.08", "USD")),
			[]RateNeed{{"EUR", day}, {"USD", day}}},
		{"pending", with(txn("n6", revolut.TypeCardPayment, leg("acc-eur", "-1.00", "EUR")), func(tx *revolut.Transaction) { tx.State = revolut.TransactionPending }), nil},
	}
	for _, tt := range tests {
		if got := b.RatesNeeded(tt.tx, nil); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: RatesNeeded = %v, want %v", tt.name, got, tt.want)
		}
	}
}
