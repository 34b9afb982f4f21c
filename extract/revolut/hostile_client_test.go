package revolut_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
)

// TestAssertionAudienceIsAString: the client assertion's aud is the plain JSON string
// "https://revolut.com", not golang-jwt's default one-element array.
func TestAssertionAudienceIsAString(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 3, Transactions: 20})
	key, err := revolut.ParsePrivateKey(srv.Credentials().PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	a, err := revolut.ClientAssertion(key, "client-id", "example.com", historyEnd)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.Split(a, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(payload, []byte(`"aud":"https://revolut.com"`)) {
		t.Errorf("assertion payload %s does not carry \"aud\":\"https://revolut.com\"", payload)
	}
	// And the client still authenticates against the fake, which refuses anything else.
	if _, err := newClient(t, srv, nil).Authenticate(t.Context()); err != nil {
		t.Fatalf("authenticate: %v", err)
	}
}

// TestFakeRefusesArrayAudience: the fake's token endpoint, like a strict server, refuses an
// assertion whose aud is ["https://revolut.com"].
func TestFakeRefusesArrayAudience(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 3, Transactions: 20})
	cr := srv.Credentials()
	key, err := revolut.ParsePrivateKey(cr.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sign := func(claims jwt.Claims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	exp := jwt.NewNumericDate(historyEnd.Add(time.Minute))
	for _, tc := range []struct {
		name   string
		claims jwt.Claims
		ok     bool
	}{
		{"array", jwt.RegisteredClaims{Issuer: cr.Issuer, Subject: cr.ClientID, Audience: jwt.ClaimStrings{revoluttest.Audience}, ExpiresAt: exp}, false},
		{"string", jwt.MapClaims{"iss": cr.Issuer, "sub": cr.ClientID, "aud": revoluttest.Audience, "exp": exp.Unix()}, true},
	} {
		form := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cr.RefreshToken},
			"client_assertion_type": {"urn:ietf:params:oauth:client-assertion-type:jwt-bearer"}, "client_assertion": {sign(tc.claims)}}
		resp, err := http.PostForm(srv.URL()+"/auth/token", form)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.StatusCode == http.StatusOK; got != tc.ok {
			t.Errorf("%s aud: HTTP %d %s", tc.name, resp.StatusCode, body)
		}
		if !tc.ok && !strings.Contains(string(body), "aud must be the string") {
			t.Errorf("%s aud refused without saying why: %s", tc.name, body)
		}
	}
}

// TestIsNotEnabled: both answers the spec documents for GET /expenses of a business without
// the expenses API are recognised by the client; other refusals are not.
func TestIsNotEnabled(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 4, Transactions: 50})
	c := newClient(t, srv, nil)
	for _, code := range []int{9002, 3470} {
		srv.SetFaults(revoluttest.Faults{ExpensesNotEnabled: code})
		_, errs := pull(t, c.Expenses(t.Context(), revolut.ExpenseListOptions{}))
		if len(errs) != 1 || !revolut.IsNotEnabled(errs[0]) {
			t.Errorf("code %d: errors %v, want one that IsNotEnabled", code, errs)
		}
	}
	srv.SetFaults(revoluttest.Faults{})
	for _, err := range []error{
		&revolut.APIError{Status: 403, Code: 3000},
		&revolut.APIError{Status: 401, Code: 9002},
		fmt.Errorf("wrapped: %w", &revolut.APIError{Status: 404, Code: 3006}),
		errors.New("plain"),
	} {
		if revolut.IsNotEnabled(err) {
			t.Errorf("IsNotEnabled(%v) = true", err)
		}
	}
	if !revolut.IsNotEnabled(fmt.Errorf("extract: %w", &revolut.APIError{Status: 403, Code: 9002})) {
		t.Error("a wrapped 403/9002 is not recognised")
	}
}

