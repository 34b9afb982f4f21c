package schedules

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestConfigValidation(t *testing.T) {
	t.Parallel()
	run := func(context.Context) (Report, error) { return Report{}, nil }
	cases := []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"no entries", nil, "no entries"},
		{"bad cron", []Entry{{Name: "a", Spec: "61 * * * *", Run: run}}, `entry "a": cron expression "61 * * * *"`},
		{"duplicate name", []Entry{{Name: "a", Spec: "0 2 * * *", Run: run}, {Name: "a", Spec: "0 3 * * *", Run: run}}, `"a" used twice`},
		{"no job", []Entry{{Name: "a", Spec: "0 2 * * *"}}, "nothing to run"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(Config{Entries: tc.entries, Logger: quietLogger()})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// TestNextInLocation checks that cron times are read in the business's time zone: 02:00 in
// London on 2026-07-15 (BST, UTC+1) is 01:00 UTC.
func TestNextInLocation(t *testing.T) {
	t.Parallel()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no tzdata")
	}
	now := time.Date(2026, 7, 14, 12, 0, 0, 0, time.UTC)
	d, err := New(Config{
		Entries:  []Entry{{Name: "sync", Spec: "0 2 * * *", Run: func(context.Context) (Report, error) { return Report{}, nil }}},
		Location: london, Logger: quietLogger(), Now: func() time.Time { return now },
	})
	if err != nil {
		t.Fatal(err)
	}
	got := d.Next()["sync"].UTC()
	want := time.Date(2026, 7, 15, 1, 0, 0, 0, time.UTC)
	if !got.Equal(want) {
		t.Fatalf("next = %s, want %s", got, want)
	}
}

// TestRunNowRecordsOutcomes runs a succeeding, a skipped, a failing and a panicking job and
// reads the outcome back from /metrics.
func TestRunNowRecordsOutcomes(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_780_000_000, 0)
	entries := []Entry{
		{Name: "ok", Spec: "@daily", Run: func(context.Context) (Report, error) {
			return Report{Rows: 7, APIRequests: 3, RateLimited: 1}, nil
		}},
		{Name: "busy", Spec: "@daily", Run: func(context.Context) (Report, error) { return Report{}, ErrSkipped }},
		{Name: "broken", Spec: "@daily", Run: func(context.Context) (Report, error) { return Report{}, errors.New("boom") }},
		{Name: "panics", Spec: "@daily", Run: func(context.Context) (Report, error) { panic("bad") }},
	}
	d, err := New(Config{Entries: entries, Logger: quietLogger(), Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		d.RunNow(context.Background(), e)
	}
	rec := httptest.NewRecorder()
	d.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`revledger_runs_total{job="ok",status="succeeded"} 1`,
		`revledger_runs_total{job="busy",status="skipped"} 1`,
		`revledger_runs_total{job="broken",status="failed"} 1`,
		`revledger_runs_total{job="panics",status="failed"} 1`,
		`revledger_last_success_timestamp_seconds{job="ok"} 1780000000`,
		"revledger_ledger_rows_total 7",
		"revledger_api_requests_total 3",
		"revledger_api_rate_limited_total 1",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, `last_success_timestamp_seconds{job="broken"}`) {
		t.Error("a failed job has a last-success time")
	}
}

// TestShutdownCancelsAfterGrace starts a job that only ends when its context is cancelled,
// shuts the daemon down, and checks that the job was cancelled after the grace period and
// that Run waited for it. A second tick while the job runs is skipped, not started twice.
func TestShutdownCancelsAfterGrace(t *testing.T) {
	t.Parallel()
	started := make(chan struct{}, 10)
	var starts, cancelled atomic.Int32
	d, err := New(Config{
		Entries: []Entry{{Name: "long", Spec: "@every 1s", Run: func(ctx context.Context) (Report, error) {
			starts.Add(1)
			started <- struct{}{}
			<-ctx.Done()
			cancelled.Add(1)
			return Report{}, ctx.Err()
		}}},
		Grace:  50 * time.Millisecond,
		Logger: quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()

	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("job never started")
	}
	// Let at least one more tick pass while the job is still running.
	time.Sleep(1200 * time.Millisecond)
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not stop")
	}
	if got := cancelled.Load(); got != 1 {
		t.Fatalf("job cancelled %d times, want 1", got)
	}
	if got := starts.Load(); got != 1 {
		t.Fatalf("job started %d times while still running, want 1 (skip if still running)", got)
	}
}
