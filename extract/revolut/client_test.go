package revolut_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"iter"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
)

// historyEnd is the end of the fake's history. The fake's clock is frozen there, so the data
// does not change during a test and can be compared with Truth() exactly. It lies in the past
// so that the client assertions, signed on the real clock, are not expired on the fake's.
var historyEnd = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

func frozen(t time.Time) func() time.Time { return func() time.Time { return t } }

// fastSleep waits a thousandth of what it is asked, so that Retry-After: 1 and the backoff
// cost milliseconds. It still honours ctx.
func fastSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d / 1000)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// newFake starts a fake with a frozen clock unless opts sets one.
func newFake(t *testing.T, opts revoluttest.Options) *revoluttest.Server {
	t.Helper()
	if opts.End.IsZero() {
		opts.End = historyEnd
	}
	if opts.Clock == nil {
		opts.Clock = frozen(opts.End)
	}
	return revoluttest.NewTestServer(t, opts)
}

// newClient connects a client to srv with fast retries; mod adjusts the config.
func newClient(t *testing.T, srv *revoluttest.Server, mod func(*revolut.Config)) *revolut.Client {
	t.Helper()
	cr := srv.Credentials()
	key, err := revolut.ParsePrivateKey(cr.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cfg := revolut.Config{
		BaseURL:        srv.URL(),
		ClientID:       cr.ClientID,
		Issuer:         cr.Issuer,
		PrivateKey:     key,
		RefreshToken:   cr.RefreshToken,
		RatePerMinute:  600_000, // pacing is tested on its own below
		MaxAttempts:    12,
		RetryBaseDelay: 100 * time.Millisecond,
		RetryMaxDelay:  2 * time.Second,
		Sleep:          fastSleep,
	}
	if mod != nil {
		mod(&cfg)
	}
	c, err := revolut.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// pull drains seq, returning the records and the errors it yielded.
func pull[T any](t *testing.T, seq iter.Seq2[T, error]) ([]T, []error) {
	t.Helper()
	var recs []T
	var errs []error
	for r, err := range seq {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		recs = append(recs, r)
	}
	return recs, errs
}

// sameRecords checks that got holds every record of want exactly once, byte-identical to what
// the fake serves, and nothing else.
func sameRecords[T any](t *testing.T, stream string, got, want []T, id func(T) string, raw func(T) []byte) {
	t.Helper()
	seen := map[string]int{}
	for _, r := range got {
		seen[id(r)]++
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("%s %s yielded %d times", stream, k, n)
		}
	}
	wantByID := map[string]T{}
	for _, w := range want {
		wantByID[id(w)] = w
		if seen[id(w)] == 0 {
			t.Errorf("%s %s missing", stream, id(w))
		}
	}
	for _, r := range got {
		w, ok := wantByID[id(r)]
		if !ok {
			t.Errorf("%s %s yielded but not in the truth", stream, id(r))
			continue
		}
		if !bytes.Equal(raw(r), raw(w)) {
			t.Errorf("%s %s differs:\n got %s\nwant %s", stream, id(r), raw(r), raw(w))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%s: got %d records, want %d", stream, len(got), len(want))
	}
}

func txID(x revolut.Transaction) string  { return x.ID }
func txRaw(x revolut.Transaction) []byte { return x.Raw }
func expID(x revolut.Expense) string     { return x.ID }
func expRaw(x revolut.Expense) []byte    { return x.Raw }
func ceilDiv(n, d int) int               { return (n + d - 1) / d }

func slogTo(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// onlyRecordErrors returns the first error that is not a *RecordError.
func onlyRecordErrors(errs []error) error {
	for _, err := range errs {
		var re *revolut.RecordError
		if !errors.As(err, &re) {
			return err
		}
	}
	return nil
}

// checkQuirks checks that the fake's one undecodable record came out as exactly one
// *RecordError with its id, and that no other error was yielded.
func checkQuirks(t *testing.T, errs []error, quirks []revoluttest.Quirk) {
	t.Helper()
	if err := onlyRecordErrors(errs); err != nil {
		t.Fatalf("pull failed: %v", err)
	}
	var wantBad []string
	for _, q := range quirks {
		if !q.Decodable {
			wantBad = append(wantBad, q.ID)
		}
	}
	if len(errs) != len(wantBad) {
		t.Fatalf("got %d record errors %v, want %d (ids %v)", len(errs), errs, len(wantBad), wantBad)
	}
	for i, err := range errs {
		var re *revolut.RecordError
		errors.As(err, &re)
		if re.ID != wantBad[i] || re.Stream != "transactions" || len(re.Raw) == 0 {
			t.Errorf("record error %d = {%s %s}, want the malformed quirk %s", i, re.Stream, re.ID, wantBad[i])
		}
	}
}

// TestFullPullMatchesTruth pulls every transaction and expense of the default history, which
// holds bulk payouts: clusters of 5 to 250 rows sharing one created_at, and one of more than
// a page (1001 to 1200 rows, split between the GBP and EUR accounts). Page sizes 1000 and 100
// put the clusters across page boundaries and, for 100, inside a single full page.
func TestFullPullMatchesTruth(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 7, Quirks: true})
	truth := srv.Truth()
	for _, tc := range []struct {
		name            string
		txCount, eCount int
	}{
		{"largest pages", 0, 0},
		{"small pages", 100, 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, srv, nil)
			before := srv.Stats()
			txs, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{Count: tc.txCount}))
			checkQuirks(t, errs, truth.Quirks)
			sameRecords(t, "transaction", txs, truth.Transactions, txID, txRaw)
			mid := srv.Stats()
			exps, errs := pull(t, c.Expenses(t.Context(), revolut.ExpenseListOptions{Count: tc.eCount}))
			if len(errs) > 0 {
				t.Fatalf("expenses: %v", errs)
			}
			sameRecords(t, "expense", exps, truth.Expenses, expID, expRaw)
			after := srv.Stats()
			txReq := mid.Requests - before.Requests
			expReq := after.Requests - mid.Requests
			t.Logf("%d transactions in %d requests (%d of them GET /accounts for the >1000 cluster), %d expenses in %d requests; client stats %+v",
				len(txs), txReq, mid.ByPath["GET /accounts"]-before.ByPath["GET /accounts"], len(exps), expReq, c.Stats())
			if tc.txCount == 0 {
				// Budget: one request per full page, plus per stream a small constant: the
				// re-read boundary rows (a few per page), and for the >1000 cluster one
				// GET /accounts and one request per account (5 in the fake).
				n, e := len(truth.Transactions)+1, len(truth.Expenses)
				if max := ceilDiv(n, 1000) + 8; txReq > max {
					t.Errorf("transactions took %d requests, budget ceil(%d/1000)+8 = %d", txReq, n, max)
				}
				if max := ceilDiv(e, 500) + 2; expReq > max {
					t.Errorf("expenses took %d requests, budget ceil(%d/500)+2 = %d", expReq, e, max)
				}
			}
		})
	}
}

