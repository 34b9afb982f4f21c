package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/transform"
)

// allLines reads every current ledger line (adjustment lines share their keys with the lines
// they adjust, so they cannot be keyed by line key).
func allLines(t *testing.T, store *load.Store) []transform.Line {
	t.Helper()
	var out []transform.Line
	for l, err := range store.LedgerLines(context.Background(), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			t.Fatalf("read ledger: %v", err)
		}
		out = append(out, l)
	}
	return out
}

// closePeriod closes period through the run lock, as `revledger close` does.
func closePeriod(t *testing.T, store *load.Store, period string) {
	t.Helper()
	ctx := context.Background()
	w, err := store.AcquireRunLock(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Release(ctx) }()
	if ok, err := w.ClosePeriod(ctx, period, "test", load.ClosedByCommand, 0); err != nil || !ok {
		t.Fatalf("close %s: %v (closed %v)", period, err, ok)
	}
}

// TestClosedPeriodAdjustments: February is exported and closed; then one February card
// payment is reverted (Revolut reverts its expense too), another's expense is recategorised and
// a third's expense rejected. The next sync leaves February's CSVs byte-identical and books, in
// March (the first open period), one adjustment entry per changed payment: the exact reversal
// of the February lines (read from the warehouse before the change) plus the new booking. A
// second sync writes nothing. The trial balance over every period equals a fresh booking of the
// final state in a new warehouse.
// closedFiles returns the SHA-256 of every file of a period's export folder but the manifest
// (which may name the run that wrote it again) and the history of earlier versions: the CSVs
// and the workbook, Exceptions sheet included, must not change once the period is closed.
func closedFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || e.Name() == "manifest.json" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(data)
		out[e.Name()] = hex.EncodeToString(sum[:])
	}
	return out
}

