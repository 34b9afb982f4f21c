package revoluttest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/revledger/revledger/extract/revolut"
)

// fixedEnd is the history end of most tests: a fixed instant keeps them reproducible.
var fixedEnd = time.Date(2026, 3, 31, 12, 0, 0, 0, time.UTC)

// testClock is a settable clock for the fake.
type testClock struct{ t time.Time }

func (c *testClock) now() time.Time { return c.t }

// assertion signs a client assertion the way the real client must.
func assertion(t testing.TB, cr Credentials, now time.Time, mutate func(jwt.MapClaims)) string {
	t.Helper()
	key, err := jwt.ParseRSAPrivateKeyFromPEM(cr.PrivateKeyPEM)
	if err != nil {
		t.Fatalf("parse private key: %v", err)
	}
	claims := jwt.MapClaims{"iss": cr.Issuer, "sub": cr.ClientID, "aud": Audience, "exp": now.Add(5 * time.Minute).Unix()}
	if mutate != nil {
		mutate(claims)
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	signed, err := tok.SignedString(key)
	if err != nil {
		t.Fatalf("sign assertion: %v", err)
	}
	return signed
}

// postToken posts a token request and returns the status and decoded body.
func postToken(t testing.TB, s *Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/auth/token", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatalf("POST /auth/token: %v", err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("decode token response: %v", err)
	}
	return resp.StatusCode, body
}

func refreshForm(t testing.TB, cr Credentials, now time.Time) url.Values {
	return url.Values{
		"grant_type":            {"refresh_token"},
		"refresh_token":         {cr.RefreshToken},
		"client_assertion_type": {clientAssertionType},
		"client_assertion":      {assertion(t, cr, now, nil)},
	}
}

// accessToken obtains an access token with the refresh token.
func accessToken(t testing.TB, s *Server) string {
	t.Helper()
	status, body := postToken(t, s, refreshForm(t, s.Credentials(), s.now()))
	if status != http.StatusOK {
		t.Fatalf("token exchange: status %d body %v", status, body)
	}
	return body["access_token"].(string)
}

// get performs an authorised GET of path (relative to the base URL) and returns the
// response with its body read.
func get(t testing.TB, s *Server, token, path string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, s.URL()+path, nil)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp, b
}

// getJSON GETs path, requires 200 and decodes the body into v.
func getJSON(t testing.TB, s *Server, token, path string, v any) []byte {
	t.Helper()
	resp, b := get(t, s, token, path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d: %s", path, resp.StatusCode, b)
	}
	if v != nil {
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("GET %s: decode: %v", path, err)
		}
	}
	return b
}

// walkTransactions reads every transaction as a correct client must: pages of 1000 walked
// back with `to` = last created_at + 1 ms (overlapping the boundary, de-duplicated by id),
// and an instant that fills a whole page read account by account. onPage sees every body.
func walkTransactions(t testing.TB, s *Server, token string, onPage func(reqPath string, body []byte)) map[string]revolut.Transaction {
	t.Helper()
	var accounts []revolut.Account
	getJSON(t, s, token, "/accounts", &accounts)
	seen := map[string]revolut.Transaction{}
	fetch := func(q url.Values) []revolut.Transaction {
		p := "/transactions?" + q.Encode()
		body := getJSON(t, s, token, p, nil)
		if onPage != nil {
			onPage(p, body)
		}
		var page []revolut.Transaction
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatalf("decode %s: %v", p, err)
		}
		for _, tx := range page {
			seen[tx.ID] = tx
		}
		return page
	}
	to := ""
	for range 10000 {
		q := url.Values{"count": {"1000"}}
		if to != "" {
			q.Set("to", to)
		}
		page := fetch(q)
		if len(page) < 1000 {
			return seen
		}
		first, last := page[0].CreatedAt, page[len(page)-1].CreatedAt
		if first.Equal(last.Time) { // one instant fills the page: split it by account
			for _, a := range accounts {
				split := fetch(url.Values{"count": {"1000"}, "account": {a.ID}, "from": {last.String()}, "to": {revolut.Time{Time: last.Add(time.Millisecond)}.String()}})
				if len(split) == 1000 {
					t.Fatalf("account %s alone has 1000 rows at %s", a.ID, last)
				}
			}
			to = last.String()
			continue
		}
		to = revolut.Time{Time: last.Add(time.Millisecond)}.String()
	}
	t.Fatal("transaction walk did not end")
	return nil
}