// TestPullWindow checks the From-inclusive, To-exclusive contract on a window whose bounds
// sit exactly on transactions' created_at.
func TestPullWindow(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 3, Transactions: 1500})
	truth := srv.Truth()
	// Truth is newest first: take the bounds from two records well inside the history.
	to := truth.Transactions[100].CreatedAt.Time
	from := truth.Transactions[1200].CreatedAt.Time
	var want []revolut.Transaction
	for _, x := range truth.Transactions {
		if !x.CreatedAt.Before(from) && x.CreatedAt.Before(to) {
			want = append(want, x)
		}
	}
	c := newClient(t, srv, nil)
	got, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{From: from, To: to, Count: 200}))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	sameRecords(t, "transaction", got, want, txID, txRaw)
	// An empty window asks nothing and yields nothing.
	got, errs = pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{From: to, To: to}))
	if len(got)+len(errs) != 0 {
		t.Errorf("empty window yielded %d records, %v", len(got), errs)
	}
}

// TestPullUnderFaults repeats the full pull while the fake misbehaves; each fault must cost
// retries, never a record.
func TestPullUnderFaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		faults revoluttest.Faults
		check  func(t *testing.T, st revoluttest.Stats, cs revolut.Stats)
	}{
		// Ten 429s in a row: within MaxAttempts (12) for the one request that meets them.
		{"429 storm", revoluttest.Faults{RateLimitStorm: 10}, func(t *testing.T, st revoluttest.Stats, cs revolut.Stats) {
			if st.RateLimited != 10 || cs.RateLimited != 10 || cs.Retries < 10 {
				t.Errorf("429s: fake answered %d, client saw %d and retried %d times; want 10, 10, at least 10", st.RateLimited, cs.RateLimited, cs.Retries)
			}
		}},
		{"5xx", revoluttest.Faults{Error5xxRate: 0.3}, func(t *testing.T, st revoluttest.Stats, cs revolut.Stats) {
			if st.ServerErrors == 0 {
				t.Error("no 5xx injected")
			}
		}},
		// net/http itself resends a GET whose reused connection closed before any answer,
		// so the client's own retries may not be needed here: only the outcome counts.
		{"dropped connections", revoluttest.Faults{DropConnectionRate: 0.25}, func(t *testing.T, st revoluttest.Stats, cs revolut.Stats) {
			if st.Dropped == 0 {
				t.Error("no connection dropped")
			}
		}},
		{"truncated bodies", revoluttest.Faults{TruncateBodyRate: 0.3}, func(t *testing.T, st revoluttest.Stats, cs revolut.Stats) {
			if st.Truncated == 0 {
				t.Error("no body truncated")
			}
		}},
		{"everything", revoluttest.Faults{RateLimitStorm: 5, Error5xxRate: 0.15, DropConnectionRate: 0.1, TruncateBodyRate: 0.15, Unauthorized401Once: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFake(t, revoluttest.Options{Seed: 11, Transactions: 2500, Quirks: true})
			truth := srv.Truth()
			srv.SetFaults(tt.faults)
			c := newClient(t, srv, nil)
			txs, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{Count: 200}))
			checkQuirks(t, errs, truth.Quirks)
			sameRecords(t, "transaction", txs, truth.Transactions, txID, txRaw)
			exps, errs := pull(t, c.Expenses(t.Context(), revolut.ExpenseListOptions{Count: 100}))
			if len(errs) > 0 {
				t.Fatal(errs)
			}
			sameRecords(t, "expense", exps, truth.Expenses, expID, expRaw)
			st, cs := srv.Stats(), c.Stats()
			t.Logf("fake %+v; client %+v", st, cs)
			if cs.Retries == 0 && tt.name != "dropped connections" {
				t.Error("faults were injected but the client never retried")
			}
			if tt.check != nil {
				tt.check(t, st, cs)
			}
		})
	}
}