// TestClampedPagesLoseNothing: a server that serves at most 100 records per page whatever
// count asks for (1,000 for transactions, 500 for expenses) still yields every record
// exactly once. Before, the first short page ended the list: 100 of 1,500 transactions.
func TestClampedPagesLoseNothing(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 8, Transactions: 1500, BulkPayouts: []int{40, 90}})
	truth := srv.Truth()
	srv.SetFaults(revoluttest.Faults{ClampCount: 100})
	c := newClient(t, srv, nil)
	before := srv.Stats()
	txs, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{}))
	if len(errs) > 0 {
		t.Fatalf("transactions: %v", errs)
	}
	sameRecords(t, "transaction", txs, truth.Transactions, txID, txRaw)
	mid := srv.Stats()
	exps, errs := pull(t, c.Expenses(t.Context(), revolut.ExpenseListOptions{}))
	if len(errs) > 0 {
		t.Fatalf("expenses: %v", errs)
	}
	sameRecords(t, "expense", exps, truth.Expenses, expID, expRaw)
	after := srv.Stats()
	txReq, expReq := mid.Requests-before.Requests, after.Requests-mid.Requests
	// Each clamped page re-reads its boundary millisecond, so a page brings slightly fewer
	// than 100 new records; twice the page count plus a few is a generous ceiling that a
	// pager looping on the same page would still break.
	if max := 2*ceilDiv(len(truth.Transactions), 100) + 4; txReq > max {
		t.Errorf("transactions took %d requests under a clamp of 100, budget %d", txReq, max)
	}
	if max := 2*ceilDiv(len(truth.Expenses), 100) + 4; expReq > max {
		t.Errorf("expenses took %d requests under a clamp of 100, budget %d", expReq, max)
	}
	t.Logf("clamp 100: %d transactions in %d requests, %d expenses in %d requests", len(txs), txReq, len(exps), expReq)
}

// TestShortPageConfirmation: without knowing the server, a short page costs one confirming
// request; once the client has seen the server fill a page of the size it asks for, a short
// page ends the list at once.
func TestShortPageConfirmation(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 9, Transactions: 300, BulkPayouts: []int{}})
	truth := srv.Truth()
	c := newClient(t, srv, nil)
	window := revolut.TransactionListOptions{From: historyEnd.Add(-10 * 24 * time.Hour), To: historyEnd, Count: 100}
	count := func(opts revolut.TransactionListOptions) (int, int) {
		before := srv.Stats().ByPath["GET /transactions"]
		txs, errs := pull(t, c.Transactions(t.Context(), opts))
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		return len(txs), srv.Stats().ByPath["GET /transactions"] - before
	}
	n, req := count(window)
	if n == 0 || n >= 100 {
		t.Fatalf("the 10-day window holds %d transactions; the test needs a short first page", n)
	}
	if req != 2 {
		t.Errorf("a short page from an unknown server took %d requests, want 2 (the page and one confirmation)", req)
	}
	all, _ := count(revolut.TransactionListOptions{Count: 100}) // fills pages of 100
	if all != len(truth.Transactions) {
		t.Fatalf("full pull: %d of %d", all, len(truth.Transactions))
	}
	if _, req := count(window); req != 1 {
		t.Errorf("a short page from a server known to fill pages of 100 took %d requests, want 1", req)
	}
}

// TestOversizedListFailsClearly: a list response longer than the cap fails the list with an
// error naming the endpoint and the limit, without retrying and without reading it whole.
func TestOversizedListFailsClearly(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 5, Transactions: 20})
	// 40 MiB: one transaction whose description is a 40 MiB string, as a hostile proxy
	// would send (the reproduction used 20 MB merchant names).
	huge := []byte(`[{"id":"t1","type":"card_payment","state":"completed","created_at":"2026-03-01T00:00:00.000Z","description":"` +
		strings.Repeat("A", 40<<20) + `"}]`)
	srv.SetFaults(revoluttest.Faults{Respond: func(route string, _ *http.Request) *revoluttest.Response {
		if route == "GET /transactions" {
			return &revoluttest.Response{Body: huge}
		}
		return nil
	}})
	for _, tc := range []struct {
		limit int64
		want  string
	}{{0, "33554432 (32 MiB)"}, {1 << 20, "1048576 (1 MiB)"}} {
		c := newClient(t, srv, func(cfg *revolut.Config) { cfg.MaxResponseBytes = tc.limit })
		before := srv.Stats().ByPath["GET /transactions"]
		_, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{}))
		var tooLarge *revolut.ResponseTooLargeError
		if len(errs) != 1 || !errors.As(errs[0], &tooLarge) {
			t.Fatalf("limit %d: errors %v, want one *ResponseTooLargeError", tc.limit, errs)
		}
		msg := errs[0].Error()
		for _, want := range []string{"GET /transactions", tc.want} {
			if !strings.Contains(msg, want) {
				t.Errorf("error %q does not name %q", msg, want)
			}
		}
		if n := srv.Stats().ByPath["GET /transactions"] - before; n != 1 {
			t.Errorf("the oversized answer was asked for %d times; it must not be retried", n)
		}
	}
}

