package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/rates/ratesfake"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
)

// harness is a pipeline wired to the fake API over HTTP, a fresh PostgreSQL database and a
// folder of exports: every real part, nothing mocked.
type harness struct {
	t      *testing.T
	fake   *revoluttest.Server
	store  *load.Store
	client *revolut.Client
	dir    string
	now    func() time.Time
}

// fakeClock is the fake's notion of now: a fixed start plus every Advance.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

// start is the fixed instant the fake's history ends at.
var start = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func newHarness(t *testing.T, opts revoluttest.Options) *harness {
	t.Helper()
	clock := &fakeClock{now: start}
	opts.End = start
	opts.Clock = func() time.Time { return start } // the fake adds its own Advance offset
	fake := revoluttest.NewTestServer(t, opts)
	return newHarnessWithFake(t, fake, clock.Now)
}

func newHarnessWithFake(t *testing.T, fake *revoluttest.Server, now func() time.Time) *harness {
	t.Helper()
	ctx := context.Background()
	store, err := load.Open(ctx, testenv.Database(t), load.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(store.Close)
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	h := &harness{t: t, fake: fake, store: store, dir: t.TempDir(), now: now}
	h.client = h.newClient()
	return h
}

func (h *harness) newClient() *revolut.Client {
	h.t.Helper()
	creds := h.fake.Credentials()
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		h.t.Fatal(err)
	}
	client, err := revolut.NewClient(revolut.Config{
		BaseURL: h.fake.URL(), ClientID: creds.ClientID, Issuer: creds.Issuer, PrivateKey: key,
		RefreshToken: creds.RefreshToken, RatePerMinute: 100000, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond,
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return client
}

func (h *harness) pipeline(mod func(*pipeline.Config)) *pipeline.Pipeline {
	h.t.Helper()
	cfg := pipeline.Config{Now: h.now, Location: time.UTC, FlushRecords: 400, BookBatch: 300}
	if mod != nil {
		mod(&cfg)
	}
	dir, err := sink.NewDir(h.dir)
	if err != nil {
		h.t.Fatal(err)
	}
	exp := exporters.New(h.store, dir, exporters.Config{Company: "Test Ltd"})
	p, err := pipeline.New(cfg, h.client, h.store, dir, exp)
	if err != nil {
		h.t.Fatal(err)
	}
	return p
}

// ledger reads the current ledger back from the warehouse, keyed by line key.
func (h *harness) ledger() map[string]transform.Line {
	h.t.Helper()
	out := map[string]transform.Line{}
	for l, err := range h.store.LedgerLines(context.Background(), time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			h.t.Fatalf("read ledger: %v", err)
		}
		k := l.Key.String()
		if _, dup := out[k]; dup {
			h.t.Fatalf("line %s appears twice in the current ledger", k)
		}
		out[k] = l
	}
	return out
}

// checkAgainstTruth checks the current ledger against the fake's ground truth: every
// completed transaction booked once with its legs' exact amounts, reverted ones reversed,
// pending/declined/failed ones absent, and every entry balanced per currency.
func checkAgainstTruth(t *testing.T, truth revoluttest.Dataset, ledger map[string]transform.Line) (booked, reversed, unbooked int) {
	t.Helper()
	type entryCur struct{ entry, cur string }
	sums := map[entryCur]decimal.Decimal{}
	entries := map[string][]transform.Line{}
	for _, l := range ledger {
		k := entryCur{l.EntryID, l.Currency}
		sums[k] = sums[k].Add(l.Amount)
		entries[l.EntryID] = append(entries[l.EntryID], l)
	}
	for k, s := range sums {
		if !s.IsZero() {
			t.Errorf("entry %s does not balance in %s: %s", k.entry, k.cur, s)
		}
	}
	for _, tx := range truth.Transactions {
		id := "txn:" + tx.ID
		lines := entries[id]
		completedOnce := tx.State == revolut.TransactionCompleted || (tx.State == revolut.TransactionReverted && !tx.CompletedAt.IsZero())
		if !completedOnce {
			if len(lines) > 0 {
				t.Errorf("%s transaction %s is booked", tx.State, tx.ID)
			}
			unbooked++
			continue
		}
		if len(lines) == 0 {
			t.Errorf("completed transaction %s (%s) is missing from the ledger", tx.ID, tx.Type)
			continue
		}
		booked++
		// Each leg's amount is on its bank line, exactly.
		for i, leg := range tx.Legs {
			bank, ok := ledger[transform.LineKey{SourceType: transform.SourceTransaction, SourceID: tx.ID, Index: i, Role: transform.RoleBank}.String()]
			if !ok {
				t.Errorf("transaction %s leg %d has no bank line", tx.ID, i)
				continue
			}
			if !bank.Amount.Equal(leg.Amount) || bank.Currency != leg.Currency {
				t.Errorf("transaction %s leg %d: bank line %s %s, want %s %s", tx.ID, i, bank.Amount, bank.Currency, leg.Amount, leg.Currency)
			}
		}
		if tx.State == revolut.TransactionReverted {
			if len(entries[id+transform.ReversalSuffix]) == 0 {
				t.Errorf("reverted transaction %s has no reversing entry", tx.ID)
			}
			reversed++
		}
	}
	return booked, reversed, unbooked
}

// TestSyncOverSimulatedDays runs the nightly sync on four consecutive simulated days while
// the fake completes, declines and reverts pending transactions and moves expenses, and
// checks the warehouse against the fake's ground truth after each night.
func TestSyncOverSimulatedDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: start}
	fake := revoluttest.NewTestServer(t, revoluttest.Options{
		Seed: 11, Transactions: 1500, Span: 100 * 24 * time.Hour, End: start,
		Clock: func() time.Time { return start },
	})
	h := newHarnessWithFake(t, fake, clock.Now)
	// Foreign-currency lines are valued at HMRC rates from a local publisher that has every
	// month of the simulation, so that each period's trial balance totals in GBP (a check of
	// the manifest below).
	pub := ratesfake.New(ratesfake.Options{To: start.AddDate(0, 1, 0)})
	rateSrv := httptest.NewServer(pub.Handler())
	t.Cleanup(rateSrv.Close)
	p := h.pipeline(func(c *pipeline.Config) {
		c.InitialHistory = 120 * 24 * time.Hour
		c.Rates = rates.NewHMRC(rates.HMRCOptions{BaseURL: rateSrv.URL + "/hmrc/"})
	})

	var totalExports int
	for day := 0; day < 4; day++ {
		if day > 0 {
			fake.Advance(24 * time.Hour)
			clock.mu.Lock()
			clock.now = clock.now.Add(24 * time.Hour)
			clock.mu.Unlock()
		}
		sum, err := p.Sync(ctx)
		if err != nil {
			t.Fatalf("day %d: sync: %v", day, err)
		}
		truth := fake.Truth()
		booked, reversed, unbooked := checkAgainstTruth(t, truth, h.ledger())
		t.Logf("day %d: %d transactions in the fake; booked %d, reversed %d, not booked %d; run: %d lines written, %d API requests, %d periods exported",
			day, len(truth.Transactions), booked, reversed, unbooked, sum.LinesWritten, sum.APIRequests, len(sum.Exports))
		if booked == 0 {
			t.Fatalf("day %d: nothing booked", day)
		}
		if day == 0 && len(sum.Exports) == 0 {
			t.Fatal("the first sync exported no period")
		}
		totalExports += len(sum.Exports)
	}
	// Every exported period has its workbook and journal on disk, and its manifest counts
	// exactly the period's lines in the warehouse.
	files, _ := filepath.Glob(filepath.Join(h.dir, "*", "revledger_*.xlsx"))
	journals, _ := filepath.Glob(filepath.Join(h.dir, "*", "journal_*.csv"))
	if len(files) == 0 || len(files) != len(journals) {
		t.Fatalf("%d workbooks and %d journals on disk", len(files), len(journals))
	}
	perPeriod := map[string]int{}
	for _, l := range h.ledger() {
		perPeriod[l.Period]++
	}
	for period, lines := range perPeriod {
		data, err := os.ReadFile(filepath.Join(h.dir, period, "manifest.json"))
		if err != nil {
			t.Fatalf("period %s has ledger lines but no manifest: %v", period, err)
		}
		var m struct {
			Counts struct {
				Lines int `json:"ledger_lines"`
			} `json:"counts"`
			Checks []struct {
				Name   string `json:"name"`
				Passed bool   `json:"passed"`
				Detail string `json:"detail"`
			} `json:"checks"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Counts.Lines != lines {
			t.Errorf("period %s: manifest counts %d lines, the warehouse holds %d", period, m.Counts.Lines, lines)
		}
		// Every entry balances, bank lines tie to Revolut's balances, splits add up.
		for _, c := range m.Checks {
			if !c.Passed {
				t.Errorf("period %s: check %q failed: %s", period, c.Name, c.Detail)
			}
		}
	}
	// Each sync exported its periods in a sequence that opened every period after the first
	// at the previous one's closing balances, carried through its lines (transform.Roll):
	// the same figures as the warehouse sums from every earlier line, reversals included.
	reversals := 0
	for _, month := range slices.Sorted(maps.Keys(perPeriod)) {
		from, err := time.Parse("2006-01", month)
		if err != nil {
			t.Fatal(err)
		}
		to := from.AddDate(0, 1, 0)
		opening, err := h.store.OpeningBalances(ctx, from)
		if err != nil {
			t.Fatal(err)
		}
		roll := transform.NewRoll(opening)
		for l, err := range h.store.LedgerLines(ctx, from, to) {
			if err != nil {
				t.Fatal(err)
			}
			roll.Add(&l)
			if l.RevolutAccountID != "" && strings.HasSuffix(l.Key.Role, transform.ReversalSuffix) && !l.BankBalance.Valid {
				reversals++
			}
		}
		closing, err := h.store.OpeningBalances(ctx, to)
		if err != nil {
			t.Fatal(err)
		}
		if got := roll.Balances(); !got.Equal(closing) {
			t.Errorf("%s: closing balances carried through the month:\n%+v\nthe warehouse's on %s:\n%+v", month, got, to.Format(time.DateOnly), closing)
		}
	}
	if reversals == 0 {
		t.Error("no reversing bank line in the simulation: the carried bank balances were not tested across a reversal")
	}
	t.Logf("carried balances checked over %d months, across %d reversing bank lines", len(perPeriod), reversals)
}

// TestSyncTwiceChangesNothing runs the same sync twice: the second writes no line.
func TestSyncTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, revoluttest.Options{Seed: 3, Transactions: 600, Span: 60 * 24 * time.Hour})
	p := h.pipeline(nil)
	first, err := p.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := h.ledger()
	second, err := p.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if second.LinesWritten != 0 || second.EntriesNew != 0 || second.EntriesChanged != 0 || second.Changed != 0 {
		t.Fatalf("second sync wrote %d lines, %d new and %d changed entries, %d changed records; want none",
			second.LinesWritten, second.EntriesNew, second.EntriesChanged, second.Changed)
	}
	if len(h.ledger()) != len(before) || first.LinesWritten == 0 {
		t.Fatalf("ledger %d lines before, %d after; first run wrote %d", len(before), len(h.ledger()), first.LinesWritten)
	}
}

// TestBackfillResumes interrupts a backfill after its second chunk and runs it again: the
// result equals an uninterrupted backfill of the same range into another database.
func TestBackfillResumes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	opts := revoluttest.Options{Seed: 5, Transactions: 1200, Span: 150 * 24 * time.Hour}
	from, to := start.AddDate(0, -5, 0), start

	whole := newHarness(t, opts)
	if _, err := whole.pipeline(nil).Backfill(ctx, from, to); err != nil {
		t.Fatalf("uninterrupted backfill: %v", err)
	}
	want := whole.ledger()

	broken := newHarness(t, opts)
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var chunks int
	p := broken.pipeline(func(c *pipeline.Config) {
		c.OnProgress = func(ev pipeline.Progress) {
			if ev.Stage == "extract" && ev.Stream == "transactions" && ev.Chunk == 3 && !ev.Done {
				chunks = ev.Chunk
				cancel()
			}
		}
	})
	if _, err := p.Backfill(cctx, from, to); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted backfill: err = %v, want context.Canceled", err)
	}
	if chunks == 0 {
		t.Fatal("the backfill was never interrupted")
	}
	if got := len(broken.ledger()); got != 0 {
		t.Logf("ledger after interruption: %d lines (booking had not run yet)", got)
	}
	sum, err := broken.pipeline(nil).Backfill(ctx, from, to)
	if err != nil {
		t.Fatalf("resumed backfill: %v", err)
	}
	got := broken.ledger()
	if len(got) != len(want) {
		t.Fatalf("resumed ledger has %d lines, uninterrupted %d", len(got), len(want))
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || !g.Amount.Equal(w.Amount) || g.AccountCode != w.AccountCode || g.EntryID != w.EntryID {
			t.Fatalf("line %s differs: resumed %+v, uninterrupted %+v", k, g.Amount, w.Amount)
		}
	}
	t.Logf("resumed backfill: %d transactions read after the resume point, %d lines in both ledgers", sum.Records["transactions"], len(got))
}

// TestConcurrentRuns starts two syncs at once on one warehouse: one runs, the other reports
// ErrLocked without touching anything; with WaitForLock the second waits and then runs.
func TestConcurrentRuns(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, revoluttest.Options{Seed: 9, Transactions: 800, Span: 60 * 24 * time.Hour})

	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	first := h.pipeline(func(c *pipeline.Config) {
		c.OnProgress = func(ev pipeline.Progress) {
			once.Do(func() { close(started); <-release })
		}
	})
	errs := make(chan error, 1)
	go func() { _, err := first.Sync(ctx); errs <- err }()
	<-started

	if _, err := h.pipeline(nil).Sync(ctx); !errors.Is(err, pipeline.ErrLocked) {
		t.Fatalf("second run: err = %v, want ErrLocked", err)
	}
	waited := make(chan error, 1)
	go func() {
		_, err := h.pipeline(func(c *pipeline.Config) { c.WaitForLock = true }).Sync(ctx)
		waited <- err
	}()
	select {
	case err := <-waited:
		t.Fatalf("the waiting run finished while the first still held the lock: %v", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-errs; err != nil {
		t.Fatalf("first run: %v", err)
	}
	if err := <-waited; err != nil {
		t.Fatalf("waiting run: %v", err)
	}
}

// TestRevokedTokenTouchesNothing revokes the refresh token between two nightly runs: the
// second fails with the re-authorise error before it takes the lock or records a run, and the
// checkpoint stays where the first run left it.
func TestRevokedTokenTouchesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, revoluttest.Options{Seed: 4, Transactions: 300, Span: 30 * 24 * time.Hour})
	if _, err := h.pipeline(nil).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	before, _, err := h.store.Checkpoint(ctx, "transactions")
	if err != nil {
		t.Fatal(err)
	}
	h.fake.RevokeRefreshToken()
	h.client = h.newClient() // a new process: no access token cached
	_, err = h.pipeline(nil).Sync(ctx)
	if !errors.Is(err, revolut.ErrReauthorize) {
		t.Fatalf("err = %v, want ErrReauthorize", err)
	}
	if strings.Contains(err.Error(), h.fake.Credentials().RefreshToken) {
		t.Fatal("the error shows the refresh token")
	}
	after, _, err := h.store.Checkpoint(ctx, "transactions")
	if err != nil {
		t.Fatal(err)
	}
	if !after.Equal(before) {
		t.Fatalf("checkpoint moved from %s to %s", before, after)
	}
	lock, err := h.store.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatalf("the failed run left the lock taken: %v", err)
	}
	_ = lock.Release(ctx)
}

// TestReceiptsFollowTheExportLocation checks that a receipt is downloaded once per export
// location: a second sync into the same folder downloads none, and a sync into a new, empty
// folder (a moved bucket, a deleted folder) stores every receipt there again.
func TestReceiptsFollowTheExportLocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, revoluttest.Options{Seed: 8, Transactions: 400, Span: 60 * 24 * time.Hour})
	countFiles := func() int {
		files, _ := filepath.Glob(filepath.Join(h.dir, "receipts", "*", "*"))
		return len(files)
	}
	first, err := h.pipeline(nil).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stored := countFiles()
	if stored == 0 || int64(stored) != first.ReceiptsStored {
		t.Fatalf("first sync stored %d receipts, %d files on disk", first.ReceiptsStored, stored)
	}
	again, err := h.pipeline(nil).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if again.ReceiptsStored != 0 || again.ReceiptsSkipped != first.ReceiptsStored {
		t.Fatalf("second sync into the same folder: stored %d, skipped %d; want 0 and %d", again.ReceiptsStored, again.ReceiptsSkipped, first.ReceiptsStored)
	}
	h.dir = t.TempDir()
	moved, err := h.pipeline(nil).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if moved.ReceiptsStored != first.ReceiptsStored || countFiles() != stored {
		t.Fatalf("sync into a new folder stored %d receipts (%d files), want %d", moved.ReceiptsStored, countFiles(), stored)
	}
}
