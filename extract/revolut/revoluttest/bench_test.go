package revoluttest

import (
	"runtime"
	"testing"
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
