package pipeline_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/pipeline"
)

// TestHostileExpensesNotEnabled9002: GET /expenses answering 403 code 9002 (the spec's
// example for a business without the expenses API) no longer fails the sync: transactions
// book, the run succeeds and says that expenses are not available. Before, only 3470 was
// understood and every sync failed.
func TestHostileExpensesNotEnabled9002(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 120, Transactions: 200, Span: 20 * day})
	h.fake.SetFaults(revoluttest.Faults{ExpensesNotEnabled: 9002})
	logs := &lockedBuffer{}
	sum, err := h.pipeline(func(c *pipeline.Config) { c.Logger = slog.New(slog.NewTextHandler(logs, nil)) }).Sync(ctx)
	if err != nil {
		t.Fatalf("sync with expenses not enabled (9002): %v", err)
	}
	truth := h.fake.Truth()
	if sum.Records["transactions"] != int64(len(truth.Transactions)) || sum.Records["expenses"] != 0 {
		t.Errorf("records %v, want %d transactions and no expenses", sum.Records, len(truth.Transactions))
	}
	booked, _, _ := checkAgainstTruth(t, truth, h.ledger())
	if booked == 0 {
		t.Error("no transaction was booked")
	}
	if !strings.Contains(logs.String(), "expenses are not enabled for this business") {
		t.Errorf("the run does not report that expenses are unavailable:\n%s", logs.String())
	}
	if st := queryString(t, h.conn(), "SELECT status FROM runs WHERE id = $1", sum.RunID); st != "succeeded" {
		t.Errorf("run status %q", st)
	}
	if n := h.fake.Stats().ByPath["GET /expenses"]; n == 0 {
		t.Error("the sync never asked for expenses: the fault was not exercised")
	}
}

// TestHostileClampedSync: a sync against a server that serves at most 100 records per page
// books every transaction and stores every expense.
func TestHostileClampedSync(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 121, Transactions: 600, Span: 20 * day, BulkPayouts: []int{30}})
	h.fake.SetFaults(revoluttest.Faults{ClampCount: 100})
	if _, err := h.pipeline(nil).Sync(ctx); err != nil {
		t.Fatalf("sync under a clamp: %v", err)
	}
	truth := h.fake.Truth()
	h.checkConverged(truth)
	if got := expensesInWarehouse(t, h.conn()); len(got) != len(truth.Expenses) {
		t.Errorf("%d expenses in the warehouse, want all %d", len(got), len(truth.Expenses))
	}
}

// TestHostileNULInErrorRecorded: an API error whose message carries a NUL (\u0000) fails
// the run, and the run history records it as failed with the NUL replaced. Before, the
// UPDATE was refused (SQLSTATE 22021) and the run stayed "running".
func TestHostileNULInErrorRecorded(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 122, Transactions: 50, Span: 10 * day})
	h.fake.SetFaults(revoluttest.Faults{Respond: func(route string, _ *http.Request) *revoluttest.Response {
		if route == "GET /transactions" {
			return &revoluttest.Response{Status: 400, Body: []byte(`{"code":3000,"message":"bad value \"a\u0000b\""}`)}
		}
		return nil
	}})
	sum, err := h.pipeline(nil).Sync(ctx)
	if err == nil || !strings.Contains(err.Error(), "\x00") {
		t.Fatalf("sync error %v: want the API's error, NUL included", err)
	}
	var status, stored string
	if err := h.conn().QueryRow(ctx, "SELECT status, coalesce(error, '') FROM runs WHERE id = $1", sum.RunID).Scan(&status, &stored); err != nil {
		t.Fatal(err)
	}
	if status != "failed" || strings.ContainsRune(stored, 0) || !strings.Contains(stored, "bad value \"a\uFFFDb\"") {
		t.Errorf("run recorded as %q with error %q; want failed, the NUL replaced by U+FFFD", status, stored)
	}
}

// TestHostileEchoedSecretsInRunHistory: an API endpoint that echoes the request (the
// Bearer access token, the URL) into its error answers fails the run; neither the error
// the caller gets, nor the log, nor runs.error carries the access token, the refresh token
// or a client assertion.
func TestHostileEchoedSecretsInRunHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 123, Transactions: 50, Span: 10 * day})
	var mu sync.Mutex
	var secrets []string
	fakeAPI := h.fake.Handler()
	echoing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/auth/token") {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			mu.Lock()
			for _, kv := range strings.Split(string(body), "&") {
				if k, v, _ := strings.Cut(kv, "="); k == "client_assertion" || k == "refresh_token" {
					secrets = append(secrets, v)
				}
			}
			mu.Unlock()
			fakeAPI.ServeHTTP(w, r)
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/transactions") {
			fakeAPI.ServeHTTP(w, r)
			return
		}
		mu.Lock()
		secrets = append(secrets, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		mu.Unlock()
		hdr, _ := json.Marshal(r.Header)
		status := http.StatusBadGateway // retried first: the retry warnings are logged too
		if r.URL.Query().Get("count") == "" {
			status = http.StatusBadRequest
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"code": 3000, "message": fmt.Sprintf("cannot serve %s %s for %s", r.Method, r.URL, hdr)})
	}))
	t.Cleanup(echoing.Close)
	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	creds := h.fake.Credentials()
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	h.client, err = revolut.NewClient(revolut.Config{
		BaseURL: echoing.URL + "/api/1.0", ClientID: creds.ClientID, Issuer: creds.Issuer, PrivateKey: key,
		RefreshToken: creds.RefreshToken, RatePerMinute: 100000, MaxAttempts: 3, RetryBaseDelay: time.Millisecond,
		RetryMaxDelay: 10 * time.Millisecond, Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, runErr := h.pipeline(func(c *pipeline.Config) { c.Logger = logger }).Sync(ctx)
	if runErr == nil {
		t.Fatal("a sync against an endpoint answering only errors succeeded")
	}
	stored := queryString(t, h.conn(), "SELECT coalesce(error, '') FROM runs WHERE id = $1", sum.RunID)
	mu.Lock()
	defer mu.Unlock()
	if len(secrets) < 3 {
		t.Fatalf("captured %d secrets; the echo was not exercised", len(secrets))
	}
	secrets = append(secrets, creds.RefreshToken)
	if !strings.Contains(stored, "Bearer [redacted]") || !strings.Contains(logs.String(), "retrying") {
		t.Fatalf("the echo did not reach the paths under test: runs.error %q", stored)
	}
	for name, text := range map[string]string{"run error": runErr.Error(), "log": logs.String(), "runs.error": stored} {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("%s carries a secret (%d characters, starting %.6q)", name, len(s), s)
			}
		}
		if strings.Contains(text, "eyJ") {
			t.Errorf("%s carries a JWT", name)
		}
	}
}
