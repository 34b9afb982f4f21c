package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/ratelimit"
	"github.com/revledger/revledger/tenancy"
	"github.com/revledger/revledger/worker"
)

// TestBusinessRunner drives the runner the workers use, in process, against one business
// with a fake API: a backfill chunk, an export, and the errors that decide retries.
func TestBusinessRunner(t *testing.T) {
	end := time.Now().UTC().Truncate(time.Millisecond)
	f := newFleet(t, 1, func(int) revoluttest.Options {
		return revoluttest.Options{Seed: 9, Transactions: 150, Expenses: 3, BulkPayouts: []int{}, End: end,
			Span: 20 * 24 * time.Hour, Clock: func() time.Time { return end }}
	}, "")
	ctx := context.Background()
	keys, err := tenancy.NewKeyring(f.secret)
	if err != nil {
		t.Fatal(err)
	}
	reg := tenancy.NewRegistry(f.pool, keys)
	cfg := defaultConfig()
	cfg.DatabaseURL = f.dsn
	cfg.Revolut.RatePerMinute = 6000
	cfg.Chart = cfg.Chart.WithDefaults()
	r := &businessRunner{cfg: cfg, reg: reg, limiter: ratelimit.New(f.pool, ratelimit.Options{PerWindow: 1000}),
		log: slog.New(slog.NewTextHandler(io.Discard, nil)), getenv: func(string) string { return "" }}
	slug := f.slugs[0]

	// A backfill chunk of the whole history, in the business's time zone (London).
	loc, _ := time.LoadLocation("Europe/London")
	from := end.Add(-25 * 24 * time.Hour).In(loc).Format(time.DateOnly)
	to := end.Add(48 * time.Hour).In(loc).Format(time.DateOnly)
	rep, err := r.Backfill(ctx, slug, from, to)
	if err != nil {
		t.Fatalf("backfill: %v", err)
	}
	completed := 0
	for _, tx := range f.fakes[0].Truth().Transactions {
		if tx.State == "completed" {
			completed++
		}
	}
	schema := tenancy.Business{Slug: slug}.Schema()
	var stored int
	if err := f.pool.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.transactions WHERE state = 'completed'`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != completed || rep.APIRequests == 0 || rep.Lines == 0 {
		t.Errorf("backfill stored %d completed transactions of %d; report %+v", stored, completed, rep)
	}

	// An export of this month writes its workbook into the business's export folder.
	month := end.In(loc).Format("2006-01")
	if _, err := r.Export(ctx, slug, month); err != nil {
		t.Fatalf("export: %v", err)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "exports", slug, month, "revledger_"+month+".xlsx")); err != nil {
		t.Errorf("export of %s: %v", month, err)
	}

	// The run lock held elsewhere: busy, to be snoozed, not failed.
	b, err := reg.Get(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	store, err := reg.OpenStore(ctx, b, loadOptions())
	if err != nil {
		t.Fatal(err)
	}
	lock, err := store.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx, slug); !errors.Is(err, worker.ErrBusy) {
		t.Errorf("sync with the lock held elsewhere: %v, want ErrBusy", err)
	}
	_ = lock.Release(ctx)
	store.Close()

	// Errors no retry fixes are permanent: an unknown business, a paused one, a bad period.
	if _, err := r.Sync(ctx, "nobody"); !worker.IsPermanent(err) {
		t.Errorf("sync of an unknown business: %v, want a permanent error", err)
	}
	if _, err := r.Export(ctx, slug, "2026-13"); !worker.IsPermanent(err) {
		t.Errorf("export of period 2026-13: %v, want a permanent error", err)
	}
	if err := reg.SetState(ctx, slug, tenancy.StatePaused); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Sync(ctx, slug); !worker.IsPermanent(err) {
		t.Errorf("sync of a paused business: %v, want a permanent error", err)
	}
}

func loadOptions() load.Options { return load.Options{} }
