package load

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/transform"
)

// newStore opens a migrated store on a fresh database and returns it with its DSN.
func newStore(tb testing.TB) (*Store, string) {
	tb.Helper()
	dsn := testenv.Database(tb)
	ctx := context.Background()
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(s.Close)
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s, dsn
}

func lockAndRun(tb testing.TB, s *Store) (*Writer, RunID) {
	tb.Helper()
	ctx := context.Background()
	lock, err := s.AcquireRunLock(ctx, false)
	if err != nil {
		tb.Fatalf("AcquireRunLock: %v", err)
	}
	tb.Cleanup(func() { _ = lock.Release(context.Background()) })
	run, err := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	if err != nil {
		tb.Fatalf("StartRun: %v", err)
	}
	return lock, run
}

func connect(tb testing.TB, dsn string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func at(s string) revolut.Time {
	t, err := revolut.ParseTime(s)
	if err != nil {
		panic(err)
	}
	return t
}

// withRaw sets v's Raw to its own JSON, as if the client had decoded it from the API.
func withRaw[T any](v T, set func(*T, json.RawMessage)) T {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	set(&v, b)
	return v
}

func txn(id, state, amount string) revolut.Transaction {
	return withRaw(revolut.Transaction{
		ID: id, Type: revolut.TypeCardPayment, State: state,
		CreatedAt: at("2025-01-10T09:00:00Z"), UpdatedAt: at("2025-01-10T09:00:00Z"), CompletedAt: at("2025-01-10T10:00:00Z"),
		Merchant: &revolut.Merchant{Name: "Coffee Ltd"},
		Legs: []revolut.Leg{{LegID: id + "-leg", Amount: dec(amount), Currency: "GBP", AccountID: "acc-gbp",
			Description: "Coffee", Balance: decimal.NewNullDecimal(dec("1000.00"))}},
	}, func(t *revolut.Transaction, r json.RawMessage) { t.Raw = r })
}

func expense(id, txID, state, amount string) revolut.Expense {
	typ := revolut.TypeCardPayment
	if txID == "" {
		typ = revolut.ExpenseTypeExternal
	}
	return withRaw(revolut.Expense{
		ID: id, State: state, TransactionType: typ, TransactionID: txID,
		ExpenseDate: at("2025-01-10T09:00:00Z"), Labels: map[string][]string{"Department": {"Sales"}},
		Splits: []revolut.Split{{Amount: revolut.Money{Amount: dec(amount), Currency: "GBP"},
			Category: revolut.SplitCategory{ID: "cat-1", Name: "Meals", Code: "6100"},
			TaxRate:  revolut.SplitTaxRate{ID: "vat-20", Name: "Standard", Percentage: decimal.NewNullDecimal(dec("20"))}}},
		ReceiptIDs:  []string{"rcpt-" + id},
		SpentAmount: revolut.Money{Amount: dec(amount), Currency: "GBP"},
	}, func(e *revolut.Expense, r json.RawMessage) { e.Raw = r })
}

// fullBatch is one batch with something in every stream.
func fullBatch(run RunID, checkpoint time.Time) Batch {
	return Batch{
		Stream: "transactions", RunID: run, Checkpoint: &checkpoint,
		WindowFrom: checkpoint.Add(-24 * time.Hour), WindowTo: checkpoint,
		Accounts: []revolut.Account{withRaw(revolut.Account{ID: "acc-gbp", Name: "Main", Balance: dec("1000.00"),
			Currency: "GBP", State: "active", CreatedAt: at("2024-01-01T00:00:00Z"), UpdatedAt: at("2024-01-01T00:00:00Z")},
			func(a *revolut.Account, r json.RawMessage) { a.Raw = r })},
		Transactions: []revolut.Transaction{txn("tx-1", revolut.TransactionCompleted, "-12.00"),
			txn("tx-2", revolut.TransactionCompleted, "-30.50"), txn("tx-3", revolut.TransactionPending, "-5.00")},
		Expenses: []revolut.Expense{expense("ex-1", "tx-1", revolut.ExpenseApproved, "12.00"),
			expense("ex-2", "", revolut.ExpenseApproved, "44.10"), expense("ex-3", "tx-unknown", revolut.ExpenseApproved, "9.99")},
		Categories: []revolut.AccountingCategory{withRaw(revolut.AccountingCategory{ID: "cat-1", Name: "Meals", Code: "6100"},
			func(c *revolut.AccountingCategory, r json.RawMessage) { c.Raw = r })},
		TaxRates: []revolut.TaxRate{withRaw(revolut.TaxRate{ID: "vat-20", Name: "Standard", Percentage: decimal.NewNullDecimal(dec("20"))},
			func(c *revolut.TaxRate, r json.RawMessage) { c.Raw = r })},
		LabelGroups: []revolut.LabelGroup{withRaw(revolut.LabelGroup{ID: "lg-1", Name: "Department"},
			func(c *revolut.LabelGroup, r json.RawMessage) { c.Raw = r })},
		Labels: []revolut.Label{withRaw(revolut.Label{ID: "lb-1", Name: "Sales", GroupID: "lg-1"},
			func(c *revolut.Label, r json.RawMessage) { c.Raw = r })},
		Cards: []revolut.Card{withRaw(revolut.Card{ID: "card-1", LastDigits: "4242", State: "active", Accounts: []string{"acc-gbp"}},
			func(c *revolut.Card, r json.RawMessage) { c.Raw = r })},
		TeamMembers: []revolut.TeamMember{withRaw(revolut.TeamMember{ID: "tm-1", Email: "a@example.com", State: "active", RoleID: "owner"},
			func(c *revolut.TeamMember, r json.RawMessage) { c.Raw = r })},
		Counterparties: []revolut.Counterparty{withRaw(revolut.Counterparty{ID: "cp-1", Name: "Supplier", State: "created"},
			func(c *revolut.Counterparty, r json.RawMessage) { c.Raw = r })},
		Receipts:   []ReceiptMeta{{ExpenseID: "ex-1", ReceiptID: "rcpt-ex-1", ContentType: "image/png", Size: 10, SHA256: fmt.Sprintf("%064x", 1), ObjectKey: "receipts/ex-1/rcpt-ex-1.png", StoredAt: checkpoint}},
		Quarantine: []Quarantined{{SourceID: "tx-bad", Reason: "amount is not a number", Raw: []byte(`{"id":"tx-bad","amount":"x"}`)}},
	}
}

// entryLines is a balanced two-line card payment entry: bank credit, expense debit. The
// amounts are the given debit, e.g. "12.00" gives +12.00 on 6100 and -12.00 on the bank.
func entryLines(sourceID, debit string) []transform.Line {
	base := transform.Line{
		EntryID: "transaction/" + sourceID, Version: 1,
		BookingDate: time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC), OccurredAt: time.Date(2025, 1, 10, 10, 0, 0, 0, time.UTC),
		Period: "2025-01", Currency: "GBP", TransactionID: sourceID, TransactionType: "card_payment", TransactionState: "completed",
	}
	bank := base
	bank.Key = transform.LineKey{SourceType: transform.SourceTransaction, SourceID: sourceID, Index: 0, Role: "bank"}
	bank.AccountCode, bank.AccountName = "1200", "Bank GBP"
	bank.Amount = dec(debit).Neg()
	bank.RevolutAccountID = "acc-gbp"
	bank.BankBalance = decimal.NewNullDecimal(dec("1000.00"))
	bank.CardReferences = []transform.CardReference{{Name: "PNR", Value: "X1"}}
	net := base
	net.Key = transform.LineKey{SourceType: transform.SourceTransaction, SourceID: sourceID, Index: 0, Role: "net"}
	net.AccountCode, net.AccountName = "6100", "Meals"
	net.Amount = dec(debit)
	net.Net, net.Tax, net.Gross = decimal.NewNullDecimal(dec(debit)), decimal.NewNullDecimal(dec("0")), decimal.NewNullDecimal(dec(debit))
	net.Labels = map[string]string{"Department": "Sales"}
	net.ReceiptIDs = []string{"r1", "r2"}
	return []transform.Line{bank, net}
}
