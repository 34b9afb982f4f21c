package load

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/migrations"
	"github.com/revledger/revledger/transform"
)

// rawTables are the tables a LoadBatch writes whose content must not change on a re-load.
var rawTables = []string{"accounts", "transactions", "transaction_legs", "expenses", "expense_splits", "receipts",
	"accounting_categories", "tax_rates", "label_groups", "labels", "cards", "team_members", "counterparties", "sync_state"}

// tableDigests returns count and md5 of every row's text form, per table.
func tableDigests(t *testing.T, s *Store, tables []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tbl := range tables {
		var n int64
		var sum *string
		err := s.pool.QueryRow(context.Background(),
			fmt.Sprintf("SELECT count(*), md5(string_agg(x::text, '|' ORDER BY x::text)) FROM %s x", tbl)).Scan(&n, &sum)
		if err != nil {
			t.Fatalf("digest %s: %v", tbl, err)
		}
		out[tbl] = fmt.Sprintf("%d/%v", n, deref(sum))
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return "<nil>"
	}
	return *p
}

func count(t *testing.T, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.pool.QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func TestMigrateConcurrentAppliesOnce(t *testing.T) {
	t.Parallel()
	dsn := newDatabase(t)
	ctx := context.Background()
	const runners = 4
	var wg sync.WaitGroup
	errs := make([]error, runners)
	for i := range runners {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := Open(ctx, dsn, Options{MaxConns: 2})
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("runner %d: Migrate: %v", i, err)
		}
	}
	s, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	files, _ := readMigrations(migrations.FS)
	// One row per file: a second apply would have failed on the primary key or on CREATE TABLE.
	if got := count(t, s, "SELECT count(*) FROM schema_migrations"); got != len(files) || got == 0 {
		t.Fatalf("schema_migrations has %d rows, want %d", got, len(files))
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}

	// A changed applied file is refused.
	changed := fstest.MapFS{}
	for _, f := range files {
		changed[fmt.Sprintf("%04d_%s.sql", f.version, f.name)] = &fstest.MapFile{Data: []byte(f.sql + "\n-- edited\n")}
	}
	if err := s.migrate(ctx, changed); !errors.Is(err, ErrMigration) {
		t.Fatalf("migrate with an edited file: got %v, want ErrMigration", err)
	}
	// A new file is applied exactly once.
	added := fstest.MapFS{"9999_probe.sql": &fstest.MapFile{Data: []byte("CREATE TABLE probe (x int)")}}
	for _, f := range files {
		added[fmt.Sprintf("%04d_%s.sql", f.version, f.name)] = &fstest.MapFile{Data: []byte(f.sql)}
	}
	for range 2 {
		if err := s.migrate(ctx, added); err != nil {
			t.Fatalf("migrate with an added file: %v", err)
		}
	}
	if got := count(t, s, "SELECT count(*) FROM schema_migrations WHERE version = 9999"); got != 1 {
		t.Fatalf("probe migration recorded %d times", got)
	}
}

func newDatabase(t *testing.T) string { return testenv.Database(t) }

func decimalNull(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }

func TestLoadBatchTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	cp := time.Date(2025, 1, 11, 0, 0, 0, 0, time.UTC)

	first, err := lock.LoadBatch(ctx, fullBatch(run, cp))
	if err != nil {
		t.Fatalf("LoadBatch: %v", err)
	}
	// 1 account + 3 transactions + 3 expenses + 1 category + 1 tax rate + 1 group + 1 label
	// + 1 card + 1 team member + 1 counterparty = 14 records.
	if want := (BatchStats{Inserted: 14, Quarantined: 1}); first != want {
		t.Fatalf("first load: %+v, want %+v", first, want)
	}
	before := tableDigests(t, s, rawTables)
	quarantined := count(t, s, "SELECT count(*) FROM quarantine")

	run2, _ := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	second, err := lock.LoadBatch(ctx, fullBatch(run2, cp))
	if err != nil {
		t.Fatalf("LoadBatch again: %v", err)
	}
	if want := (BatchStats{Unchanged: 14, Quarantined: 1}); second != want {
		t.Fatalf("second load: %+v, want %+v", second, want)
	}
	after := tableDigests(t, s, rawTables)
	for _, tbl := range rawTables {
		if before[tbl] != after[tbl] {
			t.Errorf("table %s changed on re-load: %s → %s", tbl, before[tbl], after[tbl])
		}
	}
	if got := count(t, s, "SELECT count(*) FROM quarantine"); got != quarantined || got != 1 {
		t.Errorf("quarantine has %d rows after re-load, want 1", got)
	}
	if got := count(t, s, "SELECT times_seen FROM quarantine"); got != 2 {
		t.Errorf("quarantine times_seen = %d, want 2", got)
	}
	got, ok, err := s.Checkpoint(ctx, "transactions")
	if err != nil || !ok || !got.Equal(cp) {
		t.Fatalf("Checkpoint = %v %v %v, want %v", got, ok, err, cp)
	}

	// A changed record is rewritten and flagged again; the unchanged ones are not.
	b := fullBatch(run2, cp)
	b.Transactions[1] = txn("tx-2", revolut.TransactionCompleted, "-31.50")
	third, err := lock.LoadBatch(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if third.Updated != 1 || third.Unchanged != 13 || third.Inserted != 0 {
		t.Fatalf("third load: %+v, want 1 updated, 13 unchanged", third)
	}
	if got := count(t, s, "SELECT count(*) FROM transaction_legs WHERE transaction_id = 'tx-2' AND amount = -31.50"); got != 1 {
		t.Fatalf("legs of tx-2 not replaced: %d rows with the new amount", got)
	}
	if got := count(t, s, "SELECT count(*) FROM transaction_legs"); got != 3 {
		t.Fatalf("transaction_legs has %d rows, want 3", got)
	}
}

