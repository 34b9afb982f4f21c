package xlsx_test

import (
	"bytes"
	"context"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/xlsx"
	"github.com/revledger/revledger/internal/period"
	"github.com/xuri/excelize/v2"
)

var march = period.Month(2024, 3)

// build writes the workbook of led for March 2024 the way the exporter does, and opens it
// again with excelize's reader.
func build(t testing.TB, led *ledgertest.Ledger, opts xlsx.Options) (*excelize.File, report.Summary) {
	t.Helper()
	b, sum := writeSum(t, led, opts)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("reopen workbook: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f, sum
}

func writeSum(t testing.TB, led *ledgertest.Ledger, opts xlsx.Options) ([]byte, report.Summary) {
	t.Helper()
	ctx := context.Background()
	w, err := xlsx.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	agg := report.NewAggregator()
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
	for e, err := range led.Exceptions(ctx, march.From, march.To) {
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Exception(&e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	info := xlsx.Info{Company: "Acme Ltd", Period: march, RunID: "run-1", GeneratedAt: time.Date(2024, 4, 1, 2, 0, 0, 0, time.UTC)}
	if _, err := w.WriteTo(&buf, info, sum); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), sum
}

func sampleOptions() xlsx.Options {
	return xlsx.Options{ReceiptLink: func(e, r string) string { return "../receipts/" + e + "/" + r + ".pdf" }}
}

func TestSheetsAndHeaders(t *testing.T) {
	t.Parallel()
	f, _ := build(t, ledgertest.Sample(), sampleOptions())
	want := []string{"Summary", "Journal", "Adjustments", "Bank transactions", "Expenses", "Cards", "Card references", "VAT summary", "Trial balance", "Bank reconciliation", "Exceptions"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets = %q, want %q", got, want)
	}
	headers := map[string][]string{
		"Journal":           {"Date", "Entry", "Account code", "Account name", "Debit", "Credit", "Currency", "Rate", "Base amount (GBP)", "Rate source", "Payee"},
		"Expenses":          {"Date", "Payer / holder", "Merchant", "Description", "Category code", "Category", "Net", "Tax", "Gross", "Tax rate", "Tax rate name", "Currency", "Department", "Project", "State", "Receipt 1", "Receipt 2", "Expense", "Entry"},
		"Bank transactions": {"Date", "Time (UTC)", "Revolut account", "Account code", "Account name", "Currency", "Amount", "Rate", "Base amount (GBP)", "Running balance", "Revolut balance", "Ties"},
		"VAT summary":       {"Currency", "Tax rate name", "Tax rate", "Net", "Tax", "Gross", "Splits"},
		"Trial balance":     {"Account code", "Account name", "Opening (GBP)", "Debit (GBP)", "Credit (GBP)", "Movement (GBP)", "Closing (GBP)"},
		"Bank reconciliation": {"Revolut account", "Account code", "Account name", "Currency", "Opening from", "Opening (Revolut)",
			"Movements", "Lines", "Closing", "Revolut closing", "Difference", "Reconciles"},
		"Exceptions": {"Occurred (UTC)", "Kind", "Source", "Source id", "Entry", "Reason"},
	}
	for sheet, want := range headers {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || !slices.Equal(rows[0][:len(want)], want) {
			t.Errorf("%s header = %q, want prefix %q", sheet, rows[0], want)
		}
		panes, err := f.GetPanes(sheet)
		if err != nil || !panes.Freeze || panes.YSplit != 1 {
			t.Errorf("%s: header row not frozen: %+v %v", sheet, panes, err)
		}
		if tables, err := f.GetTables(sheet); err != nil || len(tables) != 1 {
			t.Errorf("%s: want one table (filter buttons), got %d (%v)", sheet, len(tables), err)
		}
	}
	// Row counts: 14 journal lines, 5 bank lines (GBP 3, EUR 1, JPY 1), 4 splits, 2 exceptions.
	for sheet, n := range map[string]int{"Journal": 15, "Bank transactions": 6, "Expenses": 5, "Exceptions": 3} {
		rows, _ := f.GetRows(sheet)
		if len(rows) != n {
			t.Errorf("%s has %d rows, want %d", sheet, len(rows), n)
		}
	}
}

func cellType(t *testing.T, f *excelize.File, sheet, cell string) excelize.CellType {
	t.Helper()
	ct, err := f.GetCellType(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

func numFmt(t *testing.T, f *excelize.File, sheet, cell string) string {
	t.Helper()
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		t.Fatal(err)
	}
	st, err := f.GetStyle(id)
	if err != nil {
		t.Fatal(err)
	}
	if st.CustomNumFmt != nil {
		return *st.CustomNumFmt
	}
	return strconv.Itoa(st.NumFmt)
}

func TestCellTypes(t *testing.T) {
	t.Parallel()
	f, _ := build(t, ledgertest.Sample(), sampleOptions())
	cases := []struct {
		name, sheet, cell string
		typ               excelize.CellType // CellTypeUnset is how excelize reports a plain number
		raw, format       string
	}{
		// 4 March 2024 is Excel serial 45355 (45292 = 1 Jan 2024, + 63 days).
		{"date is a number with a date format", "Journal", "A2", excelize.CellTypeUnset, "45355", "dd mmm yyyy"},
		{"credit is a number", "Journal", "F2", excelize.CellTypeUnset, "12", "#,##0.00;[Red]-#,##0.00"},
		{"account code with a leading zero stays text", "Journal", "C3", excelize.CellTypeInlineString, "0410", "49"},
		{"JPY amount has no decimals", "Journal", "F13", excelize.CellTypeUnset, "1500", "#,##0;[Red]-#,##0"},
		{"hostile merchant is text", "Journal", "K5", excelize.CellTypeInlineString, `=HYPERLINK("http://x","y")`, ""},
		{"hostile description is text", "Journal", "L5", excelize.CellTypeInlineString, "+1-555 call", ""},
		{"tax rate is a percentage", "Expenses", "J2", excelize.CellTypeUnset, "0.2", "0.00%"},
		{"running balance", "Bank transactions", "J4", excelize.CellTypeUnset, "957.5", "#,##0.00;[Red]-#,##0.00"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := cellType(t, f, tc.sheet, tc.cell); got != tc.typ {
				t.Errorf("type = %v, want %v", got, tc.typ)
			}
			raw, err := f.GetCellValue(tc.sheet, tc.cell, excelize.Options{RawCellValue: true})
			if err != nil || raw != tc.raw {
				t.Errorf("raw value = %q (%v), want %q", raw, err, tc.raw)
			}
			if tc.format != "" {
				if got := numFmt(t, f, tc.sheet, tc.cell); got != tc.format {
					t.Errorf("number format = %q, want %q", got, tc.format)
				}
			}
		})
	}
}

// TestNoFormulaFromText walks every cell of every sheet: the only formulas are the receipt
// links and the totals rows this package builds; no text from the ledger became one.
func TestNoFormulaFromText(t *testing.T) {
	t.Parallel()
	f, _ := build(t, ledgertest.Sample(), sampleOptions())
	formulas := 0
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		for r, row := range rows {
			for c, v := range row {
				cell, _ := excelize.CoordinatesToCellName(c+1, r+1)
				formula, err := f.GetCellFormula(sheet, cell)
				if err != nil {
					t.Fatal(err)
				}
				if formula == "" {
					continue
				}
				formulas++
				if !allowedFormula.MatchString(formula) {
					t.Errorf("%s!%s holds unexpected formula %q (value %q)", sheet, cell, formula, v)
				}
			}
		}
	}
	// Totals: VAT has GBP and JPY splits × 3 columns = 6 SUMIFS; the trial balance's totals
	// row, 5 SUMs; the bank reconciliation, closing and difference for 3 accounts = 6.
	// Receipts are cell hyperlinks, not formulas.
	if formulas != 6+5+6 {
		t.Errorf("found %d formulas, want 17", formulas)
	}
	// e-1's receipt r-1: the id, linked. A link longer than a formula may hold is a link too.
	if v, _ := f.GetCellValue("Expenses", "P2"); v != "r-1" {
		t.Errorf("receipt cell = %q", v)
	}
	ok, target, err := f.GetCellHyperLink("Expenses", "P2")
	if err != nil || !ok || target != "../receipts/e-1/r-1.pdf" {
		t.Errorf("receipt link = %v %q %v", ok, target, err)
	}
}

// allowedFormula matches the formulas this package builds: totals (SUMIFS, SUM) and the bank
// reconciliation's closing (F+G) and difference (I−J).
var allowedFormula = regexp.MustCompile(`^(SUMIFS\(|SUM\([A-Z]+[0-9]+:[A-Z]+[0-9]+\)$|F[0-9]+\+G[0-9]+$|I[0-9]+-J[0-9]+$)`)

func TestTotalsMatchLedger(t *testing.T) {
	t.Parallel()
	f, sum := build(t, ledgertest.Sample(), sampleOptions())
	for _, c := range sum.Checks {
		if !c.Passed {
			t.Errorf("check %q failed: %s", c.Name, c.Detail)
		}
	}
	// Trial balance in GBP (base amounts in ledgertest.Sample), in numeric code order; no
	// openings (no line before March), so movement = closing:
	//   0410 10.00, 1200 −(12.00 + 30.00 + 0.50) = −42.50, 1201 427.50, 1202 −7.80,
	//   2100 −427.50, 2201 2.00 + 3.00 + 0.71 = 5.71, 6000 15.00, 6100 12.00, 6200 7.09,
	//   7900 0.50; debits 10 + 427.50 + 5.71 + 15 + 12 + 7.09 + 0.50 = 477.80 = credits
	//   42.50 + 7.80 + 427.50; totals of opening, movement and closing 0.
	rows, _ := f.GetRows("Trial balance", excelize.Options{RawCellValue: true})
	wantTB := [][]string{
		{"0410", "Meals", "0", "10", "", "10", "10"},
		{"1200", "Revolut GBP", "0", "", "42.5", "-42.5", "-42.5"},
		{"1201", "Revolut EUR", "0", "427.5", "", "427.5", "427.5"},
		{"1202", "Revolut JPY", "0", "", "7.8", "-7.8", "-7.8"},
		{"2100", "Customer receipts", "0", "", "427.5", "-427.5", "-427.5"},
		{"2201", "VAT input", "0", "5.71", "", "5.71", "5.71"},
		{"6000", "Travel", "0", "15", "", "15", "15"},
		{"6100", "Books", "0", "12", "", "12", "12"},
		{"6200", "Subsistence", "0", "7.09", "", "7.09", "7.09"},
		{"7900", "Bank fees", "0", "0.5", "", "0.5", "0.5"},
	}
	for i, w := range wantTB {
		if got := rows[i+1]; !slices.Equal(got, w) {
			t.Errorf("trial balance row %d = %q, want %q", i+2, got, w)
		}
	}
	if got := rows[len(wantTB)+2]; !slices.Equal(got, []string{"", "Total", "0", "477.8", "477.8", "0", "0"}) {
		t.Errorf("trial balance totals = %q", got)
	}
	// VAT: GBP at 20%: net 10+15 = 25, tax 2+3 = 5, gross 30, 2 splits.
	rows, _ = f.GetRows("VAT summary", excelize.Options{RawCellValue: true})
	if got := rows[2]; !slices.Equal(got, []string{"GBP", "20% (VAT on Expenses)", "0.2", "25", "5", "30", "2"}) {
		t.Errorf("GBP 20%% VAT row = %q", got)
	}
	// Bank: GBP 1000 − 12 = 988, − 30 − 0.50 = 957.50, and every compared leg ties.
	rows, _ = f.GetRows("Bank transactions", excelize.Options{RawCellValue: true})
	var ties []string
	for _, r := range rows[1:] {
		ties = append(ties, r[11])
	}
	if !slices.Equal(ties, []string{"yes", "", "yes", "yes", "yes"}) {
		t.Errorf("ties column = %q", ties)
	}
}

func TestContinuationSheets(t *testing.T) {
	t.Parallel()
	// 30 journal lines with a limit of 11 rows (header + 10): Journal, Journal (2), Journal (3).
	f, _ := build(t, ledgertest.Generated(30), xlsx.Options{RowLimit: 11})
	list := f.GetSheetList()
	want := []string{"Summary", "Journal", "Journal (2)", "Journal (3)", "Adjustments", "Bank transactions", "Expenses", "Cards", "Card references", "VAT summary", "Trial balance", "Bank reconciliation", "Exceptions"}
	if !slices.Equal(list, want) {
		t.Fatalf("sheets = %q, want %q", list, want)
	}
	total := 0
	for _, s := range []string{"Journal", "Journal (2)", "Journal (3)"} {
		rows, _ := f.GetRows(s)
		if len(rows) > 11 || rows[0][0] != "Date" {
			t.Errorf("%s: %d rows, header %q", s, len(rows), rows[0])
		}
		total += len(rows) - 1
	}
	if total != 30 {
		t.Errorf("journal parts hold %d lines, want 30", total)
	}
}

func TestSheetName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		base string
		n    int
		want string
	}{
		{"Journal", 1, "Journal"},
		{"Journal", 2, "Journal (2)"},
		{"Bank transactions: a/b [x]?*", 1, "Bank transactions_ a_b _x___"},
		{"A very long sheet name that goes past the limit", 12, "A very long sheet name tha (12)"},
	}
	for _, tc := range cases {
		got := xlsx.SheetName(tc.base, tc.n)
		if got != tc.want || len([]rune(got)) > 31 {
			t.Errorf("SheetName(%q, %d) = %q, want %q", tc.base, tc.n, got, tc.want)
		}
	}
}
