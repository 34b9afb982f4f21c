package pipeline_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/rates/ratesfake"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/transform"
)

// withFakeHMRC serves the generated HMRC rates over HTTP and returns the config change that
// uses them.
func withFakeHMRC(t *testing.T, revalue bool) func(*pipeline.Config) {
	t.Helper()
	srv := httptest.NewServer(ratesfake.New(ratesfake.Options{To: start}).Handler())
	t.Cleanup(srv.Close)
	return func(c *pipeline.Config) {
		c.Rates = rates.NewHMRC(rates.HMRCOptions{BaseURL: srv.URL + "/hmrc/"})
		c.RevalueMonthEnd = revalue
	}
}

// monthEndBalance sums the current lines on code in cur dated up to end: C in the currency,
// B in base (revaluations included), and whether every line has a base value.
func monthEndBalance(ledger []transform.Line, code, cur string, end time.Time) (c, b decimal.Decimal, valued bool) {
	valued = true
	for _, l := range ledger {
		if l.AccountCode != code || l.Currency != cur || l.BookingDate.After(end) {
			continue
		}
		c = c.Add(l.Amount)
		if !l.BaseAmount.Valid {
			valued = false
		}
		b = b.Add(l.BaseAmount.Decimal)
	}
	return c, b, valued
}

