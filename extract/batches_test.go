package extract_test

import (
	"context"
	"errors"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
)

var end = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func client(t *testing.T, fake *revoluttest.Server) *revolut.Client {
	t.Helper()
	creds := fake.Credentials()
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c, err := revolut.NewClient(revolut.Config{BaseURL: fake.URL(), ClientID: creds.ClientID, Issuer: creds.Issuer,
		PrivateKey: key, RefreshToken: creds.RefreshToken, RatePerMinute: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBatchesOverTheFakeAPI reads 70 days of 2,500 transactions (with the fake's trap
// records) from the fake API over HTTP in monthly chunks and batches of 400, and checks the
// batching contract: every record of the truth arrives exactly once, the undecodable one in
// Bad; every batch but a chunk's last is full; each chunk, in order, ends with exactly one
// Last batch; Listed counts the records so far.
func TestBatchesOverTheFakeAPI(t *testing.T) {
	t.Parallel()
	fake := revoluttest.NewTestServer(t, revoluttest.Options{Seed: 5, Transactions: 2500, Span: 70 * 24 * time.Hour,
		End: end, Clock: func() time.Time { return end }, Quirks: true})
	truth := fake.Truth()
	api := client(t, fake)
	list := func(ctx context.Context, w extract.Window) iter.Seq2[revolut.Transaction, error] {
		return api.Transactions(ctx, revolut.TransactionListOptions{From: w.From, To: w.To})
	}
	w := extract.Window{From: end.Add(-80 * 24 * time.Hour), To: end}
	const size = 400
	seen := map[string]int{}
	var bad, listed int64
	chunk, lasts := 0, 0
	for b, err := range extract.Batches(context.Background(), w, extract.Chunking{Location: time.UTC}, size, list) {
		if err != nil {
			t.Fatal(err)
		}
		if b.Chunks != 4 { // 20 Dec → 10 Mar: December, January, February, March
			t.Fatalf("batch says %d chunks, want 4", b.Chunks)
		}
		// The chunk goes on until its Last batch, then the next one starts.
		want := chunk
		if lasts == chunk {
			want = chunk + 1
		}
		if b.Chunk != want {
			t.Fatalf("batch of chunk %d, want chunk %d (%d chunks ended)", b.Chunk, want, lasts)
		}
		chunk = b.Chunk
		if n := len(b.Records) + len(b.Bad); n > size || (!b.Last && n != size) {
			t.Errorf("chunk %d: a batch of %d (last %v), want %d unless last", b.Chunk, n, b.Last, size)
		}
		for _, tx := range b.Records {
			seen[tx.ID]++
			if tx.CreatedAt.Before(b.Window.From) || !tx.CreatedAt.Before(b.Window.To) {
				t.Errorf("transaction %s created %s is outside its chunk %s", tx.ID, tx.CreatedAt, b.Window)
			}
		}
		listed += int64(len(b.Records))
		bad += int64(len(b.Bad))
		if b.Listed != listed {
			t.Errorf("Listed = %d, want %d", b.Listed, listed)
		}
		if b.Last {
			lasts++
		}
	}
	if lasts != 4 {
		t.Errorf("%d chunks ended, want 4", lasts)
	}
	for _, tx := range truth.Transactions {
		if seen[tx.ID] != 1 {
			t.Errorf("transaction %s arrived %d times", tx.ID, seen[tx.ID])
		}
	}
	if len(seen) != len(truth.Transactions) {
		t.Errorf("%d distinct transactions, truth has %d", len(seen), len(truth.Transactions))
	}
	if bad != 1 {
		t.Errorf("%d undecodable records, want the fake's 1 malformed trap record", bad)
	}
}

// TestBatchesStopAtAnError: an API error ends the sequence with that error, named with its
// chunk, after the batches already complete; no Last batch claims the broken chunk.
func TestBatchesStopAtAnError(t *testing.T) {
	t.Parallel()
	boom := errors.New("503 from the API")
	list := func(_ context.Context, w extract.Window) iter.Seq2[int, error] {
		return func(yield func(int, error) bool) {
			if w.From.Month() == time.February {
				for i := range 5 {
					if !yield(i, nil) {
						return
					}
				}
				yield(0, boom)
				return
			}
			yield(1, nil)
		}
	}
	w := extract.Window{From: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}
	var got []extract.Batch[int]
	var gotErr error
	for b, err := range extract.Batches(context.Background(), w, extract.Chunking{Location: time.UTC}, 2, list) {
		if err != nil {
			gotErr = err
			break
		}
		got = append(got, b)
	}
	if !errors.Is(gotErr, boom) || !strings.Contains(gotErr.Error(), "2026-02-01") {
		t.Fatalf("error = %v, want the API's error naming the February chunk", gotErr)
	}
	// January: one Last batch of 1. February: two full batches of 2, then the error.
	if len(got) != 3 || !got[0].Last || got[1].Last || got[2].Last || len(got[1].Records) != 2 || len(got[2].Records) != 2 {
		t.Fatalf("batches before the error: %+v", got)
	}
	for _, bad := range []int{0, -1} {
		for _, err := range extract.Batches(context.Background(), w, extract.Chunking{Location: time.UTC}, bad, list) {
			if err == nil {
				t.Errorf("batch size %d accepted", bad)
			}
		}
	}
}
