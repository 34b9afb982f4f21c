package pipeline_test

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/rates/ratesfake"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/sink"
)

// The benchmarks below feed docs/BENCHMARKS.md (scripts/bench.sh, `make bench`). They
// measure and report; none asserts a timing. Each runs its scenario once per iteration on a
// fresh database, so use -benchtime=1x: the interesting figures are the custom metrics, not
// ns/op.
//
// BENCH_SCALE picks the dataset sizes: "full" (default) is the busy year (200k
// transactions, 30k expenses) for the request counts and 100k and 1M transactions for the
// throughput (the 1M run alone takes tens of minutes on 2 cores); "quick" shrinks them to
// 20k and 20k/100k for a routine run of a few minutes.

// benchScale reads BENCH_SCALE.
func benchScale(b *testing.B) string {
	switch s := os.Getenv("BENCH_SCALE"); s {
	case "", "full":
		return "full"
	case "quick":
		return s
	default:
		b.Fatalf("BENCH_SCALE=%q: want full or quick", s)
		return ""
	}
}

// benchRig is the pipeline of the tests' harness, built for a *testing.B: the fake API over
// real HTTP, a fresh PostgreSQL database, a folder sink, and HMRC's monthly rates (the
// default rate source for GBP books, as cmd/revledger configures it) from the fake publisher
// over real HTTP. (newHarness takes a *testing.T.)
type benchRig struct {
	fake     *revoluttest.Server
	store    *load.Store
	client   *revolut.Client
	dir      string
	ratesURL string
}

func newBenchRig(b *testing.B, fake *revoluttest.Server, clientRate int) *benchRig {
	b.Helper()
	ctx := context.Background()
	store, err := load.Open(ctx, testenv.Database(b), load.Options{})
	if err != nil {
		b.Fatalf("open store: %v", err)
	}
	b.Cleanup(store.Close)
	if err := store.Migrate(ctx); err != nil {
		b.Fatalf("migrate: %v", err)
	}
	creds := fake.Credentials()
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		b.Fatal(err)
	}
	client, err := revolut.NewClient(revolut.Config{
		BaseURL: fake.URL(), ClientID: creds.ClientID, Issuer: creds.Issuer, PrivateKey: key,
		RefreshToken: creds.RefreshToken, RatePerMinute: clientRate,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond,
	})
	if err != nil {
		b.Fatal(err)
	}
	rateSrv := httptest.NewServer(ratesfake.New(ratesfake.Options{To: start}).Handler())
	b.Cleanup(rateSrv.Close)
	return &benchRig{fake: fake, store: store, client: client, dir: b.TempDir(), ratesURL: rateSrv.URL}
}