// TestMonthEndRevaluation runs the pipeline against the fake Revolut API (history from 9
// January to 10 March 2026) and the fake HMRC publisher over HTTP, with the revaluation on.
// January and February are complete. After the run, at each of their month ends, every EUR
// bank account's base balance in the books is its EUR balance at HMRC's rate of the month:
//
//	January 2026:  (2026 × 12 + 1) = 24313, mod 7 = 2 → × 0.999 → 1.1698 × 0.999 = 1.1686302 → 1.1686 EUR per £1
//	               → EUR→GBP 1 / 1.1686 = 0.855724798904… → 0.8557247989
//	February 2026: 24314 mod 7 = 3 → × 1.000 → 1.1698 → 1 / 1.1698 = 0.854846982390… → 0.8548469824
//
// Then: a run with nothing new writes nothing; January closes, a January EUR payment settles for
// €100.00 more, and the next run leaves January's revaluation as it was (the change is an
// adjustment in February) while February's revaluation changes to bring the February
// balance to its rate again.
func TestMonthEndRevaluation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, revoluttest.Options{Seed: 11, Transactions: 600, Span: 60 * 24 * time.Hour})
	cfg := withFakeHMRC(t, true)
	rate := map[string]decimal.Decimal{"2026-01": decimal.RequireFromString("0.8557247989"), "2026-02": decimal.RequireFromString("0.8548469824")}
	ends := map[string]time.Time{"2026-01": time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), "2026-02": time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC)}

	if _, err := h.pipeline(cfg).Backfill(ctx, start.Add(-60*24*time.Hour), start); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	// The EUR bank accounts and their codes, from the bank lines.
	atRate := []string{"2026-01", "2026-02"} // the month ends whose balances check expects at their rate
	check := func(ledger []transform.Line) (revalued int) {
		t.Helper()
		codes := map[string]bool{}
		for _, l := range ledger {
			if l.Key.Role == transform.RoleBank && l.Currency == "EUR" {
				codes[l.AccountCode] = true
			}
		}
		if len(codes) == 0 {
			t.Fatal("the fake's data has no EUR bank lines; the test needs some")
		}
		for code := range codes {
			for _, month := range atRate {
				c, b, valued := monthEndBalance(ledger, code, "EUR", ends[month])
				if !valued {
					t.Errorf("%s at %s: lines without base values", code, month)
					continue
				}
				if want := transform.Round(c.Mul(rate[month]), "GBP"); !b.Equal(want) {
					t.Errorf("%s at the end of %s: EUR %s booked at GBP %s, want %s × %s = %s", code, month, c, b, c, rate[month], want)
				}
			}
		}
		sums := map[string]decimal.Decimal{}
		for _, l := range ledger {
			if l.Key.SourceType != transform.SourceRevaluation {
				continue
			}
			sums[l.EntryID] = sums[l.EntryID].Add(l.BaseAmount.Decimal)
			if !l.Amount.IsZero() || !strings.HasPrefix(l.Description, "Month-end revaluation of ") {
				t.Errorf("%s: amount %s, description %q", l.Key, l.Amount, l.Description)
			}
			switch l.Key.Role {
			case transform.RoleRevaluation:
				if l.Currency == "EUR" && !strings.HasPrefix(l.EntryID, transform.AdjustmentEntryPrefix) {
					revalued++
					if month := l.Period; !l.BaseRate.Decimal.Equal(rate[month]) || l.RateSource != transform.RateHMRC || !l.BookingDate.Equal(ends[month]) {
						t.Errorf("%s: rate %s (%s) on %s, want HMRC's %s on %s", l.Key, l.BaseRate.Decimal, l.RateSource, l.BookingDate, rate[month], ends[month])
					}
				}
			case transform.RoleFXUnrealised, transform.RoleRevaluation + transform.AdjustmentReversed, transform.RoleFXUnrealised + transform.AdjustmentReversed:
			default:
				t.Errorf("%s: unexpected role", l.Key)
			}
		}
		for id, s := range sums {
			if !s.IsZero() {
				t.Errorf("revaluation %s: base amounts sum to %s", id, s)
			}
		}
		return revalued
	}
	ledger := allLines(t, h.store)
	if n := check(ledger); n == 0 {
		t.Fatal("no EUR revaluation was booked; the test needs one")
	} else {
		t.Logf("first run: %d EUR month-end revaluations", n)
	}

	// The first nightly sync books the reimbursements the backfill's expense window left out
	// (none on a bank account); the one after it must write nothing.
	if _, err := h.pipeline(cfg).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	ledger = allLines(t, h.store)
	check(ledger)
	sum, err := h.pipeline(cfg).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.LinesWritten != 0 {
		t.Errorf("a run with nothing new wrote %d lines, want 0", sum.LinesWritten)
	}

	// January closes. A January EUR card payment then settles for €100.00 more.
	closePeriod(t, h.store, "2026-01")
	var changed transform.Line
	for _, l := range ledger {
		if l.Key.Role == transform.RoleBank && l.Currency == "EUR" && l.Period == "2026-01" && l.TransactionType == "card_payment" &&
			l.Amount.IsNegative() && !strings.HasSuffix(l.EntryID, transform.ReversalSuffix) && (changed.EntryID == "" || l.EntryID < changed.EntryID) {
			changed = l
		}
	}
	if changed.EntryID == "" {
		t.Fatal("no January EUR card payment to change")
	}
	if err := h.fake.ChangeAmount(changed.TransactionID, changed.Amount.Sub(decimal.NewFromInt(100))); err != nil {
		t.Fatal(err)
	}
	janVersions := map[string]int{}
	for _, l := range ledger {
		if l.Key.SourceType == transform.SourceRevaluation && l.Period == "2026-01" {
			janVersions[l.EntryID] = l.Version
		}
	}
	// A backfill over the history reads the January change (a nightly sync looks back 30 days).
	if _, err := h.pipeline(cfg).Backfill(ctx, start.Add(-60*24*time.Hour), start); err != nil {
		t.Fatal(err)
	}
	after := allLines(t, h.store)
	for _, l := range after {
		if l.Key.SourceType == transform.SourceRevaluation && l.Period == "2026-01" && janVersions[l.EntryID] != l.Version {
			t.Errorf("%s: January's revaluation is at version %d, was %d: a closed month was rewritten", l.Key, l.Version, janVersions[l.EntryID])
		}
	}
	var adjusted bool
	for _, l := range after {
		adjusted = adjusted || (l.AdjustsEntryID == changed.EntryID && l.Period == "2026-02")
	}
	if !adjusted {
		t.Fatalf("the change to %s was not booked as an adjustment in February", changed.EntryID)
	}
	// Both month ends are at their rates: January's balance is as it was (the adjustment is
	// dated in February), and February's revaluation took the change in.
	check(after)
	var febChanged bool
	for _, l := range after {
		febChanged = febChanged || (l.Key.SourceType == transform.SourceRevaluation && l.Period == "2026-02" &&
			l.AccountCode == changed.AccountCode && l.Version > 1)
	}
	if !febChanged {
		t.Errorf("February's revaluation of %s did not change after €100.00 more left the account in January", changed.AccountCode)
	}
}

