package xlsx_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/xlsx"
	"github.com/revledger/revledger/internal/period"
)

// buildCards writes the workbook of ledgertest.CardSample for April 2024 the way the exporter
// does (lines, bank rows, card spend, then WriteTo) and returns its bytes.
func buildCards(t *testing.T) []byte {
	t.Helper()
	ctx := context.Background()
	april := period.Month(2024, 4)
	led := ledgertest.CardSample()
	w, err := xlsx.New(xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	agg := report.NewAggregator()
	spend := report.NewCardSpend(april)
	for l, err := range led.LedgerLines(ctx, april.From, april.To) {
		if err != nil {
			t.Fatal(err)
		}
		spend.Add(&l)
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
	rows, refs := spend.Finish(led.CardList)
	if err := w.Cards(rows, refs); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	info := xlsx.Info{Company: "Acme Ltd", Period: april, RunID: "run-7", GeneratedAt: time.Date(2024, 5, 1, 2, 0, 0, 0, time.UTC)}
	if _, err := w.WriteTo(&buf, info, sum); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestCardsSheet opens the written workbook again and checks the Cards and Card references
// sheets cell by cell against ledgertest.CardSample's hand-computed figures: amounts are
// numbers with the currency's format, last digits and reference values are text, the usage
// is a percentage, and the per-currency totals are SUMIFS formulas whose cached and
// recalculated values are the exact totals.
func TestCardsSheet(t *testing.T) {
	t.Parallel()
	f, err := excelize.OpenReader(bytes.NewReader(buildCards(t)))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const money, pct = "#,##0.00;[Red]-#,##0.00", "0.00%"
	cases := []struct {
		sheet, cell string
		typ         excelize.CellType // CellTypeUnset is how excelize reports a plain number
		raw, format string
	}{
		// Row 2: card-a in EUR: its GBP month limit is shown, not compared.
		{"Cards", "A2", excelize.CellTypeInlineString, "0042", "49"},
		{"Cards", "E2", excelize.CellTypeInlineString, "EUR", ""},
		{"Cards", "G2", excelize.CellTypeUnset, "100", money},
		{"Cards", "L2", excelize.CellTypeUnset, "1000", money},
		{"Cards", "M2", excelize.CellTypeInlineString, "GBP", ""},
		{"Cards", "N2", excelize.CellTypeUnset, "", ""},
		{"Cards", "O2", excelize.CellTypeUnset, "", ""},
		// Row 3: card-a in GBP: 450 + 400 paid, 50 refunded, 850/1000 used → near.
		{"Cards", "B3", excelize.CellTypeInlineString, "Travel", ""},
		{"Cards", "C3", excelize.CellTypeInlineString, "Ada Lovelace", ""},
		{"Cards", "F3", excelize.CellTypeUnset, "2", "#,##0"},
		{"Cards", "G3", excelize.CellTypeUnset, "850", money},
		{"Cards", "H3", excelize.CellTypeUnset, "1", "#,##0"},
		{"Cards", "I3", excelize.CellTypeUnset, "50", money},
		{"Cards", "J3", excelize.CellTypeUnset, "800", money},
		{"Cards", "K3", excelize.CellTypeInlineString, "month", ""},
		{"Cards", "N3", excelize.CellTypeUnset, "0.85", pct},
		{"Cards", "O3", excelize.CellTypeInlineString, "near", ""},
		{"Cards", "P3", excelize.CellTypeInlineString, "single GBP 500.00", ""},
		{"Cards", "Q3", excelize.CellTypeInlineString, "card-a", "49"},
		// Row 4: card-c, terminated, no month limit.
		{"Cards", "D4", excelize.CellTypeInlineString, "active — no longer listed since 2024-04-20", ""},
		{"Cards", "G4", excelize.CellTypeUnset, "60", money},
		{"Cards", "K4", excelize.CellTypeUnset, "", ""},
		{"Cards", "L4", excelize.CellTypeUnset, "", ""},
		{"Cards", "P4", excelize.CellTypeInlineString, "day GBP 100.00", ""},
		// Row 5: card-b, 250 + 75.50 = 325.50 of 300 → 108.5 %, over; the reverted 20.00 is not spend.
		{"Cards", "C5", excelize.CellTypeInlineString, "Grace Hopper", ""},
		{"Cards", "D5", excelize.CellTypeInlineString, "locked (cannot be unlocked)", ""},
		{"Cards", "F5", excelize.CellTypeUnset, "2", "#,##0"},
		{"Cards", "G5", excelize.CellTypeUnset, "325.5", money},
		{"Cards", "N5", excelize.CellTypeUnset, "1.085", pct},
		{"Cards", "O5", excelize.CellTypeInlineString, "over", ""},
		// Totals two rows below the table: EUR 100.00; GBP 850 + 325.50 + 60 = 1235.50 paid,
		// 50.00 refunded, 1185.50 net.
		{"Cards", "B7", excelize.CellTypeInlineString, "Total EUR", ""},
		{"Cards", "G7", excelize.CellTypeUnset, "100", money},
		{"Cards", "B8", excelize.CellTypeInlineString, "Total GBP", ""},
		{"Cards", "G8", excelize.CellTypeUnset, "1235.5", money},
		{"Cards", "I8", excelize.CellTypeUnset, "50", money},
		{"Cards", "J8", excelize.CellTypeUnset, "1185.5", money},
		// Card references: the transactions' own PNRs, RT1 with its refund.
		{"Card references", "A2", excelize.CellTypeInlineString, "PNR", ""},
		{"Card references", "B2", excelize.CellTypeInlineString, "RT1", "49"},
		{"Card references", "D2", excelize.CellTypeInlineString, "0042", "49"},
		{"Card references", "F2", excelize.CellTypeUnset, "450", money},
		{"Card references", "H2", excelize.CellTypeUnset, "50", money},
		{"Card references", "I2", excelize.CellTypeUnset, "400", money},
		{"Card references", "B5", excelize.CellTypeInlineString, "Ada", "49"},
		{"Card references", "E5", excelize.CellTypeUnset, "2", "#,##0"},
		{"Card references", "F5", excelize.CellTypeUnset, "850", money},
	}
	for _, tc := range cases {
		if got := cellType(t, f, tc.sheet, tc.cell); got != tc.typ {
			t.Errorf("%s!%s: type %v, want %v", tc.sheet, tc.cell, got, tc.typ)
		}
		raw, err := f.GetCellValue(tc.sheet, tc.cell, excelize.Options{RawCellValue: true})
		if err != nil || raw != tc.raw {
			t.Errorf("%s!%s: raw value %q (%v), want %q", tc.sheet, tc.cell, raw, err, tc.raw)
		}
		if tc.format != "" {
			if got := numFmt(t, f, tc.sheet, tc.cell); got != tc.format {
				t.Errorf("%s!%s: number format %q, want %q", tc.sheet, tc.cell, got, tc.format)
			}
		}
	}
	// The totals are live formulas over the table; recalculated, they give the exact totals.
	for cell, want := range map[string]string{"G7": "100", "G8": "1235.5", "I8": "50", "J8": "1185.5"} {
		formula, err := f.GetCellFormula("Cards", cell)
		if err != nil || !strings.HasPrefix(formula, "SUMIFS(") {
			t.Errorf("Cards!%s: formula %q (%v), want a SUMIFS", cell, formula, err)
			continue
		}
		if got, err := f.CalcCellValue("Cards", cell, excelize.Options{RawCellValue: true}); err != nil || got != want {
			t.Errorf("Cards!%s = %s recalculated (%v), want %s", cell, got, err, want)
		}
	}
	rows, err := f.GetRows("Cards")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Errorf("Cards has %d rows, want header + 4 cards + blank + 2 totals", len(rows))
	}
	refs, err := f.GetRows("Card references")
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 5 {
		t.Errorf("Card references has %d rows, want header + 4", len(refs))
	}
	for _, r := range refs {
		for _, v := range r {
			if strings.Contains(v, "NEW9") {
				t.Errorf("Card references shows the card's current reference NEW9: %q", r)
			}
		}
	}
}