// TestRetriesExhausted: a fault that never ends is yielded once, typed, and ends the list.
func TestRetriesExhausted(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 2, Transactions: 300})
	srv.SetFaults(revoluttest.Faults{RateLimitStorm: 1000})
	c := newClient(t, srv, func(cfg *revolut.Config) { cfg.MaxAttempts = 3 })
	got, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{}))
	if len(got) != 0 || len(errs) != 1 {
		t.Fatalf("got %d records and %d errors, want none and one", len(got), len(errs))
	}
	var rl *revolut.RateLimitError
	var api *revolut.APIError
	if !errors.As(errs[0], &rl) || !errors.As(errs[0], &api) || api.Status != 429 {
		t.Fatalf("error %v is not a *RateLimitError with status 429", errs[0])
	}
	if n := srv.Stats().ByPath["GET /transactions"]; n != 3 {
		t.Errorf("GET /transactions sent %d times, want MaxAttempts = 3", n)
	}
}

// TestAccessTokenExpiryMidPull invalidates every access token in the middle of a pull: the
// client must refresh exactly once and lose nothing.
func TestAccessTokenExpiryMidPull(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 5, Transactions: 1200})
	truth := srv.Truth()
	c := newClient(t, srv, nil)
	var got []revolut.Transaction
	for x, err := range c.Transactions(t.Context(), revolut.TransactionListOptions{Count: 100}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, x)
		if len(got) == 450 {
			srv.ExpireAccessTokens()
		}
	}
	sameRecords(t, "transaction", got, truth.Transactions, txID, txRaw)
	st := srv.Stats()
	// One exchange at the start, one after the 401.
	if st.TokenExchanges != 2 || c.Stats().TokenRefreshes != 2 || st.Unauthorized != 1 {
		t.Errorf("token exchanges %d (client %d), 401s %d; want 2, 2, 1", st.TokenExchanges, c.Stats().TokenRefreshes, st.Unauthorized)
	}
}