func TestClosedPeriodAdjustments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: start}
	fake := revoluttest.NewTestServer(t, revoluttest.Options{
		Seed: 7, Transactions: 600, Span: 40 * day, End: start, Clock: func() time.Time { return start },
	})
	h := newFaultHarnessWithFake(t, fake, clock.Now)
	p := h.pipeline(nil)
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	// Three completed single-leg February card payments, created within the look-back, each
	// with one approved expense of one split.
	truth := fake.Truth()
	expOf := map[string]revolut.Expense{}
	for _, x := range truth.Expenses {
		expOf[x.TransactionID] = x
	}
	var picked []revolut.Transaction
	for _, tx := range truth.Transactions {
		x, ok := expOf[tx.ID]
		if tx.State == revolut.TransactionCompleted && tx.Type == revolut.TypeCardPayment && len(tx.Legs) == 1 &&
			tx.CompletedAt.Time.Format("2006-01") == "2026-02" && tx.CreatedAt.Time.After(start.Add(-25*day)) &&
			ok && x.State == revolut.ExpenseApproved && len(x.Splits) == 1 {
			picked = append(picked, tx)
		}
		if len(picked) == 3 {
			break
		}
	}
	if len(picked) < 3 {
		t.Fatalf("the fake has %d fitting February card payments, want 3", len(picked))
	}
	booked := map[string][]transform.Line{} // entry id → its February lines as stored
	for _, l := range h.ledger() {
		for _, tx := range picked {
			if l.EntryID == "txn:"+tx.ID {
				booked[l.EntryID] = append(booked[l.EntryID], l)
			}
		}
	}
	closePeriod(t, h.store, "2026-02")
	before := closedFiles(t, h.dir+"/2026-02")
	if len(before) == 0 {
		t.Fatal("February was not exported")
	}

	var other revolut.AccountingCategory
	x1 := expOf[picked[1].ID]
	for _, c := range truth.Categories {
		if c.ID != x1.Splits[0].Category.ID && c.Code != "" {
			other = c
			break
		}
	}
	if err := fake.RevertTransaction(picked[0].ID); err != nil {
		t.Fatal(err)
	}
	if err := fake.RecategoriseExpense(x1.ID, other.ID); err != nil {
		t.Fatal(err)
	}
	if err := fake.RejectExpense(expOf[picked[2].ID].ID); err != nil {
		t.Fatal(err)
	}
	advance(fake, clock, day)
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	after := closedFiles(t, h.dir+"/2026-02")
	for f, sum := range before {
		if after[f] != sum {
			t.Errorf("closed February's %s changed: %s → %s", f, sum, after[f])
		}
	}
	if _, err := os.Stat(h.dir + "/2026-02/history"); err == nil {
		t.Errorf("closed February was exported again with different files (it has a history/ folder)")
	}
	adj := map[string][]transform.Line{} // adjusted entry → adjustment lines
	for _, l := range allLines(t, h.store) {
		if l.AdjustsEntryID != "" {
			adj[l.AdjustsEntryID] = append(adj[l.AdjustsEntryID], l)
		}
	}
	wantReason := []string{transform.AdjustmentReverted, transform.AdjustmentRecategorised, transform.AdjustmentExpenseRejected}
	for i, tx := range picked {
		id := "txn:" + tx.ID
		lines := adj[id]
		if len(lines) == 0 {
			t.Errorf("%s: no adjustment", id)
			continue
		}
		// Each reversal line is the stored February line negated; the rest is the new booking.
		rev := map[string]decimal.Decimal{}
		newSum := decimal.Zero
		for _, l := range lines {
			if l.Period != "2026-03" || l.AdjustsPeriod != "2026-02" || l.AdjustsVersion != 1 || l.AdjustmentReason != wantReason[i] ||
				l.EntryID != transform.AdjustmentEntryID(id, 1, 1) {
				t.Errorf("%s: adjustment line %s: period %s adjusts %s v%d reason %s entry %s", id, l.Key, l.Period, l.AdjustsPeriod,
					l.AdjustsVersion, l.AdjustmentReason, l.EntryID)
			}
			if transform.IsAdjustmentReversal(l) {
				rev[strings.TrimSuffix(l.Key.String(), transform.AdjustmentReversed)+"|"+l.AccountCode] = l.Amount
			} else {
				newSum = newSum.Add(l.Amount)
			}
		}
		if len(rev) != len(booked[id]) {
			t.Errorf("%s: %d reversal lines, %d booked", id, len(rev), len(booked[id]))
		}
		for _, b := range booked[id] {
			if got := rev[b.Key.String()+"|"+b.AccountCode]; !got.Equal(b.Amount.Neg()) {
				t.Errorf("%s: reversal of %s on %s is %s, want %s", id, b.Key, b.AccountCode, got, b.Amount.Neg())
			}
		}
		if !newSum.IsZero() {
			t.Errorf("%s: new booking does not balance: %s", id, newSum)
		}
		if i == 0 {
			for _, l := range lines {
				if !transform.IsAdjustmentReversal(l) {
					t.Errorf("reverted %s: the adjustment rebooks %s; a reverted payment books nothing", id, l.Key)
				}
			}
		}
	}

	// Idempotent: the same sync again writes no entry version.
	c := h.conn()
	versions := func() string { return queryString(t, c, "SELECT count(*)::text FROM entry_versions") }
	n := versions()
	advance(fake, clock, time.Hour)
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := versions(); got != n {
		t.Errorf("a second sync wrote entry versions: %s → %s", n, got)
	}

	// Trial balance: sum per account and currency over all current lines equals a fresh
	// booking of the final state.
	tb := func(ls []transform.Line) map[string]string {
		s := map[string]decimal.Decimal{}
		for _, l := range ls {
			s[l.AccountCode+" "+l.Currency] = s[l.AccountCode+" "+l.Currency].Add(l.Amount)
		}
		out := map[string]string{}
		for k, v := range s {
			if !v.IsZero() {
				out[k] = v.StringFixed(2)
			}
		}
		return out
	}
	fresh := newFaultHarnessWithFake(t, fake, clock.Now)
	if _, err := fresh.pipeline(nil).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	got, want := tb(allLines(t, h.store)), tb(allLines(t, fresh.store))
	for k, v := range want {
		if got[k] != v {
			t.Errorf("trial balance %s: %s, fresh booking %s", k, got[k], v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("trial balance %s: %s, fresh booking has none", k, v)
		}
	}
}
