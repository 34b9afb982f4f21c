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
		if _, err := s.LoadBatch(ctx, lock, Batch{Stream: "transactions", RunID: run, Transactions: txs}); err != nil {
			t.Fatal(err)
		}
		s.stats.wait()
	}

	// 600 rows (each with one leg): under analyzeMinRows, nothing is analyzed.
	load("a", 600)
	if _, analyzed := stats("transactions"); analyzed {
		t.Fatalf("transactions analyzed after 600 rows, under the %d-row minimum", analyzeMinRows)
	}
	// 600 more: 1,200 changes since the start, an empty table at the last look: analyzed, and
	// the planner's row count is the table's.
	load("b", 600)
	for _, table := range []string{"transactions", "transaction_legs"} {
		rows, analyzed := stats(table)
		if !analyzed || rows != 1200 {
			t.Errorf("%s: analyzed %v, reltuples %.0f; want analyzed with 1200 rows", table, analyzed, rows)
		}
	}
	// 500 more: under half of 1,200 since the last analysis: the statistics stay at 1,200.
	load("c", 500)
	if rows, _ := stats("transactions"); rows != 1200 {
		t.Errorf("transactions re-analyzed after 500 changes to 1,200 rows (reltuples %.0f)", rows)
	}
	// 500 more (1,000 since, past half of 1,200 and the minimum): analyzed again.
	load("d", 500)
	if rows, _ := stats("transactions"); rows != 2200 {
		t.Errorf("transactions: reltuples %.0f after 2,200 rows, want 2200", rows)
	}
	// 1,200 more (half of 2,200 is 1,100): analyzed, 3,400 rows.
	load("e", 1200)
	if rows, _ := stats("transactions"); rows != 3400 {
		t.Fatalf("transactions: reltuples %.0f after 3,400 rows, want 3400", rows)
	}
	// A store opened on the same warehouse starts from the server's figure, not from zero:
	// 1,000 changes to a table of 3,400 (half is 1,700) are not an analysis.
	s2, err := Open(ctx, dsn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.stats.committed(ctx, map[string]int64{"transactions": analyzeMinRows})
	s2.stats.wait()
	if got := s2.stats.changed["transactions"]; got != analyzeMinRows || s2.stats.size["transactions"] != 3400 {
		t.Errorf("a fresh store: %d changes pending and a size of %.0f after %d changes to a 3,400-row table; want them pending against 3400",
			got, s2.stats.size["transactions"], analyzeMinRows)
	}
}