// TestTokenRefreshSingleFlight: many goroutines needing a token at once cause one exchange.
func TestTokenRefreshSingleFlight(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 6, Transactions: 50})
	c := newClient(t, srv, nil)
	burst := func() {
		var wg sync.WaitGroup
		for range 8 {
			wg.Go(func() {
				if _, errs := pull(t, c.Accounts(t.Context())); len(errs) > 0 {
					t.Error(errs)
				}
			})
		}
		wg.Wait()
	}
	burst()
	if n := srv.Stats().TokenExchanges; n != 1 {
		t.Errorf("8 concurrent first calls made %d token exchanges, want 1", n)
	}
	srv.ExpireAccessTokens()
	burst()
	if n := srv.Stats().TokenExchanges; n != 2 {
		t.Errorf("8 concurrent calls after expiry made %d token exchanges in all, want 2", n)
	}
}

// TestRevokedRefreshToken: the run fails fast with a typed error that says how to
// re-authorise and carries no secret.
func TestRevokedRefreshToken(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 8, Transactions: 50})
	srv.RevokeRefreshToken()
	cr := srv.Credentials()
	var logs bytes.Buffer
	c := newClient(t, srv, func(cfg *revolut.Config) { cfg.Logger = slogTo(&logs) })
	_, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{}))
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1", len(errs))
	}
	err := errs[0]
	var ae *revolut.AuthError
	if !errors.As(err, &ae) || !errors.Is(err, revolut.ErrReauthorize) || ae.Reason != "invalid_grant" {
		t.Fatalf("error %v: want an *AuthError invalid_grant wrapping ErrReauthorize", err)
	}
	msg := err.Error()
	if !strings.Contains(msg, "revledger auth exchange --code") || !strings.Contains(msg, "re-authorise") {
		t.Errorf("message does not say how to re-authorise: %s", msg)
	}
	assertNoSecrets(t, msg+logs.String(), cr)
	// Failing fast: a second call does not ask the token endpoint again.
	before := srv.Stats().TokenRequests
	if _, errs := pull(t, c.Accounts(t.Context())); len(errs) != 1 || !errors.Is(errs[0], revolut.ErrReauthorize) {
		t.Errorf("second call: %v, want ErrReauthorize again", errs)
	}
	if after := srv.Stats().TokenRequests; after != before {
		t.Errorf("second call sent %d more token requests, want 0", after-before)
	}
}

func assertNoSecrets(t *testing.T, text string, cr revoluttest.Credentials) {
	t.Helper()
	pemBody := string(cr.PrivateKeyPEM)
	pemBody = pemBody[strings.Index(pemBody, "\n")+1:][:40]
	for name, secret := range map[string]string{"refresh token": cr.RefreshToken, "auth code": cr.AuthCode, "private key": pemBody} {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("the %s appears in the output: %s", name, text)
		}
	}
	if strings.Contains(text, "eyJ") {
		t.Errorf("a JWT appears in the output: %s", text)
	}
}

