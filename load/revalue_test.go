package load

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/transform"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// eurMove is a balanced EUR entry of a transaction: amount on the EUR bank account (1201)
// against FX clearing (1290), with base values (base "" for none, as a missing rate leaves).
func eurMove(id, date, amount, base string) SourceBooking {
	d := day(date)
	mk := func(role, code string, sign int64) transform.Line {
		l := transform.Line{
			Key:     transform.LineKey{SourceType: transform.SourceTransaction, SourceID: id, Role: role},
			Version: 1, EntryID: "txn:" + id, BookingDate: d, OccurredAt: d.Add(10 * time.Hour), Period: d.Format("2006-01"),
			AccountCode: code, Amount: dec(amount).Mul(decimal.NewFromInt(sign)), Currency: "EUR",
		}
		if base != "" {
			l.BaseAmount = decimal.NewNullDecimal(dec(base).Mul(decimal.NewFromInt(sign)))
			l.BaseRate, l.RateSource = decimal.NewNullDecimal(dec("0.85")), transform.RateHMRC
		}
		return l
	}
	return SourceBooking{SourceType: transform.SourceTransaction, SourceID: id, Lines: []transform.Line{mk("bank", "1201", 1), mk("fx_clearing", "1290", -1)}}
}

// reval is a revaluation of acc-eur at the end of month (YYYY-MM): base d on the bank, −d on 7930.
func reval(months ...[2]string) SourceBooking {
	b := SourceBooking{SourceType: transform.SourceRevaluation, SourceID: "acc-eur"}
	for _, m := range months {
		first := day(m[0] + "-01")
		last := first.AddDate(0, 1, -1)
		d := dec(m[1])
		for _, side := range []struct {
			role, code string
			base       decimal.Decimal
		}{{transform.RoleRevaluation, "1201", d}, {transform.RoleFXUnrealised, "7930", d.Neg()}} {
			b.Lines = append(b.Lines, transform.Line{
				Key: transform.LineKey{SourceType: transform.SourceRevaluation, SourceID: "acc-eur",
					Index: first.Year()*100 + int(first.Month()), Role: side.role},
				Version: 1, EntryID: transform.RevaluationEntryID("acc-eur", first), BookingDate: last, OccurredAt: last.Add(24*time.Hour - time.Second),
				Period: m[0], AccountCode: side.code, Amount: decimal.Zero, Currency: "EUR",
				BaseAmount: decimal.NewNullDecimal(side.base), BaseRate: decimal.NewNullDecimal(dec("0.86")), RateSource: transform.RateHMRC,
				Description: "Month-end revaluation of Revolut EUR", RevolutAccountID: "acc-eur",
			})
		}
	}
	return b
}

