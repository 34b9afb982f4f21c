package redact_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"testing"

	"github.com/revledger/revledger/internal/redact"
)

func TestRegisteredSecrets(t *testing.T) {
	refresh := "oa_prod_registeredRefreshToken_4711"
	aws := "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
	redact.Secret(refresh)
	redact.Secret(aws)
	redact.Secret("short") // ignored: too short to mean anything
	for _, in := range []string{
		"token " + refresh + " refused",
		`{"description":"got ` + refresh + `"}`,
		"secret=" + strings.ReplaceAll(aws, "/", "%2F"), // URL-encoded echo
		"key:" + aws + ".",
	} {
		out := redact.String(in)
		if strings.Contains(out, refresh) || strings.Contains(out, aws) || strings.Contains(out, "%2FK7MDENG") {
			t.Errorf("String(%q) = %q: a secret is left", in, out)
		}
		if !strings.Contains(out, redact.Mark) {
			t.Errorf("String(%q) = %q: nothing marked", in, out)
		}
	}
	if got := redact.String("a short word"); got != "a short word" {
		t.Errorf("a 5-byte value was registered: %q", got)
	}
}

func TestEphemeralRingKeepsRecentValues(t *testing.T) {
	var last string
	for i := range 600 {
		last = fmt.Sprintf("ephemeral-access-token-%04d", i)
		redact.Ephemeral(last)
	}
	if got := redact.String("x " + last + " y"); strings.Contains(got, last) {
		t.Errorf("the newest ephemeral secret is not redacted: %q", got)
	}
}

// TestShapes: credentials nobody registered are still removed by their shape; ordinary
// error text is left alone.
func TestShapes(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJleGFtcGxlLmNvbSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
	cases := []struct{ in, leak string }{
		{"client_assertion_type=urn%3Aietf&client_assertion=" + jwt + "&grant_type=refresh_token", jwt},
		{`"assertion":"` + jwt + `"`, jwt},
		{"(" + jwt + ")", jwt},
		{"Authorization: Bearer oa_prod_AbCdEf0123456789", "oa_prod_AbCdEf0123456789"},
		{`{"Authorization":["Bearer oa_prod_AbCdEf0123456789"]}`, "oa_prod_AbCdEf0123456789"},
		{"grant_type=refresh_token&refresh_token=oa_prod_XyZ987654321abc", "oa_prod_XyZ987654321abc"},
		{`{"refresh_token": "oa_prod_XyZ987654321abc"}`, "oa_prod_XyZ987654321abc"},
		{"grant_type=authorization_code&code=oa_prod_consentCode42", "oa_prod_consentCode42"},
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260310/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", "AKIAIOSFODNN7EXAMPLE"},
		{"AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260310/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024", "fe5f80f77d5fa3be"},
		{"GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=myaccesskey%2F20260310%2Fus-east-1&X-Amz-Signature=abcdef0123456789", "myaccesskey"},
		{"GET /b/k?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=myaccesskey%2F20260310%2Fus-east-1&X-Amz-Signature=abcdef0123456789", "abcdef0123456789"},
		{"key AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"},
		{"-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"},
	}
	for _, c := range cases {
		out := redact.String(c.in)
		if strings.Contains(out, c.leak) {
			t.Errorf("String(%q) = %q: %q is left", c.in, out, c.leak)
		}
	}
	for _, keep := range []string{
		"revolut: GET /transactions: HTTP 403 (code 9002): Expenses API for business is disabled",
		"load: finish run 12: ERROR: invalid byte sequence for encoding \"UTF8\": 0x00 (SQLSTATE 22021)",
		"GET https://b2b.revolut.com/api/1.0/transactions?count=1000&from=2026-01-01T00:00:00.000Z",
		"the bearer of this message",
	} {
		if got := redact.String(keep); got != keep {
			t.Errorf("String(%q) = %q: ordinary text changed", keep, got)
		}
	}
}

func TestErrorKeepsChain(t *testing.T) {
	err := redact.Error(fmt.Errorf("wrap: %w", fs.ErrNotExist))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Error("errors.Is lost the chain")
	}
	if redact.Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
	err = redact.Error(errors.New("Bearer oa_prod_AbCdEf0123456789"))
	if strings.Contains(err.Error(), "oa_prod") {
		t.Errorf("Error() = %q", err)
	}
}

func TestWriterRedactsLogRecords(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(redact.Writer(&buf), nil))
	log.Warn("retrying", slog.String("error", "HTTP 400: echo Authorization: Bearer oa_prod_AbCdEf0123456789"))
	if strings.Contains(buf.String(), "oa_prod") || !strings.Contains(buf.String(), redact.Mark) {
		t.Errorf("log line: %q", buf.String())
	}
}