func TestBookingFlowAndVersions(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	if _, err := lock.LoadBatch(ctx, fullBatch(run, time.Date(2025, 1, 11, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}

	// Pending: tx-1 (with ex-1), tx-2, tx-3; standalone: ex-2 (external) and ex-3 (orphan).
	var txIDs []string
	var tx1Expenses []string
	for tb, err := range s.PendingTransactions(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		txIDs = append(txIDs, tb.Transaction.ID)
		if len(tb.Transaction.Raw) == 0 || len(tb.Transaction.Legs) != 1 {
			t.Fatalf("transaction %s not decoded from raw: %+v", tb.Transaction.ID, tb.Transaction)
		}
		if tb.Transaction.ID == "tx-1" {
			for _, e := range tb.Expenses {
				tx1Expenses = append(tx1Expenses, e.ID)
				if !e.Splits[0].Amount.Amount.Equal(dec("12.00")) {
					t.Fatalf("expense amount = %s, want 12.00", e.Splits[0].Amount.Amount)
				}
			}
		}
	}
	if !slices.Equal(txIDs, []string{"tx-1", "tx-2", "tx-3"}) || !slices.Equal(tx1Expenses, []string{"ex-1"}) {
		t.Fatalf("pending transactions %v with tx-1 expenses %v", txIDs, tx1Expenses)
	}
	var exIDs []string
	for e, err := range s.PendingExpenses(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		exIDs = append(exIDs, e.ID)
	}
	if !slices.Equal(exIDs, []string{"ex-2", "ex-3"}) {
		t.Fatalf("pending expenses %v, want [ex-2 ex-3]", exIDs)
	}
	set, err := s.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Accounts) != 1 || len(set.Labels) != 1 || set.Labels[0].GroupID != "lg-1" || len(set.Counterparties) != 1 {
		t.Fatalf("settings: %+v", set)
	}

	pendingTx := []SourceBooking{
		{SourceType: transform.SourceTransaction, SourceID: "tx-1", Lines: entryLines("tx-1", "12.00")},
		{SourceType: transform.SourceTransaction, SourceID: "tx-2", Lines: entryLines("tx-2", "30.50")},
		{SourceType: transform.SourceTransaction, SourceID: "tx-3", Exceptions: []transform.Exception{{
			SourceType: transform.SourceTransaction, SourceID: "tx-3", Period: "2025-01", Kind: transform.KindNotBookedPending,
			Reason: "pending", OccurredAt: time.Date(2025, 1, 10, 9, 0, 0, 0, time.UTC)}}},
		{SourceType: transform.SourceExpense, SourceID: "ex-2"},
		{SourceType: transform.SourceExpense, SourceID: "ex-3"},
	}
	st, err := lock.WriteBookings(ctx, run, pendingTx)
	if err != nil {
		t.Fatalf("WriteBookings: %v", err)
	}
	if want := (WriteStats{EntriesNew: 2, LinesWritten: 4, ExceptionsReplaced: 1}); st != want {
		t.Fatalf("first write: %+v, want %+v", st, want)
	}
	for range s.PendingTransactions(ctx) {
		t.Fatal("transactions still pending after WriteBookings")
	}
	for range s.PendingExpenses(ctx) {
		t.Fatal("expenses still pending after WriteBookings")
	}
	if p, _ := s.ChangedPeriods(ctx, run); !slices.Equal(p, []string{"2025-01"}) {
		t.Fatalf("ChangedPeriods = %v", p)
	}
	// Until the period is exported, every later run still reports it: a run that dies
	// between booking and exporting leaves the export to the next one.
	runUnexported, _ := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	if p, _ := s.ChangedPeriods(ctx, runUnexported); !slices.Equal(p, []string{"2025-01"}) {
		t.Fatalf("ChangedPeriods before any export = %v, want [2025-01]", p)
	}
	if err := s.RecordExport(ctx, runUnexported, "2025-01", nil); err != nil {
		t.Fatal(err)
	}

	// The same bookings again: nothing is written.
	run2, _ := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	st, err = lock.WriteBookings(ctx, run2, pendingTx)
	if err != nil {
		t.Fatal(err)
	}
	if want := (WriteStats{EntriesUnchanged: 2}); st != want {
		t.Fatalf("identical write: %+v, want %+v", st, want)
	}
	if p, _ := s.ChangedPeriods(ctx, run2); len(p) != 0 {
		t.Fatalf("ChangedPeriods of a no-op run = %v", p)
	}

	// tx-2 changes (31.50 instead of 30.50): version 2, version 1 kept.
	run3, _ := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	st, err = lock.WriteBookings(ctx, run3, []SourceBooking{
		{SourceType: transform.SourceTransaction, SourceID: "tx-2", Lines: entryLines("tx-2", "31.50")}})
	if err != nil {
		t.Fatal(err)
	}
	if want := (WriteStats{EntriesChanged: 1, LinesWritten: 2}); st != want {
		t.Fatalf("changed write: %+v, want %+v", st, want)
	}
	if got := count(t, s, "SELECT count(*) FROM ledger_rows WHERE entry_id = 'transaction/tx-2'"); got != 4 {
		t.Fatalf("tx-2 has %d rows over all versions, want 4 (2 per version)", got)
	}
	if got := count(t, s, "SELECT count(*) FROM entry_versions WHERE entry_id = 'transaction/tx-2' AND version = 1 AND superseded_by_run = $1 AND valid_to IS NOT NULL", run3); got != 1 {
		t.Fatal("version 1 of tx-2 not closed by run 3")
	}
	lines := collectLines(t, s)
	// Current: tx-1 v1 (±12.00) and tx-2 v2 (±31.50); sorted by entry then key ("bank" < "net").
	want := []string{"transaction/tx-1 v1 1200 -12", "transaction/tx-1 v1 6100 12", "transaction/tx-2 v2 1200 -31.5", "transaction/tx-2 v2 6100 31.5"}
	if !slices.Equal(lines, want) {
		t.Fatalf("current ledger:\n got %v\nwant %v", lines, want)
	}

	// tx-2 becomes declined: a tombstone; it leaves ledger_current, its history stays.
	run4, _ := s.StartRun(ctx, "test", time.Time{}, time.Time{})
	st, err = lock.WriteBookings(ctx, run4, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-2"}})
	if err != nil {
		t.Fatal(err)
	}
	if st.Tombstones != 1 {
		t.Fatalf("declined write: %+v, want 1 tombstone", st)
	}
	if got := collectLines(t, s); !slices.Equal(got, want[:2]) {
		t.Fatalf("current ledger after tombstone: %v", got)
	}
	if got := count(t, s, "SELECT count(*) FROM ledger_rows WHERE entry_id = 'transaction/tx-2'"); got != 4 {
		t.Fatalf("tx-2 history has %d rows, want 4", got)
	}
	if p, _ := s.ChangedPeriods(ctx, run4); !slices.Equal(p, []string{"2025-01"}) {
		t.Fatalf("ChangedPeriods after tombstone = %v", p)
	}

	// Round trip of every field of a line.
	var got []transform.Line
	for l, err := range s.LedgerLines(ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, l)
	}
	orig := entryLines("tx-1", "12.00")
	for i := range orig {
		if entryHash([]*transform.Line{&orig[i]}) == nil || string(entryHash([]*transform.Line{&orig[i]})) != string(entryHash([]*transform.Line{&got[i]})) {
			t.Fatalf("line %d does not round-trip:\n got %+v\nwant %+v", i, got[i], orig[i])
		}
	}
	var exc []transform.Exception
	for e, err := range s.Exceptions(ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			t.Fatal(err)
		}
		exc = append(exc, e)
	}
	if len(exc) != 1 || exc[0].Kind != transform.KindNotBookedPending || exc[0].SourceID != "tx-3" {
		t.Fatalf("exceptions: %+v", exc)
	}
	if err := s.RecordExport(ctx, run4, "2025-01", []ExportedFile{{Name: "2025-01/journal_2025-01.csv", SHA256: fmt.Sprintf("%064x", 7), Size: 100, Rows: 2}}); err != nil {
		t.Fatal(err)
	}
	if got := count(t, s, "SELECT count(*) FROM export_entries WHERE export_id = (SELECT max(id) FROM exports)"); got != 1 {
		t.Fatalf("the last export has %d export_entries rows, want 1 (tx-1)", got)
	}

	// A changed expense of tx-1 puts tx-1 back in the queue.
	b := Batch{Stream: "expenses", RunID: run4, Expenses: []revolut.Expense{expense("ex-1", "tx-1", revolut.ExpenseApproved, "12.50")}}
	if _, err := lock.LoadBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	txIDs = nil
	for tb, err := range s.PendingTransactions(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		txIDs = append(txIDs, tb.Transaction.ID)
	}
	if !slices.Equal(txIDs, []string{"tx-1"}) {
		t.Fatalf("pending after expense change: %v", txIDs)
	}
}

