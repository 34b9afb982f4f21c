package worker

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Metrics are the worker's per-business figures, served in the Prometheus text format
// (written by hand, as the schedule daemon's are: the format is a few lines and needs no
// client library).
//
// Counters count what this process did. The last successful sync and the lag are the
// cluster's: they are read from River's job table every Config.ReloadEvery, so any worker's
// scrape shows every business, including those synced by another worker.
type Metrics struct {
	pool   *pgxpool.Pool
	schema string
	now    func() time.Time

	mu          sync.Mutex
	jobs        map[[3]string]int64 // business, kind, outcome
	requests    map[string]int64
	lines       map[string]int64
	running     map[string]int
	lastSuccess map[string]time.Time
	businesses  map[string]bool
}

func newMetrics(pool *pgxpool.Pool, schema string) *Metrics {
	return &Metrics{
		pool: pool, schema: schema, now: time.Now,
		jobs: map[[3]string]int64{}, requests: map[string]int64{}, lines: map[string]int64{},
		running: map[string]int{}, lastSuccess: map[string]time.Time{}, businesses: map[string]bool{},
	}
}

func (m *Metrics) started(business, _ string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running[business]++
}

func (m *Metrics) finished(business, kind string, oc outcome, r Report, at time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.running[business]--
	m.jobs[[3]string{business, kind, string(oc)}]++
	m.requests[business] += r.APIRequests
	m.lines[business] += r.Lines
	if oc == outcomeCompleted && (kind == KindSync || kind == KindReceipts) && at.After(m.lastSuccess[business]) {
		m.lastSuccess[business] = at
	}
}

// snoozed counts a job put back because another job of its business was running.
func (m *Metrics) snoozed(business, kind string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.jobs[[3]string{business, kind, string(outcomeSnoozed)}]++
}

func (m *Metrics) setBusinesses(list []Business) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.businesses = make(map[string]bool, len(list))
	for _, b := range list {
		m.businesses[b.Slug] = true
	}
}

// refresh reads every business's last successful sync from River's job table.
func (m *Metrics) refresh(ctx context.Context) error {
	last, err := lastSuccesses(ctx, m.pool, m.schema)
	if err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for b, t := range last {
		if t.After(m.lastSuccess[b]) {
			m.lastSuccess[b] = t
		}
	}
	return nil
}

// lastSuccesses is the finish time of each business's last completed sync (or receipts
// job, which runs as a sync).
func lastSuccesses(ctx context.Context, pool *pgxpool.Pool, schema string) (map[string]time.Time, error) {
	rows, err := pool.Query(ctx, `SELECT args->>'business', max(finalized_at) FROM `+table(schema, "river_job")+`
		WHERE kind = ANY($1) AND state = 'completed' AND args ? 'business' GROUP BY 1`, []string{KindSync, KindReceipts})
	if err != nil {
		return nil, fmt.Errorf("worker: read last syncs: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var b string
		var t time.Time
		if err := rows.Scan(&b, &t); err != nil {
			return nil, fmt.Errorf("worker: read last syncs: %w", err)
		}
		out[b] = t
	}
	return out, rows.Err()
}

// ServeHTTP writes the metrics in a stable order.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	now := m.now()

	fmt.Fprintln(w, "# HELP revledger_worker_jobs_total Jobs this worker finished, by business, kind and outcome (completed, failed, snoozed, cancelled).")
	fmt.Fprintln(w, "# TYPE revledger_worker_jobs_total counter")
	keys := make([][3]string, 0, len(m.jobs))
	for k := range m.jobs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		for n := range 3 {
			if keys[i][n] != keys[j][n] {
				return keys[i][n] < keys[j][n]
			}
		}
		return false
	})
	for _, k := range keys {
		fmt.Fprintf(w, "revledger_worker_jobs_total{business=%q,kind=%q,outcome=%q} %d\n", k[0], k[1], k[2], m.jobs[k])
	}

	fmt.Fprintln(w, "# HELP revledger_worker_jobs_running Jobs this worker is running, by business.")
	fmt.Fprintln(w, "# TYPE revledger_worker_jobs_running gauge")
	for _, b := range sortedKeys(m.running) {
		fmt.Fprintf(w, "revledger_worker_jobs_running{business=%q} %d\n", b, m.running[b])
	}

	fmt.Fprintln(w, "# HELP revledger_worker_api_requests_total Revolut API requests made by this worker's jobs, by business.")
	fmt.Fprintln(w, "# TYPE revledger_worker_api_requests_total counter")
	for _, b := range sortedKeys(m.requests) {
		fmt.Fprintf(w, "revledger_worker_api_requests_total{business=%q} %d\n", b, m.requests[b])
	}

	fmt.Fprintln(w, "# HELP revledger_worker_ledger_lines_total Ledger lines written by this worker's jobs, by business.")
	fmt.Fprintln(w, "# TYPE revledger_worker_ledger_lines_total counter")
	for _, b := range sortedKeys(m.lines) {
		fmt.Fprintf(w, "revledger_worker_ledger_lines_total{business=%q} %d\n", b, m.lines[b])
	}

	fmt.Fprintln(w, "# HELP revledger_worker_last_success_timestamp_seconds Unix time of the business's last successful sync, by any worker.")
	fmt.Fprintln(w, "# TYPE revledger_worker_last_success_timestamp_seconds gauge")
	for _, b := range sortedKeys(m.lastSuccess) {
		fmt.Fprintf(w, "revledger_worker_last_success_timestamp_seconds{business=%q} %d\n", b, m.lastSuccess[b].Unix())
	}

	fmt.Fprintln(w, "# HELP revledger_worker_sync_lag_seconds Seconds since the business's last successful sync (businesses never synced are left out).")
	fmt.Fprintln(w, "# TYPE revledger_worker_sync_lag_seconds gauge")
	for _, b := range sortedKeys(m.lastSuccess) {
		if len(m.businesses) > 0 && !m.businesses[b] {
			continue // deleted since
		}
		fmt.Fprintf(w, "revledger_worker_sync_lag_seconds{business=%q} %.0f\n", b, now.Sub(m.lastSuccess[b]).Seconds())
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
