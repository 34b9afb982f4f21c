package load

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/transform"
)

// eurLines is entryLines in EUR with base values: bank -10.00 EUR = -8.57 GBP, net +10.00 EUR
// = netBase GBP, at the HMRC-style rate 0.857.
func eurLines(sourceID, netBase string) []transform.Line {
	ls := entryLines(sourceID, "10.00")
	for i := range ls {
		ls[i].Currency = "EUR"
		ls[i].BaseRate, ls[i].RateSource = decimal.NewNullDecimal(dec("0.857")), transform.RateHMRC
	}
	ls[0].BaseAmount = decimal.NewNullDecimal(dec("-8.57"))
	ls[1].BaseAmount = decimal.NewNullDecimal(dec(netBase))
	return ls
}

func TestBaseValuesRoundTripAndVersion(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	w, run := lockAndRun(t, s)
	ctx := context.Background()

	// Booked first without a rate: no base values.
	none := entryLines("tx-fx", "10.00")
	for i := range none {
		none[i].Currency = "EUR"
	}
	if _, err := w.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-fx", Lines: none}}); err != nil {
		t.Fatal(err)
	}
	// The rate arrived: the same lines with base values are a new version.
	st, err := w.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-fx", Lines: eurLines("tx-fx", "8.57")}})
	if err != nil {
		t.Fatal(err)
	}
	if st.EntriesChanged != 1 || st.LinesWritten != 2 {
		t.Fatalf("valuing a booked entry: %+v, want 1 entry changed, 2 lines", st)
	}
	var got []string
	for l, err := range s.LedgerLines(ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("v%d %s %s %s = %s @ %s %s", l.Version, l.Key.Role, l.Amount, l.Currency, l.BaseAmount.Decimal, l.BaseRate.Decimal, l.RateSource))
	}
	want := "v2 bank -10 EUR = -8.57 @ 0.857 hmrc|v2 net 10 EUR = 8.57 @ 0.857 hmrc"
	if strings.Join(got, "|") != want {
		t.Fatalf("lines read back:\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
	// Written again unchanged: nothing.
	st, err = w.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-fx", Lines: eurLines("tx-fx", "8.57")}})
	if err != nil || st.LinesWritten != 0 {
		t.Fatalf("same base values again: %+v, %v; want nothing written", st, err)
	}
}

func TestBaseUnbalancedEntryIsRejected(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	w, run := lockAndRun(t, s)
	ctx := context.Background()

	// Balanced in EUR (-10.00 + 10.00) but not in GBP: -8.57 + 8.56 = -0.01.
	_, err := w.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-b", Lines: eurLines("tx-b", "8.56")}})
	if !errors.Is(err, ErrUnbalanced) || !strings.Contains(err.Error(), "base currency") {
		t.Fatalf("WriteBookings of a base-unbalanced entry: %v, want ErrUnbalanced in base currency", err)
	}
	if got := count(t, s, "SELECT count(*) FROM entry_versions"); got != 0 {
		t.Fatalf("%d entry versions written by a rejected write", got)
	}

	// Raw SQL, one line per statement: the base sums are added up across statements at commit.
	conn := connect(t, dsn)
	row := func(key, role string, amount, base string) string {
		b := "NULL, NULL"
		if base != "" {
			b = base + ", 0.857"
		}
		return fmt.Sprintf(`INSERT INTO ledger_rows (entry_id, version, line_key, source_type, source_id, line_index, role, run_id, booking_date, occurred_at, period, account_code, amount, currency, base_amount, base_rate)
			VALUES ('raw', 1, '%s', 'transaction', 'raw', 0, '%s', %d, '2025-01-01', now(), '2025-01', '1201', %s, 'EUR', %s)`, key, role, run, amount, b)
	}
	head := []string{
		fmt.Sprintf(`INSERT INTO entries VALUES ('raw', 'transaction', 'raw', 1, '\x00', false, '2025-01', %d)`, run),
		fmt.Sprintf(`INSERT INTO entry_versions (entry_id, version, run_id, lines_hash, period, tombstone) VALUES ('raw', 1, %d, '\x00', '2025-01', false)`, run),
	}
	exec := func(stmts ...string) error {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, q := range stmts {
			if _, err := tx.Exec(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return tx.Commit(ctx)
	}
	// -8.57 + 8.56 + 0.00 (a rounding line, amount 0) = -0.01: refused.
	if err := exec(append(head, row("k1", "bank", "-10", "-8.57"), row("k2", "net", "10", "8.56"), row("k3", "fx_rounding", "0", "0"))...); !errors.Is(interpret(err), ErrUnbalanced) {
		t.Fatalf("raw base-unbalanced commit: %v, want the base balance check to fail", err)
	}
	// A line without a base amount (a missing rate) leaves the version unchecked in base.
	if err := exec(append(head, row("k1", "bank", "-10", "-8.57"), row("k2", "net", "10", ""))...); err != nil {
		t.Fatalf("version with a line lacking a base amount: %v, want it accepted", err)
	}
	// Balanced in base over three statements, with a rounding line: accepted.
	head2 := []string{strings.ReplaceAll(head[0], "'raw'", "'raw2'"), strings.ReplaceAll(head[1], "'raw'", "'raw2'")}
	r := func(key, role, amount, base string) string {
		return strings.ReplaceAll(row(key, role, amount, base), "'raw'", "'raw2'")
	}
	if err := exec(append(head2, r("k1", "bank", "-10", "-8.57"), r("k2", "net", "10", "8.56"), r("k3", "fx_rounding", "0", "0.01"))...); err != nil {
		t.Fatalf("raw base-balanced commit: %v", err)
	}
}

func TestFlagMissingRatesForBooking(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	w, run := lockAndRun(t, s)
	ctx := context.Background()
	if _, err := w.LoadBatch(ctx, fullBatch(run, time.Date(2025, 1, 11, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	exc := transform.Exception{SourceType: transform.SourceTransaction, SourceID: "tx-1", EntryID: "transaction/tx-1", Period: "2025-01",
		Kind: transform.KindMissingFXRate, Reason: "no EUR→GBP rate for 2025-01-10 from hmrc"}
	if _, err := w.WriteBookings(ctx, run, []SourceBooking{
		{SourceType: transform.SourceTransaction, SourceID: "tx-1", Lines: entryLines("tx-1", "12.00"), Exceptions: []transform.Exception{exc}},
		{SourceType: transform.SourceTransaction, SourceID: "tx-2", Lines: entryLines("tx-2", "30.50")},
	}); err != nil {
		t.Fatal(err)
	}
	pending := func() int {
		return count(t, s, "SELECT count(*) FROM transactions WHERE needs_booking AND id IN ('tx-1', 'tx-2')")
	}
	if got := pending(); got != 0 {
		t.Fatalf("%d of tx-1, tx-2 still need booking after being booked", got)
	}
	n, err := w.FlagMissingRatesForBooking(ctx)
	if err != nil || n != 1 {
		t.Fatalf("FlagMissingRatesForBooking = %d, %v; want 1 (tx-1)", n, err)
	}
	if got := count(t, s, "SELECT count(*) FROM transactions WHERE needs_booking AND id = 'tx-1'"); got != 1 || pending() != 1 {
		t.Fatalf("tx-1 should be flagged, tx-2 not")
	}
}