func collectLines(t *testing.T, s *Store) []string {
	t.Helper()
	var out []string
	for l, err := range s.LedgerLines(context.Background(), time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s v%d %s %s", l.EntryID, l.Version, l.AccountCode, l.Amount))
	}
	return out
}

func TestUnbalancedEntryIsRejected(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()

	lines := entryLines("tx-9", "10.00")
	lines[1].Amount = dec("10.01") // debit 10.01, credit 10.00: off by 0.01
	lines[1].Net, lines[1].Gross = decimalNull("10.01"), decimalNull("10.01")
	_, err := lock.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-9", Lines: lines}})
	if !errors.Is(err, ErrUnbalanced) {
		t.Fatalf("WriteBookings of an unbalanced entry: %v, want ErrUnbalanced", err)
	}
	if got := count(t, s, "SELECT count(*) FROM entry_versions"); got != 0 {
		t.Fatalf("%d entry versions written by a rejected write", got)
	}

	vat := entryLines("tx-8", "10.00")
	vat[1].Tax = decimalNull("1.00") // net 10 + tax 1 ≠ gross 10
	if _, err := lock.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-8", Lines: vat}}); !errors.Is(err, ErrConstraint) {
		t.Fatalf("net + tax ≠ gross: %v, want ErrConstraint", err)
	}

	// Bypassing Go: raw SQL, one line per statement, is rejected at COMMIT.
	conn := connect(t, dsn)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stmts := []string{
		fmt.Sprintf(`INSERT INTO entries VALUES ('manual', 'transaction', 'm', 1, '\x00', false, '2025-01', %d)`, run),
		fmt.Sprintf(`INSERT INTO entry_versions (entry_id, version, run_id, lines_hash, period, tombstone) VALUES ('manual', 1, %d, '\x00', '2025-01', false)`, run),
		fmt.Sprintf(`INSERT INTO ledger_rows (entry_id, version, line_key, source_type, source_id, line_index, role, run_id, booking_date, occurred_at, period, account_code, amount, currency)
			VALUES ('manual', 1, 'k1', 'transaction', 'm', 0, 'bank', %d, '2025-01-01', now(), '2025-01', '1200', -5, 'GBP')`, run),
		fmt.Sprintf(`INSERT INTO ledger_rows (entry_id, version, line_key, source_type, source_id, line_index, role, run_id, booking_date, occurred_at, period, account_code, amount, currency)
			VALUES ('manual', 1, 'k2', 'transaction', 'm', 0, 'net', %d, '2025-01-01', now(), '2025-01', '6100', 4, 'GBP')`, run),
	}
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(ctx); !errors.Is(interpret(err), ErrUnbalanced) {
		t.Fatalf("raw unbalanced commit: %v, want the balance check to fail", err)
	}
	// Balanced over two statements is accepted (the check is deferred to commit).
	tx, _ = conn.Begin(ctx)
	stmts = append(stmts, fmt.Sprintf(`INSERT INTO ledger_rows (entry_id, version, line_key, source_type, source_id, line_index, role, run_id, booking_date, occurred_at, period, account_code, amount, currency)
			VALUES ('manual', 1, 'k3', 'transaction', 'm', 0, 'vat', %d, '2025-01-01', now(), '2025-01', '2200', 1, 'GBP')`, run))
	for _, q := range stmts {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatalf("balanced raw commit: %v", err)
	}
	// Balanced lines for an entry version that was never recorded are refused at commit too.
	ghost := fmt.Sprintf(`INSERT INTO ledger_rows (entry_id, version, line_key, source_type, source_id, line_index, role, run_id, booking_date, occurred_at, period, account_code, amount, currency)
		VALUES ('ghost', 1, 'g1', 'transaction', 'g', 0, 'bank', %[1]d, '2025-01-01', now(), '2025-01', '1200', -1, 'GBP'),
		       ('ghost', 1, 'g2', 'transaction', 'g', 0, 'net', %[1]d, '2025-01-01', now(), '2025-01', '6100', 1, 'GBP')`, run)
	tx, _ = conn.Begin(ctx)
	if _, err := tx.Exec(ctx, ghost); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); !errors.Is(interpret(err), ErrConstraint) {
		t.Fatalf("lines of an unrecorded entry version: %v, want a constraint error at commit", err)
	}
	// A committed version's lines are final: balanced lines added to 'manual' version 1 later,
	// in a transaction that did not record that version, are refused (migration 0005).
	late := fmt.Sprintf(`INSERT INTO ledger_rows (entry_id, version, line_key, source_type, source_id, line_index, role, run_id, booking_date, occurred_at, period, account_code, amount, currency)
		VALUES ('manual', 1, 'k4', 'transaction', 'm', 1, 'bank', %[1]d, '2025-01-01', now(), '2025-01', '1200', -7, 'GBP'),
		       ('manual', 1, 'k5', 'transaction', 'm', 1, 'net', %[1]d, '2025-01-01', now(), '2025-01', '6100', 7, 'GBP')`, run)
	tx, _ = conn.Begin(ctx)
	if _, err := tx.Exec(ctx, late); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); !errors.Is(interpret(err), ErrConstraint) {
		t.Fatalf("lines added to a committed version: %v, want a constraint error at commit", err)
	}
	// Lines for a tombstone version recorded in the same transaction are refused too.
	tx, _ = conn.Begin(ctx)
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO entry_versions (entry_id, version, run_id, lines_hash, period, tombstone) VALUES ('manual', 2, %d, NULL, '2025-01', true)`, run),
		strings.ReplaceAll(late, "'manual', 1,", "'manual', 2,"),
	} {
		if _, err := tx.Exec(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := tx.Commit(ctx); !errors.Is(interpret(err), ErrConstraint) {
		t.Fatalf("lines of a tombstone version: %v, want a constraint error at commit", err)
	}
	// A recorded version does not change, and is not deleted; closing it is allowed.
	for _, q := range []string{
		"UPDATE entry_versions SET tombstone = true WHERE entry_id = 'manual'",
		"UPDATE entry_versions SET lines_hash = '\\x01' WHERE entry_id = 'manual'",
		"DELETE FROM entry_versions WHERE entry_id = 'manual'",
		"TRUNCATE entry_versions",
	} {
		if _, err := conn.Exec(ctx, q); err == nil {
			t.Errorf("%s was allowed", q)
		}
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("UPDATE entry_versions SET valid_to = now(), superseded_by_run = %d WHERE entry_id = 'manual'", run)); err != nil {
		t.Errorf("closing a version: %v", err)
	}
	if got := count(t, s, "SELECT count(*) FROM ledger_rows WHERE entry_id = 'manual'"); got != 3 {
		t.Errorf("entry 'manual' has %d lines, want the 3 of its one committed write", got)
	}
	// And the ledger is append-only.
	if _, err := conn.Exec(ctx, "UPDATE ledger_rows SET amount = amount + 1 WHERE line_key = 'k1'"); err == nil {
		t.Fatal("UPDATE of ledger_rows was allowed")
	}
	if _, err := conn.Exec(ctx, "DELETE FROM ledger_rows"); err == nil {
		t.Fatal("DELETE of ledger_rows was allowed")
	}
	if got := count(t, s, "SELECT count(*) FROM ledger_balance_queue"); got != 0 {
		t.Fatalf("balance queue keeps %d rows after commit", got)
	}
}

func TestKilledLoadLeavesPreviousState(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	cp1 := time.Date(2025, 1, 11, 0, 0, 0, 0, time.UTC)
	if _, err := lock.LoadBatch(ctx, fullBatch(run, cp1)); err != nil {
		t.Fatal(err)
	}
	before := tableDigests(t, s, rawTables)

	// Hold a lock on transactions so the second load stops inside its transaction (after its
	// staging COPY), then terminate the loading backend from this connection.
	blocker := connect(t, dsn)
	btx, err := blocker.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := btx.Exec(ctx, "LOCK TABLE transactions IN EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	b := fullBatch(run, cp1.Add(24*time.Hour))
	b.Transactions = append(b.Transactions, txn("tx-new", revolut.TransactionCompleted, "-1.00"))
	b.Accounts[0] = withBalance(b.Accounts[0], "999.00") // accounts merge before transactions
	done := make(chan error, 1)
	go func() {
		_, err := lock.LoadBatch(ctx, b)
		done <- err
	}()
	var pid int
	for pid == 0 {
		err := blocker.QueryRow(ctx, `SELECT COALESCE((SELECT pid FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid() LIMIT 1), 0)`).Scan(&pid)
		if err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			t.Fatalf("load finished while blocked: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
	}
	if _, err := blocker.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err == nil {
		t.Fatal("load of a terminated backend reported success")
	}
	_ = btx.Rollback(ctx)
	after := tableDigests(t, s, rawTables)
	for _, tbl := range rawTables {
		if before[tbl] != after[tbl] {
			t.Errorf("table %s changed by a killed load: %s → %s", tbl, before[tbl], after[tbl])
		}
	}
	if got, _, _ := s.Checkpoint(ctx, "transactions"); !got.Equal(cp1) {
		t.Fatalf("checkpoint moved to %v by a killed load", got)
	}
}

func withBalance(a revolut.Account, bal string) revolut.Account {
	a.Balance = dec(bal)
	a.Raw = nil
	return a
}

func TestRunLock(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	ctx := context.Background()
	other, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	l1, err := s.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.AcquireRunLock(ctx, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("second AcquireRunLock(wait=false): %v, want ErrLocked", err)
	}
	got := make(chan *Writer, 1)
	go func() {
		l, err := other.AcquireRunLock(ctx, true)
		if err != nil {
			t.Error(err)
		}
		got <- l
	}()
	// Wait until the second runner is queued on the lock (server side), then check it has
	// not got it and release the first.
	for count(t, s, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") == 0 {
		select {
		case <-got:
			t.Fatal("AcquireRunLock(wait=true) returned while the lock was held")
		case <-time.After(10 * time.Millisecond):
		}
	}
	if err := l1.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l2 := <-got
	if l2 == nil {
		t.Fatal("no lock after release")
	}

	// A lost lock fails writes.
	run, _ := other.StartRun(ctx, "test", time.Time{}, time.Time{})
	if _, err := s.pool.Exec(ctx, "SELECT pg_terminate_backend($1)", int32(l2.PID())); err != nil {
		t.Fatal(err)
	}
	_, err = l2.LoadBatch(ctx, fullBatch(run, time.Now()))
	if !errors.Is(err, ErrLockLost) {
		t.Fatalf("LoadBatch with a lost lock: %v, want ErrLockLost", err)
	}
	if n := count(t, s, "SELECT count(*) FROM transactions"); n != 0 {
		t.Fatalf("%d transactions written without the lock", n)
	}
	if err := l2.Release(ctx); !errors.Is(err, ErrLockLost) {
		t.Fatalf("Release of a lost lock: %v, want ErrLockLost", err)
	}
}

// TestAbandonStaleRuns: a run whose process died stays "running" until the next lock holder
// marks it abandoned; finished runs and the current one are left alone.
func TestAbandonStaleRuns(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	dead, _ := s.StartRun(ctx, "backfill", time.Time{}, time.Time{}) // killed: never finished
	done, _ := s.StartRun(ctx, "sync", time.Time{}, time.Time{})
	if err := s.FinishRun(ctx, done, Outcome{Status: RunSucceeded, APIRequests: 3}); err != nil {
		t.Fatal(err)
	}
	lock, err := s.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release(ctx)
	current, _ := s.StartRun(ctx, "sync", time.Time{}, time.Time{})
	n, err := lock.AbandonStaleRuns(ctx, current)
	if err != nil || n != 1 {
		t.Fatalf("AbandonStaleRuns = %d, %v; want 1", n, err)
	}
	for id, want := range map[RunID]RunStatus{dead: RunAbandoned, done: RunSucceeded, current: RunRunning} {
		if got := count(t, s, "SELECT count(*) FROM runs WHERE id = $1 AND status = $2", id, want); got != 1 {
			t.Errorf("run %d is not %s", id, want)
		}
	}
}

// The ledger's format checks (migrations/0003 writes them without regular expressions) accept
// exactly YYYY-MM periods and three-letter upper-case currencies.
func TestLedgerFormatChecks(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(l *transform.Line)
		ok     bool
	}{
		{"valid", func(*transform.Line) {}, true},
		{"original currency", func(l *transform.Line) { l.OriginalAmount, l.OriginalCurrency = decimalNull("1"), "EUR" }, true},
		{"period without leading zero", func(l *transform.Line) { l.Period = "2025-1" }, false},
		{"period with a day", func(l *transform.Line) { l.Period = "2025-01-10" }, false},
		{"period with a slash", func(l *transform.Line) { l.Period = "2025/01" }, false},
		{"period with two dashes", func(l *transform.Line) { l.Period = "2025--1" }, false},
		{"period with a non-ASCII digit", func(l *transform.Line) { l.Period = "2025-0\u0661" }, false},
		{"period with a trailing space", func(l *transform.Line) { l.Period = "2025-01 " }, false},
		{"lower-case currency", func(l *transform.Line) { l.Currency = "gbp" }, false},
		{"two-letter currency", func(l *transform.Line) { l.Currency = "GB" }, false},
		{"currency with a digit", func(l *transform.Line) { l.Currency = "GB1" }, false},
		{"currency with a leading space", func(l *transform.Line) { l.Currency = " GB" }, false},
		{"non-ASCII currency", func(l *transform.Line) { l.Currency = "ÉU" }, false},
		{"malformed original currency", func(l *transform.Line) { l.OriginalAmount, l.OriginalCurrency = decimalNull("1"), "eur" }, false},
	}
	for i, tc := range tests {
		id := fmt.Sprintf("fmt-%d", i)
		lines := entryLines(id, "10.00")
		for j := range lines {
			tc.change(&lines[j])
		}
		_, err := lock.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: id, Lines: lines}})
		switch {
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.ok && !errors.Is(err, ErrConstraint):
			t.Errorf("%s: %v, want ErrConstraint", tc.name, err)
		}
	}
}

// TestTransactionsByID reads the originals refunds refer to in one query: each held
// transaction with its expenses, nothing for an id the warehouse does not hold or whose
// stored record no longer decodes.
func TestTransactionsByID(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	if _, err := lock.LoadBatch(ctx, fullBatch(run, time.Date(2025, 1, 11, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	if _, err := connect(t, dsn).Exec(ctx, `UPDATE transactions SET raw = '{"id": "tx-3", "legs": "not a list"}' WHERE id = 'tx-3'`); err != nil {
		t.Fatal(err)
	}
	got, err := s.Transactions(ctx, []string{"tx-1", "tx-2", "tx-3", "tx-missing"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("%d transactions, want tx-1 and tx-2: %v", len(got), slices.Collect(maps.Keys(got)))
	}
	tx1, tx2 := got["tx-1"], got["tx-2"]
	if tx1.Transaction.ID != "tx-1" || len(tx1.Transaction.Legs) != 1 || !tx1.Transaction.Legs[0].Amount.Equal(dec("-12.00")) ||
		len(tx1.Expenses) != 1 || tx1.Expenses[0].ID != "ex-1" || len(tx1.Expenses[0].Raw) == 0 {
		t.Errorf("tx-1 = %+v, want its leg of −12.00 and ex-1", tx1)
	}
	if tx2.Transaction.ID != "tx-2" || len(tx2.Expenses) != 0 || len(tx2.Transaction.Raw) == 0 {
		t.Errorf("tx-2 = %+v, want it without expenses", tx2)
	}
	if none, err := s.Transactions(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("no ids: %v, %v", none, err)
	}
}
