package xlsx_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/xlsx"
)

// buildWithOpenings writes led's March workbook as the exporter does when the ledger gives
// opening balances.
func buildWithOpenings(t *testing.T, led *ledgertest.Ledger) *excelize.File {
	t.Helper()
	ctx := context.Background()
	w, err := xlsx.New(xlsx.Options{BaseCurrency: "GBP"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	agg := report.NewAggregator()
	o, err := led.OpeningBalances(ctx, march.From)
	if err != nil {
		t.Fatal(err)
	}
	agg.SetOpening(o)
	for l, err := range led.LedgerLines(ctx, march.From, march.To) {
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
	info := xlsx.Info{Period: march, RunID: "run-1", GeneratedAt: time.Date(2024, 4, 1, 2, 0, 0, 0, time.UTC)}
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

// The Trial balance sheet of ledgertest.TrialSample (figures by hand in its comment): accounts
// in numeric order with opening + movement = closing, a totals row of zeros (debits = credits
// = 165.95), and the JPY lines listed under it as not converted; the Summary says the trial
// balance does not total.
func TestTrialBalanceSheet(t *testing.T) {
	t.Parallel()
	f := buildWithOpenings(t, ledgertest.TrialSample())
	rows, _ := f.GetRows("Trial balance", excelize.Options{RawCellValue: true})
	want := [][]string{
		{"1210", "Revolut Main GBP", "1000", "", "123.45", "-123.45", "876.55"}, // 1,000.00 − 123.45 = 876.55
		{"1229", "Revolut EUR", "170", "", "42.5", "-42.5", "127.5"},            // 170.00 − 42.50 = 127.50
		{"1300", "Revolut JPY", "0", "", "", "0", "0"},
		{"2201", "VAT input", "0", "20.58", "", "20.58", "20.58"},
		{"3000", "Capital", "-1000", "", "", "0", "-1000"},
		{"6200", "Subsistence", "0", "", "", "0", "0"},
		{"7400", "Travel", "0", "102.87", "", "102.87", "102.87"},
		{"10000", "Customer deposits", "-170", "", "", "0", "-170"},
		{"SUSP", "Suspense", "0", "42.5", "", "42.5", "42.5"},
	}
	for i, w := range want {
		if got := rows[i+1]; !slices.Equal(got, w) {
			t.Errorf("row %d = %q, want %q", i+2, got, w)
		}
	}
	if got := rows[len(want)+2]; !slices.Equal(got, []string{"", "Total", "0", "165.95", "165.95", "0", "0"}) {
		t.Errorf("totals row %q", got)
	}
	if got, _ := f.GetCellFormula("Trial balance", "G12"); got != "SUM(G2:G10)" {
		t.Errorf("closing total formula %q", got)
	}
	var notConverted []string
	for _, r := range rows[len(want)+3:] {
		notConverted = append(notConverted, strings.Join(r, "|"))
	}
	text := strings.Join(notConverted, "\n")
	if !strings.Contains(text, "Not converted (missing rate)") || !strings.Contains(text, "JPY|in the period|2|0") {
		t.Errorf("not-converted block:\n%s", text)
	}

	summary, _ := f.GetRows("Summary")
	found := false
	for _, r := range summary {
		if len(r) >= 3 && r[0] == "Trial balance totals zero in GBP" {
			found = true
			if r[1] != "FAIL" || !strings.Contains(r[2], "does not total") || !strings.Contains(r[2], "2 lines") {
				t.Errorf("summary check %q", r)
			}
		}
	}
	if !found {
		t.Error("the Summary has no trial-balance check")
	}
}

// The Bank reconciliation sheet: each account ties (difference 0) until Revolut reports a
// balance the ledger does not reach: 876.55 against 870.00 is a difference of 6.55,
// highlighted and marked NO.
func TestBankReconciliationSheet(t *testing.T) {
	t.Parallel()
	f := buildWithOpenings(t, ledgertest.TrialSample())
	rows, _ := f.GetRows("Bank reconciliation", excelize.Options{RawCellValue: true})
	want := [][]string{
		{"acc-gbp", "1210", "Revolut Main GBP", "GBP", report.OpeningReported, "1000", "-123.45", "1", "876.55", "876.55", "0", "yes"},
		{"acc-eur", "1229", "Revolut EUR", "EUR", report.OpeningReported, "200", "-50", "1", "150", "150", "0", "yes"},
		{"acc-jpy", "1300", "Revolut JPY", "JPY", report.OpeningFirstLine, "5000", "-1000", "1", "4000", "4000", "0", "yes"},
	}
	for i, w := range want {
		if got := rows[i+1]; !slices.Equal(got, w) {
			t.Errorf("row %d = %q, want %q", i+2, got, w)
		}
	}

	led := ledgertest.TrialSample()
	led.SetBankBalance("m1", "870.00")
	f = buildWithOpenings(t, led)
	rows, _ = f.GetRows("Bank reconciliation", excelize.Options{RawCellValue: true})
	if got := rows[1]; got[9] != "870" || got[10] != "6.55" || got[11] != "NO" {
		t.Errorf("GBP row with a missing movement %q, want Revolut 870, difference 6.55, NO", got)
	}
	if got, _ := f.GetCellFormula("Bank reconciliation", "K2"); got != "I2-J2" {
		t.Errorf("difference formula %q", got)
	}
	style, _ := f.GetCellStyle("Bank reconciliation", "K2")
	okStyle, _ := f.GetCellStyle("Bank reconciliation", "K3")
	if style == okStyle {
		t.Error("a non-zero difference is not highlighted")
	}
}
