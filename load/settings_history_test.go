package load

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// TestSettingsHistory: each content change of a tax rate or category closes the version in
// force at the record's updated_at and opens the next; an unchanged re-load adds nothing; the
// expenses that use a changed rate are flagged for booking again.
func TestSettingsHistory(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	t0 := time.Date(2024, 6, 1, 9, 0, 0, 0, time.UTC)
	t1 := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	rate := func(pct string, updated time.Time) revolut.TaxRate {
		return revolut.TaxRate{ID: "tr-std", Name: "Standard " + pct + "%", Percentage: decimal.NewNullDecimal(decimal.RequireFromString(pct)),
			CreatedAt: revolut.Time{Time: t0}, UpdatedAt: revolut.Time{Time: updated}}
	}
	cat := func(name string, updated time.Time) revolut.AccountingCategory {
		return revolut.AccountingCategory{ID: "cat-1", Name: name, Code: "493", CreatedAt: revolut.Time{Time: t0}, UpdatedAt: revolut.Time{Time: updated}}
	}
	load := func(r revolut.TaxRate, c revolut.AccountingCategory) {
		t.Helper()
		if _, err := lock.LoadBatch(ctx, Batch{Stream: "settings", RunID: run, TaxRates: []revolut.TaxRate{r}, Categories: []revolut.AccountingCategory{c}}); err != nil {
			t.Fatal(err)
		}
	}
	load(rate("20", t0), cat("Travel", t0))
	ex := expense("ex-h", "tx-h", revolut.ExpenseApproved, "24.00")
	ex.Splits[0].TaxRate.ID = "tr-std"
	if _, err := lock.LoadBatch(ctx, Batch{Stream: "expenses", RunID: run, Expenses: []revolut.Expense{ex}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, "UPDATE expenses SET needs_booking = false"); err != nil {
		t.Fatal(err)
	}
	load(rate("20", t0), cat("Travel", t0)) // unchanged: no new version
	load(rate("5", t1), cat("Travel UK", t1))

	set, err := s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(set.TaxRateHistory); n != 2 {
		t.Fatalf("tax rate history has %d versions, want 2: %+v", n, set.TaxRateHistory)
	}
	v0, v1 := set.TaxRateHistory[0], set.TaxRateHistory[1]
	// First version: unbounded before, until t1 (the change's updated_at); then 5% from t1 on.
	if !v0.ValidFrom.IsZero() || !v0.ValidTo.Equal(t1) || !v0.Percentage.Decimal.Equal(decimal.NewFromInt(20)) ||
		!v1.ValidFrom.Equal(t1) || !v1.ValidTo.IsZero() || !v1.Percentage.Decimal.Equal(decimal.NewFromInt(5)) {
		t.Fatalf("tax rate history:\n%+v\n%+v", v0, v1)
	}
	if n := len(set.CategoryHistory); n != 2 || set.CategoryHistory[0].Name != "Travel" || !set.CategoryHistory[0].ValidTo.Equal(t1) ||
		set.CategoryHistory[1].Name != "Travel UK" || !set.CategoryHistory[1].ValidFrom.Equal(t1) {
		t.Fatalf("category history: %+v", set.CategoryHistory)
	}
	if got := count(t, s, "SELECT count(*) FROM expenses WHERE id = 'ex-h' AND needs_booking"); got != 1 {
		t.Fatalf("the expense using the changed rate is not flagged for booking")
	}
}
