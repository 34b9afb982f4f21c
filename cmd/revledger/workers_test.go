package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/tenancy"
)

// peakIn is the most requests that reached the fake within any span shorter than window.
func peakIn(at []time.Time, window time.Duration) int {
	slices.SortFunc(at, func(a, b time.Time) int { return a.Compare(b) })
	peak, j := 0, 0
	for i := range at {
		for at[i].Sub(at[j]) >= window {
			j++
		}
		peak = max(peak, i-j+1)
	}
	return peak
}

func scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// TestManyWorkersManyBusinesses is the proof of multi-business operation: three `revledger
// worker` processes on one database, twenty fake businesses, one sync each; one worker is
// killed with SIGKILL while it runs a job. Every business must converge to its truth, no
// two runs of one business may overlap, and no business may exceed its budget in any
// rolling window at its fake API.
//
// The budget is scaled down in time so that it binds within the test: 10 requests per
// rolling 10 seconds per business (--rate-limit 10 --rate-window 10s), against 20 to 35
// requests per sync (settings, two monthly chunks of transactions and expenses, receipts;
// more for the killed worker's businesses, whose syncs ran twice). The same code enforces
// 60 a minute in production (the window is a parameter of the limiter, nothing else
// changes). The client's own pacing is set out of the way (revolut.rate_per_minute 6000),
// so the shared PostgreSQL limiter is what holds the line.
func TestManyWorkersManyBusinesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three worker processes: not in -short")
	}
	const (
		businesses = 20
		limit      = 10
		window     = 10 * time.Second
	)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// Twenty fakes with 60 to 136 transactions over 20 days, a few expenses with receipts.
	// Their clocks stand still, so their truth cannot move while the workers sync.
	end := time.Now().UTC().Truncate(time.Millisecond)
	f := newFleet(t, businesses, func(i int) revoluttest.Options {
		return revoluttest.Options{
			Seed: int64(100 + i), Transactions: 60 + 4*i, Expenses: 2, BulkPayouts: []int{},
			End: end, Span: 20 * 24 * time.Hour, Clock: func() time.Time { return end },
		}
	}, "revolut:\n  rate_per_minute: 6000\nsync:\n  initial_history_days: 30\n  expenses_window_days: 30\n")
	pool, fakes, logs, slugs, bin, dsn := f.pool, f.fakes, f.logs, f.slugs, f.bin, f.dsn

	// Three workers of four slots. The job timeout (30 s) is well over a sync (about 25
	// requests at 10 per 10 s: 20 s); the rescuer takes a dead worker's job back after 35 s
	// (and runs every 30 s).
	for i := range 3 {
		f.start(fmt.Sprintf("w%d", i+1), "--concurrency", "4", "--job-timeout", "30s", "--rescue-after", "35s",
			"--rate-limit", fmt.Sprint(limit), "--rate-window", window.String(), "--grace", "10s")
	}
	procs := f.procs
	dumpLogs := func() {
		for _, p := range procs {
			f, err := os.Open(p.stderr)
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(f)
			n := 0
			for sc.Scan() {
				if line := sc.Text(); !strings.Contains(line, `"level":"DEBUG"`) && n < 60 {
					t.Logf("%s: %s", p.id, line)
					n++
				}
			}
			f.Close()
		}
	}

	started := time.Now()
	f.enqueueSyncs(ctx)

	// Kill a worker that is not the leader while it runs a job whose business has already
	// made a few requests (so that the job is mid-way, and its grants are in the budget).
	var victim *proc
	var victimJob int64
	var victimBusiness string
	for victim == nil {
		if time.Since(started) > time.Minute {
			dumpLogs()
			t.Fatal("no job ran on a non-leader worker within a minute")
		}
		var leader string
		_ = pool.QueryRow(ctx, `SELECT leader_id FROM revledger.river_leader`).Scan(&leader)
		rows, err := pool.Query(ctx, `SELECT id, args->>'business', attempted_by[array_length(attempted_by, 1)]
			FROM revledger.river_job WHERE state = 'running'`)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var id int64
			var b, by string
			if err := rows.Scan(&id, &b, &by); err != nil {
				t.Fatal(err)
			}
			n := len(logs[slices.Index(slugs, b)].times())
			if by == leader || leader == "" || n < 8 || victim != nil {
				continue
			}
			for _, p := range procs {
				if p.id == by {
					victim, victimJob, victimBusiness = p, id, b
				}
			}
		}
		rows.Close()
		if victim == nil {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-victim.done
	killedAt := time.Since(started)
	t.Logf("killed %s at %s while it ran job %d (%s, %d requests so far)", victim.id, killedAt.Round(time.Millisecond),
		victimJob, victimBusiness, len(logs[slices.Index(slugs, victimBusiness)].times()))

	// Every sync completes, the victim's after River's rescuer gave it back.
	for {
		open := f.openSyncs(ctx)
		if open == 0 {
			break
		}
		if time.Since(started) > 150*time.Second {
			dumpLogs()
			t.Logf("the first fake's requests by route: %v", fakes[0].Stats().ByPath)
			t.Fatalf("%d syncs not completed after %s", open, time.Since(started).Round(time.Second))
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("all %d syncs completed %s after they were queued", businesses, time.Since(started).Round(time.Millisecond))

	// A surviving worker's metrics show every business's lag (read from the job table, so
	// also those synced by others) and its own completed jobs.
	for _, p := range procs {
		if p == victim {
			continue
		}
		logText, _ := os.ReadFile(p.stderr)
		_, addr, ok := strings.Cut(string(logText), "metrics on http://")
		if !ok {
			t.Fatalf("%s printed no metrics address", p.id)
		}
		addr, _, _ = strings.Cut(addr, "/metrics")
		metrics := scrape(t, "http://"+addr+"/metrics")
		if n := strings.Count(metrics, "revledger_worker_sync_lag_seconds{"); n != businesses {
			// The lag is refreshed every minute; before the first refresh a worker knows
			// only its own syncs.
			t.Logf("%s: lag of %d businesses so far", p.id, n)
		}
		requests := 0
		for l := range strings.Lines(metrics) {
			if strings.HasPrefix(l, "revledger_worker_api_requests_total{") {
				var n int
				fmt.Sscan(l[strings.LastIndexByte(l, ' ')+1:], &n)
				requests += n
			}
		}
		if !strings.Contains(metrics, `kind="sync",outcome="completed"`) || requests < 20 {
			t.Errorf("%s: metrics lack completed syncs or API requests (%d):\n%s", p.id, requests, metrics)
		}
		break
	}
	// `revledger status` shows every business with its last job completed.
	statusCmd := exec.Command(bin, "status", "--database-url", dsn)
	statusOut, err := statusCmd.CombinedOutput()
	if err != nil {
		t.Fatalf("revledger status: %v\n%s", err, statusOut)
	}
	for _, slug := range slugs {
		line := ""
		for l := range strings.Lines(string(statusOut)) {
			if strings.HasPrefix(l, slug+" ") {
				line = l
			}
		}
		if !strings.Contains(line, "active") || !strings.Contains(line, "sync") || !strings.Contains(line, "completed") || strings.Contains(line, "never synced") {
			t.Errorf("status of %s: %q, want active, last job a completed sync, a lag\n%s", slug, line, statusOut)
		}
	}
	t.Logf("revledger status:\n%s", statusOut)
	// Jobs carry no secret: their arguments are the slug alone, and neither they nor the
	// errors River stored hold a refresh token, a private key or the secret key.
	var extraArgs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM revledger.river_job WHERE args - 'business' <> '{}'::jsonb`).Scan(&extraArgs); err != nil {
		t.Fatal(err)
	}
	if extraArgs != 0 {
		t.Errorf("%d jobs carry more than the business in their arguments", extraArgs)
	}
	var stored string
	if err := pool.QueryRow(ctx, `SELECT string_agg(args::text || coalesce(array_to_string(errors, ' '), ''), ' ') FROM revledger.river_job`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	secrets := []string{base64.StdEncoding.EncodeToString(f.secret)}
	for _, fake := range fakes {
		cr := fake.Credentials()
		secrets = append(secrets, cr.RefreshToken, string(cr.PrivateKeyPEM[30:90]))
	}
	for _, sec := range secrets {
		if strings.Contains(stored, sec) {
			t.Errorf("a secret is stored in River's job table")
		}
	}

	for _, p := range procs {
		if p != victim {
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
		}
	}
	for _, p := range procs {
		if p == victim {
			continue
		}
		select {
		case err := <-p.done:
			if err != nil {
				dumpLogs()
				t.Errorf("worker %s after SIGTERM: %v", p.id, err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("worker %s did not stop within 30 s of SIGTERM", p.id)
		}
	}

	// The killed job ran twice: once on the victim, then on another worker.
	var attempts int
	var by []string
	if err := pool.QueryRow(ctx, `SELECT attempt, attempted_by FROM revledger.river_job WHERE id = $1`, victimJob).Scan(&attempts, &by); err != nil {
		t.Fatal(err)
	}
	if attempts < 2 || by[0] != victim.id || by[len(by)-1] == victim.id {
		t.Errorf("killed job: attempt %d, attempted by %v: want a later attempt by another worker than %s", attempts, by, victim.id)
	}
	var syncJobs int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM revledger.river_job WHERE kind = 'sync'`).Scan(&syncJobs); err != nil {
		t.Fatal(err)
	}
	if syncJobs != businesses {
		t.Errorf("%d sync jobs, want %d (one per business)", syncJobs, businesses)
	}

	for i, slug := range slugs {
		schema := tenancy.Business{Slug: slug}.Schema()
		// Converged: every completed transaction of the fake is in the warehouse, completed,
		// and booked (a live ledger entry whose source it is).
		var want []string
		for _, tx := range fakes[i].Truth().Transactions {
			if tx.State == "completed" {
				want = append(want, tx.ID)
			}
		}
		var stored, booked int
		if err := pool.QueryRow(ctx, `SELECT
				(SELECT count(*) FROM `+schema+`.transactions WHERE state = 'completed' AND id = ANY($1)),
				(SELECT count(DISTINCT source_id) FROM `+schema+`.entries WHERE source_type = 'transaction' AND NOT tombstone AND source_id = ANY($1))`,
			want).Scan(&stored, &booked); err != nil {
			t.Fatal(err)
		}
		var storedCompleted int
		if err := pool.QueryRow(ctx, `SELECT count(*) FROM `+schema+`.transactions WHERE state = 'completed'`).Scan(&storedCompleted); err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || stored != len(want) || booked != len(want) || storedCompleted != len(want) {
			t.Errorf("%s: the fake has %d completed transactions; the warehouse stores %d of them (%d completed in all) and books %d",
				slug, len(want), stored, storedCompleted, booked)
		}

		// Valued: every line has its GBP value (the workers' fx source is the local HMRC
		// publisher), and foreign-currency lines exist, so the check is not empty.
		var unvalued, foreign int
		if err := pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE base_amount IS NULL), count(*) FILTER (WHERE currency <> 'GBP')
				FROM `+schema+`.ledger_current`).Scan(&unvalued, &foreign); err != nil {
			t.Fatal(err)
		}
		if unvalued != 0 || foreign == 0 {
			t.Errorf("%s: %d ledger lines without a GBP value, %d foreign-currency lines", slug, unvalued, foreign)
		}

		// No two runs overlapped. A run takes the run lock before it is recorded, so each run
		// must end before the next starts; a run killed with its worker is marked abandoned
		// by the next one, after it started.
		rows, err := pool.Query(ctx, `SELECT status, started_at, finished_at FROM `+schema+`.runs ORDER BY started_at`)
		if err != nil {
			t.Fatal(err)
		}
		type runRow struct {
			status   string
			from, to time.Time
		}
		var runs []runRow
		for rows.Next() {
			var r runRow
			var to *time.Time
			if err := rows.Scan(&r.status, &r.from, &to); err != nil {
				t.Fatal(err)
			}
			if to != nil {
				r.to = *to
			}
			runs = append(runs, r)
		}
		rows.Close()
		succeeded := 0
		for k, r := range runs {
			if r.status == "succeeded" {
				succeeded++
			}
			if k+1 < len(runs) && r.status != "abandoned" && r.to.After(runs[k+1].from) {
				t.Errorf("%s: run %d (%s, %s → %s) overlaps the next, started %s", slug, k, r.status, r.from, r.to, runs[k+1].from)
			}
		}
		if succeeded != 1 {
			t.Errorf("%s: %d succeeded runs, want 1: %+v", slug, succeeded, runs)
		}
		if slug == victimBusiness && len(runs) < 2 {
			t.Errorf("%s: the killed business has %d runs, want the killed one and its rerun", slug, len(runs))
		}

		// The budget held at the fake: at most `limit` requests in any rolling window, and it
		// bound (the sync needed more than one window's budget).
		at := logs[i].times()
		// A grant is stamped by the database; the request reaches the fake a little later, by
		// a delay that varies (more on a loaded machine), so the fake's window is checked
		// 1 s shorter: at most 10 requests in any 9 s.
		if peak := peakIn(at, window-time.Second); peak > limit {
			t.Errorf("%s: %d requests within %s at its fake, over the budget of %d", slug, peak, window, limit)
		}
		if len(at) <= limit {
			t.Errorf("%s: only %d requests: the budget of %d per %s never bound", slug, len(at), limit, window)
		}
	}
	counts := make([]int, businesses)
	for i := range logs {
		counts[i] = len(logs[i].times())
	}
	t.Logf("requests per business at the fakes: %v; the first fake's by route: %v", counts, fakes[0].Stats().ByPath)
	if t.Failed() {
		dumpLogs()
	}
}