// pipeline uses the production defaults (flush 5000 records, book 2000 sources per
// transaction, monthly chunks), unlike the tests' small batches.
func (r *benchRig) pipeline(b *testing.B, onProgress func(pipeline.Progress)) *pipeline.Pipeline {
	b.Helper()
	dir, err := sink.NewDir(r.dir)
	if err != nil {
		b.Fatal(err)
	}
	exp := exporters.New(r.store, dir, exporters.Config{Company: "Bench Ltd"})
	cfg := pipeline.Config{Now: func() time.Time { return start }, Location: time.UTC, OnProgress: onProgress,
		Rates: rates.NewHMRC(rates.HMRCOptions{BaseURL: r.ratesURL + "/hmrc/"})}
	p, err := pipeline.New(cfg, r.client, r.store, dir, exp)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// pages is the fewest requests that list n records at size per page: at least one, since
// an empty list still takes a request to learn that it is empty.
func pages(n, size int) int {
	return max(1, (n+size-1)/size)
}

// settingsFloor is the fewest requests that read the settings lists of d in full.
func settingsFloor(d revoluttest.Dataset) int {
	n := 1 // accounts: one unpaged list
	n += pages(len(d.Categories), revolut.MaxSettingsPage)
	n += pages(len(d.TaxRates), revolut.MaxSettingsPage)
	n += pages(len(d.LabelGroups), revolut.MaxSettingsPage)
	perGroup := map[string]int{}
	for _, l := range d.Labels {
		perGroup[l.GroupID]++
	}
	for _, g := range d.LabelGroups {
		n += pages(perGroup[g.ID], revolut.MaxSettingsPage)
	}
	n += pages(len(d.Cards), revolut.MaxCardsPage)
	n += pages(len(d.TeamMembers), revolut.MaxTeamMembersPage)
	n += pages(len(d.Counterparties), revolut.MaxCounterpartiesPage)
	return n
}

// requestFloor is the floor for a run that received the records in sum:
// ceil(N/1000) + ceil(E/500) + receipts downloaded + settings pages.
func requestFloor(sum *pipeline.Summary, settings int) int {
	return pages(int(sum.Records["transactions"]), revolut.MaxTransactionsPage) +
		pages(int(sum.Records["expenses"]), revolut.MaxExpensesPage) +
		int(sum.ReceiptsStored) + settings
}

const (
	pathTransactions = "GET /transactions"
	pathExpenses     = "GET /expenses"
	pathReceipt      = "GET /expenses/{expense_id}/receipts/{receipt_id}/content"
)

// reportRequests reports the fake's counters between before and after, next to the floor.
func reportRequests(b *testing.B, sum *pipeline.Summary, before, after revoluttest.Stats, settings int) {
	b.Helper()
	reqs := after.Requests - before.Requests
	floor := requestFloor(sum, settings)
	tx := after.ByPath[pathTransactions] - before.ByPath[pathTransactions]
	exp := after.ByPath[pathExpenses] - before.ByPath[pathExpenses]
	rc := after.ByPath[pathReceipt] - before.ByPath[pathReceipt]
	b.ReportMetric(float64(sum.Records["transactions"]), "transactions")
	b.ReportMetric(float64(sum.Records["expenses"]), "expenses")
	b.ReportMetric(float64(sum.ReceiptsStored), "receipts")
	b.ReportMetric(float64(reqs), "requests")
	b.ReportMetric(float64(floor), "floor")
	b.ReportMetric(float64(reqs-floor), "over-floor")
	b.ReportMetric(float64(tx), "req-transactions")
	b.ReportMetric(float64(pages(int(sum.Records["transactions"]), revolut.MaxTransactionsPage)), "floor-transactions")
	b.ReportMetric(float64(exp), "req-expenses")
	b.ReportMetric(float64(pages(int(sum.Records["expenses"]), revolut.MaxExpensesPage)), "floor-expenses")
	b.ReportMetric(float64(rc), "req-receipts")
	b.ReportMetric(float64(reqs-tx-exp-rc), "req-settings")
	b.ReportMetric(float64(settings), "floor-settings")
	b.ReportMetric(float64(after.RateLimited-before.RateLimited), "429s")
	// Projected, not measured: at the real limit the client spaces requests evenly at 95%
	// of the rate (one every 1.05 s at 60/min), so the API-bound part of the run lasts
	// requests × 1.05 s; the floor at exactly 60/min is one request a second.
	b.ReportMetric(float64(reqs)*paceSeconds(revolut.DefaultRatePerMinute)/3600, "projected-h-at-60/min")
	b.ReportMetric(float64(floor)*60/float64(revolut.DefaultRatePerMinute)/3600, "floor-h-at-60/min")
}

// paceSeconds is the client's spacing between requests at perMinute (see paceInterval in
// extract/revolut/client.go: 5% wider than exact).
func paceSeconds(perMinute int) float64 { return 60 * 1.05 / float64(perMinute) }

// BenchmarkAPIRequests counts the API requests of a clean backfill of a busy business's
// year and of the nightly sync that follows with nothing changed, against the floor.
func BenchmarkAPIRequests(b *testing.B) {
	opts := revoluttest.Options{Seed: 8, Transactions: 200_000, Expenses: 30_000, End: start,
		Clock: func() time.Time { return start }}
	if benchScale(b) == "quick" {
		opts.Transactions, opts.Expenses = 20_000, 3_000
	}
	// The runs happen once, here; the two sub-benchmarks only report their figures.
	ctx := context.Background()
	fake := revoluttest.NewTestServer(b, opts)
	truth := fake.Truth()
	settings := settingsFloor(truth)
	rig := newBenchRig(b, fake, 1_000_000)

	before := fake.Stats()
	began := time.Now()
	sum, err := rig.pipeline(b, nil).Backfill(ctx, start.AddDate(-1, 0, 0), start)
	if err != nil {
		b.Fatalf("backfill: %v", err)
	}
	backfillWall := time.Since(began)
	afterBackfill := fake.Stats()

	began = time.Now()
	sync, err := rig.pipeline(b, nil).Sync(ctx)
	if err != nil {
		b.Fatalf("sync: %v", err)
	}
	syncWall := time.Since(began)
	afterSync := fake.Stats()

	b.Run("backfill", func(b *testing.B) {
		for b.Loop() {
		}
		reportRequests(b, sum, before, afterBackfill, settings)
		b.ReportMetric(float64(len(truth.Receipts)), "receipts-in-fake")
		b.ReportMetric(backfillWall.Seconds(), "wall-s-no-limit")
	})
	b.Run("nightly-sync-unchanged", func(b *testing.B) {
		for b.Loop() {
		}
		reportRequests(b, sync, afterBackfill, afterSync, settings)
		b.ReportMetric(float64(sync.LinesWritten), "lines-written")
		b.ReportMetric(syncWall.Seconds(), "wall-s-no-limit")
	})
}

// BenchmarkLimiterPacing backs the 60/min projection with a measurement: the fake enforces
// 600 requests per rolling minute of the real clock (ten times the real limit) and the client
// is configured with the same limit. A run that pacing gets right takes at least
// requests × pace, the fake never sees more than the limit in a minute, and nothing is
// answered 429. The full dataset makes about 750 requests, so the run outlasts a minute and
// the fake's rolling window fills.
func BenchmarkLimiterPacing(b *testing.B) {
	const limit = 600
	opts := revoluttest.Options{Seed: 12, Transactions: 5_000, Span: 180 * 24 * time.Hour, End: start,
		RatePerMinute: limit} // Clock: real time, so the fake's rolling minute is real
	if benchScale(b) == "quick" {
		opts.Transactions = 2_000
	}
	ctx := context.Background()
	for b.Loop() {
		b.StopTimer()
		fake := revoluttest.NewTestServer(b, opts)
		rig := newBenchRig(b, fake, limit)
		p := rig.pipeline(b, nil)
		b.StartTimer()

		began := time.Now()
		sum, err := p.Backfill(ctx, start.AddDate(0, -6, 0), start)
		if err != nil {
			b.Fatalf("backfill: %v", err)
		}
		wall := time.Since(began)
		b.StopTimer()
		st, cst := fake.Stats(), rig.client.Stats()
		// The client's count includes its token call, which it paces too.
		paced := float64(cst.Requests-1) * paceSeconds(limit)
		b.ReportMetric(float64(cst.Requests), "requests")
		b.ReportMetric(float64(sum.ReceiptsStored), "receipts")
		b.ReportMetric(wall.Seconds(), "wall-s")
		b.ReportMetric(float64(cst.Requests)*60/limit, "floor-s")
		b.ReportMetric(paced, "paced-s")
		b.ReportMetric(wall.Seconds()/paced, "wall/paced")
		b.ReportMetric(float64(st.PeakPerMinute), "peak/min")
		b.ReportMetric(limit, "limit/min")
		b.ReportMetric(float64(st.RateLimited), "429s")
		b.StartTimer()
	}
}

// BenchmarkBackfillThroughput runs a clean backfill end to end with the rate limit off
// (extract → load → book → export) and times each stage from the progress events. Receipts
// are off so that the figures are per record; BenchmarkAPIRequests covers receipts.
//
// Stage boundaries: extract+load of transactions ends at its Done event, of expenses at its
// Done event, booking (transform + ledger writes) at its Done event, exports at the end.
// Peak RSS is the process's VmHWM, reset just before the run; the process also holds the
// fake's generated history (baseline-rss-MiB, taken after generation), so the pipeline's
// own share is roughly the difference.
func BenchmarkBackfillThroughput(b *testing.B) {
	var sizes []int
	switch benchScale(b) {
	case "quick":
		sizes = []int{20_000, 100_000}
	default:
		sizes = []int{100_000, 1_000_000}
	}
	for _, n := range sizes {
		b.Run(strconv.Itoa(n/1000)+"k", func(b *testing.B) {
			opts := revoluttest.Options{Seed: 21, Transactions: n, NoReceipts: true, End: start,
				Clock: func() time.Time { return start }}
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				fake := revoluttest.NewTestServer(b, opts)
				rig := newBenchRig(b, fake, 1_000_000)
				var marks stageMarks
				p := rig.pipeline(b, marks.observe)
				runtime.GC()
				baseline := procStatusKiB(b, "VmRSS")
				resetPeakRSS(b)
				b.StartTimer()

				marks.begin = time.Now()
				sum, err := p.Backfill(ctx, start.AddDate(-1, 0, 0), start)
				if err != nil {
					b.Fatalf("backfill: %v", err)
				}
				end := time.Now()
				b.StopTimer()
				peakExport := procStatusKiB(b, "VmHWM")
				peak := max(marks.peakExtract, marks.peakBook, peakExport)
				var exported int64
				for _, e := range sum.Exports {
					exported += e.Lines
				}
				total := end.Sub(marks.begin)
				b.ReportMetric(float64(sum.Records["transactions"]), "transactions")
				b.ReportMetric(float64(sum.Records["expenses"]), "expenses")
				b.ReportMetric(float64(sum.LinesWritten), "ledger-lines")
				b.ReportMetric(total.Seconds(), "total-s")
				b.ReportMetric(float64(sum.Records["transactions"])/total.Seconds(), "tx/s-end-to-end")
				b.ReportMetric(marks.txDone.Sub(marks.settingsDone).Seconds(), "extract-tx-s")
				b.ReportMetric(rate(sum.Records["transactions"], marks.txDone.Sub(marks.settingsDone)), "extract-tx-rows/s")
				b.ReportMetric(marks.expDone.Sub(marks.txDone).Seconds(), "extract-exp-s")
				b.ReportMetric(rate(sum.Records["expenses"], marks.expDone.Sub(marks.txDone)), "extract-exp-rows/s")
				b.ReportMetric(marks.bookDone.Sub(marks.expDone).Seconds(), "book-s")
				b.ReportMetric(rate(sum.SourcesBooked, marks.bookDone.Sub(marks.expDone)), "book-sources/s")
				b.ReportMetric(rate(sum.LinesWritten, marks.bookDone.Sub(marks.expDone)), "book-lines/s")
				b.ReportMetric(end.Sub(marks.bookDone).Seconds(), "export-s")
				b.ReportMetric(rate(exported, end.Sub(marks.bookDone)), "export-lines/s")
				b.ReportMetric(float64(len(sum.Exports)), "periods")
				b.ReportMetric(float64(sum.APIRequests), "requests")
				b.ReportMetric(float64(baseline)/1024, "baseline-rss-MiB")
				b.ReportMetric(float64(peak)/1024, "peak-rss-MiB")
				b.ReportMetric(float64(peak-baseline)/1024, "run-rss-growth-MiB")
				b.ReportMetric(float64(marks.peakExtract)/1024, "peak-rss-extract-MiB")
				b.ReportMetric(float64(marks.peakBook)/1024, "peak-rss-book-MiB")
				b.ReportMetric(float64(peakExport)/1024, "peak-rss-export-MiB")
				b.StartTimer()
			}
		})
	}
}

