package report_test

import (
	"context"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/transform"
)

var april = period.Month(2024, 4)

func cardSpend(t *testing.T, led *ledgertest.CardLedger, cards []transform.CardInfo) ([]report.CardRow, []report.CardRefRow) {
	t.Helper()
	s := report.NewCardSpend(april)
	for l, err := range led.LedgerLines(context.Background(), april.From, april.To) {
		if err != nil {
			t.Fatal(err)
		}
		s.Add(&l)
	}
	return s.Finish(cards)
}

// TestCardSpend checks every card row of ledgertest.CardSample against the figures computed
// by hand in its comment.
func TestCardSpend(t *testing.T) {
	t.Parallel()
	led := ledgertest.CardSample()
	rows, _ := cardSpend(t, led, led.CardList)
	want := []struct {
		card, digits, label, holder, state, cur string
		payments                                int
		paid                                    string
		refunds                                 int
		refunded, net                           string
		limit, limitCur, usage, flag, others    string
	}{
		// Sorted by holder: Ada, Alan, Grace.
		{"card-a", "0042", "Travel", "Ada Lovelace", "active", "EUR", 1, "100.00", 0, "0", "100.00", "1000.00", "GBP", "", "", "single GBP 500.00"},
		{"card-a", "0042", "Travel", "Ada Lovelace", "active", "GBP", 2, "850.00", 1, "50.00", "800.00", "1000.00", "GBP", "0.85", report.FlagNear, "single GBP 500.00"},
		{"card-c", "1111", "Old", "Alan Turing", "active — no longer listed since 2024-04-20", "GBP", 1, "60.00", 0, "0", "60.00", "", "", "", "", "day GBP 100.00"},
		{"card-b", "9876", "Marketing", "Grace Hopper", "locked (cannot be unlocked)", "GBP", 2, "325.50", 0, "0", "325.50", "300.00", "GBP", "1.085", report.FlagOver, ""},
	}
	if len(rows) != len(want) {
		t.Fatalf("%d card rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		limit, usage := "", ""
		if r.Limit.Valid {
			limit = r.Limit.Decimal.StringFixed(2)
		}
		if r.Usage.Valid {
			usage = r.Usage.Decimal.String()
		}
		if r.CardID != w.card || r.LastDigits != w.digits || r.Label != w.label || r.Holder != w.holder ||
			r.StateText() != w.state || r.Currency != w.cur || r.Payments != w.payments || !r.PaymentsTotal.Equal(ledgertest.D(w.paid)) ||
			r.Refunds != w.refunds || !r.RefundsTotal.Equal(ledgertest.D(w.refunded)) || !r.Net.Equal(ledgertest.D(w.net)) ||
			limit != w.limit || r.LimitCurrency != w.limitCur || usage != w.usage || r.Flag != w.flag || r.OtherLimits != w.others {
			t.Errorf("row %d:\n got %s %s %q %q %q %s: %d paid %s, %d refunded %s, net %s; limit %s %s used %s flag %q others %q\nwant %+v",
				i, r.CardID, r.LastDigits, r.Label, r.Holder, r.StateText(), r.Currency, r.Payments, r.PaymentsTotal, r.Refunds,
				r.RefundsTotal, r.Net, limit, r.LimitCurrency, usage, r.Flag, r.OtherLimits, w)
		}
		if r.LimitPeriod != transform.LimitMonth {
			t.Errorf("row %d: limit period %q, want month for a calendar month", i, r.LimitPeriod)
		}
	}
}

// TestCardSpendWithoutWarehouse: with no card list, a card is described by its lines, and
// no limit can be compared.
func TestCardSpendWithoutWarehouse(t *testing.T) {
	t.Parallel()
	rows, _ := cardSpend(t, ledgertest.CardSample(), nil)
	if len(rows) != 4 {
		t.Fatalf("%d rows, want 4", len(rows))
	}
	// card-b's lines carry no holder: sorted first, by label and digits from its lines.
	if r := rows[0]; r.CardID != "card-b" || r.Holder != "" || r.Label != "Marketing" || r.LastDigits != "9876" ||
		r.State != "" || r.Limit.Valid || r.Flag != "" || !r.PaymentsTotal.Equal(ledgertest.D("325.50")) {
		t.Errorf("card-b from its lines: %+v", r)
	}
}

// TestCardReferences: spend per reference is grouped by the references recorded on the
// transactions (RT1, RT2, RT3), not the card's current one (NEW9), which no row shows.
func TestCardReferences(t *testing.T) {
	t.Parallel()
	led := ledgertest.CardSample()
	_, refs := cardSpend(t, led, led.CardList)
	want := []struct {
		name, value, cur, cards string
		payments                int
		paid                    string
		refunds                 int
		refunded, net           string
	}{
		{"PNR", "RT1", "GBP", "0042", 1, "450.00", 1, "50.00", "400.00"},
		{"PNR", "RT2", "GBP", "0042", 1, "400.00", 0, "0", "400.00"},
		{"PNR", "RT3", "EUR", "0042", 1, "100.00", 0, "0", "100.00"},
		{"Traveller", "Ada", "GBP", "0042", 2, "850.00", 1, "50.00", "800.00"},
	}
	if len(refs) != len(want) {
		t.Fatalf("%d reference rows, want %d: %+v", len(refs), len(want), refs)
	}
	for i, w := range want {
		r := refs[i]
		if r.Name != w.name || r.Value != w.value || r.Currency != w.cur || r.Cards != w.cards || r.Payments != w.payments ||
			!r.PaymentsTotal.Equal(ledgertest.D(w.paid)) || r.Refunds != w.refunds ||
			!r.RefundsTotal.Equal(ledgertest.D(w.refunded)) || !r.Net.Equal(ledgertest.D(w.net)) {
			t.Errorf("reference row %d: got %+v, want %+v", i, r, w)
		}
	}
}

func TestLimitPeriod(t *testing.T) {
	t.Parallel()
	d := func(y int, m time.Month, day int) time.Time { return time.Date(y, m, day, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		from, to time.Time
		want     string
	}{
		{d(2024, 4, 1), d(2024, 5, 1), transform.LimitMonth},
		{d(2024, 2, 1), d(2024, 3, 1), transform.LimitMonth},
		{d(2024, 4, 3), d(2024, 4, 4), transform.LimitDay},
		{d(2024, 4, 1), d(2024, 4, 8), transform.LimitWeek},
		{d(2024, 4, 1), d(2024, 7, 1), transform.LimitQuarter},
		{d(2024, 1, 1), d(2025, 1, 1), transform.LimitYear},
		{d(2024, 4, 15), d(2024, 5, 15), ""}, // a month long but not a calendar month
		{d(2024, 4, 1), d(2024, 4, 20), ""},
	}
	for _, tc := range tests {
		if got := report.LimitPeriod(period.Period{From: tc.from, To: tc.to}); got != tc.want {
			t.Errorf("LimitPeriod [%s, %s) = %q, want %q", tc.from.Format(time.DateOnly), tc.to.Format(time.DateOnly), got, tc.want)
		}
	}
}
