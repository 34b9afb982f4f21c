package ratelimit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/revledger/revledger/internal/testenv"
)

func newPool(t testing.TB, dsn string) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// Several pools (standing for processes), each with several goroutines, hammer two businesses
// for 6 s with a budget of 20 per 2 s. Every grant's database time is recorded: no rolling
// 2 s window may hold more than 20 grants of one business, and each business must get about
// its own full budget (if they shared one, each would get half).
func TestNoWindowExceedsTheBudgetAcrossPools(t *testing.T) {
	t.Parallel()
	dsn := testenv.Database(t)
	ctx := context.Background()
	const (
		perWindow  = 20
		window     = 2 * time.Second
		runFor     = 6 * time.Second
		pools      = 3
		goroutines = 4
	)
	if err := Migrate(ctx, newPool(t, dsn), ""); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	grants := map[int64][]time.Time{}
	var wg sync.WaitGroup
	runCtx, cancel := context.WithTimeout(ctx, runFor)
	defer cancel()
	errs := make(chan error, pools*goroutines*2)
	for range pools {
		l := New(newPool(t, dsn), Options{PerWindow: perWindow, Window: window})
		l.onGrant = func(id int64, at time.Time) {
			mu.Lock()
			grants[id] = append(grants[id], at)
			mu.Unlock()
		}
		for range goroutines {
			for _, business := range []int64{1, 2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					w := l.For(business)
					for {
						err := w.Wait(runCtx)
						if errors.Is(err, context.DeadlineExceeded) {
							return
						}
						if err != nil {
							errs <- err
							return
						}
					}
				}()
			}
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Wait: %v", err)
	}
	for _, business := range []int64{1, 2} {
		ts := grants[business]
		slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
		// Any 21 consecutive grants span at least the window: grant i+20 came only when grant i
		// had left the window (strictly: i is not after grant(i+20) − window).
		for i := 0; i+perWindow < len(ts); i++ {
			if span := ts[i+perWindow].Sub(ts[i]); span < window {
				t.Fatalf("business %d: grants %d..%d (%d grants) within %s, less than the %s window", business, i, i+perWindow, perWindow+1, span, window)
			}
		}
		// Over 6 s a full budget is about 3 windows × 20 = 60 grants (at most 80 with both
		// ends of the run on a window boundary); a budget shared by two businesses would give
		// each at most about 40.
		if len(ts) < 50 || len(ts) > 80 {
			t.Fatalf("business %d got %d grants in %s, want 50..80 (its own budget of %d per %s)", business, len(ts), runFor, perWindow, window)
		}
		t.Logf("business %d: %d grants in %s", business, len(ts), runFor)
	}
}

func TestWaitGivesUpWithTheContext(t *testing.T) {
	t.Parallel()
	dsn := testenv.Database(t)
	ctx := context.Background()
	pool := newPool(t, dsn)
	if err := Migrate(ctx, pool, "limits"); err != nil {
		t.Fatal(err)
	}
	l := New(pool, Options{PerWindow: 2, Window: time.Hour, Schema: "limits"})
	for range 2 {
		if err := l.Wait(ctx, 7); err != nil {
			t.Fatal(err)
		}
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := l.Wait(short, 7); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("third Wait in the hour: %v, want DeadlineExceeded", err)
	}
	if time.Since(start) > 2*time.Second {
		t.Fatalf("Wait took %s to notice its context ended", time.Since(start))
	}
	// Only the two grants are recorded; another business is unaffected.
	var n int
	if err := pool.QueryRow(ctx, "SELECT cardinality(grants) FROM limits.rate_limit_grants WHERE business_id = 7").Scan(&n); err != nil || n != 2 {
		t.Fatalf("recorded grants: %d, %v", n, err)
	}
	if err := l.Wait(ctx, 8); err != nil {
		t.Fatalf("business 8 waits on business 7's budget: %v", err)
	}
}

// BenchmarkWait is the cost of one grant when the budget is not the limit: one short
// transaction (insert-if-missing, lock, clock, update) from 4 goroutines on one business.
func BenchmarkWait(b *testing.B) {
	dsn := testenv.Database(b)
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer pool.Close()
	if err := Migrate(ctx, pool, ""); err != nil {
		b.Fatal(err)
	}
	l := New(pool, Options{PerWindow: 1 << 20, Window: time.Millisecond})
	b.SetParallelism(2) // 2 × GOMAXPROCS goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := l.Wait(ctx, 1); err != nil {
				b.Error(err)
				return
			}
		}
	})
}