func rate(n int64, d time.Duration) float64 {
	if d <= 0 {
		return math.NaN()
	}
	return float64(n) / d.Seconds()
}

// stageMarks records when each stage of a backfill reported Done, and the peak RSS (KiB)
// during each stage: VmHWM is read and reset at every stage boundary.
type stageMarks struct {
	begin, settingsDone, txDone, expDone, bookDone time.Time
	peakExtract, peakBook                          int64
}

func (m *stageMarks) observe(ev pipeline.Progress) {
	if !ev.Done {
		return
	}
	now := time.Now()
	switch {
	case ev.Stage == "extract" && ev.Stream == "settings":
		m.settingsDone = now
	case ev.Stage == "extract" && ev.Stream == "transactions":
		m.txDone = now
	case ev.Stage == "extract" && ev.Stream == "expenses":
		m.expDone = now
		m.peakExtract = stagePeak()
	case ev.Stage == "book":
		m.bookDone = now
		m.peakBook = stagePeak()
	}
}

// stagePeak returns VmHWM and resets it; -1 when it cannot be read.
func stagePeak() int64 {
	v, err := readStatusKiB("VmHWM")
	if err != nil || resetHWM() != nil {
		return -1
	}
	return v
}

// readStatusKiB reads a "kB" field of /proc/self/status (VmRSS, VmHWM).
func readStatusKiB(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("%s not in /proc/self/status", field)
}

// resetHWM resets VmHWM to the current RSS (Linux: "5" to clear_refs).
func resetHWM() error { return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) }

func procStatusKiB(b *testing.B, field string) int64 {
	b.Helper()
	v, err := readStatusKiB(field)
	if err != nil {
		b.Skipf("cannot read %s from /proc/self/status: %v", field, err)
	}
	return v
}

// resetPeakRSS resets VmHWM so that the peak read after the run is this run's.
func resetPeakRSS(b *testing.B) {
	b.Helper()
	if err := resetHWM(); err != nil {
		b.Skipf("cannot reset VmHWM: %v", err)
	}
}
