package pipeline_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/transform"
)

// TestRefundBookedBeforeItsOriginal backfills the weeks holding a card refund but not the
// payment it refunds: the refund goes to the to-allocate account with an exception. Then it
// backfills the earlier weeks: the original arrives, and the refund is booked again as the
// mirror of the original's booking, its exception gone.
func TestRefundBookedBeforeItsOriginal(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, revoluttest.Options{Seed: 21, Transactions: 3000, Span: 90 * 24 * time.Hour})
	truth := h.fake.Truth()
	byID := map[string]revolut.Transaction{}
	for _, tx := range truth.Transactions {
		byID[tx.ID] = tx
	}
	// A completed refund whose completed original was created at least two days earlier.
	var refund, orig revolut.Transaction
	for _, tx := range truth.Transactions {
		o, ok := byID[tx.RelatedTransactionID]
		if tx.Type == revolut.TypeCardRefund && tx.State == revolut.TransactionCompleted && ok &&
			o.State == revolut.TransactionCompleted && tx.CreatedAt.Sub(o.CompletedAt.Time) > 2*24*time.Hour &&
			o.Legs[0].Currency == tx.Legs[0].Currency {
			refund, orig = tx, o
			break
		}
	}
	if refund.ID == "" {
		t.Fatal("the fake made no completed card refund of an earlier completed payment")
	}
	split := refund.CreatedAt.Add(-24 * time.Hour).Truncate(time.Hour)
	p := h.pipeline(nil)

	if _, err := p.Backfill(ctx, split, start); err != nil {
		t.Fatalf("backfill from %s: %v", split, err)
	}
	other := otherSide(h.ledger(), refund.ID)
	if len(other) != 1 || other[0].AccountCode != "1296" || !other[0].Amount.Equal(refund.Legs[0].Amount.Neg()) {
		t.Fatalf("refund %s before its original: other side %v, want %s on 1296", refund.ID, render(other), refund.Legs[0].Amount.Neg())
	}
	if !hasException(t, h, refund.ID, transform.KindRefundToAllocate) {
		t.Errorf("refund %s booked to allocate without a %s exception", refund.ID, transform.KindRefundToAllocate)
	}

	if _, err := p.Backfill(ctx, start.Add(-100*24*time.Hour), split); err != nil {
		t.Fatalf("backfill to %s: %v", split, err)
	}
	ledger := h.ledger()
	origAccounts := map[string]bool{}
	for _, l := range otherSide(ledger, orig.ID) {
		origAccounts[l.AccountCode] = true
	}
	if len(origAccounts) == 0 {
		t.Fatalf("original %s is not booked", orig.ID)
	}
	other = otherSide(ledger, refund.ID)
	sum := decimal.Zero
	for _, l := range other {
		sum = sum.Add(l.Amount)
		if !origAccounts[l.AccountCode] && l.AccountCode != "2201" {
			t.Errorf("refund line %s on %s, which the original %s does not use (%v)", l.Key, l.AccountCode, orig.ID, origAccounts)
		}
	}
	if !sum.Equal(refund.Legs[0].Amount.Neg()) {
		t.Errorf("refund %s: other side sums to %s, want %s", refund.ID, sum, refund.Legs[0].Amount.Neg())
	}
	if hasException(t, h, refund.ID, transform.KindRefundToAllocate) {
		t.Errorf("refund %s still has its %s exception after the original arrived", refund.ID, transform.KindRefundToAllocate)
	}
	checkAgainstTruth(t, truth, ledger)
}

// otherSide returns the lines of a transaction's entry that are not bank or fee lines.
func otherSide(ledger map[string]transform.Line, txID string) []transform.Line {
	var out []transform.Line
	for _, l := range ledger {
		if l.EntryID != "txn:"+txID {
			continue
		}
		switch l.Key.Role {
		case transform.RoleBank, transform.RoleFee, transform.RoleFeeBank:
			continue
		}
		out = append(out, l)
	}
	return out
}

func render(ls []transform.Line) []string {
	var out []string
	for _, l := range ls {
		out = append(out, l.Key.String()+" "+l.AccountCode+" "+l.Amount.String())
	}
	return out
}

func hasException(t *testing.T, h *harness, sourceID, kind string) bool {
	t.Helper()
	for e, err := range h.store.Exceptions(context.Background(), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			t.Fatalf("read exceptions: %v", err)
		}
		if e.SourceID == sourceID && e.Kind == kind {
			return true
		}
	}
	return false
}
