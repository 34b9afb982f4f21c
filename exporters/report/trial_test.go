package report_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
)

var march = [2]time.Time{time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)}

// summarise runs the aggregator over led's March lines with its February openings.
func summarise(t *testing.T, led *ledgertest.Ledger) report.Summary {
	t.Helper()
	ctx := context.Background()
	agg := report.NewAggregator()
	agg.SetBaseCurrency("GBP")
	o, err := led.OpeningBalances(ctx, march[0])
	if err != nil {
		t.Fatal(err)
	}
	agg.SetOpening(o)
	for l, err := range led.LedgerLines(ctx, march[0], march[1]) {
		if err != nil {
			t.Fatal(err)
		}
		agg.Add(&l)
	}
	_, sum := agg.Finish()
	return sum
}

func checkNamed(sum report.Summary, name string) (report.Check, bool) {
	for _, c := range sum.Checks {
		if c.Name == name {
			return c, true
		}
	}
	return report.Check{}, false
}

// The figures are worked out by hand in ledgertest.TrialSample's comment.
func TestBaseTrialBalance(t *testing.T) {
	t.Parallel()
	sum := summarise(t, ledgertest.TrialSample())
	tb := sum.Base
	type row struct{ code, opening, debit, credit, movement, closing string }
	want := []row{
		{"1210", "1000.00", "0", "123.45", "-123.45", "876.55"}, // 1,000.00 − 123.45 = 876.55
		{"1229", "170.00", "0", "42.50", "-42.50", "127.50"},    // 170.00 − 42.50 = 127.50
		{"1300", "0", "0", "0", "0", "0"},                       // JPY only: not converted
		{"2201", "0", "20.58", "0", "20.58", "20.58"},
		{"3000", "-1000.00", "0", "0", "0", "-1000.00"},
		{"6200", "0", "0", "0", "0", "0"},
		{"7400", "0", "102.87", "0", "102.87", "102.87"},
		{"10000", "-170.00", "0", "0", "0", "-170.00"},
		{"SUSP", "0", "42.50", "0", "42.50", "42.50"},
	}
	var codes []string
	for _, r := range tb.Rows {
		codes = append(codes, r.AccountCode)
	}
	if len(tb.Rows) != len(want) {
		t.Fatalf("accounts %q", codes)
	}
	for i, w := range want {
		r := tb.Rows[i]
		if r.AccountCode != w.code || !r.Opening.Equal(ledgertest.D(w.opening)) || !r.Debit.Equal(ledgertest.D(w.debit)) ||
			!r.Credit.Equal(ledgertest.D(w.credit)) || !r.Movement.Equal(ledgertest.D(w.movement)) || !r.Closing.Equal(ledgertest.D(w.closing)) {
			t.Errorf("row %d = %s %s %s %s %s %s, want %v", i, r.AccountCode, r.Opening, r.Debit, r.Credit, r.Movement, r.Closing, w)
		}
	}
	// Totals: zero except debits = credits = 20.58 + 102.87 + 42.50 = 165.95.
	tt := tb.Totals
	if !tt.Opening.IsZero() || !tt.Movement.IsZero() || !tt.Closing.IsZero() ||
		!tt.Debit.Equal(ledgertest.D("165.95")) || !tt.Credit.Equal(ledgertest.D("165.95")) {
		t.Errorf("totals %+v", tt)
	}
	// The JPY lines have no rate: listed, and the trial balance does not count as totalling.
	if len(tb.Unconverted) != 1 || tb.Unconverted[0].Currency != "JPY" || tb.Unconverted[0].Lines != 2 ||
		!tb.Unconverted[0].Amount.IsZero() || len(tb.OpeningUnconverted) != 0 {
		t.Errorf("unconverted %+v / %+v", tb.Unconverted, tb.OpeningUnconverted)
	}
	if tb.Balances() {
		t.Error("a trial balance with unconverted lines reported as balancing")
	}
	if c, ok := checkNamed(sum, "Trial balance totals zero in GBP"); !ok || c.Passed {
		t.Errorf("trial balance check %+v", c)
	}

	// With a rate for the JPY lines (¥1,000 at 0.0052 = 5.20 each way) it totals.
	led := ledgertest.TrialSample()
	for i := range led.Rows {
		if led.Rows[i].Currency == "JPY" {
			led.Rows[i].BaseRate = ledgertest.ND("0.0052")
			led.Rows[i].BaseAmount = ledgertest.ND(map[bool]string{true: "-5.20", false: "5.20"}[led.Rows[i].Amount.IsNegative()])
		}
	}
	sum = summarise(t, led)
	if !sum.Base.Balances() {
		t.Errorf("converted trial balance does not balance: %+v", sum.Base.Totals)
	}
	if c, _ := checkNamed(sum, "Trial balance totals zero in GBP"); !c.Passed {
		t.Errorf("trial balance check %+v", c)
	}
}

func TestAccountCodeOrder(t *testing.T) {
	t.Parallel()
	codes := []string{"SUSP", "10000", "2201", "1229", "CLR1200", "1210", "0410", "410", "999"}
	slices.SortFunc(codes, report.AccountCodeOrder)
	want := []string{"0410", "410", "999", "1210", "1229", "2201", "10000", "CLR1200", "SUSP"}
	if !slices.Equal(codes, want) {
		t.Errorf("order %q, want %q", codes, want)
	}
}