// TestExchangeAuthorizationCode: a client without a refresh token asks for consent, then
// works after the code exchange; a used code is refused as a grant.
func TestExchangeAuthorizationCode(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 9, Transactions: 50})
	cr := srv.Credentials()
	var stored string
	c := newClient(t, srv, func(cfg *revolut.Config) {
		cfg.RefreshToken = ""
		cfg.OnRefreshToken = func(rt string) { stored = rt }
	})
	if _, errs := pull(t, c.Accounts(t.Context())); len(errs) != 1 || !errors.Is(errs[0], revolut.ErrReauthorize) {
		t.Fatalf("without a refresh token: %v, want ErrReauthorize", errs)
	}
	tok, err := c.ExchangeAuthorizationCode(t.Context(), cr.AuthCode)
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken == "" || stored != tok.RefreshToken || !tok.ExpiresAt.After(time.Now()) {
		t.Errorf("token %v, stored %t: want a refresh token handed to OnRefreshToken and a future expiry", tok, stored == tok.RefreshToken)
	}
	accounts, errs := pull(t, c.Accounts(t.Context()))
	if len(errs) > 0 || len(accounts) != len(srv.Truth().Accounts) {
		t.Fatalf("after the exchange: %d accounts, %v", len(accounts), errs)
	}
	_, err = c.ExchangeAuthorizationCode(t.Context(), cr.AuthCode)
	var ae *revolut.AuthError
	if !errors.As(err, &ae) || ae.Reason != "invalid_grant" {
		t.Fatalf("reusing the code: %v, want *AuthError invalid_grant", err)
	}
	assertNoSecrets(t, err.Error(), cr)
	// The refused code did not poison the refresh token the client already holds.
	if _, errs := pull(t, c.Accounts(t.Context())); len(errs) > 0 {
		t.Errorf("after a refused code: %v", errs)
	}
}

// TestWrongClientID: a bad sub is a configuration error, not a reason to re-consent.
func TestWrongClientID(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 9, Transactions: 50})
	c := newClient(t, srv, func(cfg *revolut.Config) { cfg.ClientID = "not-the-client" })
	_, errs := pull(t, c.Accounts(t.Context()))
	var ae *revolut.AuthError
	if len(errs) != 1 || !errors.As(errs[0], &ae) || ae.Reauthorize || !strings.Contains(errs[0].Error(), "client ID") {
		t.Fatalf("errors %v: want one *AuthError pointing at the client ID", errs)
	}
}

// TestRateLimiterPeak runs the client and the fake on one clock that goes 60 times faster than
// real time, the client limited to 60 requests a minute and the fake enforcing the same. The
// fake's rolling count must never exceed 60 and it must never answer 429.
func TestRateLimiterPeak(t *testing.T) {
	t.Parallel()
	const speed = 60
	start, realStart := historyEnd, time.Now()
	clock := func() time.Time { return start.Add(time.Since(realStart) * speed) }
	srv := newFake(t, revoluttest.Options{Seed: 4, Transactions: 1400, BulkPayouts: []int{}, RatePerMinute: 60, Clock: clock})
	c := newClient(t, srv, func(cfg *revolut.Config) {
		cfg.RatePerMinute = 60
		cfg.Now = clock
		cfg.Sleep = func(ctx context.Context, d time.Duration) error {
			t := time.NewTimer(d / speed)
			defer t.Stop()
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-t.C:
				return nil
			}
		}
	})
	// 1400 transactions in pages of 10: about 140 requests, over two fake minutes.
	got, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{To: start, Count: 10}))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	st := srv.Stats()
	t.Logf("%d transactions, %d requests, peak %d per rolling minute, %d 429s", len(got), st.Requests, st.PeakPerMinute, st.RateLimited)
	if st.Requests < 120 {
		t.Fatalf("only %d requests: the test did not span two minutes", st.Requests)
	}
	if st.PeakPerMinute > 60 || st.RateLimited > 0 {
		t.Errorf("peak %d requests per minute and %d 429s; want at most 60 and none", st.PeakPerMinute, st.RateLimited)
	}
}

