package schedules

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"
)

// Metrics holds the daemon's counters and serves them in the Prometheus text exposition
// format. It is small enough not to need the Prometheus client library.
type Metrics struct {
	mu       sync.Mutex
	runs     map[[2]string]int64 // (job, status) → count
	success  map[string]time.Time
	duration map[string]float64 // last run's seconds, by job
	rows     int64
	requests int64
	limited  int64
}

func newMetrics() *Metrics {
	return &Metrics{runs: map[[2]string]int64{}, success: map[string]time.Time{}, duration: map[string]float64{}}
}

func (m *Metrics) record(job, status string, d time.Duration, r Report, successAt time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runs[[2]string{job, status}]++
	m.duration[job] = d.Seconds()
	m.rows += r.Rows
	m.requests += r.APIRequests
	m.limited += r.RateLimited
	if !successAt.IsZero() {
		m.success[job] = successAt
	}
}

func (m *Metrics) lastSuccess() map[string]time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make(map[string]time.Time, len(m.success))
	for k, v := range m.success {
		out[k] = v
	}
	return out
}

// ServeHTTP writes the metrics in the Prometheus text format, in a stable order.
func (m *Metrics) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	m.mu.Lock()
	defer m.mu.Unlock()
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")

	fmt.Fprintln(w, "# HELP revledger_runs_total Runs started by the scheduler, by job and outcome.")
	fmt.Fprintln(w, "# TYPE revledger_runs_total counter")
	keys := make([][2]string, 0, len(m.runs))
	for k := range m.runs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "revledger_runs_total{job=%q,status=%q} %d\n", k[0], k[1], m.runs[k])
	}

	fmt.Fprintln(w, "# HELP revledger_last_success_timestamp_seconds Unix time of the last successful run, by job.")
	fmt.Fprintln(w, "# TYPE revledger_last_success_timestamp_seconds gauge")
	for _, job := range sortedKeys(m.success) {
		fmt.Fprintf(w, "revledger_last_success_timestamp_seconds{job=%q} %d\n", job, m.success[job].Unix())
	}

	fmt.Fprintln(w, "# HELP revledger_last_run_duration_seconds Duration of the last run, by job.")
	fmt.Fprintln(w, "# TYPE revledger_last_run_duration_seconds gauge")
	for _, job := range sortedKeys(m.duration) {
		fmt.Fprintf(w, "revledger_last_run_duration_seconds{job=%q} %g\n", job, m.duration[job])
	}

	fmt.Fprintln(w, "# HELP revledger_ledger_rows_total Ledger lines written by scheduled runs.")
	fmt.Fprintln(w, "# TYPE revledger_ledger_rows_total counter")
	fmt.Fprintf(w, "revledger_ledger_rows_total %d\n", m.rows)
	fmt.Fprintln(w, "# HELP revledger_api_requests_total Revolut API requests made by scheduled runs.")
	fmt.Fprintln(w, "# TYPE revledger_api_requests_total counter")
	fmt.Fprintf(w, "revledger_api_requests_total %d\n", m.requests)
	fmt.Fprintln(w, "# HELP revledger_api_rate_limited_total Revolut API answers of 429 seen by scheduled runs.")
	fmt.Fprintln(w, "# TYPE revledger_api_rate_limited_total counter")
	fmt.Fprintf(w, "revledger_api_rate_limited_total %d\n", m.limited)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
