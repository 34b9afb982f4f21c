package revoluttest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

func TestTokenEndpoint(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: fixedEnd}
	s := NewTestServer(t, Options{End: fixedEnd, Transactions: 100, Clock: clock.now})
	cr := s.Credentials()
	now := fixedEnd

	otherKey, err := rsa.GenerateKey(rand.Reader, 1024) // #nosec: test-only key, small for speed
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		mutate    func(jwt.MapClaims)
		otherKey  bool
		wantError string
	}{
		{"wrong sub", func(c jwt.MapClaims) { c["sub"] = "someone-else" }, false, "unauthorized_client"},
		{"wrong iss", func(c jwt.MapClaims) { c["iss"] = "https://" + cr.Issuer }, false, "unauthorized_client"},
		{"wrong aud", func(c jwt.MapClaims) { c["aud"] = "https://b2b.revolut.com" }, false, "unauthorized_client"},
		{"expired", func(c jwt.MapClaims) { c["exp"] = now.Add(-time.Minute).Unix() }, false, "unauthorized_client"},
		{"no exp", func(c jwt.MapClaims) { delete(c, "exp") }, false, "unauthorized_client"},
		{"signed with another key", nil, true, "unauthorized_client"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			signed := assertion(t, cr, now, c.mutate)
			if c.otherKey {
				claims := jwt.MapClaims{"iss": cr.Issuer, "sub": cr.ClientID, "aud": Audience, "exp": now.Add(time.Minute).Unix()}
				signed, _ = jwt.NewWithClaims(jwt.SigningMethodRS256, claims).SignedString(otherKey)
			}
			form := refreshForm(t, cr, now)
			form.Set("client_assertion", signed)
			status, body := postToken(t, s, form)
			if status != http.StatusBadRequest || body["error"] != c.wantError || body["error_description"] == "" {
				t.Errorf("status %d body %v; want 400 %s with a description", status, body, c.wantError)
			}
		})
	}

	t.Run("authorization code works once and returns a refresh token", func(t *testing.T) {
		form := url.Values{"grant_type": {"authorization_code"}, "code": {cr.AuthCode},
			"client_assertion_type": {clientAssertionType}, "client_assertion": {assertion(t, cr, now, nil)}}
		status, body := postToken(t, s, form)
		if status != http.StatusOK || body["token_type"] != "bearer" || body["expires_in"] != float64(2400) || body["refresh_token"] == nil || body["access_token"] == nil {
			t.Fatalf("first exchange: %d %v", status, body)
		}
		newRT, _ := body["refresh_token"].(string)
		form.Set("client_assertion", assertion(t, cr, now, nil))
		status, body = postToken(t, s, form)
		if status != http.StatusBadRequest || body["error"] != "invalid_grant" {
			t.Fatalf("second exchange of the same code: %d %v, want invalid_grant", status, body)
		}
		withNew := cr
		withNew.RefreshToken = newRT
		if status, body := postToken(t, s, refreshForm(t, withNew, now)); status != http.StatusOK {
			t.Fatalf("refresh with the token from the code exchange: %d %v", status, body)
		}
	})

	t.Run("refresh answers no refresh token", func(t *testing.T) {
		status, body := postToken(t, s, refreshForm(t, cr, now))
		if status != http.StatusOK {
			t.Fatalf("refresh: %d %v", status, body)
		}
		if _, ok := body["refresh_token"]; ok {
			t.Errorf("refresh answered a refresh_token: %v", body)
		}
	})
}

func TestAccessTokenLifetime(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: fixedEnd}
	s := NewTestServer(t, Options{End: fixedEnd, Transactions: 100, Clock: clock.now})
	tok := accessToken(t, s)

	unauthorized := func(t *testing.T, token, why string) {
		t.Helper()
		resp, body := get(t, s, token, "/accounts")
		var e apiError
		_ = json.Unmarshal(body, &e)
		if resp.StatusCode != http.StatusUnauthorized || e.Code == 0 || e.Message == "" {
			t.Errorf("%s: status %d body %s, want 401 with {code, message}", why, resp.StatusCode, body)
		}
	}
	authorized := func(t *testing.T, token, why string) {
		t.Helper()
		if resp, body := get(t, s, token, "/accounts"); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d body %s, want 200", why, resp.StatusCode, body)
		}
	}

	unauthorized(t, "", "no token")
	unauthorized(t, "oa_prod_made_up", "unknown token")
	authorized(t, tok, "fresh token")
	clock.t = clock.t.Add(39 * time.Minute)
	authorized(t, tok, "token at 39 minutes")
	clock.t = clock.t.Add(time.Minute)
	unauthorized(t, tok, "token at 40 minutes (TTL)")

	tok = accessToken(t, s)
	authorized(t, tok, "refreshed token")
	s.ExpireAccessTokens()
	unauthorized(t, tok, "after ExpireAccessTokens")

	tok = accessToken(t, s)
	s.SetFaults(Faults{Unauthorized401Once: true})
	unauthorized(t, tok, "Unauthorized401Once, first request")
	authorized(t, tok, "Unauthorized401Once, second request")

	s.RevokeRefreshToken()
	status, body := postToken(t, s, refreshForm(t, s.Credentials(), clock.t))
	desc, _ := body["error_description"].(string)
	if status != http.StatusBadRequest || body["error"] != "invalid_grant" || !strings.Contains(desc, "re-authorise") {
		t.Errorf("refresh after revocation: %d %v, want 400 invalid_grant saying how to re-authorise", status, body)
	}
	authorized(t, tok, "access token issued before the revocation")

	st := s.Stats()
	if st.Unauthorized != 5 || st.TokenExchanges != 3 || st.TokenRequests != 4 {
		t.Errorf("stats: %d 401s, %d exchanges of %d token requests; want 5, 3, 4", st.Unauthorized, st.TokenExchanges, st.TokenRequests)
	}
}
