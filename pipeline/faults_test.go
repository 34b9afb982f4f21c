package pipeline_test

// The fault-injection suite (issue 8): every scenario runs the real pipeline against the
// fake Revolut API over HTTP, a fresh PostgreSQL database and a folder of exports, breaks
// something on purpose, and checks that the warehouse and the exported files end up equal
// to the fake's ground truth. docs/RELIABILITY.md describes each scenario and the figures.

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/sink"
)

const day = 24 * time.Hour

// faultHarness is the shared harness plus the database's DSN, which the fault scenarios
// need to look at tables directly and to break connections.
type faultHarness struct {
	*harness
	dsn string
}

// newFaultHarness is newHarness for a fake whose clock is frozen at start (plus Advance).
func newFaultHarness(t *testing.T, opts revoluttest.Options) *faultHarness {
	t.Helper()
	opts.End = start
	opts.Clock = func() time.Time { return start }
	fake := revoluttest.NewTestServer(t, opts)
	return newFaultHarnessWithFake(t, fake, func() time.Time { return start })
}

func newFaultHarnessWithFake(t *testing.T, fake *revoluttest.Server, now func() time.Time) *faultHarness {
	t.Helper()
	dsn := testenv.Database(t)
	store := openStore(t, dsn, true)
	h := &harness{t: t, fake: fake, store: store, dir: t.TempDir(), now: now}
	h.client = h.newClient()
	return &faultHarness{harness: h, dsn: dsn}
}

