package revoluttest

import (
	"bytes"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// TestCoverageOfTypesAndStates checks that one ordinary history holds every transaction type
// and expense state Revolut documents, that refunds point back to real originals, that some
// timestamps carry microseconds, that some splits fall short of spent_amount, and that
// reimbursements and repaid personal spend have their transfers to and from the team member.
func TestCoverageOfTypesAndStates(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{Seed: 9, End: fixedEnd, Transactions: 5000})
	d := s.Truth()
	checkBalances(t, d)

	byID := map[string]revolut.Transaction{}
	types := map[string]int{}
	for _, tx := range d.Transactions {
		byID[tx.ID] = tx
		types[tx.Type]++
	}
	for _, typ := range []string{"card_payment", "card_refund", "card_chargeback", "card_credit", "charge",
		"charge_refund", "exchange", "transfer", "loan", "fee", "refund", "topup", "topup_return", "atm",
		"tax", "tax_refund", "rev_payment"} {
		if types[typ] == 0 {
			t.Errorf("no %s transactions (types: %v)", typ, types)
		}
	}
	wantOriginal := map[string]string{
		"card_refund": "card_payment", "card_chargeback": "card_payment", "refund": "transfer",
		"charge_refund": "charge", "topup_return": "topup",
	}
	for _, tx := range d.Transactions {
		want, ok := wantOriginal[tx.Type]
		if !ok {
			continue
		}
		orig, found := byID[tx.RelatedTransactionID]
		switch {
		case !found:
			t.Errorf("%s %s refers to %q, which is not a transaction", tx.Type, tx.ID, tx.RelatedTransactionID)
		case orig.Type != want:
			t.Errorf("%s %s refers to a %s", tx.Type, tx.ID, orig.Type)
		case !orig.CreatedAt.Before(tx.CreatedAt.Time):
			t.Errorf("%s %s was created before its original", tx.Type, tx.ID)
		case orig.Legs[0].Currency != tx.Legs[0].Currency || orig.Legs[0].Amount.Sign() == tx.Legs[0].Amount.Sign():
			t.Errorf("%s %s: %s %s does not refund %s %s", tx.Type, tx.ID, tx.Legs[0].Amount, tx.Legs[0].Currency,
				orig.Legs[0].Amount, orig.Legs[0].Currency)
		}
	}

	states, etypes := map[string]int{}, map[string]int{}
	var partial int
	for _, e := range d.Expenses {
		states[e.State]++
		etypes[e.TransactionType]++
		if e.TransactionType == "rev_payment" && byID[e.TransactionID].Type != "rev_payment" {
			t.Errorf("rev_payment expense %s belongs to a %s", e.ID, byID[e.TransactionID].Type)
		}
		sum := e.SpentAmount.Amount.Sub(e.SpentAmount.Amount)
		for _, sp := range e.Splits {
			sum = sum.Add(sp.Amount.Amount)
		}
		if sum.LessThan(e.SpentAmount.Amount) {
			partial++
		}
		if e.State == revolut.ExpenseRefunded && e.CompletedAt.IsZero() {
			t.Errorf("refunded expense %s has no completed_at", e.ID)
		}
	}
	for _, st := range []string{"missing_info", "awaiting_review", "rejected", "pending_reimbursement",
		"refund_requested", "refunded", "approved", "reverted"} {
		if states[st] == 0 {
			t.Errorf("no %s expenses (states: %v)", st, states)
		}
	}
	if etypes["rev_payment"] == 0 {
		t.Errorf("no rev_payment expenses (expense types: %v)", etypes)
	}
	if partial == 0 {
		t.Error("no expense whose splits fall short of spent_amount")
	}

	// Transfers to and from team members: reimbursement payouts out, repayments in.
	members := map[string]bool{}
	for _, m := range d.TeamMembers {
		members[m.ID] = true
	}
	var payouts, repayments int
	for _, tx := range d.Transactions {
		if tx.Type != "transfer" || len(tx.Legs) != 1 || tx.Legs[0].Counterparty == nil || !members[tx.Legs[0].Counterparty.ID] {
			continue
		}
		if tx.Legs[0].Amount.IsNegative() {
			payouts++
		} else {
			repayments++
		}
	}
	if payouts == 0 || repayments == 0 {
		t.Errorf("%d reimbursement payouts and %d repayments to and from team members", payouts, repayments)
	}

	// Microsecond timestamps on some records, milliseconds on the others.
	var micro, milli int
	for _, tx := range d.Transactions {
		if bytes.Contains(tx.Raw, []byte(`"completed_at"`)) {
			if tx.CompletedAt.Nanosecond()%int(time.Millisecond) != 0 {
				micro++
				if !bytes.Contains(tx.Raw, []byte(tx.CompletedAt.UTC().Format(`"2006-01-02T15:04:05.000000Z"`))) {
					t.Errorf("transaction %s: completed_at %s is not served with six decimals: %s", tx.ID, tx.CompletedAt, tx.Raw)
				}
			} else {
				milli++
			}
		}
	}
	if micro == 0 || milli == 0 {
		t.Errorf("%d completed_at with microseconds, %d with milliseconds", micro, milli)
	}
}

// TestAmountChangesOnCompletion finds a pending card payment served with its authorised
// amount and checks that it completes with another amount, the balance following the final
// one.
func TestAmountChangesOnCompletion(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: fixedEnd}
	// A busy three days: many card payments are still pending at the end.
	s := NewTestServer(t, Options{Seed: 3, End: fixedEnd, Transactions: 5000, Span: 3 * 24 * time.Hour, Clock: clock.now})
	pendingBefore := map[string]revolut.Transaction{}
	for _, tx := range s.Truth().Transactions {
		if tx.State == revolut.TransactionPending {
			pendingBefore[tx.ID] = tx
		}
	}
	s.Advance(5 * 24 * time.Hour)
	after := s.Truth()
	checkBalances(t, after)
	changed := 0
	for _, tx := range after.Transactions {
		old, ok := pendingBefore[tx.ID]
		if !ok || tx.State != revolut.TransactionCompleted {
			continue
		}
		if !old.Legs[0].Amount.Equal(tx.Legs[0].Amount) {
			changed++
			// Authorised at nine tenths of the final amount (truncated to minor units).
			if tx.Legs[0].Amount.Abs().LessThanOrEqual(old.Legs[0].Amount.Abs()) {
				t.Errorf("%s: authorised %s, completed %s", tx.ID, old.Legs[0].Amount, tx.Legs[0].Amount)
			}
		}
	}
	if changed == 0 {
		t.Errorf("none of %d pending transactions completed with a changed amount", len(pendingBefore))
	}
}
