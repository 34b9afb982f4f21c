package revolut

import (
	"context"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/revledger/revledger/internal/redact"
)

// Values of the client-assertion JWT and the token endpoint fixed by Revolut.
const (
	assertionAudience = "https://revolut.com"
	assertionType     = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	// assertionTTL is how long a client assertion is valid. Revolut asks for "a few
	// minutes"; a fresh one is signed for every exchange, so a short life costs nothing.
	assertionTTL = 5 * time.Minute
	// defaultTokenTTL is assumed when the token endpoint leaves out expires_in.
	defaultTokenTTL = 40 * time.Minute
	// maxRefreshAhead bounds how early a token is refreshed before it expires.
	maxRefreshAhead = 5 * time.Minute
)

// Token is the result of a token exchange. Its String, GoString and LogValue methods redact
// the secrets, so printing or logging a Token by mistake leaks nothing.
type Token struct {
	AccessToken  string
	RefreshToken string // empty when the endpoint kept the existing refresh token
	ExpiresAt    time.Time
}

// String describes the token without its secrets.
func (t Token) String() string {
	return fmt.Sprintf("revolut.Token{AccessToken: [redacted], RefreshToken: %s, ExpiresAt: %s}",
		redactedIfSet(t.RefreshToken), t.ExpiresAt.UTC().Format(time.RFC3339))
}

// GoString is String, so that %#v redacts too.
func (t Token) GoString() string { return t.String() }

// LogValue logs only whether the secrets are present and when the access token expires.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.Bool("has_refresh_token", t.RefreshToken != ""),
		slog.Time("expires_at", t.ExpiresAt),
	)
}

func redactedIfSet(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// LoadPrivateKey reads the app's RSA private key from a PEM file (PKCS#1 "RSA PRIVATE KEY"
// or PKCS#8 "PRIVATE KEY"). It refuses a file that its group or other users can read: the
// key signs for the business's bank account.
func LoadPrivateKey(path string) (*rsa.PrivateKey, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("revolut: private key: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("revolut: private key %s has mode %04o, readable by other users; run `chmod 600 %s`", path, perm, path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("revolut: private key: %w", err)
	}
	key, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("revolut: private key %s: %w", path, err)
	}
	return key, nil
}

// ParsePrivateKey parses an RSA private key in PEM form, PKCS#1 or PKCS#8. Errors never quote
// the key material.
func ParsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	redact.Secret(string(pemBytes))
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block found")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("PKCS#1 block is not a valid RSA private key")
		}
		return key, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("PKCS#8 block is not a valid private key")
		}
		key, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("PKCS#8 key is a %T; Revolut needs an RSA key (RS256)", k)
		}
		return key, nil
	default:
		return nil, fmt.Errorf("PEM block %q is not a private key (want RSA PRIVATE KEY or PRIVATE KEY)", block.Type)
	}
}

// clientAssertion signs the JWT that authenticates the app at the token endpoint. The claims
// are a map, not jwt.RegisteredClaims, because golang-jwt encodes a ClaimStrings audience as
// an array (["https://revolut.com"]) while Revolut documents, and a strict server compares,
// the plain string "https://revolut.com". The signed assertion is registered with the
// redactor: a server that echoes the request must not put it into an error.
func clientAssertion(key *rsa.PrivateKey, clientID, issuer string, now time.Time) (string, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{
		"iss": issuer,
		"sub": clientID,
		"aud": assertionAudience,
		"exp": now.Add(assertionTTL).Unix(),
	})
	tok.Header["typ"] = "JWT"
	s, err := tok.SignedString(key)
	if err != nil {
		return "", fmt.Errorf("revolut: sign client assertion: %w", err)
	}
	redact.Ephemeral(s)
	return s, nil
}

// ExchangeAuthorizationCode trades the code from the consent redirect for the first access
// and refresh tokens (Revolut: "Exchange authorisation code", POST /auth/token with
// grant_type=authorization_code). The client uses the new tokens from then on; the caller
// stores Token.RefreshToken (OnRefreshToken is called with it too).
func (c *Client) ExchangeAuthorizationCode(ctx context.Context, code string) (Token, error) {
	if code == "" {
		return Token{}, errors.New("revolut: authorisation code is empty")
	}
	redact.Ephemeral(code)
	return c.tokens.exchange(ctx, url.Values{"grant_type": {"authorization_code"}, "code": {code}})
}