// TestRevaluationBalances: the month-end balances of the EUR account, from one query.
//
//	10 Jan  +1,000.00 EUR, base 850.00
//	31 Jan  revaluation +10.00 (left out of Base: Revalue adds what it books)
//	 5 Mar  −100.00 EUR, base −86.00
//	20 Mar  +50.00 EUR without a base value
//	 2 Apr  +7.00 EUR: after the last complete month (until = 1 April), left out
//
//	January:  C = 1,000.00, Base = 850.00, unvalued 0
//	February: no lines: as January
//	March:    C = 1,000.00 − 100.00 + 50.00 = 950.00, Base = 850.00 − 86.00 = 764.00, unvalued 1
//	April:    not complete, no balance
//
// Lines on FX clearing (1290) and other codes are not the account's.
func TestRevaluationBalances(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	w, run := lockAndRun(t, s)
	ctx := context.Background()
	if _, err := w.WriteBookings(ctx, run, []SourceBooking{
		eurMove("a", "2026-01-10", "1000.00", "850.00"),
		eurMove("b", "2026-03-05", "-100.00", "-86.00"),
		eurMove("c", "2026-03-20", "50.00", ""),
		eurMove("d", "2026-04-02", "7.00", "6.02"),
		reval([2]string{"2026-01", "10.00"}),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.RevaluationBalances(ctx, []transform.RevaluedAccount{{AccountID: "acc-eur", Code: "1201", Currency: "EUR"}}, day("2026-04-01"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, mb := range got {
		lines = append(lines, fmt.Sprintf("%s %s %s C=%s B=%s unvalued=%d", mb.Code, mb.Currency, mb.Month.Format(time.DateOnly),
			mb.Amount.StringFixed(2), mb.Base.StringFixed(2), mb.Unvalued))
	}
	want := []string{
		"1201 EUR 2026-01-01 C=1000.00 B=850.00 unvalued=0",
		"1201 EUR 2026-02-01 C=1000.00 B=850.00 unvalued=0",
		"1201 EUR 2026-03-01 C=950.00 B=764.00 unvalued=1",
	}
	if !reflect.DeepEqual(lines, want) {
		t.Errorf("balances:\n got  %s\n want %s", strings.Join(lines, "\n      "), strings.Join(want, "\n      "))
	}
	// An account without lines has no balances.
	none, err := s.RevaluationBalances(ctx, []transform.RevaluedAccount{{AccountID: "acc-usd", Code: "1202", Currency: "USD"}}, day("2026-04-01"))
	if err != nil || len(none) != 0 {
		t.Errorf("balances of an account without lines: %v, %v", none, err)
	}
}

// currentReval lists the current lines of the revaluation source: "entry vN period role base".
func currentReval(t *testing.T, s *Store) []string {
	t.Helper()
	rows, err := s.pool.Query(context.Background(), `SELECT entry_id, version, period, role, base_amount::text FROM ledger_current
		WHERE source_type = 'revaluation' ORDER BY entry_id, line_key`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id, period, role, base string
		var v int
		if err := rows.Scan(&id, &v, &period, &role, &base); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s v%d %s %s %s", id, v, period, role, base))
	}
	sort.Strings(out)
	return out
}

// TestRevaluationVersionsAndClosedPeriods: revaluation entries go through WriteBookings like
// any source. The same figures write nothing; a closed month's revaluation is never written
// again: its change is an adjustment in the first open period; a month no longer revalued
// is tombstoned.
func TestRevaluationVersionsAndClosedPeriods(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	w, run := lockAndRun(t, s)
	ctx := context.Background()
	write := func(b SourceBooking) WriteStats {
		t.Helper()
		st, err := w.WriteBookings(ctx, run, []SourceBooking{b})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// January +10.00, February −20.00.
	if st := write(reval([2]string{"2026-01", "10.00"}, [2]string{"2026-02", "-20.00"})); st.EntriesNew != 2 || st.LinesWritten != 4 {
		t.Fatalf("first write: %+v, want 2 new entries, 4 lines", st)
	}
	if st := write(reval([2]string{"2026-01", "10.00"}, [2]string{"2026-02", "-20.00"})); st.LinesWritten != 0 || st.EntriesUnchanged != 2 {
		t.Fatalf("same revaluations again: %+v, want nothing written", st)
	}

	// January closes; then the figures become January +11.00, February −22.00.
	if _, err := w.ClosePeriod(ctx, "2026-01", "test", ClosedByCommand, run); err != nil {
		t.Fatal(err)
	}
	write(reval([2]string{"2026-01", "11.00"}, [2]string{"2026-02", "-22.00"}))
	// January's entry stays version 1 with +10.00; the adjustment, dated in February (the
	// first open period), reverses its +10.00 and books +11.00: net +1.00 in February.
	want := []string{
		"adj:reval:acc-eur:2026-01:v1:1 v1 2026-02 fx_unrealised -11.00",
		"adj:reval:acc-eur:2026-01:v1:1 v1 2026-02 fx_unrealised:reversed 10.00",
		"adj:reval:acc-eur:2026-01:v1:1 v1 2026-02 revaluation 11.00",
		"adj:reval:acc-eur:2026-01:v1:1 v1 2026-02 revaluation:reversed -10.00",
		"reval:acc-eur:2026-01 v1 2026-01 fx_unrealised -10.00",
		"reval:acc-eur:2026-01 v1 2026-01 revaluation 10.00",
		"reval:acc-eur:2026-02 v2 2026-02 fx_unrealised 22.00",
		"reval:acc-eur:2026-02 v2 2026-02 revaluation -22.00",
	}
	if got := currentReval(t, s); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a change with January closed:\n got  %s\n want %s", strings.Join(got, "\n      "), strings.Join(want, "\n      "))
	}
	if n := count(t, s, `SELECT count(*) FROM entry_versions WHERE entry_id = 'reval:acc-eur:2026-01'`); n != 1 {
		t.Errorf("January's revaluation has %d versions, want 1 (closed)", n)
	}
	if st := write(reval([2]string{"2026-01", "11.00"}, [2]string{"2026-02", "-22.00"})); st.LinesWritten != 0 {
		t.Errorf("the same again after the adjustment: %+v, want nothing written", st)
	}

	// February is no longer revalued (its figure became zero): tombstoned; January as it is.
	if st := write(reval([2]string{"2026-01", "11.00"})); st.Tombstones != 1 || st.LinesWritten != 0 {
		t.Errorf("February no longer revalued: %+v, want 1 tombstone and no lines", st)
	}
	if got := currentReval(t, s); len(got) != 6 || strings.Contains(strings.Join(got, "|"), "reval:acc-eur:2026-02") {
		t.Errorf("after February's tombstone: %q", got)
	}
}

// TestFlagUnvaluedForBooking: sources whose current lines were booked without base values
// and without a missing_fx_rate exception (as before base values existed) are flagged for
// booking, once; those with an entry in a closed period are left as filed until it reopens.
func TestFlagUnvaluedForBooking(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	w, run := lockAndRun(t, s)
	ctx := context.Background()
	if _, err := w.LoadBatch(ctx, fullBatch(run, time.Date(2025, 1, 11, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	expenseLines := func(valued bool) []transform.Line {
		ls := entryLines("ex-2", "44.10")
		for i := range ls {
			ls[i].Key.SourceType, ls[i].EntryID = transform.SourceExpense, "exp:ex-2"
			if valued {
				ls[i].BaseAmount, ls[i].BaseRate, ls[i].RateSource = decimal.NewNullDecimal(ls[i].Amount), decimal.NewNullDecimal(dec("1")), transform.RateBase
			}
		}
		return ls
	}
	valued := func(id, debit string) []transform.Line {
		ls := entryLines(id, debit)
		for i := range ls {
			ls[i].BaseAmount, ls[i].BaseRate, ls[i].RateSource = decimal.NewNullDecimal(ls[i].Amount), decimal.NewNullDecimal(dec("1")), transform.RateBase
		}
		return ls
	}
	december := entryLines("tx-3", "5.00")
	for i := range december {
		december[i].BookingDate, december[i].Period = day("2024-12-20"), "2024-12"
	}
	missing := transform.Exception{SourceType: transform.SourceTransaction, SourceID: "tx-2", EntryID: "transaction/tx-2", Period: "2025-01",
		Kind: transform.KindMissingFXRate, Reason: "no EUR→GBP rate"}
	// As the code before base values wrote them: tx-1, ex-2 (2025-01) and tx-3 (2024-12,
	// closed below) without base values; tx-2 without them for a missing rate.
	if _, err := w.WriteBookings(ctx, run, []SourceBooking{
		{SourceType: transform.SourceTransaction, SourceID: "tx-1", Lines: entryLines("tx-1", "12.00")},
		{SourceType: transform.SourceTransaction, SourceID: "tx-2", Lines: entryLines("tx-2", "30.50"), Exceptions: []transform.Exception{missing}},
		{SourceType: transform.SourceTransaction, SourceID: "tx-3", Lines: december},
		{SourceType: transform.SourceExpense, SourceID: "ex-2", Lines: expenseLines(false)},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.ClosePeriod(ctx, "2024-12", "test", ClosedByCommand, run); err != nil {
		t.Fatal(err)
	}
	flagged := func() string {
		rows, err := s.pool.Query(ctx, `SELECT id FROM transactions WHERE needs_booking UNION ALL SELECT id FROM expenses WHERE needs_booking ORDER BY 1`)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		return strings.Join(ids, ",")
	}
	// ex-3 was loaded, never booked (ex-1 is booked with tx-1): it needs booking anyway.
	before := flagged()
	if before != "ex-3" {
		t.Fatalf("flagged before = %q, want ex-3", before)
	}
	n, err := w.FlagUnvaluedForBooking(ctx)
	if err != nil || n != 2 || flagged() != "ex-2,ex-3,tx-1" {
		t.Fatalf("FlagUnvaluedForBooking = %d, %v, flagged %q; want 2: tx-1 and ex-2 (tx-2 has its exception, tx-3 is closed)", n, err, flagged())
	}
	pending := func() bool {
		var p bool
		if err := s.pool.QueryRow(ctx, `SELECT pending FROM base_value_backfill`).Scan(&p); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if !pending() {
		t.Fatal("pending cleared by a run that flagged sources")
	}
	// The run books them with values; the next run finds nothing and stops looking.
	if _, err := w.WriteBookings(ctx, run, []SourceBooking{
		{SourceType: transform.SourceTransaction, SourceID: "tx-1", Lines: valued("tx-1", "12.00")},
		{SourceType: transform.SourceExpense, SourceID: "ex-2", Lines: expenseLines(true)},
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.FlagUnvaluedForBooking(ctx); err != nil || n != 0 || pending() {
		t.Fatalf("after booking them: %d, %v, pending %v; want 0 flagged and pending cleared", n, err, pending())
	}
	// From then on it does not look: a line without base values written now is not found
	// (none is: the booker gives every unvalued line a missing_fx_rate exception).
	if _, err := w.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-1", Lines: entryLines("tx-1", "12.00")}}); err != nil {
		t.Fatal(err)
	}
	if n, err := w.FlagUnvaluedForBooking(ctx); err != nil || n != 0 {
		t.Fatalf("with pending cleared: %d, %v; want 0 (not looked for)", n, err)
	}
	// Reopening December looks again: tx-3 is in an open period now, and tx-1 is found too.
	if _, err := w.ReopenPeriod(ctx, "2024-12", "test", "correct a VAT rate"); err != nil {
		t.Fatal(err)
	}
	if n, err := w.FlagUnvaluedForBooking(ctx); err != nil || n != 2 || !strings.Contains(flagged(), "tx-3") {
		t.Fatalf("after reopening 2024-12: %d, %v, flagged %q; want tx-1 and tx-3", n, err, flagged())
	}
}