// TestCancel: cancelling the context ends a pull with one error wrapping context.Canceled.
func TestCancel(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 12, Transactions: 800})
	c := newClient(t, srv, nil)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	n := 0
	var errs []error
	for _, err := range c.Transactions(ctx, revolut.TransactionListOptions{Count: 100}) {
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if n++; n == 150 {
			cancel()
		}
	}
	if len(errs) != 1 || !errors.Is(errs[0], context.Canceled) {
		t.Fatalf("errors %v, want one wrapping context.Canceled", errs)
	}
	if n > 200 {
		t.Errorf("%d records after cancelling at 150: the pager kept fetching", n)
	}
}

func TestGetByID(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 13, Transactions: 300})
	truth := srv.Truth()
	c := newClient(t, srv, nil)
	want := truth.Transactions[17]
	got, err := c.Transaction(t.Context(), want.ID)
	if err != nil || !bytes.Equal(got.Raw, want.Raw) {
		t.Fatalf("Transaction(%s) = %s, %v; want %s", want.ID, got.Raw, err, want.Raw)
	}
	wantE := truth.Expenses[3]
	gotE, err := c.Expense(t.Context(), wantE.ID)
	if err != nil || !bytes.Equal(gotE.Raw, wantE.Raw) {
		t.Fatalf("Expense(%s) = %s, %v; want %s", wantE.ID, gotE.Raw, err, wantE.Raw)
	}
	_, err = c.Transaction(t.Context(), "00000000-0000-4000-8000-000000000000")
	var api *revolut.APIError
	if !errors.As(err, &api) || api.Status != 404 || api.Code != 3006 {
		t.Fatalf("unknown id: %v, want *APIError 404 code 3006", err)
	}
}

func TestReceiptContent(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 14, Transactions: 400})
	truth := srv.Truth()
	c := newClient(t, srv, nil)
	byType := map[string]int{}
	for id, want := range truth.Receipts {
		if byType[want.ContentType] >= 2 {
			continue // two of each type is enough
		}
		byType[want.ContentType]++
		rc, err := c.ReceiptContent(t.Context(), want.ExpenseID, id)
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc.Body)
		rc.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		wantExt := map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}[want.ContentType]
		if !bytes.Equal(data, want.Data) || rc.ContentType != want.ContentType || rc.Extension != wantExt {
			t.Errorf("receipt %s: %d bytes %s %s, want %d bytes %s %s", id, len(data), rc.ContentType, rc.Extension, len(want.Data), want.ContentType, wantExt)
		}
	}
	if len(byType) == 0 {
		t.Fatal("the fake served no receipts")
	}
}

