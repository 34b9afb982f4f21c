package csvfmt_test

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"io"
	"strings"
	"testing"

	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/transform"
)

var november = period.Month(2026, 11)

func novemberLines(t *testing.T) []transform.Line {
	t.Helper()
	var lines []transform.Line
	for l, err := range ledgertest.AdjustmentSample().LedgerLines(context.Background(), november.From, november.To) {
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return lines
}

func adjustmentsCSV(t *testing.T, lines []transform.Line) []byte {
	t.Helper()
	return render(t, lines, func(b *bytes.Buffer) (lineWriter, error) { return csvfmt.NewAdjustments(b) }, nil)
}

// TestAdjustmentsCSV writes the adjustments of ledgertest.AdjustmentSample: the nine lines of
// its two adjustment entries (the ordinary entry txn:nov-1 is left out), the expected file
// written by hand from the figures in AdjustmentSample's comment.
func TestAdjustmentsCSV(t *testing.T) {
	t.Parallel()
	const (
		a   = "adj:txn:oct-1:v1:1,2026-11-03,txn:oct-1,1,2026-10,reverted,\"Payment reverted by the merchant, declined or failed after October 2026 was closed\","
		b   = "adj:txn:oct-2:v1:1,2026-11-10,txn:oct-2,1,2026-10,recategorised,\"Expense recategorised (category, VAT rate or labels changed) after October 2026 was closed\","
		vat = "20% (VAT on Expenses)"
	)
	want := "\uFEFF" +
		"adjustment_entry_id,booking_date,original_entry_id,original_version,original_period,reason_code,reason,account_code,account_name,debit,credit,currency,vat_rate,description,line_key\r\n" +
		a + "1200,Revolut GBP,120.00,,GBP,,Shell: Fuel,transaction/oct-1/0/bank:reversed\r\n" +
		a + "7400,Motor expenses,,100.00,GBP," + vat + ",Shell: Fuel,transaction/oct-1/0/net:reversed\r\n" +
		a + "2201,VAT input,,20.00,GBP," + vat + ",Shell: Fuel,transaction/oct-1/0/vat:reversed\r\n" +
		b + "1200,Revolut GBP,60.00,,GBP,,Trainline: Train to Leeds,transaction/oct-2/0/bank:reversed\r\n" +
		b + "7500,Travel,,50.00,GBP," + vat + ",Trainline: Train to Leeds,transaction/oct-2/0/net:reversed\r\n" +
		b + "2201,VAT input,,10.00,GBP," + vat + ",Trainline: Train to Leeds,transaction/oct-2/0/vat:reversed\r\n" +
		b + "1200,Revolut GBP,,60.00,GBP,,Trainline: Train to Leeds,transaction/oct-2/0/bank\r\n" +
		b + "7600,Staff welfare,50.00,,GBP," + vat + ",Trainline: Train to Leeds,transaction/oct-2/0/net\r\n" +
		b + "2201,VAT input,10.00,,GBP," + vat + ",Trainline: Train to Leeds,transaction/oct-2/0/vat\r\n"
	lines := novemberLines(t)
	got := adjustmentsCSV(t, lines)
	if string(got) != want {
		t.Errorf("adjustments CSV:\n%s\nwant:\n%s", got, want)
	}
	// The same data gives the same bytes: a closed period's file never changes on re-export.
	if again := adjustmentsCSV(t, novemberLines(t)); !bytes.Equal(got, again) {
		t.Error("two writes of the same adjustments differ")
	}
	// Debits = credits over the file: 120 + 60 + 50 + 10 = 240 = 100 + 20 + 50 + 10 + 60.
}

func TestAdjustmentsCSVEmptyAndHostile(t *testing.T) {
	t.Parallel()
	// A period without adjustments: the header alone (the March sample has none).
	got := adjustmentsCSV(t, sampleLines(t))
	if want := "\uFEFF" + strings.Join(csvfmt.AdjustmentsHeader, ",") + "\r\n"; string(got) != want {
		t.Errorf("no adjustments: got %q, want %q", got, want)
	}
	// Text from Revolut is neutralised as in the canonical journal.
	l := novemberLines(t)[0]
	l.Merchant, l.Description = `=HYPERLINK("http://x","y")`, "ok"
	recs, err := stdcsv.NewReader(bytes.NewReader(adjustmentsCSV(t, []transform.Line{l}))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got, want := recs[1][13], `'=HYPERLINK("http://x","y"): ok`; got != want {
		t.Errorf("description = %q, want %q", got, want)
	}
}

// TestAdjustmentNarrations: the Xero manual journal and the QuickBooks journal name the closed
// period and the reason of an adjustment entry; the entry id in brackets names the original.
func TestAdjustmentNarrations(t *testing.T) {
	t.Parallel()
	lines := novemberLines(t)
	if got, want := csvfmt.Narration(lines[:3]), "Adjustment to 2026-10 (reverted): Shell: Fuel [adj:txn:oct-1:v1:1]"; got != want {
		t.Errorf("narration = %q, want %q", got, want)
	}
	if got, want := csvfmt.Narration(lines[3:6]), "BP: Fuel [txn:nov-1]"; got != want {
		t.Errorf("ordinary narration = %q, want %q", got, want)
	}
	var buf bytes.Buffer
	q := csvfmt.NewQuickBooksJournal(func(int) (io.Writer, error) { return &buf, nil }, csvfmt.QuickBooksOptions{BaseCurrency: "GBP"})
	if err := q.WriteEntry(lines[:3]); err != nil {
		t.Fatal(err)
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	recs, err := stdcsv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	// Bank line, then the split as one taxed line (net −100.00 with its 20.00 VAT).
	if len(recs) != 3 {
		t.Fatalf("QuickBooks rows = %q", recs)
	}
	for i, want := range []string{
		"Adjustment to 2026-10 (reverted): Fuel [adj:txn:oct-1:v1:1]",
		"Adjustment to 2026-10 (reverted): Motor expenses - Fuel [adj:txn:oct-1:v1:1]",
	} {
		if got := recs[i+1][5]; got != want {
			t.Errorf("QuickBooks row %d description = %q, want %q", i+1, got, want)
		}
	}
	if got := recs[2][3:5]; got[0] != "" || got[1] != "100.00" {
		t.Errorf("QuickBooks reversed net: debit %q credit %q, want credit 100.00", got[0], got[1])
	}
}
