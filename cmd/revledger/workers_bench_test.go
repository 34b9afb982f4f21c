package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut/revoluttest"
)

// BenchmarkWorkers measures multi-business throughput: N businesses (BENCH_SCALE quick: 12,
// full: 24), each a fake of 2,000 transactions over 90 days with receipts, synced once by 1
// then 3 `revledger worker` processes of --concurrency 2 on one database. The Revolut budget
// is lifted (fake unlimited, --rate-limit 1,000,000 a minute, client pacing 1,000,000 a
// minute), so that the figures are revledger's work, not the API's 60 a minute: at the real
// limit a business's first sync is bound by its request count (docs/BENCHMARKS.md).
//
// Reported: businesses/h (all workers), businesses/h/worker, and s/business (wall time over
// businesses). The fakes run in the benchmark process, beside the workers, on the same
// machine.
func BenchmarkWorkers(b *testing.B) {
	businesses := 24
	if os.Getenv("BENCH_SCALE") == "quick" {
		businesses = 12
	}
	for _, workers := range []int{1, 3} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var total time.Duration
			for range b.N {
				total += syncFleet(b, businesses, workers)
			}
			per := total / time.Duration(b.N)
			b.ReportMetric(float64(businesses)/per.Hours(), "businesses/h")
			b.ReportMetric(float64(businesses)/per.Hours()/float64(workers), "businesses/h/worker")
			b.ReportMetric(per.Seconds()/float64(businesses), "s/business")
		})
	}
}

// syncFleet registers the businesses, starts the workers, and times one sync of every
// business from the moment they are queued to the last completion.
func syncFleet(b *testing.B, businesses, workers int) time.Duration {
	b.StopTimer()
	end := time.Now().UTC().Truncate(time.Millisecond)
	f := newFleet(b, businesses, func(i int) revoluttest.Options {
		return revoluttest.Options{Seed: int64(200 + i), Transactions: 2000, End: end, Span: 90 * 24 * time.Hour,
			Clock: func() time.Time { return end }}
	}, "revolut:\n  rate_per_minute: 1000000\nsync:\n  initial_history_days: 100\n")
	for i := range workers {
		f.start(fmt.Sprintf("bench-w%d", i+1), "--concurrency", "2", "--rate-limit", "1000000")
	}
	// Wait until every worker has started its River client.
	for _, p := range f.procs {
		for deadline := time.Now().Add(time.Minute); ; {
			log, _ := os.ReadFile(p.stderr)
			if strings.Contains(string(log), "River client started") {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%s did not start:\n%s", p.id, log)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	ctx := context.Background()
	b.StartTimer()
	started := time.Now()
	f.enqueueSyncs(ctx)
	for f.openSyncs(ctx) > 0 {
		if time.Since(started) > 20*time.Minute {
			b.Fatal("syncs not done after 20 minutes")
		}
		time.Sleep(100 * time.Millisecond)
	}
	took := time.Since(started)
	b.StopTimer()
	var failed int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM revledger.river_job WHERE attempt > 1`).Scan(&failed); err != nil {
		b.Fatal(err)
	}
	if failed > 0 {
		b.Logf("%d jobs needed more than one attempt", failed)
	}
	for _, p := range f.procs {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		<-p.done
	}
	return took
}
