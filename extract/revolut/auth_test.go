package revolut_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/revledger/revledger/extract/revolut"
)

// testKey is generated once: RSA key generation is slow enough to matter across many tests.
var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func TestClientAssertionClaims(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	signed, err := revolut.ClientAssertion(testKey, "client-123", "example.com", now)
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.RegisteredClaims
	tok, err := jwt.ParseWithClaims(signed, &claims, func(*jwt.Token) (any, error) { return &testKey.PublicKey, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithTimeFunc(func() time.Time { return now }))
	if err != nil {
		t.Fatalf("the assertion does not verify with the public key: %v", err)
	}
	if tok.Header["typ"] != "JWT" || tok.Header["alg"] != "RS256" {
		t.Errorf("header = %v, want typ JWT and alg RS256", tok.Header)
	}
	if claims.Issuer != "example.com" || claims.Subject != "client-123" {
		t.Errorf("iss, sub = %q, %q; want the redirect host and the client id", claims.Issuer, claims.Subject)
	}
	if len(claims.Audience) != 1 || claims.Audience[0] != "https://revolut.com" {
		t.Errorf("aud = %v, want [https://revolut.com]", claims.Audience)
	}
	// "A few minutes ahead": strictly after now, at most 10 minutes.
	if exp := claims.ExpiresAt.Time; !exp.After(now) || exp.Sub(now) > 10*time.Minute {
		t.Errorf("exp = %v, want within (now, now+10m] of %v", exp, now)
	}
	// A fresh assertion per exchange: a later one differs.
	again, err := revolut.ClientAssertion(testKey, "client-123", "example.com", now.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if again == signed {
		t.Error("two assertions signed at different times are identical")
	}
}

func writeKey(t *testing.T, mode os.FileMode, block *pem.Block) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(block), mode); err != nil {
		t.Fatal(err)
	}
	// WriteFile is subject to the umask; set the mode under test exactly.
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadPrivateKey(t *testing.T) {
	t.Parallel()
	pkcs8, err := x509.MarshalPKCS8PrivateKey(testKey)
	if err != nil {
		t.Fatal(err)
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey)}
	tests := []struct {
		name    string
		mode    os.FileMode
		block   *pem.Block
		wantErr string // "" = loads
	}{
		{"pkcs1 0600", 0o600, pkcs1, ""},
		{"pkcs8 0400", 0o400, &pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}, ""},
		{"world readable", 0o644, pkcs1, "chmod 600"},
		{"group readable", 0o640, pkcs1, "chmod 600"},
		{"ecdsa", 0o600, &pem.Block{Type: "PRIVATE KEY", Bytes: ecDER}, "RSA"},
		{"certificate", 0o600, &pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}}, "not a private key"},
		{"corrupt pkcs1", 0o600, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: []byte{1, 2, 3}}, "not a valid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := writeKey(t, tt.mode, tt.block)
			key, err := revolut.LoadPrivateKey(path)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("LoadPrivateKey: %v", err)
				}
				if !key.Equal(testKey) {
					t.Error("loaded key differs from the written one")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("LoadPrivateKey error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestTokenRedaction(t *testing.T) {
	t.Parallel()
	tok := revolut.Token{AccessToken: "oa_prod_SECRETACCESS", RefreshToken: "oa_prod_SECRETREFRESH", ExpiresAt: time.Unix(0, 0)}
	for _, s := range []string{tok.String(), fmt.Sprintf("%v", tok), fmt.Sprintf("%+v", tok), fmt.Sprintf("%#v", tok)} {
		if strings.Contains(s, "SECRET") {
			t.Errorf("formatted Token leaks a secret: %s", s)
		}
	}
}

func TestRedact(t *testing.T) {
	t.Parallel()
	jwtLike := "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	got := revolut.Redact("refresh token oa_prod_abcdef is revoked; assertion "+jwtLike+" rejected", "oa_prod_abcdef", "")
	if strings.Contains(got, "oa_prod_abcdef") || strings.Contains(got, jwtLike) {
		t.Errorf("Redact left a secret: %q", got)
	}
	if !strings.Contains(got, "is revoked") {
		t.Errorf("Redact lost the message: %q", got)
	}
}

func TestAuthErrorMessage(t *testing.T) {
	t.Parallel()
	err := &revolut.AuthError{Status: 400, Reason: "invalid_grant", Description: "refresh token revoked", Reauthorize: true}
	msg := err.Error()
	for _, want := range []string{"revledger auth exchange --code", "Revolut Business web app", "invalid_grant"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}
