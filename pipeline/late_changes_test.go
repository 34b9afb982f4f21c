package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/transform"
)

// advance moves the fake and the pipeline's clock together.
func advance(fake *revoluttest.Server, clock *fakeClock, d time.Duration) {
	fake.Advance(d)
	clock.mu.Lock()
	clock.now = clock.now.Add(d)
	clock.mu.Unlock()
}

// TestLateCompletionBeyondLookback: a card payment pending at the first sync stays pending
// until the look-back no longer lists it (it is listed by created_at), then completes. The
// next sync re-reads it by id (GET /transaction/{id}) and books it on its completion date.
func TestLateCompletionBeyondLookback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: start}
	fake := revoluttest.NewTestServer(t, revoluttest.Options{
		Seed: 91, Transactions: 400, Span: 30 * day, End: start, Clock: func() time.Time { return start },
	})
	h := newFaultHarnessWithFake(t, fake, clock.Now)
	p := h.pipeline(func(c *pipeline.Config) {
		c.TransactionsLookback = 2 * day
		c.InitialHistory = 35 * day
	})

	// A pending single-leg card payment without an expense: its entry is the bank line and
	// the balancing line, both of the leg's amount.
	var pending revolut.Transaction
	for _, tx := range fake.Truth().Transactions {
		if tx.State == revolut.TransactionPending && tx.Type == revolut.TypeCardPayment && len(tx.Legs) == 1 && !tx.Legs[0].Amount.IsZero() {
			pending = tx
			break
		}
	}
	if pending.ID == "" {
		t.Fatal("the fake has no pending card payment")
	}
	if err := fake.HoldTransaction(pending.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c := h.conn()
	state := func() string {
		return queryString(t, c, "SELECT state FROM transactions WHERE id = $1", pending.ID)
	}
	if got := state(); got != "pending" {
		t.Fatalf("after sync 1 the transaction is %q, want pending", got)
	}

	// Six days later (the window now starts at start + 1 day, after its created_at), it
	// completes, on 2026-03-16 12:00 UTC.
	advance(fake, clock, 3*day)
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	advance(fake, clock, 3*day)
	if err := fake.CompleteTransaction(pending.ID); err != nil {
		t.Fatal(err)
	}
	cp, _, err := h.store.Checkpoint(ctx, "transactions")
	if err != nil {
		t.Fatal(err)
	}
	if windowFrom := cp.Add(-2 * day); !pending.CreatedAt.Before(windowFrom) {
		t.Fatalf("the transaction (created %s) is still inside the next window (from %s): the scenario tests nothing", pending.CreatedAt.Time, windowFrom)
	}
	sum, err := p.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := state(); got != "completed" {
		t.Fatalf("after the late completion the warehouse has the transaction %q, want completed", got)
	}
	if sum.Records["transactions_rechecked"] < 1 {
		t.Errorf("the summary counts %d transactions re-read", sum.Records["transactions_rechecked"])
	}
	ledger := h.ledger()
	key := func(role string) string {
		return transform.LineKey{SourceType: transform.SourceTransaction, SourceID: pending.ID, Index: 0, Role: role}.String()
	}
	bank, ok := ledger[key(transform.RoleBank)]
	if !ok {
		t.Fatalf("the late completion is not booked; entry lines: %d", len(ledger))
	}
	// Booked on its completion day, 2026-03-16, for the leg's amount, balanced by one line.
	wantDate := time.Date(2026, 3, 16, 0, 0, 0, 0, time.UTC)
	bal := ledger[key(transform.RoleBalancing)]
	if !bank.BookingDate.Equal(wantDate) || !bank.Amount.Equal(pending.Legs[0].Amount) || !bal.Amount.Equal(pending.Legs[0].Amount.Neg()) {
		t.Fatalf("booked %s: bank %s, balancing %s; want %s: bank %s, balancing %s",
			bank.BookingDate.Format(time.DateOnly), bank.Amount, bal.Amount, wantDate.Format(time.DateOnly), pending.Legs[0].Amount, pending.Legs[0].Amount.Neg())
	}

	// Watched for a reversal while its completion is inside the window; final once the window
	// starts after it (the sync at 2026-03-22 12:00 has a window from 2026-03-17 12:00): then
	// a sync re-reads only the others that may still change.
	for _, wantIt := range []bool{true, false} {
		advance(fake, clock, 3*day)
		cp, _, err = h.store.Checkpoint(ctx, "transactions")
		if err != nil {
			t.Fatal(err)
		}
		from := cp.Add(-2 * day)
		const candidates = `FROM transactions WHERE created_at < $1 AND ((state IN ('created', 'pending') AND created_at >= $2)
			OR (state = 'completed' AND completed_at >= $1))`
		want := queryInt(t, c, "SELECT count(*) "+candidates, from, clock.Now().Add(-60*day))
		mine := queryInt(t, c, "SELECT count(*) "+candidates+" AND id = $3", from, clock.Now().Add(-60*day), pending.ID)
		if (mine == 1) != wantIt {
			t.Fatalf("at %s (window from %s) the late completion is re-read: %v, want %v", clock.Now(), from, mine == 1, wantIt)
		}
		sum, err = p.Sync(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n := sum.Records["transactions_rechecked"]; n != want {
			t.Errorf("the sync at %s re-read %d transactions, want %d", clock.Now(), n, want)
		}
	}
	t.Logf("pending %s created %s, completed %s, booked %s %s on %s",
		pending.ID, pending.CreatedAt.Format(time.DateOnly), clock.Now().Add(-6*day).Format(time.DateOnly), bank.Amount, bank.Currency, bank.BookingDate.Format(time.DateOnly))
}

// TestWeeklyFullExpenseRefresh: an expense dated more than 180 days ago is recategorised in
// Revolut. The nightly window (180 days by expense_date) does not see it; the weekly full
// refresh does, and its transaction is booked again on the new category's account.
func TestWeeklyFullExpenseRefresh(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: start}
	fake := revoluttest.NewTestServer(t, revoluttest.Options{
		Seed: 92, Transactions: 1200, Span: 365 * day, End: start, Clock: func() time.Time { return start },
	})
	h := newFaultHarnessWithFake(t, fake, clock.Now)
	p := h.pipeline(nil) // expenses window 180 days, full refresh every 7 days
	truth := fake.Truth()

	// An approved card-payment expense from 200+ days ago, all its splits in one category
	// with a code, and another category with a different code to move it to.
	var old revolut.Expense
	for _, e := range truth.Expenses {
		if e.ExpenseDate.Before(start.Add(-200*day)) && e.State == revolut.ExpenseApproved && e.TransactionID != "" &&
			len(e.Splits) == 1 && e.Splits[0].Category.Code != "" {
			old = e
			break
		}
	}
	if old.ID == "" {
		t.Fatal("the fake has no approved expense older than 200 days")
	}
	var to revolut.AccountingCategory
	for _, c := range truth.Categories {
		if c.Code != "" && c.Code != old.Splits[0].Category.Code {
			to = c
			break
		}
	}
	if to.ID == "" {
		t.Fatal("the fake has no second category with a code")
	}
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c := h.conn()
	category := func() string {
		return queryString(t, c, "SELECT category_id FROM expense_splits WHERE expense_id = $1 AND split_index = 0", old.ID)
	}
	netLine := func() transform.Line {
		return h.ledger()[transform.LineKey{SourceType: transform.SourceTransaction, SourceID: old.TransactionID, Index: 0, Role: transform.RoleNet}.String()]
	}
	if category() != old.Splits[0].Category.ID || netLine().CategoryCode != old.Splits[0].Category.Code {
		t.Fatalf("after sync 1: split category %s, net line code %q; want %s, %q", category(), netLine().CategoryCode, old.Splits[0].Category.ID, old.Splits[0].Category.Code)
	}
	if err := fake.RecategoriseExpense(old.ID, to.ID); err != nil {
		t.Fatal(err)
	}

	// A day later: no full refresh is due; the old expense is not read.
	advance(fake, clock, day)
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := category(); got != old.Splits[0].Category.ID {
		t.Fatalf("the nightly window read an expense dated %s: split category %s", old.ExpenseDate.Format(time.DateOnly), got)
	}
	// Seven days after the first (full) sync, the next full refresh reads it.
	advance(fake, clock, 6*day)
	sum, err := p.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := category(); got != to.ID {
		t.Fatalf("after the weekly full refresh the split category is %s, want %s", got, to.ID)
	}
	// The chart maps no category code, so the net line goes to the GL account named by the
	// new category's code.
	if l := netLine(); l.CategoryID != to.ID || l.CategoryCode != to.Code || l.AccountCode != to.Code {
		t.Fatalf("net line after the refresh: category %s code %q account %s; want %s %q %s", l.CategoryID, l.CategoryCode, l.AccountCode, to.ID, to.Code, to.Code)
	}
	if sum.EntriesChanged < 1 {
		t.Errorf("the refresh changed %d entries", sum.EntriesChanged)
	}
	last, ok, err := h.store.Checkpoint(ctx, "expenses_full_refresh")
	if err != nil || !ok || !last.Equal(start.Add(7*day)) {
		t.Fatalf("last full refresh recorded at %s (%v, %v), want %s", last, ok, err, start.Add(7*day))
	}
	t.Logf("expense %s dated %s moved from %s to %s, booked again by the full refresh (%d records read, %d entries changed)",
		old.ID, old.ExpenseDate.Format(time.DateOnly), old.Splits[0].Category.Code, to.Code, sum.Records["expenses"], sum.EntriesChanged)
}