// TestUnvaluedEntriesValuedOnce: a ledger booked by a version without base values (every
// line's base value NULL, no missing_fx_rate exception), in a database migrated since (0013
// sets base_value_backfill.pending). The next run books again, once, the sources in open
// periods, which gain base values; January, closed, stays as filed; the run after writes
// nothing.
func TestUnvaluedEntriesValuedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testenv.Database(t)
	fake := revoluttest.NewTestServer(t, revoluttest.Options{Seed: 12, Transactions: 300, Span: 60 * 24 * time.Hour, End: start,
		Clock: func() time.Time { return start }})
	store, err := load.Open(ctx, dsn, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, fake: fake, store: store, dir: t.TempDir(), now: func() time.Time { return start }}
	h.client = h.newClient()
	cfg := withFakeHMRC(t, false)
	if _, err := h.pipeline(cfg).Backfill(ctx, start.Add(-60*24*time.Hour), start); err != nil {
		t.Fatal(err)
	}

	// Book every source again as the old code did: the same lines without base values.
	bySource := map[[2]string][]transform.Line{}
	for _, l := range h.ledger() {
		l.BaseAmount, l.BaseRate, l.RateSource = decimal.NullDecimal{}, decimal.NullDecimal{}, ""
		k := [2]string{l.Key.SourceType, l.Key.SourceID}
		bySource[k] = append(bySource[k], l)
	}
	var old []load.SourceBooking
	for k, lines := range bySource {
		old = append(old, load.SourceBooking{SourceType: k[0], SourceID: k[1], Lines: lines})
	}
	w, err := store.AcquireRunLock(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	run, err := store.StartRun(ctx, load.RunSync, time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteBookings(ctx, run, old); err != nil {
		t.Fatal(err)
	}
	if err := store.FinishRun(ctx, run, load.Outcome{Status: load.RunSucceeded}); err != nil {
		t.Fatal(err)
	}
	if err := w.Release(ctx); err != nil {
		t.Fatal(err)
	}
	closePeriod(t, store, "2026-01")
	// What migration 0013 does to a database booked by older code.
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE base_value_backfill SET pending = true`); err != nil {
		t.Fatal(err)
	}

	sum, err := h.pipeline(cfg).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var jan, valued int
	now := h.ledger()
	inJanuary := map[[2]string]bool{} // sources with an entry in January: left as filed, all of them
	for _, l := range now {
		if l.Period == "2026-01" {
			inJanuary[[2]string{l.Key.SourceType, l.Key.SourceID}] = true
		}
	}
	for _, l := range now {
		switch {
		case inJanuary[[2]string{l.Key.SourceType, l.Key.SourceID}]:
			jan++
			if l.BaseAmount.Valid || l.AdjustsEntryID != "" {
				t.Errorf("%s: January is closed, but its line was valued or adjusted (base %v, adjusts %q)", l.Key, l.BaseAmount, l.AdjustsEntryID)
			}
		case l.AdjustsEntryID != "":
			t.Errorf("%s: adjustment of %s booked for the upgrade", l.Key, l.AdjustsEntryID)
		case !l.BaseAmount.Valid:
			t.Errorf("%s (%s): still without a base value after the upgrade run", l.Key, l.Period)
		default:
			valued++
		}
	}
	if jan == 0 || valued == 0 {
		t.Fatalf("%d January lines, %d lines valued; the test needs both", jan, valued)
	}
	t.Logf("upgrade run: %d entries changed, %d lines valued, %d January lines left as filed", sum.EntriesChanged, valued, jan)
	var pending bool
	if err := conn.QueryRow(ctx, `SELECT pending FROM base_value_backfill`).Scan(&pending); err != nil {
		t.Fatal(err)
	}
	sum, err = h.pipeline(cfg).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.LinesWritten != 0 {
		t.Errorf("the run after the upgrade wrote %d lines, want 0", sum.LinesWritten)
	}
	if err := conn.QueryRow(ctx, `SELECT pending FROM base_value_backfill`).Scan(&pending); err != nil || pending {
		t.Errorf("base_value_backfill.pending = %v (%v) after a run that found nothing, want false", pending, err)
	}
}
