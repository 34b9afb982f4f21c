package main

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/load"
)

func queryInt(t *testing.T, dsn, sql string) int {
	t.Helper()
	ctx := context.Background()
	c, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	var n int
	if err := c.QueryRow(ctx, sql).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// periodRow returns the periods table's row of period, split into its columns.
func periodRow(t *testing.T, env map[string]string, period string) []string {
	t.Helper()
	code, out, errOut := runCLI(t, env, "periods")
	if code != exitOK {
		t.Fatalf("periods: exit %d, %s", code, errOut)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, period+" ") {
			return strings.Fields(line)
		}
	}
	t.Fatalf("periods does not list %s:\n%s", period, out)
	return nil
}

// TestCloseReopenPeriods: close records the month closed by the user; reopen without a
// reason exits 2 and changes nothing; reopen with one opens it and records who and why.
func TestCloseReopenPeriods(t *testing.T) {
	t.Parallel()
	dsn := testenv.Database(t)
	env := map[string]string{"REVLEDGER_DATABASE_URL": dsn, "REVLEDGER_EXPORT_URL": t.TempDir(), "USER": "alice"}

	code, out, errOut := runCLI(t, env, "close", "--period", "2026-10")
	if code != exitOK || strings.TrimSpace(out) != "2026-10 closed by alice" {
		t.Fatalf("close: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	code, out, _ = runCLI(t, env, "close", "--period", "2026-10", "--by", "bob")
	if code != exitOK || strings.TrimSpace(out) != "2026-10 was already closed" {
		t.Fatalf("close again: exit %d, stdout %q", code, out)
	}
	// PERIOD STATE CLOSED-AT(date time) BY HOW LAST-EXPORT PENDING
	row := periodRow(t, env, "2026-10")
	if len(row) != 8 || row[1] != "closed" || row[4] != "alice" || row[5] != "command" || row[6] != "-" || row[7] != "0" {
		t.Fatalf("periods row after close: %q", row)
	}

	code, _, errOut = runCLI(t, env, "reopen", "--period", "2026-10", "--by", "bob")
	if code != exitUsage || !strings.Contains(errOut, "--reason") {
		t.Fatalf("reopen without --reason: exit %d, stderr %q", code, errOut)
	}
	code, _, errOut = runCLI(t, env, "reopen", "--period", "2026-10", "--reason", "   ")
	if code != exitUsage || !strings.Contains(errOut, "--reason") {
		t.Fatalf("reopen with a blank --reason: exit %d, stderr %q", code, errOut)
	}
	if row := periodRow(t, env, "2026-10"); row[1] != "closed" {
		t.Fatalf("reopen without a reason changed the period: %q", row)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM period_events"); n != 1 {
		t.Fatalf("period_events has %d rows after a refused reopen, want 1 (the close)", n)
	}

	code, out, errOut = runCLI(t, env, "reopen", "--period", "2026-10", "--reason", "VAT return corrected", "--by", "bob")
	if code != exitOK || strings.TrimSpace(out) != "2026-10 reopened by bob: VAT return corrected" {
		t.Fatalf("reopen: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if row := periodRow(t, env, "2026-10"); len(row) != 7 || row[1] != "open" || row[2] != "-" || row[3] != "-" {
		t.Fatalf("periods row after reopen: %q", row)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM period_events WHERE period = '2026-10' AND action = 'reopen'
		AND how = 'command' AND actor = 'bob' AND reason = 'VAT return corrected' AND at IS NOT NULL`); n != 1 {
		t.Fatalf("%d reopen events with who and why, want 1", n)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM period_events WHERE period = '2026-10' AND action = 'close' AND actor = 'alice' AND how = 'command'`); n != 1 {
		t.Fatalf("%d close events by alice, want 1", n)
	}
	code, out, _ = runCLI(t, env, "reopen", "--period", "2026-10", "--reason", "again")
	if code != exitOK || strings.TrimSpace(out) != "2026-10 was not closed; nothing changed" {
		t.Fatalf("reopen of an open period: exit %d, stdout %q", code, out)
	}
}

// TestClosePeriodLockHeld: close waits for nobody by default: with a sync holding the run
// lock it exits 75 and the period stays open.
func TestClosePeriodLockHeld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testenv.Database(t)
	env := map[string]string{"REVLEDGER_DATABASE_URL": dsn, "REVLEDGER_EXPORT_URL": t.TempDir(), "USER": "alice"}
	if code, _, errOut := runCLI(t, env, "migrate"); code != exitOK {
		t.Fatalf("migrate: %s", errOut)
	}
	store, err := load.Open(ctx, dsn, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	w, err := store.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = w.Release(ctx) }()
	code, _, errOut := runCLI(t, env, "close", "--period", "2026-10")
	if code != exitLocked {
		t.Fatalf("close with the lock held: exit %d, want %d; %s", code, exitLocked, errOut)
	}
	if n := queryInt(t, dsn, "SELECT count(*) FROM periods"); n != 0 {
		t.Fatalf("%d periods rows after a locked-out close", n)
	}
}

// TestPeriodUsageErrors: bad periods, a missing reason and close.grace_days out of range exit
// 2 before anything connects (the database URL points where nothing listens).
func TestPeriodUsageErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	env := map[string]string{"REVLEDGER_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "USER": "alice"}
	with := func(k, v string) map[string]string {
		m := map[string]string{k: v}
		for a, b := range env {
			if a != k {
				m[a] = b
			}
		}
		return m
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"close without period", env, []string{"close"}, "--period"},
		{"close bad period", env, []string{"close", "--period", "2026-13"}, "YYYY-MM"},
		{"reopen without reason", env, []string{"reopen", "--period", "2026-10"}, "--reason"},
		{"grace -1", with("REVLEDGER_CONFIG", writeFile(t, dir, "neg.yaml", "close:\n  grace_days: -1\n")), []string{"periods"}, "close.grace_days"},
		{"grace 61", with("REVLEDGER_CONFIG", writeFile(t, dir, "big.yaml", "close:\n  grace_days: 61\n")), []string{"close", "--period", "2026-10"}, "close.grace_days"},
		{"grace -1 sync", with("REVLEDGER_CONFIG", writeFile(t, dir, "neg2.yaml", "close:\n  grace_days: -1\n")), []string{"export", "--period", "2026-10"}, "close.grace_days"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := runCLI(t, tc.env, tc.args...)
			if code != exitUsage || !strings.Contains(errOut, tc.want) {
				t.Fatalf("exit %d, want %d; stderr %q should mention %q", code, exitUsage, errOut, tc.want)
			}
		})
	}
	// The default and the bounds are accepted.
	cfg := defaultConfig()
	if cfg.Close.GraceDays != 5 {
		t.Errorf("default close.grace_days = %d, want 5", cfg.Close.GraceDays)
	}
}

