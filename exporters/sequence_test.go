package exporters_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/xlsx"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
)

// countingLedger counts the opening balances read from the ledger.
type countingLedger struct {
	*ledgertest.Ledger
	reads []time.Time
}

func (c *countingLedger) OpeningBalances(ctx context.Context, before time.Time) (transform.OpeningBalances, error) {
	c.reads = append(c.reads, before)
	return c.Ledger.OpeningBalances(ctx, before)
}

// TestSequenceCarriesClosingBalances exports ledgertest.TrialSample's February then March in
// one sequence: the openings are read from the ledger for February only, and March opens at
// February's closing balances, carried through its lines. March's Trial balance and Bank
// reconciliation sheets are the same, cell for cell, as those of March exported alone (which
// reads its openings: 1210 1,000.00, 1229 170.00, 3000 −1,000.00, 10000 −170.00 by hand, as
// TrialSample says). After a gap (April skipped, May next) the openings are read again.
func TestSequenceCarriesClosingBalances(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	now := func() time.Time { return time.Date(2024, 6, 1, 2, 0, 0, 0, time.UTC) }
	feb, mar, may := period.Month(2024, 2), period.Month(2024, 3), period.Month(2024, 5)

	export := func(months ...period.Period) (*countingLedger, *sink.Dir) {
		t.Helper()
		d, err := sink.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		led := &countingLedger{Ledger: ledgertest.TrialSample()}
		seq := exporters.New(led, d, exporters.Config{Company: "Acme Ltd", Now: now}).Sequence()
		for _, p := range months {
			if _, err := seq.ExportHolding(ctx, p, "run-1", nil); err != nil {
				t.Fatal(err)
			}
		}
		return led, d
	}
	sheets := func(d *sink.Dir) map[string][][]string {
		t.Helper()
		rc, err := d.Get(ctx, "2024-03/"+exporters.WorkbookName("2024-03"))
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		f, err := excelize.OpenReader(rc)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		out := map[string][][]string{}
		for _, s := range []string{xlsx.SheetTrial, xlsx.SheetBankRec} {
			if out[s], err = f.GetRows(s); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}

	seqLedger, seqDir := export(feb, mar, may)
	if want := []time.Time{feb.From, may.From}; !slices.EqualFunc(seqLedger.reads, want, time.Time.Equal) {
		t.Errorf("openings read for %v, want for February and May only (%v)", seqLedger.reads, want)
	}
	aloneLedger, aloneDir := export(mar)
	if len(aloneLedger.reads) != 1 {
		t.Fatalf("March alone read its openings %d times", len(aloneLedger.reads))
	}
	carried, alone := sheets(seqDir), sheets(aloneDir)
	for _, s := range []string{xlsx.SheetTrial, xlsx.SheetBankRec} {
		if !slices.EqualFunc(carried[s], alone[s], slices.Equal) {
			t.Errorf("%s of March, carried from February:\n%q\nexported alone:\n%q", s, carried[s], alone[s])
		}
	}
	// The carried openings are the hand figures, not zeros that would match nothing.
	opening := map[string]string{}
	for _, row := range carried[xlsx.SheetTrial] {
		if len(row) > 2 {
			opening[row[0]] = row[2]
		}
	}
	for code, want := range map[string]string{"1210": "1,000.00", "1229": "170.00", "3000": "-1,000.00", "10000": "-170.00"} {
		if opening[code] != want {
			t.Errorf("March opening of %s = %q, want %s (rows %q)", code, opening[code], want, carried[xlsx.SheetTrial])
		}
	}
}