// TestSettingsAndDirectories pulls the page_token and created_before lists with small pages,
// so that each takes several pages, and compares the ids with the truth.
func TestSettingsAndDirectories(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 15, Transactions: 200})
	truth := srv.Truth()
	c := newClient(t, srv, nil)
	ctx := t.Context()
	small := revolut.ListOptions{Limit: 2}

	check := func(stream string, got, want []string, errs []error) {
		t.Helper()
		if len(errs) > 0 {
			t.Errorf("%s: %v", stream, errs)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: got ids %v, want %v in the API's order", stream, got, want)
		}
	}
	ids := func(n int, id func(int) string) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = id(i)
		}
		return out
	}

	cats, errs := pull(t, c.AccountingCategories(ctx, small))
	check("categories", ids(len(cats), func(i int) string { return cats[i].ID }), ids(len(truth.Categories), func(i int) string { return truth.Categories[i].ID }), errs)
	rates, errs := pull(t, c.TaxRates(ctx, small))
	check("tax rates", ids(len(rates), func(i int) string { return rates[i].ID }), ids(len(truth.TaxRates), func(i int) string { return truth.TaxRates[i].ID }), errs)
	groups, errs := pull(t, c.LabelGroups(ctx, small))
	check("label groups", ids(len(groups), func(i int) string { return groups[i].ID }), ids(len(truth.LabelGroups), func(i int) string { return truth.LabelGroups[i].ID }), errs)
	var labels []revolut.Label
	for _, g := range groups {
		ls, errs := pull(t, c.Labels(ctx, g.ID, small))
		if len(errs) > 0 {
			t.Error(errs)
		}
		for _, l := range ls {
			if l.GroupID != g.ID {
				t.Errorf("label %s has GroupID %q, want %q", l.ID, l.GroupID, g.ID)
			}
		}
		labels = append(labels, ls...)
	}
	check("labels", ids(len(labels), func(i int) string { return labels[i].ID }), ids(len(truth.Labels), func(i int) string { return truth.Labels[i].ID }), nil)

	// The created_before lists: pages of a few records must give exactly the list that one
	// page of the API's largest size gives (and the truth, when the fake reports one).
	cards, errs := pull(t, c.Cards(ctx, revolut.CardListOptions{Limit: 3}))
	allCards, errs2 := pull(t, c.Cards(ctx, revolut.CardListOptions{}))
	check("cards", ids(len(cards), func(i int) string { return cards[i].ID }), ids(len(allCards), func(i int) string { return allCards[i].ID }), append(errs, errs2...))
	if len(truth.Cards) > 0 {
		check("cards vs truth", ids(len(cards), func(i int) string { return cards[i].ID }), ids(len(truth.Cards), func(i int) string { return truth.Cards[i].ID }), nil)
	}
	members, errs := pull(t, c.TeamMembers(ctx, revolut.TeamMemberListOptions{Limit: 3}))
	allMembers, errs2 := pull(t, c.TeamMembers(ctx, revolut.TeamMemberListOptions{}))
	check("team members", ids(len(members), func(i int) string { return members[i].ID }), ids(len(allMembers), func(i int) string { return allMembers[i].ID }), append(errs, errs2...))
	cps, errs := pull(t, c.Counterparties(ctx, revolut.CounterpartyListOptions{Limit: 7}))
	allCps, errs2 := pull(t, c.Counterparties(ctx, revolut.CounterpartyListOptions{}))
	check("counterparties", ids(len(cps), func(i int) string { return cps[i].ID }), ids(len(allCps), func(i int) string { return allCps[i].ID }), append(errs, errs2...))
	for i, card := range cards {
		if !bytes.Equal(card.Raw, allCards[i].Raw) || card.LastDigits == "" || card.Expiry == "" || len(card.Accounts) == 0 {
			t.Errorf("card %s: raw or required fields differ: %+v", card.ID, card)
		}
	}
	if st := srv.Stats(); st.ByPath["GET /cards"] < 1+ceilDiv(len(cards), 3) {
		t.Errorf("cards took %d requests, want at least %d pages of 3 plus one", st.ByPath["GET /cards"], ceilDiv(len(cards), 3))
	}
	if len(cats) < 3 || len(cards) < 4 || len(members) < 4 || len(cps) < 8 {
		t.Errorf("the fake's lists are too short to page: %d categories, %d cards, %d members, %d counterparties", len(cats), len(cards), len(members), len(cps))
	}
}

// TestRetryAfterTooLong: a Retry-After longer than MaxRetryAfter is not waited out.
func TestRetryAfterTooLong(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 2, Transactions: 100})
	srv.SetFaults(revoluttest.Faults{RateLimitStorm: 1000}) // every other 429 says Retry-After: 1
	c := newClient(t, srv, func(cfg *revolut.Config) { cfg.MaxRetryAfter = 500 * time.Millisecond })
	_, errs := pull(t, c.Accounts(t.Context()))
	var rl *revolut.RateLimitError
	if len(errs) != 1 || !errors.As(errs[0], &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("errors %v: want one *RateLimitError with RetryAfter 1s", errs)
	}
	// The storm alternates: at most one answer without Retry-After is retried first.
	if n := srv.Stats().ByPath["GET /accounts"]; n > 2 {
		t.Errorf("GET /accounts sent %d times, want at most 2", n)
	}
}