func openStore(t *testing.T, dsn string, migrate bool) *load.Store {
	t.Helper()
	ctx := context.Background()
	store, err := load.Open(ctx, dsn, load.Options{})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(store.Close)
	if migrate {
		if err := store.Migrate(ctx); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	return store
}

// clientOptions shape a client built by faultClient.
type clientOptions struct {
	logger      *slog.Logger
	httpTimeout time.Duration
	transport   http.RoundTripper
	sleeps      *sleepLog
}

// sleepLog records the waits the client asked for (backoff and Retry-After) and sleeps a
// token time instead, so a storm of Retry-After: 1 costs milliseconds, not seconds.
type sleepLog struct {
	mu     sync.Mutex
	delays []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	if d >= time.Millisecond {
		s.mu.Lock()
		s.delays = append(s.delays, d)
		s.mu.Unlock()
	}
	t := time.NewTimer(min(d, 2*time.Millisecond))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// atLeast counts recorded waits of at least d.
func (s *sleepLog) atLeast(d time.Duration) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, x := range s.delays {
		if x >= d {
			n++
		}
	}
	return n
}

// faultClient builds a client like h.newClient, with small retry delays and the given
// logger, HTTP timeout, transport and sleep.
func (h *faultHarness) faultClient(o clientOptions) *revolut.Client {
	h.t.Helper()
	creds := h.fake.Credentials()
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		h.t.Fatal(err)
	}
	hc := &http.Client{Timeout: o.httpTimeout, Transport: o.transport}
	cfg := revolut.Config{
		BaseURL: h.fake.URL(), ClientID: creds.ClientID, Issuer: creds.Issuer, PrivateKey: key,
		RefreshToken: creds.RefreshToken, RatePerMinute: 100000, RetryBaseDelay: time.Millisecond,
		RetryMaxDelay: 10 * time.Millisecond, HTTPClient: hc, Logger: o.logger,
	}
	if o.sleeps != nil {
		cfg.Sleep = o.sleeps.sleep
	}
	client, err := revolut.NewClient(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	return client
}

// conn opens a plain connection to the test database.
func (h *faultHarness) conn() *pgx.Conn {
	h.t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, h.dsn)
	if err != nil {
		h.t.Fatalf("connect: %v", err)
	}
	h.t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

// queryInt runs a query returning one integer.
func queryInt(t *testing.T, c *pgx.Conn, sql string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// rawTransactions returns id → state of the transactions table.
func rawTransactions(t *testing.T, c *pgx.Conn) map[string]string {
	t.Helper()
	rows, err := c.Query(context.Background(), "SELECT id, state FROM transactions")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for rows.Next() {
		var id, state string
		if err := rows.Scan(&id, &state); err != nil {
			t.Fatal(err)
		}
		out[id] = state
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// ledgerCounts checks the warehouse's own bookkeeping of the current ledger: no line key
// twice among current versions, no source with two live entries of one id. It returns the
// number of live transaction entries (original and reversal entries).
func ledgerCounts(t *testing.T, c *pgx.Conn) (txEntries, dupLines int64) {
	t.Helper()
	dupLines = queryInt(t, c, `SELECT count(*) FROM (
		SELECT r.line_key FROM ledger_rows r
		JOIN entries e ON e.entry_id = r.entry_id AND e.current_version = r.version AND NOT e.tombstone
		GROUP BY r.line_key HAVING count(*) > 1) d`)
	if dupLines != 0 {
		t.Errorf("%d line keys appear more than once in the current ledger", dupLines)
	}
	return queryInt(t, c, `SELECT count(*) FROM entries WHERE source_type = 'transaction' AND NOT tombstone`), dupLines
}

// checkConverged is the end state every scenario asks for: the ledger equals the truth, no
// duplicate line, every completed transaction booked once (one live entry each, plus one for
// each reversal), and every exported period's manifest counts the warehouse's lines.
func (h *faultHarness) checkConverged(truth revoluttest.Dataset) (booked, reversed, dupLines int) {
	h.t.Helper()
	booked, reversed, _ = checkAgainstTruth(h.t, truth, h.ledger())
	c := h.conn()
	got, dups := ledgerCounts(h.t, c)
	dupLines = int(dups)
	if got != int64(booked+reversed) {
		h.t.Errorf("%d live transaction entries, want %d booked + %d reversals", got, booked, reversed)
	}
	raw := rawTransactions(h.t, c)
	for _, tx := range truth.Transactions {
		if st, ok := raw[tx.ID]; !ok || st != string(tx.State) {
			h.t.Errorf("transaction %s: warehouse has state %q (present %v), truth %q", tx.ID, st, ok, tx.State)
		}
	}
	checkExports(h.t, h.harness)
	return booked, reversed, dupLines
}

// checkExports checks that every period with ledger lines has been exported and that its
// manifest counts exactly the warehouse's lines of the period: a run that booked but died
// before exporting must not leave a stale export behind once the next run has finished.
func checkExports(t *testing.T, h *harness) {
	t.Helper()
	perPeriod := map[string]int{}
	for _, l := range h.ledger() {
		perPeriod[l.Period]++
	}
	for period, lines := range perPeriod {
		data, err := os.ReadFile(filepath.Join(h.dir, period, "manifest.json"))
		if err != nil {
			t.Errorf("period %s has %d ledger lines but no manifest: %v", period, lines, err)
			continue
		}
		var m struct {
			Counts struct {
				Lines int `json:"ledger_lines"`
			} `json:"counts"`
		}
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Counts.Lines != lines {
			t.Errorf("period %s: manifest counts %d lines, the warehouse holds %d", period, m.Counts.Lines, lines)
		}
	}
}

// csvHashes returns the sha256 of every *.csv under dir, keyed by relative path.
func csvHashes(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".csv") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		rel, _ := filepath.Rel(dir, path)
		out[rel] = hex.EncodeToString(sum[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFaultSameWindowTenTimes backfills the same window ten times: after the first run no
// record, entry or line changes, and every exported CSV keeps its bytes.
func TestFaultSameWindowTenTimes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 21, Transactions: 300, Span: 45 * day})
	p := h.pipeline(nil)
	from, to := start.Add(-50*day), start

	first, err := p.Backfill(ctx, from, to)
	if err != nil {
		t.Fatal(err)
	}
	hashes := csvHashes(t, h.dir)
	if len(hashes) == 0 || first.LinesWritten == 0 {
		t.Fatalf("first run wrote %d lines and %d CSV files", first.LinesWritten, len(hashes))
	}
	lines := len(h.ledger())
	for run := 2; run <= 10; run++ {
		sum, err := p.Backfill(ctx, from, to)
		if err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		if sum.Changed != 0 || sum.EntriesNew != 0 || sum.EntriesChanged != 0 || sum.EntriesRemoved != 0 || sum.LinesWritten != 0 {
			t.Errorf("run %d: %d records changed, %d new / %d changed / %d removed entries, %d lines written; want all 0",
				run, sum.Changed, sum.EntriesNew, sum.EntriesChanged, sum.EntriesRemoved, sum.LinesWritten)
		}
		if got := csvHashes(t, h.dir); !equalMaps(got, hashes) {
			t.Errorf("run %d: CSV files changed: %v, first run %v", run, got, hashes)
		}
		if sum.Records["transactions"] == 0 {
			t.Errorf("run %d read no transaction: it did not re-read the window", run)
		}
	}
	if got := len(h.ledger()); got != lines {
		t.Errorf("ledger has %d lines after ten runs, %d after the first", got, lines)
	}
	// Runs that change nothing export nothing, so the hashes above would hold trivially;
	// re-exporting every period from the unchanged warehouse must give the same bytes too.
	if _, err := p.Export(ctx, period.Between(from, to)); err != nil {
		t.Fatal(err)
	}
	if got := csvHashes(t, h.dir); !equalMaps(got, hashes) {
		t.Errorf("re-export of unchanged periods changed CSV files: %v, first run %v", got, hashes)
	}
	booked, _, _ := h.checkConverged(h.fake.Truth())
	t.Logf("10 backfills of %s: %d transactions booked, %d lines, %d CSV files, hashes identical", pipeline.Window{From: from, To: to}, booked, lines, len(hashes))
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// childEnv carries a childSpec (JSON) to TestHelperBackfillProcess in a re-executed test
// binary. Secrets travel in files, never in the environment.
const childEnv = "REVLEDGER_FAULT_CHILD"

type childSpec struct {
	URL, ClientID, Issuer string
	KeyFile, RefreshFile  string // 0600 files
	DSN, Dir              string
	From, To, Now         time.Time
}

// killConfig is the pipeline configuration of the killed backfill and of its re-run: small
// chunks and flushes, so a kill has many commit points to land between.
func killConfig(c *pipeline.Config) {
	c.ChunkDays = 7
	c.FlushRecords = 100
	c.BookBatch = 150
	c.WaitForLock = true // a killed child's backend may take a moment to let go of the lock
}

// TestHelperBackfillProcess is not a test on its own: TestFaultKillBackfill re-executes the
// test binary to run it as a child process that it kills with SIGKILL. Without childEnv it
// returns at once.
func TestHelperBackfillProcess(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		return
	}
	var spec childSpec
	if err := json.Unmarshal([]byte(raw), &spec); err != nil {
		t.Fatalf("child spec: %v", err)
	}
	ctx := context.Background()
	key, err := revolut.LoadPrivateKey(spec.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	refresh, err := os.ReadFile(spec.RefreshFile)
	if err != nil {
		t.Fatal(err)
	}
	client, err := revolut.NewClient(revolut.Config{
		BaseURL: spec.URL, ClientID: spec.ClientID, Issuer: spec.Issuer, PrivateKey: key,
		RefreshToken: string(refresh), RatePerMinute: 100000, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	store, err := load.Open(ctx, spec.DSN, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	h := &harness{t: t, store: store, client: client, dir: spec.Dir, now: func() time.Time { return spec.Now }}
	var events int
	p := h.pipeline(func(c *pipeline.Config) {
		killConfig(c)
		c.OnProgress = func(ev pipeline.Progress) {
			events++
			fmt.Fprintf(os.Stderr, "progress %d %s %s %d\n", events, ev.Stage, ev.Stream, ev.Rows)
		}
	})
	if _, err := p.Backfill(ctx, spec.From, spec.To); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "done %d\n", events)
}

// childRun is one child backfill: its progress events as it reported them (in all and per
// stage), whether it finished, and how long it ran.
type childRun struct {
	events   int
	perStage map[string]int
	finished bool
	elapsed  time.Duration
	stderr   string
}

// killPoint says when to kill a child: after the n-th progress event of a stage, or after
// a delay; the zero value lets it finish.
type killPoint struct {
	stage string
	n     int
	after time.Duration
}

func (k killPoint) String() string {
	if k.after > 0 {
		return "after " + k.after.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("at %s event %d", k.stage, k.n)
}

// runChild starts the child backfill and kills it with SIGKILL at kp.
func runChild(t *testing.T, spec childSpec, kp killPoint) childRun {
	t.Helper()
	env, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBackfillProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+string(env))
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	began := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	var killed atomic.Bool
	kill := func() {
		once.Do(func() {
			killed.Store(true)
			_ = cmd.Process.Signal(syscall.SIGKILL)
		})
	}
	if kp.after > 0 {
		timer := time.AfterFunc(kp.after, kill)
		defer timer.Stop()
	}
	res := childRun{perStage: map[string]int{}}
	var tail []string
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		line := sc.Text()
		tail = append(tail, line)
		if len(tail) > 20 {
			tail = tail[1:]
		}
		var n int
		var stage string
		if _, err := fmt.Sscanf(line, "progress %d %s", &n, &stage); err == nil {
			res.events = n
			res.perStage[stage]++
			if kp.stage == stage && res.perStage[stage] >= kp.n {
				kill()
			}
		}
		if strings.HasPrefix(line, "done ") {
			res.finished = true
		}
	}
	werr := cmd.Wait()
	res.elapsed = time.Since(began)
	res.stderr = strings.Join(tail, "\n")
	// A delayed kill can land between the child's "done" and its exit: that child finished.
	if werr != nil && res.finished && !killed.Load() {
		t.Fatalf("child reported done but exited with %v", werr)
	}
	if werr == nil && !res.finished {
		t.Fatalf("child exited cleanly without running the backfill:\n%s\n%s", stdout.String(), res.stderr)
	}
	var exitErr *exec.ExitError
	if werr != nil && (!errors.As(werr, &exitErr) || exitErr.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL) {
		t.Fatalf("child failed on its own (%v):\n%s\n%s", werr, stdout.String(), res.stderr)
	}
	return res
}

// checkStateNotAhead checks, right after a kill, that no checkpoint covers a transaction
// that is not in the raw table: for every transactions stream (the nightly one and the
// backfill's own), every true transaction created in [from, checkpoint) must be there.
func checkStateNotAhead(t *testing.T, c *pgx.Conn, truth revoluttest.Dataset, from time.Time) (checkpoint time.Time, missing int) {
	t.Helper()
	raw := rawTransactions(t, c)
	rows, err := c.Query(context.Background(), `SELECT stream, checkpoint FROM sync_state WHERE stream = 'transactions' OR stream LIKE 'backfill %'`)
	if err != nil {
		t.Fatal(err)
	}
	type cp struct {
		stream string
		at     time.Time
	}
	var cps []cp
	for rows.Next() {
		var x cp
		if err := rows.Scan(&x.stream, &x.at); err != nil {
			t.Fatal(err)
		}
		cps = append(cps, x)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for _, x := range cps {
		if x.at.After(checkpoint) {
			checkpoint = x.at
		}
		for _, tx := range truth.Transactions {
			at := tx.CreatedAt.Time
			if !at.Before(from) && at.Before(x.at) {
				if _, ok := raw[tx.ID]; !ok {
					missing++
					if missing <= 5 {
						t.Errorf("checkpoint %s of %q covers transaction %s (created %s), which is not in the raw table", x.at, x.stream, tx.ID, at)
					}
				}
			}
		}
	}
	return checkpoint, missing
}

// TestFaultKillBackfill kills a backfill process with SIGKILL at seeded random points (after
// the n-th progress event, or after a random delay), checks that no checkpoint got ahead of
// the data, then re-runs the backfill in-process and checks the result against the truth.
func TestFaultKillBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := revoluttest.NewTestServer(t, revoluttest.Options{
		Seed: 31, Transactions: 400, Expenses: 60, Span: 45 * day, End: start, Clock: func() time.Time { return start },
	})
	truth := fake.Truth()
	creds := fake.Credentials()
	secrets := t.TempDir()
	keyFile, refreshFile := filepath.Join(secrets, "key.pem"), filepath.Join(secrets, "refresh")
	if err := os.WriteFile(keyFile, creds.PrivateKeyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(refreshFile, []byte(creds.RefreshToken), 0o600); err != nil {
		t.Fatal(err)
	}
	from, to := start.Add(-50*day), start
	spec := func(dsn, dir string) childSpec {
		return childSpec{URL: fake.URL(), ClientID: creds.ClientID, Issuer: creds.Issuer, KeyFile: keyFile,
			RefreshFile: refreshFile, DSN: dsn, Dir: dir, From: from, To: to, Now: start}
	}

	// Calibration: one child run to the end gives the number of progress events and the
	// duration the kill points are drawn from; it must itself converge.
	calib := newFaultHarnessWithFake(t, fake, func() time.Time { return start })
	full := runChild(t, spec(calib.dsn, calib.dir), killPoint{})
	calib.checkConverged(truth)
	t.Logf("uninterrupted child backfill: %d progress events %v in %s", full.events, full.perStage, full.elapsed.Round(time.Millisecond))
	// Kill points cycle through the stages, so that each commit boundary is met (extract
	// flushes, receipts, booking batches, exports), plus random delays from the start.
	stages := []string{"extract", "receipts", "book", "export"}

	rng := rand.New(rand.NewPCG(8, 2026))
	const killPoints = 8
	var killed, lost, dups int
	for i := range killPoints {
		h := newFaultHarnessWithFake(t, fake, func() time.Time { return start })
		var kp killPoint
		if i%2 == 0 {
			kp.stage = stages[(i/2)%len(stages)]
			kp.n = 1 + rng.IntN(max(full.perStage[kp.stage], 1))
		} else {
			kp.after = time.Duration(rng.Int64N(int64(full.elapsed)))
		}
		res := runChild(t, spec(h.dsn, h.dir), kp)
		c := h.conn()
		cp, missing := checkStateNotAhead(t, c, truth, from)
		rawAtKill := len(rawTransactions(t, c))
		if !res.finished {
			killed++
		}
		lost += missing

		rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		sum, err := h.pipeline(killConfig).Backfill(rctx, from, to)
		cancel()
		if err != nil {
			t.Fatalf("kill point %d: re-run: %v", i, err)
		}
		booked, _, dup := h.checkConverged(truth)
		dups += dup
		if n := len(rawTransactions(t, c)); n != len(truth.Transactions) {
			t.Errorf("kill point %d: %d raw transactions after the re-run, truth has %d", i, n, len(truth.Transactions))
		}
		// The killed child's run row is marked abandoned by the re-run, not left running.
		if n := queryInt(t, c, "SELECT count(*) FROM runs WHERE status = 'running'"); n != 0 {
			t.Errorf("kill point %d: %d runs still recorded as running after the re-run", i, n)
		}
		// (Zero when the kill came before the child recorded its run.)
		if n := queryInt(t, c, "SELECT count(*) FROM runs WHERE status = 'abandoned'"); n > 1 || (res.finished && n != 0) {
			t.Errorf("kill point %d: %d runs marked abandoned, want at most the killed one", i, n)
		}
		t.Logf("kill point %d (%s): killed=%v at event %d; checkpoint %s, %d raw rows, 0 ahead of data; re-run read %d transactions, wrote %d lines; %d booked",
			i, kp, !res.finished, res.events, cp.Format(time.RFC3339), rawAtKill, sum.Records["transactions"], sum.LinesWritten, booked)
	}
	if killed < killPoints/2 {
		t.Errorf("only %d of %d children were killed before they finished", killed, killPoints)
	}
	t.Logf("kill points tried %d, killed mid-run %d, rows lost %d, duplicates %d", killPoints, killed, lost, dups)
}

// TestFaultNetwork runs a sync while the fake misbehaves: 429 storms (every other answer with
// Retry-After: 1, the rest without), 5xx answers (JSON, HTML and 503 with Retry-After),
// latency past the client's timeout, dropped connections and bodies cut off half way. The
// run completes and equals the truth.
func TestFaultNetwork(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		faults revoluttest.Faults
		// timeout is the HTTP client's timeout; clearAfter lifts the faults after that
		// many requests were answered with them in force (0: never).
		timeout    time.Duration
		clearAfter time.Duration
		// seen reads the fake's counters: the fault really happened.
		seen func(revoluttest.Stats) int
		// wantRetries: the client must report retries (Go's transport itself silently
		// re-sends a GET whose reused connection was dropped, so drops need not show).
		wantRetries bool
	}{
		{name: "429 storm", faults: revoluttest.Faults{RateLimitStorm: 6},
			seen: func(s revoluttest.Stats) int { return s.RateLimited }, wantRetries: true},
		{name: "5xx", faults: revoluttest.Faults{Error5xxRate: 0.25},
			seen: func(s revoluttest.Stats) int { return s.ServerErrors }, wantRetries: true},
		{name: "latency", faults: revoluttest.Faults{Latency: 20 * time.Millisecond},
			seen: func(s revoluttest.Stats) int { return s.Requests }},
		{name: "timeouts", faults: revoluttest.Faults{Latency: 400 * time.Millisecond}, timeout: 100 * time.Millisecond, clearAfter: 250 * time.Millisecond,
			seen: func(s revoluttest.Stats) int { return s.Requests }, wantRetries: true},
		{name: "dropped connections", faults: revoluttest.Faults{DropConnectionRate: 0.2},
			seen: func(s revoluttest.Stats) int { return s.Dropped }},
		{name: "truncated JSON", faults: revoluttest.Faults{TruncateBodyRate: 0.2},
			seen: func(s revoluttest.Stats) int { return s.Truncated }, wantRetries: true},
		{name: "everything", faults: revoluttest.Faults{RateLimitStorm: 4, Error5xxRate: 0.1, DropConnectionRate: 0.1, TruncateBodyRate: 0.1, Latency: time.Millisecond},
			seen: func(s revoluttest.Stats) int { return s.RateLimited + s.ServerErrors + s.Dropped + s.Truncated }, wantRetries: true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newFaultHarness(t, revoluttest.Options{Seed: int64(40 + i), Transactions: 300, Span: 40 * day})
			sleeps := &sleepLog{}
			h.client = h.faultClient(clientOptions{sleeps: sleeps, httpTimeout: tc.timeout})
			var once sync.Once
			p := h.pipeline(func(c *pipeline.Config) {
				c.OnProgress = func(ev pipeline.Progress) {
					// Settings are in: break the network for the time-filtered streams.
					if ev.Stream == "settings" && ev.Done {
						once.Do(func() {
							h.fake.SetFaults(tc.faults)
							if tc.clearAfter > 0 {
								time.AfterFunc(tc.clearAfter, func() { h.fake.SetFaults(revoluttest.Faults{}) })
							}
						})
					}
				}
			})
			sum, err := p.Sync(ctx)
			if err != nil {
				t.Fatalf("sync under %s: %v", tc.name, err)
			}
			st := h.fake.Stats()
			if tc.seen(st) == 0 {
				t.Fatalf("the fault never happened: %+v", st)
			}
			if tc.faults.RateLimitStorm > 0 && sleeps.atLeast(time.Second) == 0 {
				t.Error("no wait of Retry-After's 1 s was asked for during the storm")
			}
			booked, _, _ := h.checkConverged(h.fake.Truth())
			t.Logf("%s: %d API requests (429 %d, 5xx %d, dropped %d, truncated %d); client retries %d, waits >= 1s %d; %d transactions booked",
				tc.name, st.Requests, st.RateLimited, st.ServerErrors, st.Dropped, st.Truncated, sum.APIRetries, sleeps.atLeast(time.Second), booked)
			if tc.wantRetries && sum.APIRetries == 0 {
				t.Error("faults were injected but the client reports no retry")
			}
		})
	}
}

// TestFaultBrokenPageIsNotEmpty breaks every response after the settings: the client gives
// up, the run fails, and no checkpoint moves, no transaction is loaded or booked — a page
// that could not be read is never taken for an empty one.
func TestFaultBrokenPageIsNotEmpty(t *testing.T) {
	t.Parallel()
	for _, f := range []revoluttest.Faults{{TruncateBodyRate: 1}, {Error5xxRate: 1}, {DropConnectionRate: 1}} {
		ctx := context.Background()
		h := newFaultHarness(t, revoluttest.Options{Seed: 50, Transactions: 300, Span: 30 * day})
		h.client = h.faultClient(clientOptions{sleeps: &sleepLog{}})
		p := h.pipeline(func(c *pipeline.Config) {
			c.OnProgress = func(ev pipeline.Progress) {
				if ev.Stream == "settings" && ev.Done {
					h.fake.SetFaults(f)
				}
			}
		})
		_, err := p.Sync(ctx)
		if err == nil {
			t.Fatalf("%+v: the sync succeeded although no transaction page could be read", f)
		}
		c := h.conn()
		if _, ok, _ := h.store.Checkpoint(ctx, "transactions"); ok {
			t.Errorf("%+v: the transactions checkpoint was written", f)
		}
		if n := queryInt(t, c, "SELECT count(*) FROM transactions"); n != 0 {
			t.Errorf("%+v: %d transactions loaded", f, n)
		}
		if n := len(h.ledger()); n != 0 {
			t.Errorf("%+v: %d ledger lines written", f, n)
		}
		if status := queryString(t, c, "SELECT status FROM runs ORDER BY id DESC LIMIT 1"); status == "succeeded" || status == "running" {
			t.Errorf("%+v: the run is recorded as %q", f, status)
		}
		t.Logf("%+v: run failed as it must: %v", f, err)
	}
}

func queryString(t *testing.T, c *pgx.Conn, sql string, args ...any) string {
	t.Helper()
	var s string
	if err := c.QueryRow(context.Background(), sql, args...).Scan(&s); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return s
}

// TestFaultTokenMidRun invalidates the access token in the middle of a sync, once by expiring
// every issued token and once with a single 401: the client exchanges its refresh token once
// more and the run completes. The first exchange is the run's own authentication, so a run
// ends with exactly two.
func TestFaultTokenMidRun(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		breakToken func(*revoluttest.Server)
	}{
		{"access token expired", func(s *revoluttest.Server) { s.ExpireAccessTokens() }},
		{"401 once", func(s *revoluttest.Server) { s.SetFaults(revoluttest.Faults{Unauthorized401Once: true}) }},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newFaultHarness(t, revoluttest.Options{Seed: int64(60 + i), Transactions: 400, Span: 40 * day})
			var broke atomic.Bool
			p := h.pipeline(func(c *pipeline.Config) {
				c.OnProgress = func(ev pipeline.Progress) {
					if ev.Stage == "extract" && ev.Stream == "transactions" && !broke.Load() {
						broke.Store(true)
						tc.breakToken(h.fake)
					}
				}
			})
			sum, err := p.Sync(ctx)
			if err != nil {
				t.Fatalf("sync: %v", err)
			}
			if !broke.Load() {
				t.Fatal("the token was never broken")
			}
			st := h.fake.Stats()
			if st.TokenExchanges != 2 || st.Unauthorized != 1 {
				t.Errorf("%d token exchanges and %d 401 answers; want 2 (the run's own + one refresh) and 1", st.TokenExchanges, st.Unauthorized)
			}
			if sum.TokenRefreshes != 2 {
				t.Errorf("the summary counts %d token refreshes, want 2", sum.TokenRefreshes)
			}
			booked, _, _ := h.checkConverged(h.fake.Truth())
			t.Logf("%s: %d token exchanges, %d 401 answers, %d transactions booked", tc.name, st.TokenExchanges, st.Unauthorized, booked)
		})
	}
}

// TestFaultTimestampTies syncs a history whose default data holds a bulk payout of more than
// a page (1000 rows) at one created_at: a client that pages by created_at alone loses or
// repeats rows there. Every transaction must be booked.
func TestFaultTimestampTies(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 70, Transactions: 2000, Span: 30 * day, NoReceipts: true})
	truth := h.fake.Truth()
	perInstant := map[time.Time]int{}
	biggest := 0
	for _, tx := range truth.Transactions {
		at := tx.CreatedAt.Time
		perInstant[at]++
		biggest = max(biggest, perInstant[at])
	}
	if biggest <= 1000 {
		t.Fatalf("the largest cluster has %d rows; the scenario needs more than a page", biggest)
	}
	sum, err := h.pipeline(nil).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum.Records["transactions"]; got != int64(len(truth.Transactions)) {
		t.Errorf("read %d transactions, the fake holds %d", got, len(truth.Transactions))
	}
	booked, _, _ := h.checkConverged(truth)
	t.Logf("cluster of %d rows at one instant; %d transactions read, %d booked", biggest, sum.Records["transactions"], booked)
}