// Authenticate makes sure the client holds a valid access token, refreshing it if needed, and
// returns its expiry. `revledger auth status` uses it to prove the credentials work.
func (c *Client) Authenticate(ctx context.Context) (time.Time, error) {
	if _, _, err := c.tokens.get(ctx); err != nil {
		return time.Time{}, err
	}
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	return c.tokens.expiry, nil
}

// tokenSource holds the access token and refreshes it once for all goroutines.
type tokenSource struct {
	c *Client
	// sem is held by the one goroutine that is exchanging a token; the others wait on it (or
	// on their context) and then find the new token.
	sem chan struct{}

	mu           sync.Mutex
	refreshToken string
	access       string
	expiry       time.Time
	refreshAt    time.Time
	gen          uint64 // bumped on every new access token
	fatal        error  // a refused grant: every later call fails fast with it
}

func newTokenSource(c *Client, refreshToken string) *tokenSource {
	redact.Secret(refreshToken)
	return &tokenSource{c: c, sem: make(chan struct{}, 1), refreshToken: refreshToken}
}

// current returns the cached token if it is still good.
func (ts *tokenSource) current() (string, uint64, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.access != "" && ts.c.cfg.Now().Before(ts.refreshAt) {
		return ts.access, ts.gen, true
	}
	return "", ts.gen, false
}

// get returns a usable access token, refreshing it ahead of its expiry.
func (ts *tokenSource) get(ctx context.Context) (string, uint64, error) {
	tok, gen, ok := ts.current()
	if ok {
		return tok, gen, nil
	}
	return ts.refresh(ctx, gen)
}

// refresh exchanges the refresh token for a new access token, unless another goroutine has
// already replaced the token of generation stale while this one waited.
func (ts *tokenSource) refresh(ctx context.Context, stale uint64) (string, uint64, error) {
	select {
	case ts.sem <- struct{}{}:
	case <-ctx.Done():
		return "", 0, fmt.Errorf("revolut: waiting for the token refresh: %w", ctx.Err())
	}
	defer func() { <-ts.sem }()

	ts.mu.Lock()
	if ts.fatal != nil {
		err := ts.fatal
		ts.mu.Unlock()
		return "", 0, err
	}
	if ts.gen != stale && ts.access != "" && ts.c.cfg.Now().Before(ts.refreshAt) {
		tok, gen := ts.access, ts.gen
		ts.mu.Unlock()
		return tok, gen, nil
	}
	rt := ts.refreshToken
	ts.mu.Unlock()
	if rt == "" {
		return "", 0, fmt.Errorf("revolut: no refresh token configured: %w; %s", ErrReauthorize, ReauthorizeHelp)
	}
	if _, err := ts.exchangeLocked(ctx, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}); err != nil {
		return "", 0, err
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.access, ts.gen, nil
}

// exchange runs a grant while holding the single-flight slot.
func (ts *tokenSource) exchange(ctx context.Context, grant url.Values) (Token, error) {
	select {
	case ts.sem <- struct{}{}:
	case <-ctx.Done():
		return Token{}, fmt.Errorf("revolut: waiting for the token exchange: %w", ctx.Err())
	}
	defer func() { <-ts.sem }()
	tok, err := ts.exchangeLocked(ctx, grant)
	if err == nil {
		ts.mu.Lock()
		ts.fatal = nil // a fresh consent cures a refused refresh token
		ts.mu.Unlock()
	}
	return tok, err
}

// tokenResponse is the body of a successful POST /auth/token.
type tokenResponse struct {
	AccessToken  string      `json:"access_token"`
	TokenType    string      `json:"token_type"`
	ExpiresIn    json.Number `json:"expires_in"`
	RefreshToken string      `json:"refresh_token"`
}

