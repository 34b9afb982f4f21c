package xlsx_test

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/xlsx"
	"github.com/revledger/revledger/internal/period"
	"github.com/xuri/excelize/v2"
)

var november = period.Month(2026, 11)

// buildPeriod is build for any period.
func buildPeriod(t *testing.T, led *ledgertest.Ledger, p period.Period) *excelize.File {
	t.Helper()
	w, err := xlsx.New(xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	agg := report.NewAggregator()
	for l, err := range led.LedgerLines(context.Background(), p.From, p.To) {
		if err != nil {
			t.Fatal(err)
		}
		bank, split := agg.Add(&l)
		if err := w.Bank(bank); err != nil {
			t.Fatal(err)
		}
		if err := w.Line(&l, split); err != nil {
			t.Fatal(err)
		}
	}
	bank, sum := agg.Finish()
	if err := w.Bank(bank); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info := xlsx.Info{Company: "Acme Ltd", Period: p, RunID: "run-1", GeneratedAt: time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)}
	if _, err := w.WriteTo(&buf, info, sum); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

const (
	reverted      = "Payment reverted by the merchant, declined or failed after October 2026 was closed"
	recategorised = "Expense recategorised (category, VAT rate or labels changed) after October 2026 was closed"
)

// TestAdjustmentsSheet checks the Adjustments sheet of ledgertest.AdjustmentSample cell by
// cell, against figures written by hand (see AdjustmentSample's comment).
func TestAdjustmentsSheet(t *testing.T) {
	t.Parallel()
	f := buildPeriod(t, ledgertest.AdjustmentSample(), november)
	rows, err := f.GetRows("Adjustments", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	// 3 November 2026 is Excel serial 46329 (46023 = 1 Jan 2026, + 306 days); 10 November 46336.
	want := [][]string{
		{"Adjustment entry", "Date", "Original entry", "Original version", "Original period", "Reason", "Account code", "Account name", "Debit", "Credit", "Currency", "VAT rate", "Description", "Line key"},
		{"adj:txn:oct-1:v1:1", "46329", "txn:oct-1", "1", "2026-10", reverted, "1200", "Revolut GBP", "120", "", "GBP", "", "Shell: Fuel", "transaction/oct-1/0/bank:reversed"},
		{"adj:txn:oct-1:v1:1", "46329", "txn:oct-1", "1", "2026-10", reverted, "7400", "Motor expenses", "", "100", "GBP", "20% (VAT on Expenses)", "Shell: Fuel", "transaction/oct-1/0/net:reversed"},
		{"adj:txn:oct-1:v1:1", "46329", "txn:oct-1", "1", "2026-10", reverted, "2201", "VAT input", "", "20", "GBP", "20% (VAT on Expenses)", "Shell: Fuel", "transaction/oct-1/0/vat:reversed"},
		{"adj:txn:oct-2:v1:1", "46336", "txn:oct-2", "1", "2026-10", recategorised, "1200", "Revolut GBP", "60", "", "GBP", "", "Trainline: Train to Leeds", "transaction/oct-2/0/bank:reversed"},
		{"adj:txn:oct-2:v1:1", "46336", "txn:oct-2", "1", "2026-10", recategorised, "7500", "Travel", "", "50", "GBP", "20% (VAT on Expenses)", "Trainline: Train to Leeds", "transaction/oct-2/0/net:reversed"},
		{"adj:txn:oct-2:v1:1", "46336", "txn:oct-2", "1", "2026-10", recategorised, "2201", "VAT input", "", "10", "GBP", "20% (VAT on Expenses)", "Trainline: Train to Leeds", "transaction/oct-2/0/vat:reversed"},
		{"adj:txn:oct-2:v1:1", "46336", "txn:oct-2", "1", "2026-10", recategorised, "1200", "Revolut GBP", "", "60", "GBP", "", "Trainline: Train to Leeds", "transaction/oct-2/0/bank"},
		{"adj:txn:oct-2:v1:1", "46336", "txn:oct-2", "1", "2026-10", recategorised, "7600", "Staff welfare", "50", "", "GBP", "20% (VAT on Expenses)", "Trainline: Train to Leeds", "transaction/oct-2/0/net"},
		{"adj:txn:oct-2:v1:1", "46336", "txn:oct-2", "1", "2026-10", recategorised, "2201", "VAT input", "10", "", "GBP", "20% (VAT on Expenses)", "Trainline: Train to Leeds", "transaction/oct-2/0/vat"},
		nil,
		// Per reason (sorted) and currency: recategorised debits 60+50+10, credits 50+10+60;
		// reverted debits 120, credits 100+20.
		{"Total", "", "", "", "", recategorised, "", "", "120", "120", "GBP"},
		{"Total", "", "", "", "", reverted, "", "", "120", "120", "GBP"},
		nil,
		{"Check", "", "", "", "", "Each adjustment entry balances per currency", "PASS", "2 adjustment entries balance"},
	}
	if len(rows) != len(want) {
		t.Fatalf("Adjustments has %d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("row %d = %q\n want %q", i+1, rows[i], want[i])
		}
	}
	formula, _ := f.GetCellFormula("Adjustments", "I13")
	if want := `SUMIFS(I$2:I$10,$F$2:$F$10,"` + reverted + `",$K$2:$K$10,"GBP")`; formula != want {
		t.Errorf("I13 formula = %q, want %q", formula, want)
	}
	if tables, err := f.GetTables("Adjustments"); err != nil || len(tables) != 1 || tables[0].Range != "A1:N10" {
		t.Errorf("Adjustments table = %+v (%v), want one over A1:N10", tables, err)
	}

	// Summary: the count under the control totals and the check in the checks.
	summary, _ := f.GetRows("Summary")
	var count string
	var check []string
	for _, r := range summary {
		if len(r) >= 2 && r[0] == "Adjustments to closed periods" {
			count = r[1]
		}
		if len(r) >= 2 && r[0] == "Each adjustment entry balances per currency" {
			check = r
		}
	}
	if count != "2 entries" {
		t.Errorf("Summary adjustments = %q, want \"2 entries\"", count)
	}
	if !slices.Equal(check, []string{"Each adjustment entry balances per currency", "PASS", "2 adjustment entries balance"}) {
		t.Errorf("Summary check = %q", check)
	}
}

func TestAdjustmentsSheetEmptyAndUnbalanced(t *testing.T) {
	t.Parallel()
	f := buildPeriod(t, ledgertest.Sample(), march)
	rows, _ := f.GetRows("Adjustments")
	if len(rows) != 2 || rows[1][0] != xlsx.NoAdjustments || len(rows[1]) != 1 {
		t.Errorf("Adjustments without adjustments = %q", rows)
	}
	summary, _ := f.GetRows("Summary")
	found := false
	for _, r := range summary {
		if len(r) >= 2 && r[0] == "Adjustments to closed periods" {
			found = r[1] == "0 entries"
		}
		if len(r) > 0 && r[0] == "Each adjustment entry balances per currency" {
			t.Error("Summary lists the adjustment check without adjustments")
		}
	}
	if !found {
		t.Error("Summary does not say 0 adjustment entries")
	}

	// Without its VAT reversal line (−20.00) the first adjustment is 20.00 short of credits.
	led := ledgertest.AdjustmentSample()
	led.Rows = slices.Delete(led.Rows, 2, 3)
	f = buildPeriod(t, led, november)
	rows, _ = f.GetRows("Adjustments")
	last := rows[len(rows)-1]
	if want := []string{"Check", "", "", "", "", "Each adjustment entry balances per currency", "FAIL", "1 do not balance: adj:txn:oct-1:v1:1 (GBP off by 20)"}; !slices.Equal(last, want) {
		t.Errorf("check row = %q, want %q", last, want)
	}
}

// TestAdjustmentsVATSummary: an adjustment that reverses a split and books it anew (the
// recategorisation) counts both splits. VAT summary of AdjustmentSample at 20%, by hand:
// net −100.00 + 20.00 − 50.00 + 50.00 = −80.00, tax −20.00 + 4.00 − 10.00 + 10.00 = −16.00,
// gross −96.00, over 4 splits (the October VAT given back on the reverted payment, less
// November's 4.00).
func TestAdjustmentsVATSummary(t *testing.T) {
	t.Parallel()
	f := buildPeriod(t, ledgertest.AdjustmentSample(), november)
	rows, _ := f.GetRows("VAT summary", excelize.Options{RawCellValue: true})
	if got, want := rows[1], []string{"GBP", "20% (VAT on Expenses)", "0.2", "-80", "-16", "-96", "4"}; !slices.Equal(got, want) {
		t.Errorf("VAT row = %q, want %q", got, want)
	}
	expenses, _ := f.GetRows("Expenses")
	if len(expenses) != 5 {
		t.Errorf("Expenses has %d rows, want header + 4 splits", len(expenses))
	}
}
