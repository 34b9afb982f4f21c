package transform

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// closedPayment is a 120.00 GBP card payment completed on 14 October 2026 (a closed month) with
// an approved expense of one split on category 7400 at the standard 20% rate.
func closedPayment(amount, catID, catName, catCode string) (revolut.Transaction, revolut.Expense) {
	tx := txn("c1", revolut.TypeCardPayment, leg("acc-gbp", "-"+amount, "GBP"))
	tx.CompletedAt, tx.UpdatedAt = ts("2026-10-14T09:00:00Z"), ts("2026-10-14T09:00:00Z")
	tx.Legs[0].Balance = ndec("880.00")
	x := expense("e-c1", "c1", revolut.ExpenseApproved, amount, "GBP",
		split(amount, "GBP", catID, catName, catCode, "tr-std", "20"))
	return tx, x
}

func renderAll(ls []Line) []string {
	out := make([]string, 0, len(ls))
	for _, l := range ls {
		out = append(out, render(l))
	}
	return out
}

// adjustment is the first adjustment of version 1 of txn:c1, in November 2026.
var adjustment = Adjustment{
	EntryID: AdjustmentEntryID("txn:c1", 1, 1), Date: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC),
	AdjustsEntryID: "txn:c1", AdjustsVersion: 1, AdjustsPeriod: "2026-10",
}

// TestAdjust: the closed booking is net 100.00 on 7400 + VAT 20.00 on 2201 (120 × 20/120 =
// 20.00) against −120.00 on the bank. Its adjustments, all dated 1 November: reverted → only
// the reversal (+120.00 bank, −100.00 net, −20.00 VAT); recategorised to 7500 → the reversal
// and net 100.00 on 7500 + VAT 20.00; settled for 90.00 → the reversal and net 75.00 + VAT
// 15.00 (90 × 20/120 = 15.00) against −90.00 on the bank.
func TestAdjust(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	tx, x := closedPayment("120.00", "cat-ent", "Entertainment", "7400")
	booked := b.BookTransaction(tx, []revolut.Expense{x}).Lines
	for i := range booked {
		booked[i].Version = 1 // as the warehouse stored it
	}
	if got, want := renderAll(booked), []string{
		"txn:c1 0/bank 1200 -120.00 GBP",
		"txn:c1 0/net 7400 100.00 GBP [gross 120.00 = net 100.00 + tax 20.00 @20%]",
		"txn:c1 0/vat 2201 20.00 GBP [gross 120.00 = net 100.00 + tax 20.00 @20%]",
	}; !reflect.DeepEqual(got, want) {
		t.Fatalf("closed booking:\n  got  %s\n  want %s", strings.Join(got, "\n       "), strings.Join(want, "\n       "))
	}
	reversal := []string{
		"adj:txn:c1:v1:1 0/bank:reversed 1200 120.00 GBP",
		"adj:txn:c1:v1:1 0/net:reversed 7400 -100.00 GBP [gross -120.00 = net -100.00 + tax -20.00 @20%]",
		"adj:txn:c1:v1:1 0/vat:reversed 2201 -20.00 GBP [gross -120.00 = net -100.00 + tax -20.00 @20%]",
	}
	recatTx, recatX := closedPayment("120.00", "cat-mkt", "Marketing", "7500")
	amtTx, amtX := closedPayment("90.00", "cat-ent", "Entertainment", "7400")
	for _, tt := range []struct {
		name       string
		rebooked   []Line
		wantReason string
		want       []string
	}{
		{"reverted", nil, AdjustmentReverted, reversal},
		{"recategorised", b.BookTransaction(recatTx, []revolut.Expense{recatX}).Lines, AdjustmentRecategorised, append(reversal[:3:3],
			"adj:txn:c1:v1:1 0/bank 1200 -120.00 GBP",
			"adj:txn:c1:v1:1 0/net 7500 100.00 GBP [gross 120.00 = net 100.00 + tax 20.00 @20%]",
			"adj:txn:c1:v1:1 0/vat 2201 20.00 GBP [gross 120.00 = net 100.00 + tax 20.00 @20%]")},
		{"amount changed", b.BookTransaction(amtTx, []revolut.Expense{amtX}).Lines, AdjustmentAmountChanged, append(reversal[:3:3],
			"adj:txn:c1:v1:1 0/bank 1200 -90.00 GBP",
			"adj:txn:c1:v1:1 0/net 7400 75.00 GBP [gross 90.00 = net 75.00 + tax 15.00 @20%]",
			"adj:txn:c1:v1:1 0/vat 2201 15.00 GBP [gross 90.00 = net 75.00 + tax 15.00 @20%]")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			reason := AdjustmentReasonFor(booked, tt.rebooked)
			if reason != tt.wantReason {
				t.Errorf("reason %q, want %q", reason, tt.wantReason)
			}
			a := adjustment
			a.Reason = reason
			got := Adjust(booked, tt.rebooked, a)
			if g := renderAll(got); !reflect.DeepEqual(g, tt.want) {
				t.Errorf("lines:\n  got  %s\n  want %s", strings.Join(g, "\n       "), strings.Join(tt.want, "\n       "))
			}
			sum := decimal.Zero
			for i, l := range got {
				sum = sum.Add(l.Amount)
				if l.Period != "2026-11" || !l.BookingDate.Equal(a.Date) || l.Version != 0 || l.AdjustsEntryID != "txn:c1" ||
					l.AdjustsVersion != 1 || l.AdjustsPeriod != "2026-10" || l.AdjustmentReason != tt.wantReason {
					t.Errorf("line %d (%s): period %s date %v version %d adjusts %s v%d %s reason %s", i, l.Key, l.Period,
						l.BookingDate, l.Version, l.AdjustsEntryID, l.AdjustsVersion, l.AdjustsPeriod, l.AdjustmentReason)
				}
				if i < 3 {
					if !IsAdjustmentReversal(l) || !IsReversal(&l) || BaseRole(l.Key.Role) != booked[i].Key.Role || l.BankBalance.Valid {
						t.Errorf("reversal line %d: role %s balance %v", i, l.Key.Role, l.BankBalance)
					}
					// The reversal keeps what was booked: account, rate, category, dimensions.
					if l.AccountCode != booked[i].AccountCode || l.CategoryID != booked[i].CategoryID || l.TaxRateID != booked[i].TaxRateID ||
						l.TransactionID != "c1" {
						t.Errorf("reversal line %d lost the booked line's provenance: %+v", i, l)
					}
				} else if IsReversal(&l) {
					t.Errorf("new line %d (%s) is marked as a reversal", i, l.Key.Role)
				}
			}
			if !sum.IsZero() {
				t.Errorf("adjustment does not balance: %s", sum)
			}
		})
	}
	// Adjust never changes its inputs: the booked lines are what the warehouse holds.
	if booked[0].EntryID != "txn:c1" || !booked[0].Amount.Equal(dec("-120.00")) || booked[0].Key.Role != RoleBank ||
		!booked[0].BankBalance.Valid {
		t.Errorf("Adjust changed the booked lines: %+v", booked[0])
	}
}

