package load

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

// TestAdjustmentsFollowApprovalAndUndo books one January 2025 card payment of 120.00 GBP
// through three closed months, with the booker's own lines and real PostgreSQL:
//
//	awaiting review: bank −120.00, 6100 +100.00, VAT 2201 +20.00 (120 × 20/120), not yet
//	countable on a VAT return; January closes.
//	approved after the close: the same figures, now countable: an adjustment in February
//	(reversal +120.00 / −100.00 / −20.00, then the same lines again), so the VAT reaches
//	February's return. February closes.
//	rejected: bank −120.00 to suspense 9999 +120.00: an adjustment in March against
//	February's adjustment. March closes.
//	approved again (the January figures): a third adjustment, in April, back from suspense,
//	and not skipped because the figures equal the closed January version.
//
// And reopening January is refused while its adjustments sit in closed months.
func TestAdjustmentsFollowApprovalAndUndo(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	w, run := lockAndRun(t, s)
	ctx := context.Background()
	b, err := transform.NewBooker(transform.Settings{
		Accounts: []revolut.Account{{ID: "acc-gbp", Name: "Main", Currency: "GBP"}},
		Chart:    transform.DefaultChart(),
	})
	if err != nil {
		t.Fatal(err)
	}
	tx := txn("t-adj", revolut.TransactionCompleted, "-120.00")
	book := func(state string) {
		t.Helper()
		bk := b.BookTransaction(tx, []revolut.Expense{expense("x-adj", "t-adj", state, "120.00")})
		if _, err := w.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "t-adj", Lines: bk.Lines, Exceptions: bk.Exceptions}}); err != nil {
			t.Fatalf("write %s: %v", state, err)
		}
	}
	closeMonth := func(p string) {
		t.Helper()
		if _, err := w.ClosePeriod(ctx, p, "test", "command", run); err != nil {
			t.Fatal(err)
		}
	}
	adjustments := func() map[string][]string { // period → "account amount" of its adjustment lines
		out := map[string][]string{}
		for l, err := range s.LedgerLines(ctx, at("2025-01-01T00:00:00Z").Time, at("2026-01-01T00:00:00Z").Time) {
			if err != nil {
				t.Fatal(err)
			}
			if l.AdjustsEntryID == "t-adj" || l.AdjustsEntryID == "txn:t-adj" {
				out[l.Period] = append(out[l.Period], l.AccountCode+" "+l.Amount.StringFixed(2))
			}
		}
		for _, v := range out {
			slices.Sort(v)
		}
		return out
	}

	book(revolut.ExpenseAwaitingReview)
	closeMonth("2025-01")
	book(revolut.ExpenseApproved)
	// Reversal of January and the same figures again, now approved.
	want := []string{"1200 -120.00", "1200 120.00", "2201 -20.00", "2201 20.00", "6100 -100.00", "6100 100.00"}
	if got := adjustments()["2025-02"]; !slices.Equal(got, want) {
		t.Fatalf("approval after the close: February adjustment %v, want %v", got, want)
	}
	closeMonth("2025-02")
	book(revolut.ExpenseRejected)
	want = []string{"1200 -120.00", "1200 120.00", "2201 -20.00", "6100 -100.00", "9999 120.00"}
	if got := adjustments()["2025-03"]; !slices.Equal(got, want) {
		t.Fatalf("rejection: March adjustment %v, want %v", got, want)
	}
	closeMonth("2025-03")
	book(revolut.ExpenseApproved)
	want = []string{"1200 -120.00", "1200 120.00", "2201 20.00", "6100 100.00", "9999 -120.00"}
	if got := adjustments()["2025-04"]; !slices.Equal(got, want) {
		t.Fatalf("approved again: April adjustment %v, want %v", got, want)
	}

	if _, err := w.ReopenPeriod(ctx, "2025-01", "test", "correct January"); !errors.Is(err, ErrReopenBlocked) {
		t.Fatalf("reopen January with its adjustments in closed months: %v, want ErrReopenBlocked", err)
	}
	if _, err := w.ReopenPeriod(ctx, "2025-03", "test", "correct March"); err != nil {
		t.Fatalf("reopen March (its own adjustment is in open April): %v", err)
	}
}

// TestEntryDatedIntoClosedPeriodStaysOpen: a card payment booked on 3 February 2025 (bank
// −120.00, 6100 +100.00, VAT +20.00) whose completion time Revolut later corrects to 30 January,
// after January closed, is not written into January: its new version is dated 1 February, the
// first open day from there, and January gains nothing.
func TestEntryDatedIntoClosedPeriodStaysOpen(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	w, run := lockAndRun(t, s)
	ctx := context.Background()
	b, err := transform.NewBooker(transform.Settings{
		Accounts: []revolut.Account{{ID: "acc-gbp", Name: "Main", Currency: "GBP"}},
		Chart:    transform.DefaultChart(),
	})
	if err != nil {
		t.Fatal(err)
	}
	book := func(completed string) {
		t.Helper()
		tx := txn("t-late", revolut.TransactionCompleted, "-120.00")
		tx.CompletedAt = at(completed)
		bk := b.BookTransaction(tx, []revolut.Expense{expense("x-late", "t-late", revolut.ExpenseApproved, "120.00")})
		if _, err := w.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "t-late", Lines: bk.Lines}}); err != nil {
			t.Fatal(err)
		}
	}
	book("2025-02-03T10:00:00Z")
	if _, err := w.ClosePeriod(ctx, "2025-01", "test", "command", run); err != nil {
		t.Fatal(err)
	}
	book("2025-01-30T10:00:00Z")
	n := 0
	for l, err := range s.LedgerLines(ctx, at("2025-01-01T00:00:00Z").Time, at("2025-03-01T00:00:00Z").Time) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if l.Period != "2025-02" || l.BookingDate.Format("2006-01-02") != "2025-02-01" || l.AdjustsEntryID != "" {
			t.Errorf("%s: period %s, date %s, adjusts %q; want 2025-02, 2025-02-01, none", l.Key, l.Period, l.BookingDate.Format("2006-01-02"), l.AdjustsEntryID)
		}
	}
	if n != 3 {
		t.Errorf("%d current lines, want 3 (bank, net, VAT)", n)
	}
}
