package revoluttest

import (
	"testing"
	"time"
)

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		opts Options
	}{
		{"negative transactions", Options{Transactions: -1}},
		{"negative expenses", Options{Expenses: -5}},
		{"span under an hour", Options{Span: time.Minute}},
		{"negative rate", Options{RatePerMinute: -1}},
		{"token ttl under a second", Options{TokenTTL: time.Millisecond}},
		{"empty bulk cluster", Options{BulkPayouts: []int{10, 0}}},
		{"quirks without room", Options{Transactions: 3, Quirks: true}},
	}
	for _, c := range cases {
		if _, err := New(c.opts); err == nil {
			t.Errorf("%s: New accepted %+v", c.name, c.opts)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	start := time.Now()
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := s.Truth()
	// Default: 2000 transactions, history ending at the wall clock.
	if len(d.Transactions) < 2000 || d.Now.Before(start.Add(-time.Second)) {
		t.Errorf("%d transactions, now %s", len(d.Transactions), d.Now)
	}
	// BulkPayouts: []int{} means no clusters; 200 transactions in a year rarely share an
	// instant, and never a hundred of them.
	s, _ = New(Options{Transactions: 200, BulkPayouts: []int{}, End: fixedEnd})
	for at, n := range clusters(s.Truth().Transactions) {
		if n > 2 {
			t.Errorf("%d transactions share %s without bulk payouts", n, at)
		}
	}
	// Expenses steers the expense count: 600 asked for 5000 transactions.
	s, _ = New(Options{Transactions: 5000, Expenses: 600, End: fixedEnd})
	if n := len(s.Truth().Expenses); n < 450 || n > 750 {
		t.Errorf("%d expenses, want about 600", n)
	}
}