// TestAdjustmentReasonFor: the reason of every way a closed card payment (120.00 GBP, one
// approved split on 7400 at 20%) changes, from the lines alone.
func TestAdjustmentReasonFor(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	book := func(f func(*revolut.Transaction, *revolut.Expense)) []Line {
		tx, x := closedPayment("120.00", "cat-ent", "Entertainment", "7400")
		f(&tx, &x)
		return b.BookTransaction(tx, []revolut.Expense{x}).Lines
	}
	booked := book(func(*revolut.Transaction, *revolut.Expense) {})
	reimbursement := b.BookExpense(with(expense("e-r", "", revolut.ExpenseApproved, "120.00", "GBP",
		split("120.00", "GBP", "cat-ent", "Entertainment", "7400", "tr-std", "20")), func(x *revolut.Expense) {
		x.TransactionType = revolut.ExpenseTypeExternal
	})).Lines
	if len(reimbursement) == 0 {
		t.Fatal("the reimbursement was not booked")
	}
	for _, tt := range []struct {
		name             string
		booked, rebooked []Line
		want             string
	}{
		{"transaction books nothing any more", booked, nil, AdjustmentReverted},
		{"reimbursement books nothing any more", reimbursement, nil, AdjustmentExpenseRejected},
		{"expense rejected", booked, book(func(_ *revolut.Transaction, x *revolut.Expense) { x.State = revolut.ExpenseRejected }),
			AdjustmentExpenseRejected},
		{"expense reopened", booked, book(func(_ *revolut.Transaction, x *revolut.Expense) { x.State = revolut.ExpenseMissingInfo }),
			AdjustmentExpenseRejected},
		{"amount changed", booked, book(func(tx *revolut.Transaction, x *revolut.Expense) {
			tx.Legs[0].Amount, x.SpentAmount.Amount, x.Splits[0].Amount.Amount = dec("-90.00"), dec("90.00"), dec("90.00")
		}), AdjustmentAmountChanged},
		{"fee added", booked, book(func(tx *revolut.Transaction, _ *revolut.Expense) { tx.Legs[0].Fee = ndec("0.50") }),
			AdjustmentAmountChanged},
		{"recategorised", booked, book(func(_ *revolut.Transaction, x *revolut.Expense) {
			x.Splits[0].Category = revolut.SplitCategory{ID: "cat-mkt", Name: "Marketing", Code: "7500"}
		}), AdjustmentRecategorised},
		{"other tax rate", booked, book(func(_ *revolut.Transaction, x *revolut.Expense) {
			x.Splits[0].TaxRate = revolut.SplitTaxRate{ID: "tr-red", Name: "5%", Percentage: ndec("5")}
		}), AdjustmentRecategorised},
		// The same rate id at 5% (the settings changed it; 7600 and rates that are not UK rates
		// would change the treatment, see vat.go): 120 × 5/105 = 5.714… → 5.71, net 114.29.
		{"rate's percentage changed in the settings", booked, book(func(_ *revolut.Transaction, x *revolut.Expense) {
			x.Splits[0].TaxRate.Percentage = ndec("5")
		}), AdjustmentSettingsChanged},
		// At 17.5%, not a UK rate, the split's VAT is foreign (vat.go) and the VAT line goes:
		// still the settings, not a recategorisation.
		{"rate's percentage changed to a foreign rate", booked, book(func(_ *revolut.Transaction, x *revolut.Expense) {
			x.Splits[0].TaxRate.Percentage = ndec("17.5")
		}), AdjustmentSettingsChanged},
		{"recategorised to blocked entertainment", booked, book(func(_ *revolut.Transaction, x *revolut.Expense) {
			x.Splits[0].Category = revolut.SplitCategory{ID: "cat-ent2", Name: "Meals & Entertainment", Code: "7600"}
		}), AdjustmentRecategorised},
		{"category renamed in the settings", booked, book(func(_ *revolut.Transaction, x *revolut.Expense) {
			x.Splits[0].Category.Name = "Client entertainment"
		}), AdjustmentSettingsChanged},
		{"only the description changed", booked, book(func(tx *revolut.Transaction, _ *revolut.Expense) {
			tx.Legs[0].Description = "another description"
		}), AdjustmentOtherChange},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := AdjustmentReasonFor(tt.booked, tt.rebooked); got != tt.want {
				t.Errorf("reason %q, want %q", got, tt.want)
			}
		})
	}
	// The rate change books what the comment above says, so the reason is about those figures.
	changed := book(func(_ *revolut.Transaction, x *revolut.Expense) { x.Splits[0].TaxRate.Percentage = ndec("5") })
	if got := renderAll(changed)[1:]; !reflect.DeepEqual(got, []string{
		"txn:c1 0/net 7400 114.29 GBP [gross 120.00 = net 114.29 + tax 5.71 @5%]",
		"txn:c1 0/vat 2201 5.71 GBP [gross 120.00 = net 114.29 + tax 5.71 @5%]",
	}) {
		t.Errorf("5%% booking: %v", got)
	}
	// Lines in a reverted, declined or failed state say reverted whatever else changed.
	for _, st := range []string{revolut.TransactionReverted, revolut.TransactionDeclined, revolut.TransactionFailed} {
		re := book(func(*revolut.Transaction, *revolut.Expense) {})
		for i := range re {
			re[i].TransactionState = st
		}
		if got := AdjustmentReasonFor(booked, re); got != AdjustmentReverted {
			t.Errorf("rebooked in state %s: reason %q, want reverted", st, got)
		}
	}
}