// proxy serves the fake's API but lets override answer first. It stands for an endpoint
// between the client and Revolut that misbehaves (echoes, streams without a length).
func proxy(t *testing.T, srv *revoluttest.Server, override func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	h := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !override(w, r) {
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/api/1.0"
}

// TestReceiptTooLarge: a receipt announced longer than the cap is refused; one streamed
// without a length fails while it is read, at the cap.
func TestReceiptTooLarge(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 6, Transactions: 200})
	truth := srv.Truth()
	var e revolut.Expense
	for _, x := range truth.Expenses {
		if len(x.ReceiptIDs) > 0 {
			e = x
			break
		}
	}
	if e.ID == "" {
		t.Fatal("no expense with a receipt")
	}
	const limit = 1 << 20
	body := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 2*limit)...)
	announced := proxy(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/content") {
			return false
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = w.Write(body)
		return true
	})
	streamed := proxy(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/content") {
			return false
		}
		for i := 0; i < len(body); i += 64 << 10 {
			_, _ = w.Write(body[i:min(i+64<<10, len(body))])
			w.(http.Flusher).Flush() // no Content-Length: chunked
		}
		return true
	})
	mod := func(u string) func(*revolut.Config) {
		return func(c *revolut.Config) { c.BaseURL = u; c.MaxReceiptBytes = limit }
	}
	var tooLarge *revolut.ResponseTooLargeError
	_, err := newClient(t, srv, mod(announced)).ReceiptContent(t.Context(), e.ID, e.ReceiptIDs[0])
	if !errors.As(err, &tooLarge) || !strings.Contains(err.Error(), "/content") || !strings.Contains(err.Error(), "1048576") {
		t.Errorf("announced oversize: %v", err)
	}
	rc, err := newClient(t, srv, mod(streamed)).ReceiptContent(t.Context(), e.ID, e.ReceiptIDs[0])
	if err != nil {
		t.Fatalf("streamed receipt: %v", err)
	}
	n, err := io.Copy(io.Discard, rc.Body)
	rc.Body.Close()
	if !errors.As(err, &tooLarge) || n != limit {
		t.Errorf("streamed oversize: read %d bytes, error %v; want %d bytes then *ResponseTooLargeError", n, err, limit)
	}
}

// TestOutsideWindowRecordsCounted: records a server returns outside the window asked for
// (a created_at in 9999 or 1970) are not yielded, and each is logged and counted; the
// records inside are all yielded, the 1970 one does not end the list early.
func TestOutsideWindowRecordsCounted(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 5, Transactions: 20})
	from, to := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	type rec struct {
		id string
		at time.Time
	}
	var inside []rec
	for i := range 6 {
		inside = append(inside, rec{fmt.Sprintf("in-%d", i), from.Add(time.Duration(i+1) * time.Hour)})
	}
	render := func(r rec) string {
		return fmt.Sprintf(`{"id":%q,"type":"fee","state":"completed","created_at":%q,"legs":[]}`, r.id, r.at.Format(revolut.APIFormat))
	}
	srv.SetFaults(revoluttest.Faults{Respond: func(route string, r *http.Request) *revoluttest.Response {
		if route != "GET /transactions" {
			return nil
		}
		before, _ := revolut.ParseTime(r.URL.Query().Get("to"))
		var page []string
		page = append(page, render(rec{"future", time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)}))
		sort.Slice(inside, func(i, j int) bool { return inside[i].at.After(inside[j].at) })
		for i, x := range inside {
			if x.at.Before(before.Time) && len(page) < 4 {
				page = append(page, render(x))
			}
			if i == 1 {
				page = append(page, render(rec{"past", time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)}))
			}
		}
		return &revoluttest.Response{Body: []byte("[" + strings.Join(page, ",") + "]")}
	}})
	var logs syncBuffer
	c := newClient(t, srv, func(cfg *revolut.Config) { cfg.Logger = slogTo(&logs) })
	txs, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{From: from, To: to, Count: 4}))
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	if len(txs) != len(inside) {
		t.Errorf("yielded %d transactions, want the %d inside the window", len(txs), len(inside))
	}
	if got := c.Stats().OutsideWindow; got != 2 {
		t.Errorf("Stats().OutsideWindow = %d, want 2 (one in 9999, one in 1970, each counted once)", got)
	}
	for _, want := range []string{"outside the window", "stream=transactions", "id=future", "timestamp=9999-12-31T00:00:00.000Z", "id=past", "window=\"[2026-03-01T00:00:00.000Z, 2026-03-02T00:00:00.000Z)\""} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// echo renders everything a request carries, as a careless endpoint puts it in an error.
func echo(r *http.Request) string {
	body, _ := io.ReadAll(r.Body)
	hdr, _ := json.Marshal(r.Header)
	return fmt.Sprintf("%s %s headers=%s body=%s", r.Method, r.URL.String(), hdr, body)
}

