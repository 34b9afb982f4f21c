package pipeline_test

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
)

// TestHostileCurrencyAndDate reproduces issue 21 items 3 and 4 through the fake over HTTP, with
// a proxy that rewrites single records: one completed transaction's leg currency becomes
// "GBPX", another's completed_at becomes 9999-12-31. On the old code the first sync failed at
// the ledger write (character(3)/CHECK) and, without that, booked and tried to export period
// 9999-12. Now both are exceptions (invalid_currency in their own period, implausible_date in
// none), every other completed transaction books, no period 9999-12 exists, and a second sync
// succeeds too.
func TestHostileCurrencyAndDate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	fake := revoluttest.NewTestServer(t, revoluttest.Options{
		Seed: 21, Transactions: 300, Span: 60 * 24 * time.Hour, End: start,
		Clock: func() time.Time { return start },
	})
	rw := revoluttest.NewRewriter(fake.Handler())
	proxy := httptest.NewServer(rw)
	t.Cleanup(proxy.Close)

	// Two completed one-leg transactions of the fake's history.
	var picked []revolut.Transaction
	completed := map[string]bool{}
	for _, tx := range fake.Truth().Transactions {
		if tx.State != revolut.TransactionCompleted {
			continue
		}
		completed[tx.ID] = true
		if len(tx.Legs) == 1 && len(picked) < 2 {
			picked = append(picked, tx)
		}
	}
	if len(picked) < 2 {
		t.Fatal("the fake has fewer than two completed one-leg transactions")
	}
	badCur, badDate := picked[0].ID, picked[1].ID
	rw.Rewrite(badCur, func(m map[string]any) {
		legs := m["legs"].([]any)
		legs[0].(map[string]any)["currency"] = "GBPX"
	})
	rw.Rewrite(badDate, func(m map[string]any) { m["completed_at"] = "9999-12-31T23:59:59.000000Z" })

	dsn := testenv.Database(t)
	store, err := load.Open(ctx, dsn, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	creds := fake.Credentials()
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	client, err := revolut.NewClient(revolut.Config{
		BaseURL: proxy.URL + "/api/1.0", ClientID: creds.ClientID, Issuer: creds.Issuer, PrivateKey: key,
		RefreshToken: creds.RefreshToken, RatePerMinute: 100000, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	out, err := sink.NewDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	p, err := pipeline.New(pipeline.Config{Now: func() time.Time { return start }, Location: time.UTC, InitialHistory: 90 * 24 * time.Hour},
		client, store, out, exporters.New(store, out, exporters.Config{Company: "Test Ltd"}))
	if err != nil {
		t.Fatal(err)
	}

	for night := 1; night <= 2; night++ {
		sum, err := p.Sync(ctx)
		if err != nil {
			t.Fatalf("sync %d: %v", night, err)
		}
		for _, e := range sum.Exports {
			if e.Period == "9999-12" {
				t.Fatalf("sync %d exported period 9999-12", night)
			}
		}
	}
	if rw.Hits(badCur) == 0 || rw.Hits(badDate) == 0 {
		t.Fatalf("the proxy rewrote nothing (hits %d, %d)", rw.Hits(badCur), rw.Hits(badDate))
	}
	if _, err := os.Stat(filepath.Join(dir, "9999-12")); err == nil {
		t.Fatal("a 9999-12 folder was written")
	}

	entries := map[string]bool{}
	for l, err := range store.LedgerLines(ctx, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			t.Fatal(err)
		}
		if l.Key.SourceType == transform.SourceTransaction {
			entries[l.Key.SourceID] = true
		}
		if l.Period == "9999-12" {
			t.Fatalf("line %s is in period 9999-12", l.Key)
		}
	}
	for id := range completed {
		switch {
		case id == badCur || id == badDate:
			if entries[id] {
				t.Errorf("hostile transaction %s was booked", id)
			}
		case !entries[id]:
			t.Errorf("completed transaction %s was not booked", id)
		}
	}
	t.Logf("%d completed transactions; %d transactions with ledger lines (reverted ones included); 2 refused", len(completed), len(entries))

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for id, want := range map[string][2]string{
		badCur:  {transform.KindInvalidCurrency, picked[0].CompletedAt.UTC().Format("2006-01")},
		badDate: {transform.KindImplausibleDate, ""},
	} {
		var kind, period string
		err := conn.QueryRow(ctx, `SELECT kind, period FROM exceptions WHERE source_id = $1 AND cleared_by_run IS NULL`, id).Scan(&kind, &period)
		if err != nil || kind != want[0] || period != want[1] {
			t.Errorf("exception of %s: kind %q period %q (%v), want %q in %q", id, kind, period, err, want[0], want[1])
		}
	}
}