// TestBookTransactionRevertedWithRevertedExpense: Revolut reverts the expense of a reverted
// card payment too. The payment's entry must still book what was booked when it completed
// (net on the category, input VAT), and its reversing entry mirror that line by line; before
// the fix the reverted expense was unusable, so the entry went to suspense without VAT and the
// VAT booked in a closed month was never reversed. 120.00 × 20/120 = 20.00 VAT, net 100.00.
func TestBookTransactionRevertedWithRevertedExpense(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	tx, x := closedPayment("120.00", "cat-ent", "Entertainment", "7400")
	tx.State, tx.UpdatedAt = revolut.TransactionReverted, ts("2026-11-03T10:00:00Z")
	x.State = revolut.ExpenseReverted
	got := b.BookTransaction(tx, []revolut.Expense{x})
	checkBooking(t, got, true, []string{
		"txn:c1 0/bank 1200 -120.00 GBP",
		"txn:c1 0/net 7400 100.00 GBP [gross 120.00 = net 100.00 + tax 20.00 @20%]",
		"txn:c1 0/vat 2201 20.00 GBP [gross 120.00 = net 100.00 + tax 20.00 @20%]",
		"txn:c1:reversal 0/bank:reversal 1200 120.00 GBP",
		"txn:c1:reversal 0/net:reversal 7400 -100.00 GBP [gross -120.00 = net -100.00 + tax -20.00 @20%]",
		"txn:c1:reversal 0/vat:reversal 2201 -20.00 GBP [gross -120.00 = net -100.00 + tax -20.00 @20%]",
	}, []string{KindReversed})
	if got.Lines[3].Period != "2026-11" {
		t.Errorf("reversal in %s, want 2026-11 (updated_at)", got.Lines[3].Period)
	}
	// A reverted expense of a payment that was not reverted is not the payment's booking.
	tx.State = revolut.TransactionCompleted
	if c := b.BookTransaction(tx, []revolut.Expense{x}); len(c.Lines) > 1 && c.Lines[1].AccountCode == "7400" {
		t.Errorf("a reverted expense of a completed payment was booked on its category: %v", renderAll(c.Lines))
	}
}
