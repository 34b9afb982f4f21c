package report_test

import (
	"testing"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
)

func TestAdjustmentWords(t *testing.T) {
	t.Parallel()
	cases := []struct{ reason, long, short string }{
		{transform.AdjustmentReverted, "Payment reverted by the merchant, declined or failed after October 2026 was closed", "reverted"},
		{transform.AdjustmentRecategorised, "Expense recategorised (category, VAT rate or labels changed) after October 2026 was closed", "recategorised"},
		{transform.AdjustmentExpenseRejected, "Expense rejected, reverted or reopened by an approver after October 2026 was closed", "expense rejected"},
		{transform.AdjustmentAmountChanged, "Amount changed (the payment completed with another amount) after October 2026 was closed", "amount changed"},
		{transform.AdjustmentSettingsChanged, "Tax rate or category changed in the Revolut settings after October 2026 was closed", "settings changed"},
		{transform.AdjustmentOtherChange, "Changed in Revolut after October 2026 was closed", "changed"},
	}
	for _, c := range cases {
		if got := report.AdjustmentReason(c.reason, "2026-10"); got != c.long {
			t.Errorf("AdjustmentReason(%q) = %q, want %q", c.reason, got, c.long)
		}
		l := transform.Line{AdjustsEntryID: "txn:x", AdjustsPeriod: "2026-10", AdjustmentReason: c.reason}
		if got, want := report.AdjustmentNarration(&l), "Adjustment to 2026-10 ("+c.short+")"; got != want {
			t.Errorf("AdjustmentNarration = %q, want %q", got, want)
		}
	}
}

// TestAdjustmentNotCardSpend: a card payment re-booked by an adjustment was spent in the
// closed period; it does not count again in the open one.
func TestAdjustmentNotCardSpend(t *testing.T) {
	t.Parallel()
	l := transform.Line{
		CardID: "card-1", RevolutAccountID: "acc-1", TransactionState: "completed", TransactionType: "card_payment",
		Key: transform.LineKey{Role: transform.RoleBank},
	}
	if !report.IsCardSpend(&l) {
		t.Fatal("ordinary card payment is not card spend")
	}
	l.AdjustsEntryID = "txn:x"
	if report.IsCardSpend(&l) {
		t.Error("adjustment line counted as card spend")
	}
}
