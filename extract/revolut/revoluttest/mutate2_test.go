package revoluttest

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// TestChangeAmount: a completed card payment with an approved one-split GBP expense settles
// for 90% of its amount; the leg, its balance, the account's balance and the expense's spent
// amount and split all follow, and updated_at is now.
func TestChangeAmount(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: fixedEnd}
	s := NewTestServer(t, Options{Seed: 7, End: fixedEnd, Transactions: 400, Clock: clock.now})
	d := s.Truth()
	expOf := map[string]revolut.Expense{}
	for _, x := range d.Expenses {
		expOf[x.TransactionID] = x
	}
	var tx revolut.Transaction
	var x revolut.Expense
	for _, c := range d.Transactions {
		e, ok := expOf[c.ID]
		if c.State == revolut.TransactionCompleted && c.Type == revolut.TypeCardPayment && len(c.Legs) == 1 &&
			c.Legs[0].Currency == "GBP" && ok && len(e.Splits) == 1 && e.Splits[0].Amount.Currency == "GBP" &&
			c.Legs[0].Balance.Valid && c.Legs[0].Amount.LessThan(decimal.NewFromInt(-10)) {
			tx, x = c, e
			break
		}
	}
	if tx.ID == "" {
		t.Fatal("no fitting card payment")
	}
	accBefore := accountBalance(d, tx.Legs[0].AccountID)
	old := tx.Legs[0].Amount
	// 90% of the amount, rounded to pence by hand: e.g. -24.38 × 0.9 = -21.942 → -21.94.
	want := old.Mul(decimal.RequireFromString("0.9")).Round(2)
	clock.t = fixedEnd.Add(time.Hour)
	if err := s.ChangeAmount(tx.ID, want); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeAmount(tx.ID, want.Add(decimal.RequireFromString("0.001"))); err == nil {
		t.Error("an amount finer than pence was accepted")
	}
	d2 := s.Truth()
	var got revolut.Transaction
	for _, c := range d2.Transactions {
		if c.ID == tx.ID {
			got = c
		}
	}
	delta := want.Sub(old)
	if l := got.Legs[0]; !l.Amount.Equal(want) || !l.Balance.Decimal.Equal(tx.Legs[0].Balance.Decimal.Add(delta)) {
		t.Errorf("leg amount %s balance %s, want %s and %s", l.Amount, l.Balance.Decimal, want, tx.Legs[0].Balance.Decimal.Add(delta))
	}
	if !got.UpdatedAt.Time.Equal(clock.t) || !got.CompletedAt.Time.Equal(tx.CompletedAt.Time) {
		t.Errorf("updated_at %v completed_at %v, want now and unchanged", got.UpdatedAt.Time, got.CompletedAt.Time)
	}
	if b := accountBalance(d2, tx.Legs[0].AccountID); !b.Equal(accBefore.Add(delta)) {
		t.Errorf("account balance %s, want %s", b, accBefore.Add(delta))
	}
	for _, e := range d2.Expenses {
		if e.ID == x.ID {
			if !e.SpentAmount.Amount.Equal(want.Neg()) || !e.Splits[0].Amount.Amount.Equal(want.Neg()) {
				t.Errorf("expense spent %s split %s, want %s", e.SpentAmount.Amount, e.Splits[0].Amount.Amount, want.Neg())
			}
		}
	}
}

func accountBalance(d Dataset, id string) decimal.Decimal {
	for _, a := range d.Accounts {
		if a.ID == id {
			return a.Balance
		}
	}
	return decimal.Zero
}

// TestChangeTaxRate: the rate's percentage and updated_at change in the settings and in the
// splits that carry it; ReopenExpense and DeclineTransaction change state as documented.
func TestChangeTaxRateDeclineReopen(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: fixedEnd}
	s := NewTestServer(t, Options{Seed: 7, End: fixedEnd, Transactions: 400, Clock: clock.now})
	d := s.Truth()
	rate := d.TaxRates[0]
	at := fixedEnd.Add(-48 * time.Hour)
	if err := s.ChangeTaxRate(rate.ID, "17.5", at); err != nil {
		t.Fatal(err)
	}
	if err := s.ChangeTaxRate(rate.ID, "x", time.Time{}); err == nil {
		t.Error("a non-number percentage was accepted")
	}
	var expID, txID string
	expOf := map[string]revolut.Expense{}
	for _, x := range d.Expenses {
		expOf[x.TransactionID] = x
	}
	for _, c := range d.Transactions {
		if x, ok := expOf[c.ID]; ok && c.State == revolut.TransactionCompleted && x.State == revolut.ExpenseApproved && len(c.Legs) == 1 {
			if txID == "" {
				txID = c.ID
			} else if expID == "" {
				expID = x.ID
			}
		}
	}
	var revID string
	for _, c := range d.Transactions {
		if c.State == revolut.TransactionCompleted && c.ID != txID && len(c.Legs) == 1 {
			revID = c.ID
			break
		}
	}
	if err := s.RevertTransactionWithoutCompletedAt(revID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeclineTransaction(txID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.ReopenExpense(expID); err != nil {
		t.Fatal(err)
	}
	d2 := s.Truth()
	for _, r := range d2.TaxRates {
		if r.ID == rate.ID && (r.Percentage.Decimal.String() != "17.5" || !r.UpdatedAt.Time.Equal(at)) {
			t.Errorf("tax rate %s: %s%% updated %v, want 17.5%% updated %v", r.ID, r.Percentage.Decimal, r.UpdatedAt.Time, at)
		}
	}
	for _, x := range d2.Expenses {
		for _, sp := range x.Splits {
			if sp.TaxRate.ID == rate.ID && sp.TaxRate.Percentage.Valid && sp.TaxRate.Percentage.Decimal.String() != "17.5" {
				t.Errorf("expense %s still carries %s%%", x.ID, sp.TaxRate.Percentage.Decimal)
			}
		}
		if x.ID == expID && x.State != revolut.ExpenseMissingInfo {
			t.Errorf("reopened expense is %s", x.State)
		}
		if x.TransactionID == txID && x.State != revolut.ExpenseReverted {
			t.Errorf("declined payment's expense is %s", x.State)
		}
	}
	for _, c := range d2.Transactions {
		if c.ID == revID && (c.State != revolut.TransactionReverted || !c.CompletedAt.Time.IsZero()) {
			t.Errorf("reverted transaction: state %s completed_at %v, want reverted without", c.State, c.CompletedAt.Time)
		}
		if c.ID == txID && (c.State != revolut.TransactionDeclined || c.CompletedAt.Time.IsZero()) {
			t.Errorf("declined transaction: state %s completed_at %v", c.State, c.CompletedAt.Time)
		}
	}
}