func TestBankReconciliation(t *testing.T) {
	t.Parallel()
	type rec struct{ id, from, opening, moves, closing, reported, diff string }
	run := func(t *testing.T, led *ledgertest.Ledger, want []rec, passed bool) {
		t.Helper()
		sum := summarise(t, led)
		if len(sum.Banks) != len(want) {
			t.Fatalf("banks %+v", sum.Banks)
		}
		for i, w := range want {
			b := sum.Banks[i]
			if b.RevolutAccountID != w.id || b.OpeningFrom != w.from || !b.Opening.Equal(ledgertest.D(w.opening)) ||
				!b.Movements.Equal(ledgertest.D(w.moves)) || !b.Closing.Equal(ledgertest.D(w.closing)) ||
				!b.Reported.Decimal.Equal(ledgertest.D(w.reported)) || !b.Difference.Decimal.Equal(ledgertest.D(w.diff)) {
				t.Errorf("bank %d = %+v, want %+v", i, b, w)
			}
		}
		if c, ok := checkNamed(sum, "Bank accounts reconcile to Revolut"); !ok || c.Passed != passed {
			t.Errorf("reconciliation check %+v, want passed %v", c, passed)
		}
	}
	t.Run("ties", func(t *testing.T) {
		run(t, ledgertest.TrialSample(), []rec{
			{"acc-gbp", report.OpeningReported, "1000.00", "-123.45", "876.55", "876.55", "0"}, // 1,000.00 − 123.45
			{"acc-eur", report.OpeningReported, "200.00", "-50.00", "150.00", "150.00", "0"},   // 200.00 − 50.00
			{"acc-jpy", report.OpeningFirstLine, "5000", "-1000", "4000", "4000", "0"},         // 4,000 + 1,000 − 1,000
		}, true)
	})
	t.Run("a movement missing", func(t *testing.T) {
		// Revolut says 870.00 after m1: it moved 6.55 more than the ledger holds.
		// closing 1,000.00 − 123.45 = 876.55; difference 876.55 − 870.00 = 6.55.
		led := ledgertest.TrialSample()
		led.SetBankBalance("m1", "870.00")
		run(t, led, []rec{
			{"acc-gbp", report.OpeningReported, "1000.00", "-123.45", "876.55", "870.00", "6.55"},
			{"acc-eur", report.OpeningReported, "200.00", "-50.00", "150.00", "150.00", "0"},
			{"acc-jpy", report.OpeningFirstLine, "5000", "-1000", "4000", "4000", "0"},
		}, false)
	})
	t.Run("a reverted payment", func(t *testing.T) {
		// On 8 March a £10.00 card payment completes (Revolut reports 866.55 after it) and is
		// then reverted: the reversing entry puts the £10.00 back, and Revolut's balance on
		// the payment's leg stays the snapshot from before the revert. The ledger nets to
		// zero, so the balance to compare with is the one after m1: closing 1,000.00 −
		// 123.45 − 10.00 + 10.00 = 876.55 against Revolut's 876.55, difference 0 (the
		// snapshot would give 876.55 − 866.55 = 10.00).
		led := ledgertest.TrialSample()
		at := time.Date(2024, 3, 8, 10, 0, 0, 0, time.UTC)
		for _, r := range []struct {
			entry, role, amount string
			at                  time.Time
			balance             decimal.NullDecimal
		}{
			{"m4", "bank", "-10.00", at, decimal.NewNullDecimal(ledgertest.D("866.55"))},
			{"m4" + transform.ReversalSuffix, "bank" + transform.ReversalSuffix, "10.00", at.Add(2 * time.Hour), decimal.NullDecimal{}},
		} {
			led.Rows = append(led.Rows, transform.Line{
				Key:     transform.LineKey{SourceType: transform.SourceTransaction, SourceID: "m4", Role: r.role},
				Version: 1, EntryID: r.entry, BookingDate: r.at.Truncate(24 * time.Hour), OccurredAt: r.at, Period: "2024-03",
				AccountCode: "1210", AccountName: "Revolut Main GBP", Amount: ledgertest.D(r.amount), Currency: "GBP",
				BaseAmount: decimal.NewNullDecimal(ledgertest.D(r.amount)), BaseRate: decimal.NewNullDecimal(decimal.NewFromInt(1)),
				TransactionID: "m4", TransactionType: "card_payment", TransactionState: "reverted",
				RevolutAccountID: "acc-gbp", BankBalance: r.balance,
			})
		}
		run(t, led, []rec{
			{"acc-gbp", report.OpeningReported, "1000.00", "-123.45", "876.55", "876.55", "0"},
			{"acc-eur", report.OpeningReported, "200.00", "-50.00", "150.00", "150.00", "0"},
			{"acc-jpy", report.OpeningFirstLine, "5000", "-1000", "4000", "4000", "0"},
		}, true)
	})
	t.Run("no opening source", func(t *testing.T) {
		// Without openings each account opens from its first reported balance in March:
		// GBP 876.55 + 123.45 = 1,000.00, EUR 150.00 + 50.00 = 200.00: the same figures.
		ctx := context.Background()
		agg := report.NewAggregator()
		for l, err := range ledgertest.TrialSample().LedgerLines(ctx, march[0], march[1]) {
			if err != nil {
				t.Fatal(err)
			}
			agg.Add(&l)
		}
		_, sum := agg.Finish()
		if b := sum.Banks[0]; b.OpeningFrom != report.OpeningFirstLine || !b.Opening.Equal(ledgertest.D("1000.00")) || !b.Reconciles() {
			t.Errorf("GBP without openings: %+v", b)
		}
		if sum.Base.OpeningKnown {
			t.Error("openings known without a source")
		}
	})
}
