package extract_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
)

var fakeEnd = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

func fakeClient(t *testing.T, opts revoluttest.Options) (*revoluttest.Server, *revolut.Client) {
	t.Helper()
	opts.End = fakeEnd
	opts.Clock = func() time.Time { return fakeEnd }
	srv := revoluttest.NewTestServer(t, opts)
	cr := srv.Credentials()
	key, err := revolut.ParsePrivateKey(cr.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c, err := revolut.NewClient(revolut.Config{BaseURL: srv.URL(), ClientID: cr.ClientID, Issuer: cr.Issuer,
		PrivateKey: key, RefreshToken: cr.RefreshToken, RatePerMinute: 600_000})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c
}

// TestTransactionsHandsEveryRecordOver: every transaction the fake lists in the window
// reaches the sink exactly once, each chunk ends with a Last batch, a final empty batch says
// the stream is done, and the listed count is the number of records.
func TestTransactionsHandsEveryRecordOver(t *testing.T) {
	t.Parallel()
	srv, c := fakeClient(t, revoluttest.Options{Seed: 5, Transactions: 300, Span: 90 * 24 * time.Hour})
	w := extract.Window{From: fakeEnd.Add(-90 * 24 * time.Hour), To: fakeEnd}
	seen := map[string]int{}
	var lasts, done int
	sink := extract.SinkFunc[revolut.Transaction](func(_ context.Context, b extract.Batch[revolut.Transaction]) error {
		if b.Window.Empty() {
			done++
			return nil
		}
		if len(b.Records) > 50 {
			t.Errorf("batch of %d records, want at most 50", len(b.Records))
		}
		for _, tx := range b.Records {
			seen[tx.ID]++
		}
		if b.Last {
			lasts++
		}
		return nil
	})
	listed, err := extract.Transactions(t.Context(), c, w, extract.Options{Chunking: extract.Chunking{Location: time.UTC}, Size: 50}, sink)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, tx := range srv.Truth().Transactions {
		if !tx.CreatedAt.Before(w.From) && tx.CreatedAt.Before(w.To) {
			want++
			if seen[tx.ID] != 1 {
				t.Errorf("transaction %s handed over %d times", tx.ID, seen[tx.ID])
			}
		}
	}
	if want == 0 || len(seen) != want || listed != int64(want) {
		t.Errorf("%d distinct records handed over, %d listed; the fake has %d in the window", len(seen), listed, want)
	}
	// 2025-12-31T12:00 to 2026-03-31T12:00 in UTC months: Dec, Jan, Feb, Mar = 4 chunks.
	if lasts != 4 || done != 1 {
		t.Errorf("%d chunk-ending batches and %d final batches, want 4 and 1", lasts, done)
	}
}

// TestSinkFailureStopsTheStream: a failed store is the stream's error and no batch is
// handed over after it.
func TestSinkFailureStopsTheStream(t *testing.T) {
	t.Parallel()
	_, c := fakeClient(t, revoluttest.Options{Seed: 6, Transactions: 300, Span: 90 * 24 * time.Hour})
	w := extract.Window{From: fakeEnd.Add(-90 * 24 * time.Hour), To: fakeEnd}
	boom := errors.New("warehouse down")
	calls := 0
	_, err := extract.Transactions(t.Context(), c, w, extract.Options{Chunking: extract.Chunking{Location: time.UTC}, Size: 10},
		extract.SinkFunc[revolut.Transaction](func(context.Context, extract.Batch[revolut.Transaction]) error {
			calls++
			if calls == 2 {
				return boom
			}
			return nil
		}))
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the sink's failure", err)
	}
	if calls != 2 {
		t.Errorf("sink called %d times, want 2: batches went on after the failure", calls)
	}
}

// TestExpensesNotEnabled: a business without the expenses API ends the stream with
// ErrExpensesNotEnabled, which the caller treats as "no expenses".
func TestExpensesNotEnabled(t *testing.T) {
	t.Parallel()
	srv, c := fakeClient(t, revoluttest.Options{Seed: 7, Transactions: 50})
	srv.SetFaults(revoluttest.Faults{ExpensesNotEnabled: 3470})
	w := extract.Window{From: fakeEnd.Add(-30 * 24 * time.Hour), To: fakeEnd}
	_, err := extract.Expenses(t.Context(), c, w, extract.Options{Chunking: extract.Chunking{Location: time.UTC}, Size: 10},
		extract.SinkFunc[revolut.Expense](func(context.Context, extract.Batch[revolut.Expense]) error { return nil }))
	if !errors.Is(err, extract.ErrExpensesNotEnabled) {
		t.Fatalf("err = %v, want ErrExpensesNotEnabled", err)
	}
}