// TestEchoedSecretsRedacted: endpoints that echo the request into their error answers (the
// token endpoint with the refresh token, the authorisation code and the signed client
// assertion; an API endpoint with the Bearer access token) leak none of them into the
// error the caller gets or the client's log. Before, the assertion survived inside
// "client_assertion=eyJ..." and the Bearer token was never redacted.
func TestEchoedSecretsRedacted(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 11, Transactions: 20})
	cr := srv.Credentials()
	var mu sync.Mutex
	var secrets []string
	capture := func(r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		_ = r.ParseForm()
		for _, k := range []string{"client_assertion", "refresh_token", "code"} {
			if v := r.PostForm.Get(k); v != "" {
				secrets = append(secrets, v)
			}
		}
		if tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			secrets = append(secrets, tok)
		}
	}
	replay := func(r *http.Request) string {
		var b bytes.Buffer
		_, _ = io.Copy(&b, r.Body)
		r.Body = io.NopCloser(bytes.NewReader(b.Bytes()))
		e := echo(r)
		r.Body = io.NopCloser(bytes.NewReader(b.Bytes()))
		capture(r)
		return e
	}
	tokenBodies := map[string]func(string) (int, string){
		"oauth": func(e string) (int, string) {
			b, _ := json.Marshal(map[string]string{"error": "invalid_client", "error_description": e})
			return 400, string(b)
		},
		"revolut": func(e string) (int, string) {
			b, _ := json.Marshal(map[string]any{"code": 9001, "message": e})
			return 401, string(b)
		},
		"text": func(e string) (int, string) { return 400, "Bad request: " + e },
		"5xx":  func(e string) (int, string) { return 502, "<html>upstream said: " + e + "</html>" },
	}
	for name, render := range tokenBodies {
		t.Run("token endpoint "+name, func(t *testing.T) {
			u := proxy(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
				if !strings.HasSuffix(r.URL.Path, "/auth/token") {
					return false
				}
				status, body := render(replay(r))
				w.WriteHeader(status)
				_, _ = io.WriteString(w, body)
				return true
			})
			var logs syncBuffer
			c := newClient(t, srv, func(cfg *revolut.Config) { cfg.BaseURL = u; cfg.Logger = slogTo(&logs); cfg.MaxAttempts = 2 })
			_, err := c.Authenticate(t.Context())
			if err == nil {
				t.Fatal("authenticate through an echoing token endpoint succeeded")
			}
			_, err2 := c.ExchangeAuthorizationCode(t.Context(), cr.AuthCode)
			if err2 == nil {
				t.Fatal("code exchange through an echoing token endpoint succeeded")
			}
			mu.Lock()
			s := append([]string(nil), secrets...)
			mu.Unlock()
			checkNoSecrets(t, err.Error()+"\n"+err2.Error()+"\n"+logs.String(), s, cr)
		})
	}
	t.Run("API endpoint", func(t *testing.T) {
		u := proxy(t, srv, func(w http.ResponseWriter, r *http.Request) bool {
			if !strings.HasSuffix(r.URL.Path, "/transactions") {
				return false
			}
			e := replay(r)
			status := 500 // retried: the retry warnings are logged with the message
			if r.URL.Query().Get("count") == "7" {
				status = 400
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]any{"code": 3000, "message": e})
			return true
		})
		var logs syncBuffer
		c := newClient(t, srv, func(cfg *revolut.Config) { cfg.BaseURL = u; cfg.Logger = slogTo(&logs); cfg.MaxAttempts = 3 })
		var texts []string
		for _, count := range []int{7, 8} {
			_, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{Count: count}))
			if len(errs) != 1 {
				t.Fatalf("count %d: errors %v", count, errs)
			}
			texts = append(texts, errs[0].Error())
		}
		if !strings.Contains(logs.String(), "retrying") || !strings.Contains(texts[0], "Bearer [redacted]") {
			t.Fatalf("the echo did not go through the paths under test:\n%s\n%s", texts, logs.String())
		}
		mu.Lock()
		s := append([]string(nil), secrets...)
		mu.Unlock()
		checkNoSecrets(t, strings.Join(texts, "\n")+"\n"+logs.String(), s, cr)
	})
}

func checkNoSecrets(t *testing.T, text string, captured []string, cr revoluttest.Credentials) {
	t.Helper()
	if len(captured) == 0 {
		t.Fatal("the echoing endpoint captured no secret: the test proves nothing")
	}
	for _, s := range captured {
		if strings.Contains(text, s) {
			t.Errorf("a secret sent to the endpoint (%d characters, starting %.6q) reached the error or the log:\n%s", len(s), s, text)
		}
	}
	assertNoSecrets(t, text, cr)
}
