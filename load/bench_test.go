package load

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

// Benchmarks of the bulk paths against a raw COPY of the same rows into bare tables (same
// columns, no keys, no indexes, no triggers) on the same server: the ratio of the two rows/s
// figures is the cost of staging + merge + indexes + constraints.
//
//	go test ./load -run '^$' -bench . -benchtime 1x -count 3

const benchRows = 100_000

// benchSeq makes ids unique across sub-benchmark runs (-count) on the same database.
var benchSeq atomic.Int64

func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, benchSeq.Add(1)) }

func benchTransactions(prefix string, n int) []revolut.Transaction {
	out := make([]revolut.Transaction, n)
	for i := range out {
		out[i] = txn(fmt.Sprintf("%s-%07d", prefix, i), revolut.TransactionCompleted, fmt.Sprintf("-%d.%02d", i%500, i%100))
	}
	return out
}

func BenchmarkLoadTransactions(b *testing.B) {
	ctx := context.Background()
	s, _ := newStore(b)
	lock, run := lockAndRun(b, s)

	b.Run("merge_new", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			txs := benchTransactions(uniq("new"), benchRows)
			b.StartTimer()
			st, err := s.LoadBatch(ctx, lock, Batch{Stream: "transactions", RunID: run, Transactions: txs})
			if err != nil || st.Inserted != benchRows {
				b.Fatalf("LoadBatch: %+v %v", st, err)
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})

	txs := benchTransactions("same", benchRows)
	if _, err := s.LoadBatch(ctx, lock, Batch{Stream: "transactions", RunID: run, Transactions: txs}); err != nil {
		b.Fatal(err)
	}
	b.Run("merge_unchanged", func(b *testing.B) {
		for b.Loop() {
			st, err := s.LoadBatch(ctx, lock, Batch{Stream: "transactions", RunID: run, Transactions: txs})
			if err != nil || st.Unchanged != benchRows {
				b.Fatalf("LoadBatch: %+v %v", st, err)
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})

	b.Run("raw_copy", func(b *testing.B) {
		t := transactionsTable
		parentCols := append(append([]string{"id"}, t.cols...), "raw")
		ddl := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS bare_transactions (id text, %s, raw jsonb);
			CREATE TABLE IF NOT EXISTS bare_legs (%s)`, columnDefs(t.cols, t.types), columnDefs(t.child.cols, t.child.types))
		if _, err := s.pool.Exec(ctx, ddl); err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			txs := benchTransactions(uniq("raw"), benchRows)
			b.StartTimer()
			// Same preparation as LoadBatch (dedupe, validate, rows), then plain COPY.
			st := stageRaw(t, txs, func(string, string, []byte) {})
			err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
				if _, err := tx.CopyFrom(ctx, pgx.Identifier{"bare_transactions"}, parentCols,
					&copySource{n: st.n, row: make([]any, len(parentCols)), fill: st.fill}); err != nil {
					return err
				}
				_, err := tx.CopyFrom(ctx, pgx.Identifier{"bare_legs"}, t.child.cols, pgx.CopyFromRows(st.children))
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// benchBookings returns n/2 balanced two-line entries.
func benchBookings(prefix, debit string, n int) []SourceBooking {
	out := make([]SourceBooking, n/2)
	for i := range out {
		id := fmt.Sprintf("%s-%07d", prefix, i)
		out[i] = SourceBooking{SourceType: transform.SourceTransaction, SourceID: id, Lines: entryLines(id, debit)}
	}
	return out
}

func BenchmarkWriteBookings(b *testing.B) {
	ctx := context.Background()
	s, _ := newStore(b)
	lock, run := lockAndRun(b, s)

	b.Run("new_entries", func(b *testing.B) {
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			bk := benchBookings(uniq("new"), "12.34", benchRows)
			b.StartTimer()
			st, err := s.WriteBookings(ctx, lock, run, bk)
			if err != nil || st.LinesWritten != benchRows {
				b.Fatalf("WriteBookings: %+v %v", st, err)
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})

	b.Run("changed_entries", func(b *testing.B) {
		prefix := uniq("chg")
		bk := benchBookings(prefix, "1.00", benchRows)
		if _, err := s.WriteBookings(ctx, lock, run, bk); err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			bk := benchBookings(prefix, fmt.Sprintf("%d.00", i+2), benchRows)
			b.StartTimer()
			st, err := s.WriteBookings(ctx, lock, run, bk)
			if err != nil || st.EntriesChanged != benchRows/2 {
				b.Fatalf("WriteBookings: %+v %v", st, err)
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})

	b.Run("unchanged_entries", func(b *testing.B) {
		bk := benchBookings(uniq("same"), "5.00", benchRows)
		if _, err := s.WriteBookings(ctx, lock, run, bk); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			st, err := s.WriteBookings(ctx, lock, run, bk)
			if err != nil || st.EntriesUnchanged != benchRows/2 {
				b.Fatalf("WriteBookings: %+v %v", st, err)
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})

	b.Run("raw_copy", func(b *testing.B) {
		cols := append(append([]string(nil), ledgerCols...), "version", "run_id")
		types := append(append([]string(nil), ledgerColTypes...), "integer", "bigint")
		if _, err := s.pool.Exec(ctx, "CREATE TABLE IF NOT EXISTS bare_ledger ("+columnDefs(cols, types)+")"); err != nil {
			b.Fatal(err)
		}
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			bk := benchBookings(uniq("raw"), "12.34", benchRows)
			b.StartTimer()
			// Same preparation as WriteBookings (grouping, entry hashes), then plain COPY.
			p, err := prepareBookings(bk)
			if err != nil {
				b.Fatal(err)
			}
			src := &copySource{n: len(p.lines), row: make([]any, len(cols)), fill: func(i int, row []any) {
				lineRow(p.lines[i], row)
				row[len(row)-2], row[len(row)-1] = 1, run
			}}
			if _, err := s.pool.CopyFrom(ctx, pgx.Identifier{"bare_ledger"}, cols, src); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// BenchmarkLedgerLines measures the exporters' read path: streaming 100k current lines.
func BenchmarkLedgerLines(b *testing.B) {
	ctx := context.Background()
	s, _ := newStore(b)
	lock, run := lockAndRun(b, s)
	if _, err := s.WriteBookings(ctx, lock, run, benchBookings("read", "3.00", benchRows)); err != nil {
		b.Fatal(err)
	}
	from, to := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)
	for b.Loop() {
		n := 0
		for _, err := range s.LedgerLines(ctx, from, to) {
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
		if n != benchRows {
			b.Fatalf("read %d lines, want %d", n, benchRows)
		}
	}
	b.ReportMetric(float64(benchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
