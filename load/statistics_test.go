package load

import (
	"context"
	"fmt"
	"testing"

	"github.com/revledger/revledger/extract/revolut"
)

// TestStatisticsFollowBulkLoads: the store analyzes a table itself once its changes pass
// the threshold, so the planner sees the rows a run just loaded, without autovacuum (which
// is off on this project's CI server, and runs at most once a minute elsewhere). Below the
// threshold nothing is analyzed: a small nightly run costs no ANALYZE.
func TestStatisticsFollowBulkLoads(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s, dsn := newStore(t)
	lock, run := lockAndRun(t, s)
	c := connect(t, dsn)
	stats := func(table string) (reltuples float64, analyzed bool) {
		t.Helper()
		if err := c.QueryRow(ctx, `SELECT c.reltuples, s.last_analyze IS NOT NULL FROM pg_class c
			JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.relname = $1`, table).Scan(&reltuples, &analyzed); err != nil {
			t.Fatal(err)
		}
		return reltuples, analyzed
	}
	load := func(prefix string, n int) {
		t.Helper()
		txs := make([]revolut.Transaction, n)
		for i := range txs {
			txs[i] = txn(fmt.Sprintf("%s-%05d", prefix, i), "completed", "-1.00")
		}
		if _, err := lock.LoadBatch(ctx, Batch{Stream: "transactions", RunID: run, Transactions: txs}); err != nil {
			t.Fatal(err)
		}
		s.stats.wait()
	}

	// 3,000 rows (each with one leg): under analyzeMinRows, nothing is analyzed.
	load("a", 3000)
	if _, analyzed := stats("transactions"); analyzed {
		t.Fatalf("transactions analyzed after 3,000 rows, under the %d-row minimum", analyzeMinRows)
	}
	// 3,000 more: 6,000 changes since the start, an empty table at the last look: analyzed,
	// and the planner's row count is the table's.
	load("b", 3000)
	for _, table := range []string{"transactions", "transaction_legs"} {
		rows, analyzed := stats(table)
		if !analyzed || rows != 6000 {
			t.Errorf("%s: analyzed %v, reltuples %.0f; want analyzed with 6000 rows", table, analyzed, rows)
		}
	}
	// 5,000 more: fewer changes than the 6,000 rows at the last analysis: not analyzed.
	load("c", 5000)
	if rows, _ := stats("transactions"); rows != 6000 {
		t.Errorf("transactions re-analyzed after 5,000 changes to 6,000 rows (reltuples %.0f)", rows)
	}
	// 1,500 more (6,500 since): analyzed again, 12,500 rows.
	load("d", 1500)
	if rows, _ := stats("transactions"); rows != 12500 {
		t.Fatalf("transactions: reltuples %.0f after 12,500 rows, want 12500", rows)
	}
	// A store opened on the same warehouse starts from the server's figure, not from zero:
	// 5,000 changes to a table of 12,500 are not an analysis.
	s2, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.stats.committed(ctx, map[string]int64{"transactions": analyzeMinRows})
	s2.stats.wait()
	if got := s2.stats.changed["transactions"]; got != analyzeMinRows || s2.stats.size["transactions"] != 12500 {
		t.Errorf("a fresh store: %d changes pending and a size of %.0f after %d changes to a 12,500-row table; want them pending against 12500",
			got, s2.stats.size["transactions"], analyzeMinRows)
	}
}

// TestStatisticsTargets: migration 0004 leaves out of ANALYZE the columns the planner never
// uses (raw JSON, the descriptive columns of ledger lines) and keeps the ones it does.
func TestStatisticsTargets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, dsn := newStore(t)
	c := connect(t, dsn)
	for _, tc := range []struct {
		table, column string
		analyzed      bool
	}{
		{"transactions", "raw", false}, {"expenses", "raw", false}, {"cards", "raw", false},
		{"transactions", "id", true}, {"expenses", "transaction_id", true},
		{"ledger_rows", "merchant", false}, {"ledger_rows", "amount", false},
		{"ledger_rows", "entry_id", true}, {"ledger_rows", "booking_date", true},
	} {
		var target int
		if err := c.QueryRow(ctx, `SELECT attstattarget FROM pg_attribute WHERE attrelid = $1::regclass AND attname = $2`,
			tc.table, tc.column).Scan(&target); err != nil {
			t.Fatalf("%s.%s: %v", tc.table, tc.column, err)
		}
		// -1 is the server's default target; 0 means no statistics.
		if (target != 0) != tc.analyzed {
			t.Errorf("%s.%s: statistics target %d, want analyzed %v", tc.table, tc.column, target, tc.analyzed)
		}
	}
}
