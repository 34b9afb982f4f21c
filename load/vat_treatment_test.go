package load

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

// TestVATTreatmentStored books a reverse-charge card payment with the real booker, writes it
// and reads it back: the warehouse accepts the three split lines (net + tax = gross on each,
// the entry balancing in GBP), keeps each line's treatment, and a second write of the same
// booking changes nothing.
func TestVATTreatmentStored(t *testing.T) {
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()

	b, err := transform.NewBooker(transform.Settings{
		Accounts: []revolut.Account{{ID: "acc-gbp", Name: "Main", Currency: "GBP"}},
		Chart:    transform.DefaultChart(),
	})
	if err != nil {
		t.Fatal(err)
	}
	tx := txn("t-rc", revolut.TransactionCompleted, "-250.00")
	tx.Legs[0].AccountID = "acc-gbp"
	tx.Merchant = &revolut.Merchant{Name: "SaaS Ltd", Country: "IRL"}
	x := expense("x-rc", "t-rc", revolut.ExpenseApproved, "250.00")
	x.Splits = []revolut.Split{{
		Amount:   revolut.Money{Amount: dec("250.00"), Currency: "GBP"},
		Category: revolut.SplitCategory{ID: "c", Name: "Software", Code: "7520"},
		TaxRate:  revolut.SplitTaxRate{ID: "tr-rc", Name: "Reverse charge 20%", Percentage: decimal.NewNullDecimal(dec("20"))},
	}}
	bk := b.BookTransaction(tx, []revolut.Expense{x})
	if !bk.Booked {
		t.Fatalf("not booked: %+v", bk.Exceptions)
	}
	write := func() WriteStats {
		st, err := lock.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "t-rc", Lines: bk.Lines}})
		if err != nil {
			t.Fatalf("WriteBookings: %v", err)
		}
		return st
	}
	if st := write(); st.EntriesNew != 1 {
		t.Fatalf("first write: %+v", st)
	}
	if st := write(); st.EntriesUnchanged != 1 {
		t.Errorf("second write of the same booking: %+v, want unchanged", st)
	}

	// 250.00 paid, VAT 250.00 × 20% = 50.00 both ways.
	want := map[string]struct{ account, amount, treatment string }{
		"bank":       {"1200", "-250", ""},
		"net":        {"7520", "250", transform.VATReverseCharge},
		"vat":        {"2201", "50", transform.VATReverseCharge},
		"output_vat": {"2202", "-50", transform.VATReverseCharge},
	}
	n := 0
	day := tx.CompletedAt.Time.UTC().Truncate(24 * time.Hour)
	for l, err := range s.LedgerLines(ctx, day, day.AddDate(0, 0, 1)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		w, ok := want[l.Key.Role]
		if !ok {
			t.Errorf("unexpected line %s", l.Key)
			continue
		}
		if l.AccountCode != w.account || !l.Amount.Equal(dec(w.amount)) || l.VATTreatment != w.treatment {
			t.Errorf("%s: %s %s treatment %q, want %s %s %q", l.Key, l.AccountCode, l.Amount, l.VATTreatment, w.account, w.amount, w.treatment)
		}
		if w.treatment != "" && (!l.Gross.Decimal.Equal(dec("300")) || !l.Tax.Decimal.Equal(dec("50"))) {
			t.Errorf("%s: gross %s tax %s, want 300 and 50", l.Key, l.Gross.Decimal, l.Tax.Decimal)
		}
	}
	if n != len(want) {
		t.Errorf("read %d lines, want %d", n, len(want))
	}
}
