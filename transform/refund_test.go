package transform

import (
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// memberBooker is the test booker with two team members, one of whom (Amelia) is also set
// up as a counterparty, and one ordinary payee.
func memberBooker(t *testing.T) *Booker {
	t.Helper()
	s := testSettings()
	s.TeamMembers = []revolut.TeamMember{
		{ID: "tm-ray", FirstName: "Ray", LastName: "Trenfield"},
		{ID: "tm-amelia", FirstName: "Amelia", LastName: "Smith"},
	}
	s.Counterparties = []revolut.Counterparty{
		{ID: "cp-amelia", Name: "Amelia Smith"},
		{ID: "cp-acme", Name: "Acme Supplies Ltd"},
	}
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func related(tx revolut.Transaction, id string) revolut.Transaction {
	tx.RelatedTransactionID = id
	return tx
}

func toward(l revolut.Leg, accountType, id string) revolut.Leg {
	l.Counterparty = &revolut.LegCounterparty{AccountType: accountType, ID: id}
	return l
}

// TestBookRefunds checks refunds, chargebacks and charge refunds against their originals.
func TestBookRefunds(t *testing.T) {
	t.Parallel()
	b := memberBooker(t)

	// Original o1: 120.00 paid, split 90.00 at 20% (category 493) and 30.00 at 0% (461).
	o1 := Original{
		Transaction: txn("o1", revolut.TypeCardPayment, leg("acc-gbp", "-120.00", "GBP")),
		Expenses: []revolut.Expense{expense("e-o1", "o1", revolut.ExpenseApproved, "120.00", "GBP",
			split("90.00", "GBP", "cat-travel", "Travel", "493", "tr-std", "20"),
			split("30.00", "GBP", "c-print", "Printing", "461", "tr-zero", "0"))},
	}
	// Original o2: 30.00 paid in three splits of 10.00 (20%, 20%, 0%).
	o2 := Original{
		Transaction: txn("o2", revolut.TypeCardPayment, leg("acc-gbp", "-30.00", "GBP")),
		Expenses: []revolut.Expense{expense("e-o2", "o2", revolut.ExpenseApproved, "30.00", "GBP",
			split("10.00", "GBP", "cat-travel", "Travel", "493", "tr-std", "20"),
			split("10.00", "GBP", "c-sub", "Subsistence", "494", "tr-std", "20"),
			split("10.00", "GBP", "c-print", "Printing", "461", "tr-zero", "0"))},
	}
	// Original o3: a transfer of 500.00 to a supplier, balanced on 1295 transfers clearing.
	o3 := Original{Transaction: txn("o3", revolut.TypeTransfer, toward(leg("acc-gbp", "-500.00", "GBP"), "external", "cp-acme"))}
	// Original o4: a 3.00 charge, balanced on 7901 bank charges.
	o4 := Original{Transaction: txn("o4", revolut.TypeCharge, leg("acc-gbp", "-3.00", "GBP"))}
	// Original o5: paid from the euro account.
	o5 := Original{Transaction: txn("o5", revolut.TypeCardPayment, leg("acc-eur", "-10.00", "EUR"))}

	tests := []struct {
		name      string
		tx        revolut.Transaction
		orig      *Original
		wantLines []string
		wantKinds []string
	}{
		{
			// 40.00 of 120.00 comes back: a third of each split. 90.00 → 30.00, whose VAT at
			// the original 20% is 30.00×20/120 = 5.00 (net 25.00); 30.00 → 10.00 at 0%.
			name: "partial card refund mirrors the categories and reverses VAT pro rata",
			tx:   related(txn("r1", revolut.TypeCardRefund, leg("acc-gbp", "40.00", "GBP")), "o1"),
			orig: &o1,
			wantLines: []string{
				"txn:r1 0/bank 1200 40.00 GBP",
				"txn:r1 0/net 493 -25.00 GBP [gross -30.00 = net -25.00 + tax -5.00 @20%]",
				"txn:r1 0/vat 2201 -5.00 GBP [gross -30.00 = net -25.00 + tax -5.00 @20%]",
				"txn:r1 1/net 461 -10.00 GBP [gross -10.00 = net -10.00 + tax 0.00 @0%]",
			},
		},
		{
			// 10.00 of 30.00 over three equal splits: 3.333… each; the cent left over by
			// 3.33×3 = 9.99 goes to the first (ties go to the earlier part): 3.34, 3.33,
			// 3.33. VAT at 20%: 3.34×20/120 = 0.5567 → 0.56 (net 2.78); 3.33×20/120 =
			// 0.555 → 0.56 half away from zero (net 2.77); the 0% split has none.
			name: "refund over equal splits leaves its cent on the first",
			tx:   related(txn("r2", revolut.TypeCardRefund, leg("acc-gbp", "10.00", "GBP")), "o2"),
			orig: &o2,
			wantLines: []string{
				"txn:r2 0/bank 1200 10.00 GBP",
				"txn:r2 0/net 493 -2.78 GBP [gross -3.34 = net -2.78 + tax -0.56 @20%]",
				"txn:r2 0/vat 2201 -0.56 GBP [gross -3.34 = net -2.78 + tax -0.56 @20%]",
				"txn:r2 1/net 494 -2.77 GBP [gross -3.33 = net -2.77 + tax -0.56 @20%]",
				"txn:r2 1/vat 2201 -0.56 GBP [gross -3.33 = net -2.77 + tax -0.56 @20%]",
				"txn:r2 2/net 461 -3.33 GBP [gross -3.33 = net -3.33 + tax 0.00 @0%]",
			},
		},
		{
			// The whole 120.00 back: exactly the original's lines negated (net 75.00 + VAT
			// 15.00 on 493, 30.00 on 461).
			name: "chargeback of the whole payment reverses it exactly",
			tx:   related(txn("r3", revolut.TypeCardChargeback, leg("acc-gbp", "120.00", "GBP")), "o1"),
			orig: &o1,
			wantLines: []string{
				"txn:r3 0/bank 1200 120.00 GBP",
				"txn:r3 0/net 493 -75.00 GBP [gross -90.00 = net -75.00 + tax -15.00 @20%]",
				"txn:r3 0/vat 2201 -15.00 GBP [gross -90.00 = net -75.00 + tax -15.00 @20%]",
				"txn:r3 1/net 461 -30.00 GBP [gross -30.00 = net -30.00 + tax 0.00 @0%]",
			},
		},
		{
			// 200.00 of a 500.00 transfer comes back: on 1295, where the transfer was booked.
			name: "refund of a transfer goes back to the transfer's account",
			tx:   related(txn("r4", revolut.TypeRefund, toward(leg("acc-gbp", "200.00", "GBP"), "external", "cp-acme")), "o3"),
			orig: &o3,
			wantLines: []string{
				"txn:r4 0/bank 1200 200.00 GBP",
				"txn:r4 0/balancing 1295 -200.00 GBP",
			},
		},
		{
			name: "charge refund mirrors the charge on bank charges",
			tx:   related(txn("r5", revolut.TypeChargeRefund, leg("acc-gbp", "3.00", "GBP")), "o4"),
			orig: &o4,
			wantLines: []string{
				"txn:r5 0/bank 1200 3.00 GBP",
				"txn:r5 0/balancing 7901 -3.00 GBP",
			},
		},
		{
			name: "refund whose original is not known goes to allocate",
			tx:   related(txn("r6", revolut.TypeCardRefund, leg("acc-gbp", "5.00", "GBP")), "o-missing"),
			wantLines: []string{
				"txn:r6 0/bank 1200 5.00 GBP",
				"txn:r6 0/balancing 1296 -5.00 GBP",
			},
			wantKinds: []string{KindRefundToAllocate},
		},
		{
			name: "original passed for another id is not used",
			tx:   related(txn("r7", revolut.TypeCardChargeback, leg("acc-gbp", "5.00", "GBP")), "o-other"),
			orig: &o1,
			wantLines: []string{
				"txn:r7 0/bank 1200 5.00 GBP",
				"txn:r7 0/balancing 1296 -5.00 GBP",
			},
			wantKinds: []string{KindRefundToAllocate},
		},
		{
			name: "original in another currency goes to allocate",
			tx:   related(txn("r8", revolut.TypeCardRefund, leg("acc-gbp", "8.60", "GBP")), "o5"),
			orig: &o5,
			wantLines: []string{
				"txn:r8 0/bank 1200 8.60 GBP",
				"txn:r8 0/balancing 1296 -8.60 GBP",
			},
			wantKinds: []string{KindRefundToAllocate},
		},
		{
			// 150.00 back on a 120.00 payment: 150×90/120 = 112.50 (VAT 18.75, net 93.75)
			// and 150×30/120 = 37.50, with an exception.
			name: "refund larger than the original is mirrored and reported",
			tx:   related(txn("r9", revolut.TypeCardRefund, leg("acc-gbp", "150.00", "GBP")), "o1"),
			orig: &o1,
			wantLines: []string{
				"txn:r9 0/bank 1200 150.00 GBP",
				"txn:r9 0/net 493 -93.75 GBP [gross -112.50 = net -93.75 + tax -18.75 @20%]",
				"txn:r9 0/vat 2201 -18.75 GBP [gross -112.50 = net -93.75 + tax -18.75 @20%]",
				"txn:r9 1/net 461 -37.50 GBP [gross -37.50 = net -37.50 + tax 0.00 @0%]",
			},
			wantKinds: []string{KindRefundExceedsOriginal},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got Booking
			if tc.orig != nil {
				got = b.BookTransaction(tc.tx, nil, *tc.orig)
			} else {
				got = b.BookTransaction(tc.tx, nil)
			}
			checkBooking(t, got, true, tc.wantLines, tc.wantKinds)
		})
	}
}

// TestBookOtherTypes pins the booking of the types that had no rule of their own.
func TestBookOtherTypes(t *testing.T) {
	t.Parallel()
	b := memberBooker(t)
	tests := []struct {
		name      string
		tx        revolut.Transaction
		expenses  []revolut.Expense
		wantLines []string
		wantKinds []string
	}{
		{
			name:      "rev_payment without an expense is a missing expense",
			tx:        txn("v1", revolut.TypeRevPayment, leg("acc-gbp", "-12.00", "GBP")),
			wantLines: []string{"txn:v1 0/bank 1200 -12.00 GBP", "txn:v1 0/balancing 9999 12.00 GBP"},
			wantKinds: []string{KindMissingExpense},
		},
		{
			// 12.00 at 20%: VAT 12×20/120 = 2.00, net 10.00.
			name: "rev_payment with an expense books its splits",
			tx:   txn("v2", revolut.TypeRevPayment, leg("acc-gbp", "-12.00", "GBP")),
			expenses: []revolut.Expense{expense("e-v2", "v2", revolut.ExpenseApproved, "12.00", "GBP",
				split("12.00", "GBP", "cat-travel", "Travel", "493", "tr-std", "20"))},
			wantLines: []string{
				"txn:v2 0/bank 1200 -12.00 GBP",
				"txn:v2 0/net 493 10.00 GBP [gross 12.00 = net 10.00 + tax 2.00 @20%]",
				"txn:v2 0/vat 2201 2.00 GBP [gross 12.00 = net 10.00 + tax 2.00 @20%]",
			},
		},
		{
			name:      "card credit goes to allocate, not to income",
			tx:        txn("v3", revolut.TypeCardCredit, leg("acc-gbp", "5.00", "GBP")),
			wantLines: []string{"txn:v3 0/bank 1200 5.00 GBP", "txn:v3 0/balancing 1296 -5.00 GBP"},
			wantKinds: []string{KindCardCredit},
		},
		{
			name:      "charge on bank charges, routine",
			tx:        txn("v4", revolut.TypeCharge, leg("acc-gbp", "-3.00", "GBP")),
			wantLines: []string{"txn:v4 0/bank 1200 -3.00 GBP", "txn:v4 0/balancing 7901 3.00 GBP"},
		},
		{
			name:      "charge refund without an original on bank charges, routine",
			tx:        txn("v5", revolut.TypeChargeRefund, leg("acc-gbp", "3.00", "GBP")),
			wantLines: []string{"txn:v5 0/bank 1200 3.00 GBP", "txn:v5 0/balancing 7901 -3.00 GBP"},
		},
		{
			name:      "loan drawdown on loans, routine",
			tx:        txn("v6", revolut.TypeLoan, leg("acc-gbp", "10000.00", "GBP")),
			wantLines: []string{"txn:v6 0/bank 1200 10000.00 GBP", "txn:v6 0/balancing 2300 -10000.00 GBP"},
		},
		{
			name:      "returned top-up on top-up clearing, routine",
			tx:        txn("v7", revolut.TypeTopupReturn, leg("acc-gbp", "-50.00", "GBP")),
			wantLines: []string{"txn:v7 0/bank 1200 -50.00 GBP", "txn:v7 0/balancing 1299 50.00 GBP"},
		},
		{
			name:      "tax refund on VAT control, routine",
			tx:        txn("v8", revolut.TypeTaxRefund, leg("acc-gbp", "100.00", "GBP")),
			wantLines: []string{"txn:v8 0/bank 1200 100.00 GBP", "txn:v8 0/balancing 2200 -100.00 GBP"},
		},
		{
			name:      "reimbursement payout to a team member by id clears 2250",
			tx:        txn("m1", revolut.TypeTransfer, toward(leg("acc-gbp", "-60.00", "GBP"), "revolut", "tm-ray")),
			wantLines: []string{"txn:m1 0/bank 1200 -60.00 GBP", "txn:m1 0/balancing 2250 60.00 GBP"},
		},
		{
			name:      "payout to a counterparty named like a team member clears 2250",
			tx:        txn("m2", revolut.TypeTransfer, toward(leg("acc-gbp", "-42.10", "GBP"), "revolut", "cp-amelia")),
			wantLines: []string{"txn:m2 0/bank 1200 -42.10 GBP", "txn:m2 0/balancing 2250 42.10 GBP"},
		},
		{
			name:      "repayment from a team member clears employee receivables",
			tx:        txn("m3", revolut.TypeTransfer, toward(leg("acc-gbp", "25.00", "GBP"), "revolut", "tm-ray")),
			wantLines: []string{"txn:m3 0/bank 1200 25.00 GBP", "txn:m3 0/balancing 1105 -25.00 GBP"},
		},
		{
			name:      "transfer to a supplier stays on transfers clearing",
			tx:        txn("m4", revolut.TypeTransfer, toward(leg("acc-gbp", "-25.00", "GBP"), "external", "cp-acme")),
			wantLines: []string{"txn:m4 0/bank 1200 -25.00 GBP", "txn:m4 0/balancing 1295 25.00 GBP"},
		},
		{
			// The approver sent the 25.00 back as personal spend: the employee owes it.
			name: "refund_requested expense puts the spend on employee receivables",
			tx:   txn("p1", revolut.TypeCardPayment, leg("acc-gbp", "-25.00", "GBP")),
			expenses: []revolut.Expense{expense("e-p1", "p1", revolut.ExpenseRefundRequested, "25.00", "GBP",
				split("25.00", "GBP", "cat-travel", "Travel", "493", "tr-std", "20"))},
			wantLines: []string{"txn:p1 0/bank 1200 -25.00 GBP", "txn:p1 0/balancing 1105 25.00 GBP"},
		},
		{
			name:      "refunded expense without splits stays on employee receivables",
			tx:        txn("p2", revolut.TypeCardPayment, leg("acc-gbp", "-25.00", "GBP")),
			expenses:  []revolut.Expense{expense("e-p2", "p2", revolut.ExpenseRefunded, "25.00", "GBP")},
			wantLines: []string{"txn:p2 0/bank 1200 -25.00 GBP", "txn:p2 0/balancing 1105 25.00 GBP"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkBooking(t, b.BookTransaction(tc.tx, tc.expenses), true, tc.wantLines, tc.wantKinds)
		})
	}
	// The personal-spend line names the expense and the employee.
	bk := b.BookTransaction(tests[len(tests)-2].tx, tests[len(tests)-2].expenses)
	if l := bk.Lines[1]; l.ExpenseID != "e-p1" || l.ExpenseState != revolut.ExpenseRefundRequested {
		t.Errorf("receivable line: expense %q state %q", l.ExpenseID, l.ExpenseState)
	}
}

// TestBookPartialForeignSplits checks splits in the purchase's currency that cover only part
// of spent_amount: each split carries bank amount × split / spent_amount, the rest suspense.
func TestBookPartialForeignSplits(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	tests := []struct {
		name      string
		tx        revolut.Transaction
		x         revolut.Expense
		wantLines []string
		wantKinds []string
	}{
		{
			// 86.00 GBP paid for 100.00 EUR; splits 50.00 EUR (20%) and 25.00 EUR (0%).
			// 86×50/100 = 43.00 (VAT 43×20/120 = 7.1667 → 7.17, net 35.83);
			// 86×25/100 = 21.50; the 86.00 − 64.50 = 21.50 nobody split goes to suspense.
			name: "three quarters split",
			tx:   txn("f1", revolut.TypeCardPayment, leg("acc-gbp", "-86.00", "GBP")),
			x: expense("e-f1", "f1", revolut.ExpenseApproved, "100.00", "EUR",
				split("50.00", "EUR", "cat-travel", "Travel", "493", "tr-std", "20"),
				split("25.00", "EUR", "c-print", "Printing", "461", "tr-zero", "0")),
			wantLines: []string{
				"txn:f1 0/bank 1200 -86.00 GBP",
				"txn:f1 0/split_difference 9999 21.50 GBP",
				// 20% on a EUR split is foreign VAT (vat.go): the whole 43.00 on 493.
				"txn:f1 0/net 493 43.00 GBP orig 50.00 EUR [gross 43.00 = net 43.00 + tax 0.00 @20%]",
				"txn:f1 1/net 461 21.50 GBP orig 25.00 EUR [gross 21.50 = net 21.50 + tax 0.00 @0%]",
			},
			// The partial split also fails the check of the splits against spent_amount.
			wantKinds: []string{KindSpentMismatch, KindSplitsMismatch},
		},
		{
			// 0.05 GBP for 1.00 EUR; two splits of 0.30 EUR: 0.05×0.30/1.00 = 0.015 → 0.02
			// each (half away from zero); 0.05 − 0.04 = 0.01 to suspense.
			name: "half-cent shares round away from zero, residue explicit",
			tx:   txn("f2", revolut.TypeCardPayment, leg("acc-gbp", "-0.05", "GBP")),
			x: expense("e-f2", "f2", revolut.ExpenseApproved, "1.00", "EUR",
				split("0.30", "EUR", "c-print", "Printing", "461", "tr-zero", "0"),
				split("0.30", "EUR", "c-sub", "Subsistence", "494", "tr-zero", "0")),
			wantLines: []string{
				"txn:f2 0/bank 1200 -0.05 GBP",
				"txn:f2 0/split_difference 9999 0.01 GBP",
				"txn:f2 0/net 461 0.02 GBP orig 0.30 EUR [gross 0.02 = net 0.02 + tax 0.00 @0%]",
				"txn:f2 1/net 494 0.02 GBP orig 0.30 EUR [gross 0.02 = net 0.02 + tax 0.00 @0%]",
			},
			wantKinds: []string{KindSpentMismatch, KindSplitsMismatch},
		},
		{
			// Splits that cover the whole 100.00 EUR keep the whole 86.00 GBP, allocated:
			// 86×60/100 = 51.60 and 86×40/100 = 34.40, nothing on suspense.
			name: "complete splits allocate the whole amount",
			tx:   txn("f3", revolut.TypeCardPayment, leg("acc-gbp", "-86.00", "GBP")),
			x: expense("e-f3", "f3", revolut.ExpenseApproved, "100.00", "EUR",
				split("60.00", "EUR", "c-print", "Printing", "461", "tr-zero", "0"),
				split("40.00", "EUR", "c-sub", "Subsistence", "494", "tr-zero", "0")),
			wantLines: []string{
				"txn:f3 0/bank 1200 -86.00 GBP",
				"txn:f3 0/net 461 51.60 GBP orig 60.00 EUR [gross 51.60 = net 51.60 + tax 0.00 @0%]",
				"txn:f3 1/net 494 34.40 GBP orig 40.00 EUR [gross 34.40 = net 34.40 + tax 0.00 @0%]",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkBooking(t, b.BookTransaction(tc.tx, []revolut.Expense{tc.x}), true, tc.wantLines, tc.wantKinds)
		})
	}
}

// TestReimbursementDates checks that out-of-pocket expenses are dated by approval or
// payment, not by the date the employee typed in.
func TestReimbursementDates(t *testing.T) {
	t.Parallel()
	b := newTestBooker(t)
	base := expense("x1", "", revolut.ExpenseApproved, "60.00", "GBP", split("60.00", "GBP", "cat-travel", "Travel", "493", "tr-std", "20"))
	base.TransactionType = revolut.ExpenseTypeExternal
	base.ExpenseDate = ts("2024-05-02T00:00:00Z")
	base.SubmittedAt = ts("2024-09-10T12:00:00.123456Z")
	tests := []struct {
		name string
		x    revolut.Expense
		want string
	}{
		{"approved and paid: completed_at", with(base, func(x *revolut.Expense) { x.CompletedAt = ts("2024-10-01T09:00:00Z") }), "2024-10-01"},
		{"pending reimbursement without completed_at: submitted_at", with(base, func(x *revolut.Expense) {
			x.State = revolut.ExpensePendingReimbursement
		}), "2024-09-10"},
		{"neither: expense_date", with(base, func(x *revolut.Expense) { x.SubmittedAt = revolut.Time{} }), "2024-05-02"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bk := b.BookExpense(tc.x)
			// 60.00 at 20%: net 50.00, VAT 10.00, owed 60.00, all on the same date.
			checkBooking(t, bk, true, []string{
				"exp:x1 0/net 493 50.00 GBP [gross 60.00 = net 50.00 + tax 10.00 @20%]",
				"exp:x1 0/vat 2201 10.00 GBP [gross 60.00 = net 50.00 + tax 10.00 @20%]",
				"exp:x1 0/reimbursement 2250 -60.00 GBP",
			}, nil)
			for _, l := range bk.Lines {
				if got := l.BookingDate.Format(time.DateOnly); got != tc.want {
					t.Errorf("%s booked on %s, want %s", l.Key, got, tc.want)
				}
			}
		})
	}
}
