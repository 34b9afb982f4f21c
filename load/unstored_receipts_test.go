package load

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// TestUnstoredReceipts: one query lists every receipt a stored expense names, whatever its
// date, minus those recorded and present in the export location; a receipt named twice is
// listed once; the newest expense comes first.
func TestUnstoredReceipts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)

	old := expense("e-old", "", "completed", "10.00") // dated 2025-01-10, names rcpt-e-old
	recent := expense("e-new", "", "completed", "20.00")
	recent.ExpenseDate = at("2025-06-01T09:00:00Z")
	recent.ReceiptIDs = []string{"r-b", "r-a", "r-b"} // r-b twice
	recent = withRaw(recent, func(e *revolut.Expense, r json.RawMessage) { e.Raw = r })
	none := expense("e-none", "", "completed", "5.00")
	none.ReceiptIDs = nil
	none = withRaw(none, func(e *revolut.Expense, r json.RawMessage) { e.Raw = r })
	if _, err := lock.LoadBatch(ctx, Batch{Stream: "expenses", RunID: run, Expenses: []revolut.Expense{old, recent, none}}); err != nil {
		t.Fatal(err)
	}
	sum := func(i int) string { return fmt.Sprintf("%064x", i) }
	// r-a is recorded and present; rcpt-e-old is recorded but gone from the location (moved).
	if _, err := lock.LoadBatch(ctx, Batch{Stream: "receipts", RunID: run, Receipts: []ReceiptMeta{
		{ExpenseID: "e-new", ReceiptID: "r-a", ContentType: "image/png", Size: 1, SHA256: sum(1), ObjectKey: "receipts/e-new/r-a.png", StoredAt: time.Now()},
		{ExpenseID: "e-old", ReceiptID: "rcpt-e-old", ContentType: "application/pdf", Size: 1, SHA256: sum(2), ObjectKey: "receipts/e-old/rcpt-e-old.pdf", StoredAt: time.Now()},
	}}); err != nil {
		t.Fatal(err)
	}
	var asked []string
	present := func(key, sha string) bool {
		asked = append(asked, key)
		return key == "receipts/e-new/r-a.png" && sha == sum(1)
	}
	missing, stored, err := s.UnstoredReceipts(ctx, present)
	if err != nil {
		t.Fatal(err)
	}
	want := []ReceiptRef{{"e-new", "r-b"}, {"e-old", "rcpt-e-old"}}
	if !slices.Equal(missing, want) || stored != 1 {
		t.Errorf("missing %v stored %d, want %v and 1", missing, stored, want)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, []string{"receipts/e-new/r-a.png", "receipts/e-old/rcpt-e-old.pdf"}) {
		t.Errorf("asked the location about %v, want only the two recorded receipts", asked)
	}
}