// TestUndecodableStoredRecord: a transaction and an expense whose stored raw JSON no longer
// decodes (a field of the wrong type, as an earlier version might have written) are
// quarantined with the reason; the run books everything else and succeeds, and so does the
// next.
func TestUndecodableStoredRecord(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: start}
	fake := revoluttest.NewTestServer(t, revoluttest.Options{
		Seed: 93, Transactions: 400, Span: 30 * day, End: start, Clock: func() time.Time { return start },
	})
	h := newFaultHarnessWithFake(t, fake, clock.Now)
	// Narrow windows, so that the next sync does not read the two records again (which
	// would store Revolut's good copy over them).
	p := h.pipeline(func(c *pipeline.Config) {
		c.TransactionsLookback = day
		c.ExpensesWindow = day
		c.ExpensesFullRefresh = 365 * day
		c.InitialHistory = 35 * day
	})
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c := h.conn()
	// A completed transaction without an expense, and an approved expense of another
	// completed transaction, both well before the windows.
	badTx := queryString(t, c, `SELECT t.id FROM transactions t WHERE t.state = 'completed' AND t.completed_at < $1
		AND NOT EXISTS (SELECT 1 FROM expenses e WHERE e.transaction_id = t.id) ORDER BY t.id LIMIT 1`, start.Add(-5*day))
	badExp := queryString(t, c, `SELECT e.id FROM expenses e JOIN transactions t ON t.id = e.transaction_id
		WHERE t.state = 'completed' AND e.expense_date < $1 AND t.id <> $2 ORDER BY e.id LIMIT 1`, start.Add(-5*day), badTx)
	for _, q := range []string{
		`UPDATE transactions SET raw = jsonb_set(raw, '{legs}', '"not a list"'), needs_booking = true WHERE id = $1`,
		`UPDATE expenses SET raw = jsonb_set(raw, '{splits}', '{"amount": 1}'), needs_booking = true WHERE id = $1`,
	} {
		id := badTx
		if strings.Contains(q, "expenses") {
			id = badExp
		}
		if _, err := c.Exec(ctx, q, id); err != nil {
			t.Fatal(err)
		}
	}
	ledgerBefore := h.ledger()

	advance(fake, clock, day)
	sum, err := p.Sync(ctx)
	if err != nil {
		t.Fatalf("the sync after the stored records broke failed: %v", err)
	}
	type qrow struct{ stream, id, reason string }
	rows, err := c.Query(ctx, "SELECT stream, source_id, reason FROM quarantine ORDER BY stream")
	if err != nil {
		t.Fatal(err)
	}
	var got []qrow
	for rows.Next() {
		var q qrow
		if err := rows.Scan(&q.stream, &q.id, &q.reason); err != nil {
			t.Fatal(err)
		}
		got = append(got, q)
	}
	if len(got) != 2 || got[0].stream != "expenses" || got[0].id != badExp || got[1].stream != "transactions" || got[1].id != badTx ||
		!strings.Contains(got[0].reason, "no longer decodes") || !strings.Contains(got[1].reason, "no longer decodes") {
		t.Fatalf("quarantine: %+v; want expenses %s and transactions %s, each with the reason", got, badExp, badTx)
	}
	if sum.Quarantined != 2 {
		t.Errorf("the summary counts %d quarantined, want 2", sum.Quarantined)
	}
	if sum.EntriesNew == 0 {
		t.Errorf("no new entry booked: the day's new transactions were not booked")
	}
	booked := sum.EntriesNew
	// The quarantined transaction keeps its entry as it was booked before.
	after := h.ledger()
	k := transform.LineKey{SourceType: transform.SourceTransaction, SourceID: badTx, Index: 0, Role: transform.RoleBank}.String()
	if b, a := ledgerBefore[k], after[k]; a.EntryID == "" || !a.Amount.Equal(b.Amount) || a.Version != b.Version {
		t.Errorf("the quarantined transaction's entry changed: %+v → %+v", b, a)
	}
	if n := queryInt(t, c, "SELECT count(*) FROM transactions WHERE needs_booking"); n != 0 {
		t.Errorf("%d transactions still wait for booking", n)
	}
	// The next run succeeds and does not quarantine them again.
	advance(fake, clock, day)
	sum, err = p.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Quarantined != 0 {
		t.Errorf("the next run quarantined %d records", sum.Quarantined)
	}
	t.Logf("quarantined %s and %s; %d new entries booked beside them by the same run", badTx, badExp, booked)
}
