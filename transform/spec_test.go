package transform

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// specPath is the official OpenAPI description vendored in the repository (see the README
// beside it for its provenance).
const specPath = "../extract/revolut/testdata/business-openapi.json"

// specExample returns the raw example of the 200 response of GET path, exactly as written in
// the spec (json.RawMessage keeps the number text, so amounts decode exactly).
func specExample(t *testing.T, path string) json.RawMessage {
	t.Helper()
	raw, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatalf("read the OpenAPI description: %v", err)
	}
	// A path item also holds non-operation keys (parameters), so operations are decoded one
	// by one.
	var spec struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(raw, &spec); err != nil {
		t.Fatalf("decode the OpenAPI description: %v", err)
	}
	var op struct {
		Responses map[string]struct {
			Content map[string]struct {
				Example json.RawMessage `json:"example"`
			} `json:"content"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(spec.Paths[path]["get"], &op); err != nil {
		t.Fatalf("decode GET %s: %v", path, err)
	}
	ex := op.Responses["200"].Content["application/json"].Example
	if len(ex) == 0 {
		t.Fatalf("no example for GET %s 200", path)
	}
	return ex
}

// TestSpecExamples books the spec's own example transactions and expenses. The examples do
// not link to each other, so besides booking them as they are (transactions; expenses as
// orphans or reimbursements), each example expense is also booked against a completed card
// payment built from its spent amount, and the mileage example once more as approved.
func TestSpecExamples(t *testing.T) {
	t.Parallel()
	var txs []revolut.Transaction
	if err := json.Unmarshal(specExample(t, "/transactions"), &txs); err != nil {
		t.Fatalf("decode example transactions: %v", err)
	}
	var xs []revolut.Expense
	if err := json.Unmarshal(specExample(t, "/expenses"), &xs); err != nil {
		t.Fatalf("decode example expenses: %v", err)
	}
	if len(txs) != 3 || len(xs) != 3 {
		t.Fatalf("spec has %d example transactions and %d expenses, this test expects 3 and 3", len(txs), len(xs))
	}
	b, err := NewBooker(Settings{Chart: DefaultChart()})
	if err != nil {
		t.Fatal(err)
	}

	kindsOf := func(bk Booking) []string { return kinds(bk.Exceptions) }

	// 1. A pending transfer: reported, not booked.
	if bk := b.BookTransaction(txs[0], nil); bk.Booked || !equalStrings(kindsOf(bk), KindNotBookedPending) {
		t.Errorf("pending example: %+v", bk)
	}
	// 2. The AED card payment of −47.8 with a 0.66 fee and no expense: bank, fee pair, suspense.
	bk := b.BookTransaction(txs[1], nil)
	checkInvariants(t, bk)
	checkLines(t, bk, []string{
		"txn:640c2b97-aaaa-1234-aaaa-c47a165c2e7e 0/bank 1208 -47.80 AED orig -13.00 USD",
		"txn:640c2b97-aaaa-1234-aaaa-c47a165c2e7e 0/fee 7901 0.66 AED",
		"txn:640c2b97-aaaa-1234-aaaa-c47a165c2e7e 0/fee_bank 1208 -0.66 AED",
		"txn:640c2b97-aaaa-1234-aaaa-c47a165c2e7e 0/balancing 9999 47.80 AED",
	})
	if l := bk.Lines[0]; l.CardLastDigits != "1234" || l.CardHolder != "John Smith" || l.Merchant != "Acme Corp." ||
		!l.BankBalance.Decimal.Equal(decimal.RequireFromString("7.74")) {
		t.Errorf("AED example bank line provenance: %+v", l)
	}
	// 3. The EUR card payment with card references and a zero fee: no fee lines.
	bk = b.BookTransaction(txs[2], nil)
	checkInvariants(t, bk)
	checkLines(t, bk, []string{
		"txn:6886001b-c4a4-4920-912b-c9d7d2575bf7 0/bank 1201 -153.32 EUR",
		"txn:6886001b-c4a4-4920-912b-c9d7d2575bf7 0/balancing 9999 153.32 EUR",
	})
	if refs := bk.Lines[0].CardReferences; len(refs) != 2 || refs[0] != (CardReference{Name: "PNR", Value: "RT12345"}) {
		t.Errorf("card references = %+v", refs)
	}

	// The expenses as they are: two name transactions that are unknown here, the mileage one is
	// missing_info and so not booked.
	for i, want := range []string{KindOrphanExpense, KindOrphanExpense, KindExpenseNotBooked} {
		if bk := b.BookExpense(xs[i]); bk.Booked || !equalStrings(kindsOf(bk), want) {
			t.Errorf("example expense %d booked alone: %+v, want only %s", i, bk, want)
		}
	}

	// Each example expense against a card payment of its spent amount.
	// Expense 1: 15.39 at 20% → tax 2.565 → 2.57, net 12.82; 8.99 at 0%.
	// Expense 2 is missing_info: the fee type's default 7901 takes it.
	wantLines := [][]string{
		{
			"txn:163e0ef6-2414-4fcf-846f-1f871059d506 0/bank 1200 -24.38 GBP",
			"txn:163e0ef6-2414-4fcf-846f-1f871059d506 0/net 461 12.82 GBP [gross 15.39 = net 12.82 + tax 2.57 @20%]",
			"txn:163e0ef6-2414-4fcf-846f-1f871059d506 0/vat 2201 2.57 GBP [gross 15.39 = net 12.82 + tax 2.57 @20%]",
			"txn:163e0ef6-2414-4fcf-846f-1f871059d506 1/net 555 8.99 GBP [gross 8.99 = net 8.99 + tax 0.00 @0%]",
		},
		{
			"txn:91b56d41-7b42-40e8-8970-0082cf965e6e 0/bank 1201 -17.68 EUR",
			"txn:91b56d41-7b42-40e8-8970-0082cf965e6e 0/balancing 7901 17.68 EUR",
		},
	}
	for i, x := range xs[:2] {
		tx := revolut.Transaction{
			ID: x.TransactionID, Type: x.TransactionType, State: revolut.TransactionCompleted,
			CreatedAt: x.ExpenseDate, UpdatedAt: x.ExpenseDate, CompletedAt: x.ExpenseDate,
			Legs: []revolut.Leg{{LegID: "l", AccountID: "a", Amount: x.SpentAmount.Amount.Neg(), Currency: x.SpentAmount.Currency}},
		}
		bk := b.BookTransaction(tx, []revolut.Expense{x})
		checkInvariants(t, bk)
		checkLines(t, bk, wantLines[i])
	}
	if l := b.BookTransaction(revolut.Transaction{}, nil); l.Booked {
		t.Error("an empty transaction was booked")
	}
	// The mileage example, approved: its category has no code → suspense; a 20% rate on a
	// EUR expense is foreign VAT for GBP books (vat.go), so the whole 25.99 is the expense;
	// dated by its unpadded expense_date 2025-10-6.
	mileage := xs[2]
	mileage.State = revolut.ExpenseApproved
	bk = b.BookExpense(mileage)
	checkInvariants(t, bk)
	checkLines(t, bk, []string{
		"exp:a0e0294e-0460-42f4-bd97-f969469f1afc 0/net 9999 25.99 EUR [gross 25.99 = net 25.99 + tax 0.00 @20%]",
		"exp:a0e0294e-0460-42f4-bd97-f969469f1afc 0/reimbursement 2250 -25.99 EUR",
	})
	if bk.Lines[0].Period != "2025-10" || bk.Lines[0].BookingDate.Day() != 6 {
		t.Errorf("mileage dated %v", bk.Lines[0].BookingDate)
	}
}

func checkLines(t *testing.T, bk Booking, want []string) {
	t.Helper()
	var got []string
	for _, l := range bk.Lines {
		got = append(got, render(l))
	}
	if !equalStrings(got, want...) {
		t.Errorf("lines:\n  got  %q\n  want %q", got, want)
		for _, e := range bk.Exceptions {
			t.Logf("  %s: %s", e.Kind, e.Reason)
		}
	}
}

func equalStrings(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i] {
			return false
		}
	}
	return true
}
