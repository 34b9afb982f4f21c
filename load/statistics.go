package load

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// The planner's statistics of a table come from ANALYZE, which autovacuum runs at most once
// a minute per database, and not at all where autovacuum is off (as on this project's CI
// machine). A backfill grows transactions, exceptions and the ledger from nothing to
// millions of rows within one run; with statistics that still say "empty", the planner joins
// each batch's staging tables against them with full scans. Measured on a 1M-transaction
// backfill: booking ran at 30k transactions a minute, and at 173k a minute after one manual
// ANALYZE. So the store keeps its own tables' statistics fresh: every write transaction reads
// how many rows it changed per table (pg_stat_xact_user_tables at its start and just before
// it commits: on PostgreSQL 15 that view also counts earlier transactions of the same
// connection whose statistics are not flushed yet, so only the difference is this one's), and
// once a table's changes since its last analysis reach its size at that analysis (and at
// least analyzeMinRows), a background worker analyzes it: about log2(N/5000) analyses for a
// table that grows to N rows, and statistics never more than a factor 2 off. ANALYZE samples
// a bounded number of rows (of the columns the planner uses: migration 0004) and blocks
// neither reads nor writes, and no writer waits for it.
const (
	analyzeMinRows  = 5000
	analyzeFraction = 1.0
)

// statistics tracks the rows changed per table since its last analysis and analyzes tables
// on its own goroutine.
type statistics struct {
	pool *pgxpool.Pool
	log  *slog.Logger

	mu      sync.Mutex
	changed map[string]int64   // rows changed since the table's last analysis
	size    map[string]float64 // rows at the last analysis (pg_class.reltuples, 0 if never)
	queued  map[string]bool    // sent to the worker and not analyzed yet
	work    chan string
	idle    *sync.Cond // signalled when queued empties
	cancel  context.CancelFunc
	done    chan struct{}
}

func newStatistics(pool *pgxpool.Pool, log *slog.Logger) *statistics {
	ctx, cancel := context.WithCancel(context.Background())
	st := &statistics{pool: pool, log: log, changed: map[string]int64{}, size: map[string]float64{},
		queued: map[string]bool{}, work: make(chan string, 64), cancel: cancel, done: make(chan struct{})}
	st.idle = sync.NewCond(&st.mu)
	go st.run(ctx)
	return st
}

// rowCounts returns the rows inserted, updated and deleted per table of the store's schema
// as pg_stat_xact_user_tables counts them inside tx (temporary staging tables live in their
// own schema and are left out). The difference of two readings in one transaction is what
// the transaction changed in between.
func rowCounts(ctx context.Context, tx pgx.Tx) (map[string]int64, error) {
	rows, _ := tx.Query(ctx, `SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables
		WHERE schemaname = current_schema() AND n_tup_ins + n_tup_upd + n_tup_del > 0`)
	out := map[string]int64{}
	var name string
	var n int64
	_, err := pgx.ForEachRow(rows, []any{&name, &n}, func() error { out[name] = n; return nil })
	if err != nil {
		return nil, fmt.Errorf("read the transaction's row counts: %w", interpret(err))
	}
	return out, nil
}

// changes is after − before, per table, leaving out tables that did not change.
func changes(before, after map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for table, n := range after {
		if d := n - before[table]; d > 0 {
			out[table] = d
		}
	}
	return out
}

// committed records the changes of a committed transaction and queues the tables that have
// changed enough since their last analysis.
func (st *statistics) committed(ctx context.Context, changes map[string]int64) {
	if len(changes) == 0 {
		return
	}
	st.mu.Lock()
	var unknown []string
	for table := range changes {
		if _, ok := st.size[table]; !ok {
			unknown = append(unknown, table)
		}
	}
	st.mu.Unlock()
	// A table first seen in this process: its size is what the server last measured, so that
	// a nightly run's few changes to a large table do not trigger an analysis.
	sizes := map[string]float64{}
	if len(unknown) > 0 {
		rows, _ := st.pool.Query(ctx, `SELECT relname, greatest(reltuples, 0) FROM pg_class
			WHERE relname = ANY($1) AND relnamespace = current_schema()::regnamespace`, unknown)
		var name string
		var n float64
		if _, err := pgx.ForEachRow(rows, []any{&name, &n}, func() error { sizes[name] = n; return nil }); err != nil {
			st.log.WarnContext(ctx, "read table sizes for statistics", slog.Any("error", err))
			return
		}
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	for table, n := range changes {
		if _, ok := st.size[table]; !ok {
			st.size[table] = sizes[table]
		}
		st.changed[table] += n
		c := st.changed[table]
		if c < analyzeMinRows || float64(c) < analyzeFraction*st.size[table] || st.queued[table] {
			continue
		}
		select {
		case st.work <- table:
			st.queued[table] = true
		default: // the worker is far behind; the table is queued again at its next change
		}
	}
}

func (st *statistics) run(ctx context.Context) {
	defer close(st.done)
	for {
		var table string
		select {
		case <-ctx.Done():
			return
		case table = <-st.work:
		}
		size, err := st.analyze(ctx, table)
		st.mu.Lock()
		delete(st.queued, table)
		if err == nil {
			st.changed[table], st.size[table] = 0, size
		}
		if len(st.queued) == 0 {
			st.idle.Broadcast()
		}
		st.mu.Unlock()
		if err != nil && ctx.Err() == nil {
			// Stale statistics make the job slower, never wrong: go on.
			st.log.WarnContext(ctx, "analyze table", slog.String("table", table), slog.Any("error", err))
		}
	}
}

// analyze runs ANALYZE on table and returns the row count it measured.
func (st *statistics) analyze(ctx context.Context, table string) (float64, error) {
	name := pgx.Identifier{table}.Sanitize()
	if _, err := st.pool.Exec(ctx, "ANALYZE "+name); err != nil {
		return 0, interpret(err)
	}
	var rows float64
	if err := st.pool.QueryRow(ctx, "SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = $1::regclass", name).Scan(&rows); err != nil {
		return 0, interpret(err)
	}
	st.log.DebugContext(ctx, "analyzed table", slog.String("table", table), slog.Float64("rows", rows))
	return rows, nil
}

// wait blocks until every queued analysis has run (tests).
func (st *statistics) wait() {
	st.mu.Lock()
	defer st.mu.Unlock()
	for len(st.queued) > 0 {
		st.idle.Wait()
	}
}

// close stops the worker; an analysis in progress is cancelled, queued ones are dropped.
func (st *statistics) close() {
	st.cancel()
	<-st.done
	st.mu.Lock()
	clear(st.queued)
	st.idle.Broadcast()
	st.mu.Unlock()
}