// TestFaultChangesAroundLookback runs the nightly sync over several simulated days with a
// look-back of one day while the fake completes, declines and reverts transactions and moves
// expenses between states and dates (approved ones back to missing_info too). Each night:
// every change to a transaction created inside the night's window is caught, every expense
// change is caught (expenses are re-read over the wide window), and the only differences
// left are transactions that changed after they left the window. A backfill over their range
// then catches those too.
func TestFaultChangesAroundLookback(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clock := &fakeClock{now: start}
	fake := revoluttest.NewTestServer(t, revoluttest.Options{
		Seed: 80, Transactions: 600, Span: 30 * day, End: start, Clock: func() time.Time { return start },
	})
	h := newFaultHarnessWithFake(t, fake, clock.Now)
	const lookback = day
	p := h.pipeline(func(c *pipeline.Config) {
		c.TransactionsLookback = lookback
		c.InitialHistory = 35 * day
	})
	if _, err := p.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	c := h.conn()
	prev := fake.Truth()
	var caughtTx, missedTx, expStates, expDates, reopened int
	missed := map[string]bool{}
	for night := 1; night <= 6; night++ {
		cp, _, err := h.store.Checkpoint(ctx, "transactions")
		if err != nil {
			t.Fatal(err)
		}
		fake.Advance(day)
		clock.mu.Lock()
		clock.now = clock.now.Add(day)
		clock.mu.Unlock()
		if _, err := p.Sync(ctx); err != nil {
			t.Fatalf("night %d: %v", night, err)
		}
		truth := fake.Truth()
		windowFrom := cp.Add(-lookback)

		before := map[string]revolut.Transaction{}
		for _, tx := range prev.Transactions {
			before[tx.ID] = tx
		}
		raw := rawTransactions(t, c)
		for _, tx := range truth.Transactions {
			old, existed := before[tx.ID]
			changed := existed && old.State != tx.State
			if raw[tx.ID] == string(tx.State) {
				if changed {
					caughtTx++
				}
				continue
			}
			if !tx.CreatedAt.Before(windowFrom) {
				t.Errorf("night %d: transaction %s created %s inside the window [%s, now) is %q in the warehouse, %q in the truth",
					night, tx.ID, tx.CreatedAt.Time, windowFrom, raw[tx.ID], tx.State)
				continue
			}
			if !missed[tx.ID] {
				missed[tx.ID] = true
				missedTx++
			}
		}

		oldExp := map[string]revolut.Expense{}
		for _, e := range prev.Expenses {
			oldExp[e.ID] = e
		}
		whExp := expensesInWarehouse(t, c)
		for _, e := range truth.Expenses {
			if o, ok := oldExp[e.ID]; ok {
				if o.State != e.State {
					expStates++
					if o.State == revolut.ExpenseApproved && e.State == revolut.ExpenseMissingInfo {
						reopened++
					}
				}
				if !o.ExpenseDate.Equal(e.ExpenseDate.Time) {
					expDates++
				}
			}
			w, ok := whExp[e.ID]
			if !ok || w.state != e.State || !w.date.Equal(e.ExpenseDate.Time) {
				t.Errorf("night %d: expense %s is %q dated %s in the warehouse (present %v), %q dated %s in the truth",
					night, e.ID, w.state, w.date, ok, e.State, e.ExpenseDate.Time)
			}
		}
		prev = truth
	}
	t.Logf("6 nights, look-back %s: %d transaction changes caught inside the window, %d missed beyond it; expenses: %d state changes (%d approved → missing_info), %d date changes, all caught",
		lookback, caughtTx, missedTx, expStates, reopened, expDates)
	if caughtTx == 0 || expStates == 0 || expDates == 0 || reopened == 0 {
		t.Fatalf("the fake changed %d transactions, %d expense states (%d approved → missing_info), %d expense dates: the scenario misses a case",
			caughtTx, expStates, reopened, expDates)
	}
	if missedTx == 0 {
		t.Fatal("no transaction changed beyond the look-back: the documented limitation was not exercised")
	}

	// A backfill over the whole range re-reads what the nightly window no longer covers.
	sum, err := p.Backfill(ctx, start.Add(-35*day), clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	booked, reversed, _ := h.checkConverged(fake.Truth())
	t.Logf("backfill after the nights: %d records changed, %d entries changed, %d new; %d booked, %d reversed, equal to the truth",
		sum.Changed, sum.EntriesChanged, sum.EntriesNew, booked, reversed)
}

type whExpense struct {
	state string
	date  time.Time
}

func expensesInWarehouse(t *testing.T, c *pgx.Conn) map[string]whExpense {
	t.Helper()
	rows, err := c.Query(context.Background(), "SELECT id, state, expense_date FROM expenses")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]whExpense{}
	for rows.Next() {
		var id string
		var e whExpense
		if err := rows.Scan(&id, &e.state, &e.date); err != nil {
			t.Fatal(err)
		}
		out[id] = e
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestFaultPostgresKilled terminates every backend of the run (pooled connections and the
// run lock's own) from another connection in the middle of a sync — while loading
// transactions, while writing the ledger, and after the first period was exported. The run must fail with an error (not hang),
// leave what was committed consistent, and the next run on the same store must converge.
func TestFaultPostgresKilled(t *testing.T) {
	t.Parallel()
	for i, stage := range []string{"extract", "book", "export"} {
		t.Run(stage, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			clock := &fakeClock{now: start}
			// The kill lands after the first exported period, so the export stage needs data
			// whose second sync exports more than one (seed 98: three).
			fake := revoluttest.NewTestServer(t, revoluttest.Options{
				Seed: []int64{90, 91, 98}[i], Transactions: 300, Span: 40 * day, End: start, Clock: func() time.Time { return start },
			})
			h := newFaultHarnessWithFake(t, fake, clock.Now)
			// Small flushes and booking batches: the kill lands between commits.
			config := func(c *pipeline.Config) { c.FlushRecords, c.BookBatch = 50, 10 }
			if _, err := h.pipeline(config).Sync(ctx); err != nil {
				t.Fatal(err)
			}
			before := h.ledger()
			cpBefore, _, _ := h.store.Checkpoint(ctx, "transactions")
			fake.Advance(2 * day)
			clock.mu.Lock()
			clock.now = clock.now.Add(2 * day)
			clock.mu.Unlock()

			killer := h.conn()
			var terminated int64
			var once sync.Once
			p := h.pipeline(func(c *pipeline.Config) {
				config(c)
				c.OnProgress = func(ev pipeline.Progress) {
					// Export events come one per period, each with Done set.
					if ev.Stage == stage && ev.Stream != "settings" && (!ev.Done || stage == "export") {
						once.Do(func() {
							terminated = queryInt(t, killer, `SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
								WHERE datname = current_database() AND pid <> pg_backend_pid()) k`)
						})
					}
				}
			})
			rctx, cancel := context.WithTimeout(ctx, 60*time.Second)
			began := time.Now()
			_, runErr := p.Sync(rctx)
			cancel()
			if runErr == nil {
				t.Fatalf("the sync succeeded although its %d backends were terminated", terminated)
			}
			if errors.Is(runErr, context.DeadlineExceeded) {
				t.Fatalf("the sync hung until the deadline: %v", runErr)
			}
			if terminated == 0 {
				t.Fatal("no backend was terminated")
			}
			failedIn := time.Since(began)
			truth := fake.Truth()
			c := h.conn()
			cp, missing := checkStateNotAhead(t, c, truth, time.Time{})
			if stage == "extract" {
				// Booking had not started: the ledger is the previous night's, line for line.
				after := h.ledger()
				if len(after) != len(before) {
					t.Errorf("ledger has %d lines after the failed run, %d before", len(after), len(before))
				}
				for k, l := range before {
					if a, ok := after[k]; !ok || !a.Amount.Equal(l.Amount) {
						t.Errorf("line %s changed by the failed run", k)
						break
					}
				}
			}
			// The run history must say the run failed: a run left "running" forever reads as
			// one still in progress (or a crashed process) to whoever looks at the history.
			status := queryString(t, c, "SELECT status FROM runs ORDER BY id DESC LIMIT 1")
			if status != "failed" {
				t.Errorf("the failed run is recorded as %q, want \"failed\"", status)
			}

			sum, err := h.pipeline(config).Sync(ctx)
			if err != nil {
				t.Fatalf("the next run on the same store: %v", err)
			}
			booked, _, dups := h.checkConverged(truth)
			t.Logf("killed %d backends during %s: run failed in %s (%v); recorded as %q; checkpoint %s (before %s), %d rows behind it missing; next run wrote %d lines; %d booked, %d duplicates",
				terminated, stage, failedIn.Round(time.Millisecond), runErr, status, cp.Format(time.RFC3339), cpBefore.Format(time.RFC3339), missing, sum.LinesWritten, booked, dups)
		})
	}
}

// TestFaultMalformedRecords syncs a history with the fake's trap records: odd date-time
// forms, a 37-character id, an unknown type and state, and one record whose amount is "abc".
// The records the warehouse cannot take in (one that does not decode, one whose \u0000
// escape PostgreSQL's jsonb refuses) are quarantined with their reason and raw JSON;
// everything else is loaded and booked; a second run does not add a quarantine row.
func TestFaultMalformedRecords(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 100, Transactions: 400, Span: 40 * day, Quirks: true})
	truth := h.fake.Truth()
	unstorable := map[string]revoluttest.Quirk{} // by id
	for _, q := range truth.Quirks {
		if !q.Storable {
			unstorable[q.ID] = q
		}
	}
	if len(unstorable) != 2 || len(truth.Quirks) < 3 {
		t.Fatalf("the fake served no malformed and NUL-escape records: %+v", truth.Quirks)
	}
	p := h.pipeline(nil)
	first, err := p.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	c := h.conn()
	type qrow struct {
		stream, sourceID, reason, raw string
		timesSeen                     int
	}
	readQuarantine := func() []qrow {
		rows, err := c.Query(ctx, "SELECT stream, coalesce(source_id, ''), reason, raw, times_seen FROM quarantine ORDER BY id")
		if err != nil {
			t.Fatal(err)
		}
		var out []qrow
		for rows.Next() {
			var q qrow
			if err := rows.Scan(&q.stream, &q.sourceID, &q.reason, &q.raw, &q.timesSeen); err != nil {
				t.Fatal(err)
			}
			out = append(out, q)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	quarantine := readQuarantine()
	found := map[string]bool{}
	for _, q := range quarantine {
		if q.reason == "" {
			t.Errorf("quarantined %s record %s has no reason", q.stream, q.sourceID)
		}
		if want, ok := unstorable[q.sourceID]; ok && q.stream == "transactions" {
			found[want.Kind] = true
			if q.raw != string(want.Raw) {
				t.Errorf("the quarantined raw JSON of the %s record is not the record served:\n%s\n%s", want.Kind, q.raw, want.Raw)
			}
			t.Logf("quarantined %s (%s): %s", q.sourceID, want.Kind, q.reason)
		}
	}
	if !found["malformed"] || !found["nul_escape"] {
		t.Fatalf("quarantined %v of the malformed and NUL-escape transactions: %+v", found, quarantine)
	}
	if first.Quarantined != int64(len(quarantine)) {
		t.Errorf("the summary counts %d quarantined records, the table holds %d", first.Quarantined, len(quarantine))
	}
	// Every other record, traps included, is in the warehouse, and the ledger matches.
	stored := truth
	stored.Transactions = nil
	for _, tx := range truth.Transactions {
		if _, ok := unstorable[tx.ID]; !ok {
			stored.Transactions = append(stored.Transactions, tx)
		}
	}
	booked, _, _ := h.checkConverged(stored)

	second, err := p.Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	again := readQuarantine()
	if len(again) != len(quarantine) {
		t.Errorf("quarantine grew from %d to %d rows on a re-run", len(quarantine), len(again))
	}
	for _, q := range again {
		if _, ok := unstorable[q.sourceID]; ok && q.timesSeen < 2 {
			t.Errorf("the re-run did not record seeing %s again (times_seen %d)", q.sourceID, q.timesSeen)
		}
	}
	if second.LinesWritten != 0 {
		t.Errorf("the re-run wrote %d lines", second.LinesWritten)
	}
	t.Logf("%d trap records served, %d quarantined (%d rows after a re-run), %d transactions booked", len(truth.Quirks), len(quarantine), len(again), booked)
}

// lockedBuffer is a bytes.Buffer safe for the concurrent writes of a slog handler.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// bearerRecorder records every access token the client sent, so the secrets scan can look
// for the tokens the fake actually issued.
type bearerRecorder struct {
	mu     sync.Mutex
	tokens map[string]bool
	next   http.RoundTripper
}

func (b *bearerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		b.mu.Lock()
		b.tokens[tok] = true
		b.mu.Unlock()
	}
	return b.next.RoundTrip(r)
}

// TestFaultSecretsNeverLeak runs a sync at debug level through retries, a 401 and a token
// refresh, then a failing run, and scans everything a person or another system gets to see —
// every log record, the summaries, the errors, the run history in the warehouse and every
// exported file (workbooks unzipped) — for the private key, the refresh token, every access
// token the client was issued and any JWT ("eyJ", the client assertion): zero hits.
func TestFaultSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 110, Transactions: 300, Span: 30 * day})
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	bearers := &bearerRecorder{tokens: map[string]bool{}, next: http.DefaultTransport}
	creds := h.fake.Credentials()
	refreshTokens := []string{creds.RefreshToken}
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	var rtMu sync.Mutex
	h.client, err = revolut.NewClient(revolut.Config{
		BaseURL: h.fake.URL(), ClientID: creds.ClientID, Issuer: creds.Issuer, PrivateKey: key,
		RefreshToken: creds.RefreshToken, RatePerMinute: 100000, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond,
		HTTPClient: &http.Client{Transport: bearers}, Logger: logger, Sleep: (&sleepLog{}).sleep,
		OnRefreshToken: func(rt string) { rtMu.Lock(); refreshTokens = append(refreshTokens, rt); rtMu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	sum, err := h.pipeline(func(c *pipeline.Config) {
		c.Logger = logger
		c.OnProgress = func(ev pipeline.Progress) {
			if ev.Stream == "settings" && ev.Done {
				once.Do(func() {
					h.fake.SetFaults(revoluttest.Faults{RateLimitStorm: 2, Error5xxRate: 0.1, TruncateBodyRate: 0.05, Unauthorized401Once: true})
				})
			}
		}
	}).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	h.checkConverged(h.fake.Truth())
	// A failing run: its error and the run history it leaves are scanned too.
	h.fake.SetFaults(revoluttest.Faults{Error5xxRate: 1})
	failed, runErr := h.pipeline(func(c *pipeline.Config) { c.Logger = logger }).Sync(ctx)
	if runErr == nil {
		t.Fatal("a sync against a fake answering only 5xx succeeded")
	}
	h.fake.SetFaults(revoluttest.Faults{})

	seen := []struct{ name, text string }{
		{"logs", logs.String()},
		{"summary", fmt.Sprintf("%+v", *sum)},
		{"failed summary", fmt.Sprintf("%+v", *failed)},
		{"run error", runErr.Error()},
	}
	c := h.conn()
	rows, err := c.Query(ctx, "SELECT coalesce(error, '') || ' ' || counts::text FROM runs")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, struct{ name, text string }{"runs table", s})
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var files int
	err = filepath.WalkDir(h.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(h.dir, path)
		if strings.HasSuffix(path, ".xlsx") {
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
			for _, f := range zr.File {
				rc, err := f.Open()
				if err != nil {
					return err
				}
				part, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					return err
				}
				seen = append(seen, struct{ name, text string }{rel + ":" + f.Name, string(part)})
			}
			return nil
		}
		seen = append(seen, struct{ name, text string }{rel, string(data)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// The needles: each line of the key's PEM body (any one of them in the open is a leak),
	// the refresh tokens, the access tokens, and the JWT header prefix in text.
	var needles []string
	for _, line := range strings.Split(string(creds.PrivateKeyPEM), "\n") {
		if len(line) >= 32 && !strings.HasPrefix(line, "-----") {
			needles = append(needles, line)
		}
	}
	needles = append(needles, refreshTokens...)
	bearers.mu.Lock()
	for tok := range bearers.tokens {
		needles = append(needles, tok)
	}
	accessTokens := len(bearers.tokens)
	bearers.mu.Unlock()
	if accessTokens < 2 {
		t.Fatalf("the client used %d access tokens; the 401 should have made it fetch a second", accessTokens)
	}
	st := h.fake.Stats()
	if st.Unauthorized == 0 || st.RateLimited == 0 || sum.APIRetries == 0 {
		t.Fatalf("the run met no fault (401 %d, 429 %d, retries %d): the log paths were not exercised", st.Unauthorized, st.RateLimited, sum.APIRetries)
	}
	var hits int
	var bytesScanned int
	for _, s := range seen {
		bytesScanned += len(s.text)
		for _, n := range needles {
			if strings.Contains(s.text, n) {
				hits++
				t.Errorf("%s contains a secret (%d characters starting %.4q)", s.name, len(n), n)
			}
		}
		// Receipts are binary: "eyJ" is three bytes and may occur by chance there.
		if !strings.HasPrefix(filepath.Base(s.name), "receipt") && !strings.Contains(s.name, "receipts/") && strings.Contains(s.text, "eyJ") {
			hits++
			t.Errorf("%s contains a JWT (\"eyJ\")", s.name)
		}
	}
	if !strings.Contains(logs.String(), "level=DEBUG") && !strings.Contains(logs.String(), "retrying") {
		t.Error("the debug log caught nothing: the scan would prove nothing")
	}
	t.Logf("scanned %d KiB (%d log bytes, %d exported files, %d texts) for %d secrets (%d key lines, %d refresh tokens, %d access tokens) and \"eyJ\": %d hits",
		bytesScanned/1024, len(logs.String()), files, len(seen), len(needles), len(needles)-len(refreshTokens)-accessTokens, len(refreshTokens), accessTokens, hits)
}

// TestFaultPrivateKeyMode refuses a private key file that other users can read, without
// quoting the key, and accepts the same key with mode 0600.
func TestFaultPrivateKeyMode(t *testing.T) {
	t.Parallel()
	fake := revoluttest.NewTestServer(t, revoluttest.Options{Seed: 120, Transactions: 10, Span: day})
	pemBytes := fake.Credentials().PrivateKeyPEM
	dir := t.TempDir()
	for _, tc := range []struct {
		mode os.FileMode
		ok   bool
	}{{0o644, false}, {0o640, false}, {0o604, false}, {0o600, true}, {0o400, true}} {
		path := filepath.Join(dir, fmt.Sprintf("key-%04o.pem", tc.mode))
		if err := os.WriteFile(path, pemBytes, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, tc.mode); err != nil { // WriteFile's mode is filtered by the umask
			t.Fatal(err)
		}
		_, err := revolut.LoadPrivateKey(path)
		if tc.ok != (err == nil) {
			t.Errorf("mode %04o: err = %v, want ok %v", tc.mode, err, tc.ok)
			continue
		}
		if err != nil {
			body := strings.Split(string(pemBytes), "\n")[1]
			if strings.Contains(err.Error(), body) {
				t.Errorf("mode %04o: the error quotes the key", tc.mode)
			}
			if !strings.Contains(err.Error(), "chmod 600") {
				t.Errorf("mode %04o: the error does not say how to fix it: %v", tc.mode, err)
			}
		}
	}
}

// failingWrites is the run's real writer whose failAt-th WriteBookings call fails (before it
// touches the database) with errWriteInjected.
type failingWrites struct {
	pipeline.Writer
	failAt int
	calls  atomic.Int32
}

var errWriteInjected = errors.New("injected ledger write failure")

func (f *failingWrites) WriteBookings(ctx context.Context, run load.RunID, b []load.SourceBooking) (load.WriteStats, error) {
	if int(f.calls.Add(1)) == f.failAt {
		return load.WriteStats{}, errWriteInjected
	}
	return f.Writer.WriteBookings(ctx, run, b)
}

// TestFaultLedgerWriteFails: booking overlaps reading with writing, so a failed ledger
// write must still stop the run at once, with that failure as its error, having written
// only the batches before it; the next run books the rest.
func TestFaultLedgerWriteFails(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 77, Transactions: 600, Span: 40 * day})
	const batch, failAt = 25, 4
	wh := &failingWrites{failAt: failAt}
	dir, err := sink.NewDir(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.Config{Now: h.now, Location: time.UTC, FlushRecords: 400, BookBatch: batch}
	p, err := pipeline.New(cfg, h.client, h.store, dir, exporters.New(h.store, dir, exporters.Config{Company: "Test Ltd"}))
	if err != nil {
		t.Fatal(err)
	}
	pipeline.WrapWriter(p, func(w pipeline.Writer) pipeline.Writer { wh.Writer = w; return wh })
	_, runErr := p.Sync(ctx)
	if !errors.Is(runErr, errWriteInjected) {
		t.Fatalf("run error = %v, want the injected write failure", runErr)
	}
	if n := wh.calls.Load(); n != failAt {
		t.Errorf("WriteBookings called %d times, want %d: writing went on after a failure", n, failAt)
	}
	c := h.conn()
	// Each of the 3 batches written before the failure cleared the flags of its 25 sources.
	booked := queryInt(t, c, "SELECT count(*) FROM transactions WHERE NOT needs_booking") +
		queryInt(t, c, "SELECT count(*) FROM expenses WHERE NOT needs_booking")
	if booked > (failAt-1)*batch || booked == 0 {
		t.Errorf("%d sources booked before the failure, want between 1 and %d", booked, (failAt-1)*batch)
	}
	if s := queryString(t, c, "SELECT status FROM runs ORDER BY id DESC LIMIT 1"); s != "failed" {
		t.Errorf("run recorded as %q, want failed", s)
	}
	if _, err := h.pipeline(nil).Sync(ctx); err != nil {
		t.Fatalf("next run: %v", err)
	}
	if n := queryInt(t, c, "SELECT count(*) FROM transactions WHERE needs_booking"); n != 0 {
		t.Errorf("%d transactions still need booking after the next run", n)
	}
	checkAgainstTruth(t, h.fake.Truth(), h.ledger())
}
