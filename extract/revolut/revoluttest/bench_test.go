package revoluttest

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"
)

// BenchmarkGenerate1M measures generating a history of one million transactions: time per
// history, and the live heap it occupies afterwards.
func BenchmarkGenerate1M(b *testing.B) {
	if _, err := signingKey(); err != nil { // not part of generation
		b.Fatal(err)
	}
	var s *Server
	for b.Loop() {
		var err error
		s, err = New(Options{Transactions: 1_000_000, End: fixedEnd})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	b.ReportMetric(float64(ms.HeapAlloc)/(1<<20), "MiB-live-heap")
	b.ReportMetric(float64(len(s.txs)), "transactions")
	b.ReportMetric(float64(len(s.expenses)), "expenses")
	runtime.KeepAlive(s)
}

// BenchmarkTransactionsPage measures serving one full page of 1000 transactions from a
// history of 100,000, through the whole handler (auth, limits, rendering).
func BenchmarkTransactionsPage(b *testing.B) {
	s, err := New(Options{Transactions: 100_000, End: fixedEnd, Clock: func() time.Time { return fixedEnd }})
	if err != nil {
		b.Fatal(err)
	}
	s.mu.Lock()
	s.auth.access["bench"] = fixedEnd.Add(time.Hour).UnixNano()
	s.mu.Unlock()
	h := s.Handler()
	req := httptest.NewRequest(http.MethodGet, basePath+"/transactions?count=1000&to=2026-01-01T00:00:00.000Z", nil)
	req.Header.Set("Authorization", "Bearer bench")
	var size int
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
		size = rec.Body.Len()
	}
	b.SetBytes(int64(size))
}
