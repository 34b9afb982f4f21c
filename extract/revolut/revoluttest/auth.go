package revoluttest

import (
	crand "crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Credentials are what a person gets from the Revolut web app when setting up API access:
// the client ID, the redirect URI host (the JWT issuer), the application's private key,
// a consent code and the refresh token obtained with it.
type Credentials struct {
	// ClientID is the JWT "sub" the token endpoint expects.
	ClientID string
	// Issuer is the redirect URI's host, the JWT "iss" the token endpoint expects.
	Issuer string
	// PrivateKeyPEM is the application's RSA 2048 key, PKCS#8, PEM "PRIVATE KEY".
	PrivateKeyPEM []byte
	// RefreshToken is valid until RevokeRefreshToken.
	RefreshToken string
	// AuthCode is a one-time consent code for grant_type=authorization_code.
	AuthCode string
}

// Audience is the JWT "aud" the token endpoint requires.
const Audience = "https://revolut.com"

const clientAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

type authState struct {
	key      *rsa.PrivateKey
	pem      []byte
	clientID string
	issuer   string
	authCode string
	codeUsed bool
	refresh  map[string]bool // refresh token → still valid
	firstRT  string
	access   map[string]int64 // access token → expiry (Unix nanoseconds on the fake's clock)
	r        *rand.Rand
	failNext bool // Faults.Unauthorized401Once
}

func (a *authState) init(seed int64, key *rsa.PrivateKey) {
	a.r = rand.New(rand.NewPCG(uint64(seed), 0xa07))
	a.key = key
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		panic(fmt.Sprintf("revoluttest: marshal key: %v", err)) // cannot happen for an RSA key
	}
	a.pem = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	a.clientID = a.token(43)
	a.issuer = "revledger.example.com"
	a.authCode = "oa_prod_" + a.token(40)
	a.firstRT = "oa_prod_" + a.token(40)
	a.refresh = map[string]bool{a.firstRT: true}
	a.access = map[string]int64{}
}

// token returns n URL-safe characters from the seeded stream, so credentials are stable per seed.
func (a *authState) token(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(a.r.Uint32())
	}
	return base64.RawURLEncoding.EncodeToString(b)[:n]
}

// Credentials returns the application's credentials.
func (s *Server) Credentials() Credentials {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := &s.auth
	code := a.authCode
	if a.codeUsed {
		code = ""
	}
	return Credentials{ClientID: a.clientID, Issuer: a.issuer, PrivateKeyPEM: a.pem, RefreshToken: a.firstRT, AuthCode: code}
}

// RevokeRefreshToken revokes every refresh token issued so far: the next refresh answers
// 400 invalid_grant. Access tokens already issued stay valid until they expire.
func (s *Server) RevokeRefreshToken() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k := range s.auth.refresh {
		s.auth.refresh[k] = false
	}
}

// ExpireAccessTokens invalidates every access token issued so far: the next request with
// one answers 401.
func (s *Server) ExpireAccessTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.auth.access)
}

type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description"`
}

// handleToken serves POST /auth/token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	status, body := s.token(r)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (s *Server) token(r *http.Request) (int, []byte) {
	fail := func(code, desc string) (int, []byte) {
		b, _ := json.Marshal(oauthError{Error: code, Description: desc})
		return http.StatusBadRequest, b
	}
	if err := r.ParseForm(); err != nil {
		return fail("invalid_request", "the request body is not a valid form")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stats.tokenRequests++
	s.stats.byPath["POST /auth/token"]++
	s.catchUp()
	now := s.now()
	a := &s.auth
	if r.PostForm.Get("client_assertion_type") != clientAssertionType {
		return fail("invalid_request", "client_assertion_type must be "+clientAssertionType)
	}
	if err := a.verifyAssertion(r.PostForm.Get("client_assertion"), now); err != nil {
		return fail("unauthorized_client", err.Error())
	}
	resp := map[string]any{"token_type": "bearer", "expires_in": int(s.opts.TokenTTL / time.Second)}
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		if code := r.PostForm.Get("code"); code == "" || code != a.authCode || a.codeUsed {
			return fail("invalid_grant", "The authorisation code is invalid or has already been used; consent again in the Revolut Business web app")
		}
		a.codeUsed = true
		rt := "oa_prod_" + a.token(40)
		a.refresh[rt] = true
		resp["refresh_token"] = rt
	case "refresh_token":
		if !a.refresh[r.PostForm.Get("refresh_token")] {
			return fail("invalid_grant", "The refresh token is invalid, expired or revoked; re-authorise the application in the Revolut Business web app")
		}
	default:
		return fail("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
	}
	at := "oa_prod_" + randomToken()
	a.access[at] = now.Add(s.opts.TokenTTL).UnixNano()
	resp["access_token"] = at
	s.stats.tokenExchanges++
	b, _ := json.Marshal(resp)
	return http.StatusOK, b
}

// randomToken makes an unguessable access token; unlike the credentials it need not be
// reproducible.
func randomToken() string {
	b := make([]byte, 30)
	_, _ = crand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func (a *authState) verifyAssertion(assertion string, now time.Time) error {
	if assertion == "" {
		return errors.New("client_assertion is missing")
	}
	if err := audienceIsString(assertion); err != nil {
		return err
	}
	tok, err := jwt.Parse(assertion, func(*jwt.Token) (any, error) { return &a.key.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithAudience(Audience), jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		return fmt.Errorf("invalid client_assertion: %w", err)
	}
	iss, _ := tok.Claims.GetIssuer()
	if iss != a.issuer {
		return errors.New("invalid client_assertion: iss does not match the redirect URI host")
	}
	sub, _ := tok.Claims.GetSubject()
	if sub != a.clientID {
		return errors.New("invalid client_assertion: sub does not match a client ID")
	}
	return nil
}

// audienceIsString refuses an assertion whose "aud" is not the plain JSON string Revolut
// documents. golang-jwt accepts ["https://revolut.com"] too, but a server that compares the
// claim as a string (as Revolut's may) refuses the array, so the fake does as well.
func audienceIsString(assertion string) error {
	parts := strings.Split(assertion, ".")
	if len(parts) != 3 {
		return errors.New("invalid client_assertion: not a JWS compact serialisation")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return errors.New("invalid client_assertion: payload is not base64url")
	}
	var claims struct {
		Aud json.RawMessage `json:"aud"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return errors.New("invalid client_assertion: payload is not a JSON object")
	}
	var aud string
	if json.Unmarshal(claims.Aud, &aud) != nil {
		return fmt.Errorf("invalid client_assertion: aud must be the string %q, got %s", Audience, claims.Aud)
	}
	if aud != Audience {
		return fmt.Errorf("invalid client_assertion: aud must be %q", Audience)
	}
	return nil
}

// authorized reports whether the request carries a live access token. Callers hold s.mu.
func (s *Server) authorized(r *http.Request, now time.Time) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	exp, ok := s.auth.access[tok]
	return ok && now.UnixNano() < exp
}
