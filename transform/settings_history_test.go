package transform

import (
	"slices"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// historySettings is testSettings with a history: tax rate tr-std was 20% until 2024-10-01 and
// 5% since; category cat-travel was "Travel - National" until then and "Travel - UK" since
// (the same code, 493). change moves the moment of both changes.
func historySettings(change time.Time) Settings {
	s := testSettings()
	s.TaxRateHistory = []TaxRateVersion{
		// Deliberately out of order: NewBooker orders each setting's versions.
		{TaxRate: revolut.TaxRate{ID: "tr-std", Name: "5% (reduced)", Percentage: ndec("5")}, ValidFrom: change},
		{TaxRate: revolut.TaxRate{ID: "tr-std", Name: "20% (VAT on Expenses)", Percentage: ndec("20")}, ValidTo: change},
	}
	s.CategoryHistory = []CategoryVersion{
		{AccountingCategory: revolut.AccountingCategory{ID: "cat-travel", Name: "Travel - National", Code: "493"}, ValidTo: change},
		{AccountingCategory: revolut.AccountingCategory{ID: "cat-travel", Name: "Travel - UK", Code: "493"}, ValidFrom: change},
	}
	return s
}

func bookWith(t *testing.T, s Settings, tx revolut.Transaction, xs ...revolut.Expense) ([]string, []string) {
	t.Helper()
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	bk := b.BookTransaction(tx, xs)
	if !bk.Booked {
		t.Fatalf("%s not booked: %v", tx.ID, kinds(bk.Exceptions))
	}
	var lines, cats []string
	for _, l := range bk.Lines {
		lines = append(lines, render(l))
		if l.Key.Role == RoleNet {
			cats = append(cats, l.CategoryName)
		}
	}
	return lines, cats
}

func TestSettingsHistoryTaxPoint(t *testing.T) {
	t.Parallel()
	change := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)

	// Transaction a completed 2024-09-14 08:30 (before the change), 24.00 GBP. Revolut now
	// shows its split with today's 5%: the booking keeps the 20% in force on its tax point.
	// VAT = 24.00 × 20 / 120 = 4.00, net 24.00 − 4.00 = 20.00; category "Travel - National".
	a := txn("a", revolut.TypeCardPayment, leg("acc-gbp", "-24.00", "GBP"))
	xa := expense("xa", "a", revolut.ExpenseApproved, "24.00", "GBP",
		split("24.00", "GBP", "cat-travel", "Travel - UK", "493", "tr-std", "5"))
	lines, cats := bookWith(t, historySettings(change), a, xa)
	want := []string{
		"txn:a 0/bank 1200 -24.00 GBP",
		"txn:a 0/net 493 20.00 GBP [gross 24.00 = net 20.00 + tax 4.00 @20%]",
		"txn:a 0/vat 2201 4.00 GBP [gross 24.00 = net 20.00 + tax 4.00 @20%]",
	}
	if !slices.Equal(lines, want) || !slices.Equal(cats, []string{"Travel - National"}) {
		t.Fatalf("before the change:\n got %q %q\nwant %q [Travel - National]", lines, cats, want)
	}

	// Transaction b completed 2024-10-05 (after the change), 21.00 GBP, its split without a
	// percentage: 5%. VAT = 21.00 × 5 / 105 = 1.00, net 20.00; the renamed category.
	b := with(txn("b", revolut.TypeCardPayment, leg("acc-gbp", "-21.00", "GBP")), func(t *revolut.Transaction) {
		t.CompletedAt = ts("2024-10-05T12:00:00Z")
	})
	xb := expense("xb", "b", revolut.ExpenseApproved, "21.00", "GBP",
		split("21.00", "GBP", "cat-travel", "", "", "tr-std", ""))
	lines, cats = bookWith(t, historySettings(change), b, xb)
	want = []string{
		"txn:b 0/bank 1200 -21.00 GBP",
		"txn:b 0/net 493 20.00 GBP [gross 21.00 = net 20.00 + tax 1.00 @5%]",
		"txn:b 0/vat 2201 1.00 GBP [gross 21.00 = net 20.00 + tax 1.00 @5%]",
	}
	if !slices.Equal(lines, want) || !slices.Equal(cats, []string{"Travel - UK"}) {
		t.Fatalf("after the change:\n got %q %q\nwant %q [Travel - UK]", lines, cats, want)
	}

	// The change turns out to have applied from 2024-09-01 (Revolut's updated_at said so on a
	// later sync): the rate in force on a's tax point is now 5%, and a books again at 5%.
	// VAT = 24.00 × 5 / 105 = 1.142857… → 1.14, net 24.00 − 1.14 = 22.86.
	lines, cats = bookWith(t, historySettings(time.Date(2024, 9, 1, 0, 0, 0, 0, time.UTC)), a, xa)
	want = []string{
		"txn:a 0/bank 1200 -24.00 GBP",
		"txn:a 0/net 493 22.86 GBP [gross 24.00 = net 22.86 + tax 1.14 @5%]",
		"txn:a 0/vat 2201 1.14 GBP [gross 24.00 = net 22.86 + tax 1.14 @5%]",
	}
	if !slices.Equal(lines, want) || !slices.Equal(cats, []string{"Travel - UK"}) {
		t.Fatalf("after a change in force at a's tax point:\n got %q %q\nwant %q [Travel - UK]", lines, cats, want)
	}

	// A change after a's tax point (2024-11-01 instead of 2024-10-01) leaves a's lines as they
	// were: 20%, 4.00 VAT.
	lines, _ = bookWith(t, historySettings(time.Date(2024, 11, 1, 0, 0, 0, 0, time.UTC)), a, xa)
	if lines[2] != "txn:a 0/vat 2201 4.00 GBP [gross 24.00 = net 20.00 + tax 4.00 @20%]" {
		t.Fatalf("a change after the tax point re-booked a: %q", lines)
	}

	// Without a history, the split's own values come first, as before: a books at the 5% its
	// split shows.
	lines, _ = bookWith(t, testSettings(), a, xa)
	if lines[2] != "txn:a 0/vat 2201 1.14 GBP [gross 24.00 = net 22.86 + tax 1.14 @5%]" {
		t.Fatalf("without history: %q", lines)
	}
}

func TestSettingsHistoryReimbursementDate(t *testing.T) {
	t.Parallel()
	change := time.Date(2024, 10, 1, 0, 0, 0, 0, time.UTC)
	// A mileage claim dated 2024-09-20 (before the change), 12.00 GBP at tr-std without a
	// percentage on the split: 20% → VAT 12.00 × 20 / 120 = 2.00, net 10.00, owed 12.00.
	x := with(expense("m1", "", revolut.ExpenseApproved, "12.00", "GBP",
		split("12.00", "GBP", "cat-travel", "", "", "tr-std", "")), func(x *revolut.Expense) {
		x.TransactionType = revolut.ExpenseTypeMileage
		x.ExpenseDate = ts("2024-09-20T10:00:00Z")
		x.CompletedAt = ts("2024-09-20T10:00:00Z") // the tax point whichever date a reimbursement books on
	})
	b, err := NewBooker(historySettings(change))
	if err != nil {
		t.Fatal(err)
	}
	bk := b.BookExpense(x)
	var got []string
	for _, l := range bk.Lines {
		got = append(got, render(l))
	}
	if !slices.Contains(got, "exp:m1 0/vat 2201 2.00 GBP [gross 12.00 = net 10.00 + tax 2.00 @20%]") {
		t.Fatalf("mileage before the change: %q", got)
	}
}