// exchangeLocked posts grant to the token endpoint; the caller holds sem.
func (ts *tokenSource) exchangeLocked(ctx context.Context, grant url.Values) (Token, error) {
	c := ts.c
	var tr tokenResponse
	err := c.send(ctx, call{
		op: "exchangeToken", method: http.MethodPost, path: "/auth/token",
		refused: func(status int, body []byte) error {
			// Only the values of the secret fields: grant_type's value is an ordinary word.
			return ts.authError(status, body, grant.Get("refresh_token"), grant.Get("code"))
		},
		form: func() (url.Values, error) {
			assertion, err := clientAssertion(c.cfg.PrivateKey, c.cfg.ClientID, c.cfg.Issuer, c.cfg.Now())
			if err != nil {
				return nil, err
			}
			form := url.Values{}
			for k, v := range grant {
				form[k] = v
			}
			form.Set("client_assertion_type", assertionType)
			form.Set("client_assertion", assertion)
			return form, nil
		},
		handle: func(resp *http.Response) error {
			if err := decodeBody(resp, &tr, c.cfg.MaxResponseBytes); err != nil {
				return err
			}
			if tr.AccessToken == "" {
				return &decodeError{errors.New("token response has no access_token")}
			}
			return nil
		},
	})
	if err != nil {
		var ae *AuthError
		if errors.As(err, &ae) && ae.Reauthorize && grant.Get("grant_type") == "refresh_token" {
			ts.mu.Lock()
			ts.fatal = err
			ts.access = ""
			ts.mu.Unlock()
		}
		return Token{}, err
	}

	now := c.cfg.Now()
	ttl := defaultTokenTTL
	if secs, err := tr.ExpiresIn.Float64(); err == nil && secs > 0 {
		ttl = time.Duration(secs * float64(time.Second))
	}
	ahead := ttl / 8
	if ahead > maxRefreshAhead {
		ahead = maxRefreshAhead
	}
	tok := Token{AccessToken: tr.AccessToken, RefreshToken: tr.RefreshToken, ExpiresAt: now.Add(ttl)}
	redact.Ephemeral(tr.AccessToken)
	redact.Secret(tr.RefreshToken)

	ts.mu.Lock()
	ts.access = tr.AccessToken
	ts.expiry = tok.ExpiresAt
	ts.refreshAt = tok.ExpiresAt.Add(-ahead)
	ts.gen++
	rotated := tr.RefreshToken != "" && tr.RefreshToken != ts.refreshToken
	if tr.RefreshToken != "" {
		ts.refreshToken = tr.RefreshToken
	}
	ts.mu.Unlock()

	c.stats.tokenRefreshes.Add(1)
	c.cfg.Logger.InfoContext(ctx, "revolut access token obtained",
		slog.String("grant_type", grant.Get("grant_type")), slog.Time("expires_at", tok.ExpiresAt),
		slog.Bool("refresh_token_rotated", rotated))
	if rotated && c.cfg.OnRefreshToken != nil {
		c.cfg.OnRefreshToken(tr.RefreshToken)
	}
	return tok, nil
}

// authError turns a 4xx answer of the token endpoint into an *AuthError. The body is parsed
// for the OAuth "error"/"error_description" fields or Revolut's "code"/"message"; any
// credential the server might echo is removed from the description.
func (ts *tokenSource) authError(status int, body []byte, secrets ...string) error {
	var ob struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	_ = json.Unmarshal(body, &ob)
	reason, desc := ob.Error, ob.Description
	if reason == "" {
		code, msg := parseErrorBody(body)
		if code != 0 {
			reason = fmt.Sprintf("code %d", code)
		}
		desc = msg
	}
	ts.mu.Lock()
	secrets = append(secrets, ts.refreshToken, ts.access)
	ts.mu.Unlock()
	desc = redactSecrets(desc, secrets...)

	reauth := false
	switch reason {
	case "invalid_grant", "invalid_token", "expired_token", "access_denied":
		reauth = true
	case "":
		reauth = status == http.StatusUnauthorized
	}
	return &AuthError{Status: status, Reason: reason, Description: desc, Reauthorize: reauth}
}

// redactSecrets removes the given secrets (the grant being exchanged) from s, then everything the
// process-wide redactor knows or recognises: registered tokens and assertions, JWTs, Bearer
// tokens, credential parameters.
func redactSecrets(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, redact.Mark)
		}
	}
	return redact.String(s)
}
