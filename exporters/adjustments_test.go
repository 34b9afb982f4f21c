package exporters_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/sink"
)

var november = period.Month(2026, 11)

// TestExportAdjustments exports ledgertest.AdjustmentSample (November 2026 with two
// adjustments to the closed October) and checks, against files written by hand, what the
// Xero statement route makes of them: the statement lists only real movements of the
// account (the reverted payment's 120.00 coming back, the ordinary 24.00), not the
// recategorisation's +60.00/−60.00; the manual journal carries both adjustments whole, bank
// side on the clearing account CLR1200, narrated with the closed period and the reason.
func TestExportAdjustments(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := sink.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC) }
	led := ledgertest.AdjustmentSample()
	e := exporters.New(led, d, exporters.Config{Company: "Acme Ltd", Now: now})
	if _, err := e.Export(ctx, november, "run-1"); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, d, "2026-11/manifest.json")
	files := verifyObjects(t, d, "2026-11/", m)
	rows := map[string]int{}
	for _, f := range m.Files {
		rows[f.Name] = f.Rows
	}
	// 9 adjustment lines (3 + 6); 12 journal lines; 3 entries in the workbook's journal.
	if rows["adjustments_2026-11.csv"] != 9 || rows["journal_2026-11.csv"] != 12 {
		t.Errorf("rows: adjustments %d, journal %d, want 9 and 12", rows["adjustments_2026-11.csv"], rows["journal_2026-11.csv"])
	}

	wantStatement := "Date,Amount,Payee,Description,Reference,AccountCode,TaxType,ContactName\r\n" +
		"03/11/2026,120.00,Shell,Adjustment to 2026-10 (reverted): Fuel,adj:txn:oct-1:v1:1,CLR1200,No VAT,Shell\r\n" +
		"05/11/2026,-24.00,BP,Fuel,txn:nov-1,7400,20% (VAT on Expenses),BP\r\n"
	if got := string(files["xero_statement_revolut-gbp_2026-11.csv"]); got != wantStatement {
		t.Errorf("statement:\n%s\nwant:\n%s", got, wantStatement)
	}
	const (
		na = "Adjustment to 2026-10 (reverted): Shell: Fuel [adj:txn:oct-1:v1:1],03/11/2026,"
		nb = "Adjustment to 2026-10 (recategorised): Trainline: Train to Leeds [adj:txn:oct-2:v1:1],10/11/2026,"
		tx = "20% (VAT on Expenses)"
	)
	// Xero computes the VAT of each taxed line: −100.00 × 20% = −20.00, −50.00 → −10.00,
	// +50.00 → +10.00, so the VAT lines are not written.
	wantJournal := "*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2\r\n" +
		na + "Fuel,CLR1200,No VAT,120.00,,,,\r\n" +
		na + "Motor expenses,7400," + tx + ",-100.00,,,,\r\n" +
		nb + "Train to Leeds,CLR1200,No VAT,60.00,,,,\r\n" +
		nb + "Travel,7500," + tx + ",-50.00,,,,\r\n" +
		nb + "Train to Leeds,CLR1200,No VAT,-60.00,,,,\r\n" +
		nb + "Staff welfare,7600," + tx + ",50.00,,,,\r\n"
	if got := string(files["xero_journal_2026-11.csv"]); got != wantJournal {
		t.Errorf("Xero journal:\n%s\nwant:\n%s", got, wantJournal)
	}
	// The importers' own rules (balanced journals, no bank code in a Xero journal, each
	// statement summing to its account's bank lines: 120.00 − 24.00 + 60.00 − 60.00 = 96.00).
	checkImports(t, led.Rows, files, csvfmt.XeroRouteStatement)

	// A second export of the same data, by another run, writes the same adjustments bytes.
	if _, err := e.Export(ctx, november, "run-2"); err != nil {
		t.Fatal(err)
	}
	again := readManifest(t, d, "2026-11/manifest.json")
	files2 := verifyObjects(t, d, "2026-11/", again)
	if !bytes.Equal(files["adjustments_2026-11.csv"], files2["adjustments_2026-11.csv"]) {
		t.Error("adjustments_2026-11.csv differs between two exports of the same data")
	}
	if again.ContentSHA256 != m.ContentSHA256 || again.RunID != "run-2" {
		t.Errorf("second export: content %s run %s, want content %s run run-2", again.ContentSHA256, again.RunID, m.ContentSHA256)
	}
}

// TestExportAdjustmentsJournalRoute: on the journal route nothing goes to a statement and
// the adjustments are journals like any other entry.
func TestExportAdjustmentsJournalRoute(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := sink.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	led := ledgertest.AdjustmentSample()
	cfg := exporters.Config{Now: clock, Xero: csvfmt.XeroOptions{Route: csvfmt.XeroRouteJournal}}
	if _, err := exporters.New(led, d, cfg).Export(ctx, november, "run-1"); err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, d, "2026-11/manifest.json")
	files := verifyObjects(t, d, "2026-11/", m)
	checkImports(t, led.Rows, files, csvfmt.XeroRouteJournal)
	// 6 rows of the adjustments (as above) + 2 of txn:nov-1 (CLR1200 −24.00, 7400 20.00 taxed).
	for _, f := range m.Files {
		if f.Name == exporters.XeroName("2026-11") && f.Rows != 8 {
			t.Errorf("%s has %d rows, want 8", f.Name, f.Rows)
		}
	}
}