// TestDemoAdjustments runs `demo --adjustments` against a database of its own: the demo's run
// closes every month whose end plus 5 days has passed, five records of the newest of them
// change in the fake, and the sync books adjustment entries for them in open months.
func TestDemoAdjustments(t *testing.T) {
	if testing.Short() {
		t.Skip("the demo takes about ten seconds")
	}
	t.Parallel()
	dsn := testenv.Database(t)
	dir := t.TempDir()
	code, out, errOut := runCLI(t, map[string]string{"REVLEDGER_DATABASE_URL": dsn}, "demo", "--adjustments", "--export-dir", dir)
	if code != exitOK {
		t.Fatalf("demo --adjustments: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "Adjustments to closed periods:") || !strings.Contains(out, "Adjustments sheet of") {
		t.Fatalf("no adjustments summary:\n%s", out)
	}
	// At least the three kinds of change the fake always has: reverted, recategorised, rejected.
	if n := queryInt(t, dsn, "SELECT count(DISTINCT entry_id) FROM ledger_rows WHERE adjusts_entry_id IS NOT NULL"); n < 3 {
		t.Fatalf("%d adjustment entries, want at least 3\n%s", n, out)
	}
	if n := queryInt(t, dsn, `SELECT count(*) FROM ledger_rows r JOIN periods p ON p.period = r.period
		WHERE r.adjusts_entry_id IS NOT NULL AND p.state = 'closed'`); n != 0 {
		t.Fatalf("%d adjustment lines booked into closed periods", n)
	}
	if n := queryInt(t, dsn, `SELECT count(DISTINCT adjustment_reason) FROM ledger_rows WHERE adjusts_entry_id IS NOT NULL`); n < 3 {
		t.Fatalf("%d adjustment reasons, want reverted, recategorised and expense rejected", n)
	}
}
