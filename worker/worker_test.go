package worker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/revledger/revledger/internal/testenv"
)

func TestMonthChunks(t *testing.T) {
	got, err := MonthChunks("acme", "2025-12-15", "2026-03-10")
	if err != nil {
		t.Fatal(err)
	}
	want := []BackfillChunkArgs{
		{"acme", "2025-12-15", "2026-01-01"},
		{"acme", "2026-01-01", "2026-02-01"},
		{"acme", "2026-02-01", "2026-03-01"},
		{"acme", "2026-03-01", "2026-03-10"},
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("chunks\n got %v\nwant %v", got, want)
	}
	for _, bad := range [][2]string{{"2026-03-01", "2026-03-01"}, {"2026-03-02", "2026-03-01"}, {"2026-13-01", "2026-03-01"}, {"2026-01-01", "x"}} {
		if _, err := MonthChunks("acme", bad[0], bad[1]); err == nil {
			t.Errorf("MonthChunks(%s, %s): no error", bad[0], bad[1])
		}
	}
}

func TestScheduleInTimeZone(t *testing.T) {
	s, err := ParseSchedule("0 2 * * *", "America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-07-01 10:00 UTC is 06:00 in New York (EDT, UTC−4): the next 02:00 there is on
	// 2026-07-02, 06:00 UTC.
	got := s.Next(time.Date(2026, 7, 1, 10, 0, 0, 0, time.UTC))
	if want := time.Date(2026, 7, 2, 6, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("next = %s, want %s", got.UTC(), want)
	}
	if _, err := ParseSchedule("0 2 * *", "UTC"); err == nil {
		t.Error("a four-field schedule parsed")
	}
	if _, err := ParseSchedule("0 2 * * *", "Mars/Olympus"); err == nil {
		t.Error("an unknown time zone parsed")
	}
	if _, ok := NextRun(Business{Slug: "p", State: "paused", Schedule: "0 2 * * *", TimeZone: "UTC"}, time.Now()); ok {
		t.Error("a paused business has a next run")
	}
}

func TestPermanentAndBusy(t *testing.T) {
	base := errors.New("business acme was deleted")
	p := Permanent(fmt.Errorf("look up: %w", base))
	if !IsPermanent(p) || !errors.Is(p, base) {
		t.Errorf("Permanent lost its marks: permanent %v, is base %v", IsPermanent(p), errors.Is(p, base))
	}
	if IsPermanent(base) || IsPermanent(fmt.Errorf("x: %w", ErrBusy)) {
		t.Error("a plain error counts as permanent")
	}
	if Permanent(nil) != nil {
		t.Error("Permanent(nil) is not nil")
	}
}

// fakeRunner stands for the real wiring: it records, per business, how many of its jobs run
// at once, and answers what each business is told to answer.
type fakeRunner struct {
	mu       sync.Mutex
	running  map[string]int
	peak     map[string]int
	runs     map[string]int
	answers  map[string][]error // per business, the answers of its next runs; then nil
	duration time.Duration
}

func newFakeRunner(d time.Duration) *fakeRunner {
	return &fakeRunner{running: map[string]int{}, peak: map[string]int{}, runs: map[string]int{}, answers: map[string][]error{}, duration: d}
}

func (f *fakeRunner) job(ctx context.Context, b string) (Report, error) {
	f.mu.Lock()
	f.running[b]++
	f.runs[b]++
	f.peak[b] = max(f.peak[b], f.running[b])
	var answer error
	if a := f.answers[b]; len(a) > 0 {
		answer, f.answers[b] = a[0], a[1:]
	}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		f.running[b]--
		f.mu.Unlock()
	}()
	select {
	case <-time.After(f.duration):
	case <-ctx.Done():
		return Report{}, ctx.Err()
	}
	return Report{APIRequests: 7, Lines: 3}, answer
}

func (f *fakeRunner) Sync(ctx context.Context, b string) (Report, error) { return f.job(ctx, b) }
func (f *fakeRunner) Backfill(ctx context.Context, b, _, _ string) (Report, error) {
	return f.job(ctx, b)
}
func (f *fakeRunner) Export(ctx context.Context, b, _ string) (Report, error) { return f.job(ctx, b) }
func (f *fakeRunner) Receipts(ctx context.Context, b string) (Report, error)  { return f.job(ctx, b) }

func newPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testenv.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestMigrateConcurrently(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	var g errgroup.Group
	for range 3 {
		g.Go(func() error { return Migrate(ctx, pool, "") })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := Migrate(ctx, pool, ""); err != nil {
		t.Fatalf("second migration: %v", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = 'revledger' AND table_name IN ('river_job', 'river_leader', 'river_queue', 'river_migration')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("%d of River's 4 main tables in schema revledger", n)
	}
	var public int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'river%'`).Scan(&public); err != nil {
		t.Fatal(err)
	}
	if public != 0 {
		t.Errorf("%d River tables in schema public", public)
	}
}

func TestStatusBeforeAnyWorker(t *testing.T) {
	pool := newPool(t)
	b := Business{Slug: "acme", State: Active, Schedule: "0 2 * * *", TimeZone: "UTC"}
	now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	st, err := ReadStatus(context.Background(), pool, "", []Business{b}, now)
	if err != nil {
		t.Fatal(err)
	}
	// No job table yet: no job, never synced; the next run is 02:00 UTC on the 11th.
	if len(st) != 1 || st[0].LastJob.Kind != "" || !st[0].LastSuccess.IsZero() || !st[0].Next.Equal(time.Date(2026, 3, 11, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("status %+v", st)
	}
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM pg_namespace WHERE nspname = 'revledger'").Scan(&n); err != nil || n != 0 {
		t.Errorf("ReadStatus created the schema (%d, %v): it must only read", n, err)
	}
}

func TestConfigRefusesRescueBeforeTimeout(t *testing.T) {
	pool := newPool(t)
	_, err := New(Config{Pool: pool, Runner: newFakeRunner(0), JobTimeout: time.Minute, RescueAfter: time.Minute})
	if err == nil || !strings.Contains(err.Error(), "rescue after") {
		t.Fatalf("err = %v, want the rescue-after refusal", err)
	}
}

// TestTwoWorkersOneJobPerBusiness runs two workers of four slots each on one database.
// Each business gets a sync enqueued twice (the second is a duplicate), two backfill chunks
// and a receipts job; the runner answers ErrBusy once for b1's first job and a permanent
// error for b2's first. Every job must end completed or cancelled, no business ever had two
// syncs queued, and the status and metrics must show it.
func TestTwoWorkersOneJobPerBusiness(t *testing.T) {
	pool := newPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := Migrate(ctx, pool, ""); err != nil {
		t.Fatal(err)
	}
	runner := newFakeRunner(300 * time.Millisecond)
	runner.answers["b1"] = []error{fmt.Errorf("sync b1: %w", ErrBusy)}
	runner.answers["b2"] = []error{Permanent(errors.New("business b2 was deleted"))}
	businesses := []Business{
		{Slug: "b0", State: Active, Schedule: "0 2 * * *", TimeZone: "Europe/London"},
		{Slug: "b1", State: Active, Schedule: "30 3 * * *", TimeZone: "UTC"},
		{Slug: "b2", State: "paused", Schedule: "0 2 * * *", TimeZone: "UTC"},
	}
	list := func(context.Context) ([]Business, error) { return businesses, nil }

	enq, err := NewEnqueuer(pool, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"b0", "b1", "b2"} {
		first, err := enq.Enqueue(ctx, SyncArgs{Business: b})
		if err != nil {
			t.Fatal(err)
		}
		again, err := enq.Enqueue(ctx, SyncArgs{Business: b})
		if err != nil {
			t.Fatal(err)
		}
		if first.Duplicate || !again.Duplicate || again.JobID != first.JobID {
			t.Errorf("%s: first %+v, again %+v: want the second a duplicate of the first", b, first, again)
		}
	}
	chunks, err := enq.EnqueueBackfill(ctx, "b0", "2026-01-10", "2026-03-01")
	if err != nil || len(chunks) != 2 {
		t.Fatalf("backfill chunks %v, %v: want 2", chunks, err)
	}
	if _, err := enq.Enqueue(ctx, ReceiptsArgs{Business: "b0"}); err != nil {
		t.Fatal(err)
	}

	var workers []*Worker
	for i := range 2 {
		w, err := New(Config{Pool: pool, ID: fmt.Sprintf("test-worker-%d", i), Concurrency: 4, Runner: runner,
			Businesses: list, BusySnooze: time.Second, JobTimeout: 20 * time.Second, RescueAfter: 30 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	runCtx, stop := context.WithCancel(ctx)
	var g errgroup.Group
	for _, w := range workers {
		g.Go(func() error { return w.Run(runCtx, 10*time.Second) })
	}

	// Seven jobs: three syncs, two chunks, receipts; b1's sync is snoozed once (BusySnooze,
	//, 1 s here.
	deadline := time.Now().Add(90 * time.Second)
	for {
		var open int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM revledger.river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if open == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs still open after 90 s", open)
		}
		time.Sleep(500 * time.Millisecond)
	}
	stop()
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}

	states := map[string]string{}
	rows, err := pool.Query(ctx, `SELECT kind || ':' || (args->>'business') || ':' || coalesce(args->>'from', ''), state::text FROM revledger.river_job`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k, s string
		if err := rows.Scan(&k, &s); err != nil {
			t.Fatal(err)
		}
		states[k] = s
	}
	want := map[string]string{
		"sync:b0:": "completed", "sync:b1:": "completed", "sync:b2:": "cancelled",
		"backfill_chunk:b0:2026-01-10": "completed", "backfill_chunk:b0:2026-02-01": "completed",
		"receipts:b0:": "completed",
	}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("job states\n got %v\nwant %v", states, want)
	}
	// b0 had four jobs of three kinds on eight slots: they ran one at a time (a job that
	// finds another of its business running is snoozed). b1's sync ran twice (busy, then
	// completed), b2's once.
	if runner.runs["b1"] != 2 || runner.runs["b2"] != 1 || runner.runs["b0"] != 4 {
		t.Errorf("runs per business %v, want b0 4, b1 2, b2 1", runner.runs)
	}
	for b, peak := range runner.peak {
		if peak != 1 {
			t.Errorf("business %s had %d jobs running at once", b, peak)
		}
	}

	now := time.Now()
	st, err := ReadStatus(ctx, pool, "", businesses, now)
	if err != nil {
		t.Fatal(err)
	}
	if st[0].LastSuccess.IsZero() || st[1].LastSuccess.IsZero() || !st[2].LastSuccess.IsZero() {
		t.Errorf("last successes b0 %v, b1 %v, b2 %v: want b0 and b1 only", st[0].LastSuccess, st[1].LastSuccess, st[2].LastSuccess)
	}
	if st[2].LastJob.State != "cancelled" || !strings.Contains(st[2].LastJob.Error, "deleted") || st[2].FailedAttempts24h != 1 {
		t.Errorf("b2 status %+v: want its cancelled sync with the error, 1 failed attempt", st[2])
	}
	if st[0].Next.IsZero() || !st[2].Next.IsZero() {
		t.Errorf("next runs b0 %v b2 %v: want b0's only (b2 is paused)", st[0].Next, st[2].Next)
	}
	// 02:00 in London after now.
	if h := st[0].Next.In(mustLoc(t, "Europe/London")); h.Hour() != 2 || h.Minute() != 0 || !h.After(now) {
		t.Errorf("b0 next run %v: want 02:00 London time after now", h)
	}

	// The metrics: summed over both workers, b0 completed one sync and two chunks.
	completed := 0
	var scrape strings.Builder
	for _, w := range workers {
		rec := httptest.NewRecorder()
		w.Metrics().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
		body, _ := io.ReadAll(rec.Result().Body)
		scrape.Write(body)
		for _, line := range strings.Split(string(body), "\n") {
			if strings.HasPrefix(line, `revledger_worker_jobs_total{business="b0",kind="backfill_chunk",outcome="completed"}`) {
				var n int
				fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%d", &n)
				completed += n
			}
		}
	}
	if completed != 2 {
		t.Errorf("b0 backfill chunks completed per the metrics: %d, want 2\n%s", completed, scrape.String())
	}
	for _, want := range []string{`revledger_worker_sync_lag_seconds{business="b0"}`, `outcome="snoozed"`, `outcome="cancelled"`, `revledger_worker_api_requests_total{business="b0"}`} {
		if !strings.Contains(scrape.String(), want) {
			t.Errorf("metrics lack %s\n%s", want, scrape.String())
		}
	}
}

func TestPeriodicReload(t *testing.T) {
	pool := newPool(t)
	ctx := context.Background()
	if err := Migrate(ctx, pool, ""); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	list := []Business{
		{Slug: "a", State: Active, Schedule: "0 2 * * *", TimeZone: "UTC"},
		{Slug: "b", State: Active, Schedule: "0 3 * * *", TimeZone: "UTC"},
		{Slug: "c", State: Active, Schedule: "not a cron", TimeZone: "UTC"},
		{Slug: "d", State: Active, Schedule: "", TimeZone: "UTC"},
	}
	w, err := New(Config{Pool: pool, Runner: newFakeRunner(0), Businesses: func(context.Context) ([]Business, error) {
		mu.Lock()
		defer mu.Unlock()
		return append([]Business(nil), list...), nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a, b := periodicID(list[1]), periodicID(Business{Slug: "b", Schedule: "15 4 * * *", TimeZone: "Europe/Paris"}); a == b || !strings.HasPrefix(a, "sync:b:") {
		t.Errorf("periodic ids %q and %q: want distinct, for business b", a, b)
	}
	ids := func() []string {
		w.mu.Lock()
		defer w.mu.Unlock()
		return sortedKeys(w.periodic)
	}
	if err := w.reloadPeriodic(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids()); got != fmt.Sprint([]string{periodicID(list[0]), periodicID(list[1])}) {
		t.Errorf("periodic jobs %s: want a and b (c's schedule does not parse, d has none)", got)
	}
	mu.Lock()
	list = []Business{
		{Slug: "a", State: "paused", Schedule: "0 2 * * *", TimeZone: "UTC"},
		{Slug: "b", State: Active, Schedule: "15 4 * * *", TimeZone: "Europe/Paris"},
		{Slug: "e", State: Active, Schedule: "0 1 * * 1", TimeZone: "UTC"},
	}
	mu.Unlock()
	if err := w.reloadPeriodic(ctx); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(ids()); got != fmt.Sprint([]string{periodicID(list[1]), periodicID(list[2])}) {
		t.Errorf("periodic jobs after the change %s: want b rescheduled and e (a paused)", got)
	}
}

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

// TestStopReleasesRunningJobs stops a worker while it runs a long job: after the grace
// period the job is cancelled and goes back to the queue, and a second worker completes it.
func TestStopReleasesRunningJobs(t *testing.T) {
	pool := newPool(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := Migrate(ctx, pool, ""); err != nil {
		t.Fatal(err)
	}
	enq, err := NewEnqueuer(pool, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enq.Enqueue(ctx, SyncArgs{Business: "slow"}); err != nil {
		t.Fatal(err)
	}
	slow := newFakeRunner(time.Hour)
	first, err := New(Config{Pool: pool, ID: "first", Runner: slow, JobTimeout: 2 * time.Hour, RescueAfter: 3 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- first.Run(runCtx, 300*time.Millisecond) }()
	for {
		slow.mu.Lock()
		running := slow.running["slow"]
		slow.mu.Unlock()
		if running == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("stop: %v", err)
	}
	var state string
	var attempt int
	if err := pool.QueryRow(ctx, `SELECT state::text, attempt FROM revledger.river_job`).Scan(&state, &attempt); err != nil {
		t.Fatal(err)
	}
	if state != "retryable" && state != "available" {
		t.Fatalf("after the stop the job is %s, want it back in the queue", state)
	}

	fast := newFakeRunner(10 * time.Millisecond)
	second, err := New(Config{Pool: pool, ID: "second", Runner: fast})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop = context.WithCancel(ctx)
	go func() { done <- second.Run(runCtx, time.Second) }()
	// River's first retry comes after about a second.
	for state != "completed" {
		if ctx.Err() != nil {
			t.Fatalf("the released job was not completed by the second worker (state %s)", state)
		}
		time.Sleep(100 * time.Millisecond)
		if err := pool.QueryRow(ctx, `SELECT state::text FROM revledger.river_job`).Scan(&state); err != nil {
			t.Fatal(err)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var by []string
	if err := pool.QueryRow(ctx, `SELECT attempted_by FROM revledger.river_job`).Scan(&by); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(by) != "[first second]" {
		t.Errorf("attempted by %v, want first then second", by)
	}
}
