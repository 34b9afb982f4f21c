package redact

import (
	"strings"
	"testing"
)

// unfiltered is String without the literal pre-checks: every expression on every string.
func unfiltered(s string) string {
	for _, p := range patterns {
		s = p.re.ReplaceAllString(s, "${1}"+Mark)
	}
	return s
}

// TestPrecheckNeverSkipsAMatch: the pre-checks only save work; on credential-shaped text,
// Unicode that folds into the keywords (ſ folds to s, K, the Kelvin sign, to k) and ordinary
// text, String gives what the expressions alone give.
func TestPrecheckNeverSkipsAMatch(t *testing.T) {
	jwt := "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJleGFtcGxlLmNvbSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZS1zaWduYXR1cmU"
	inputs := []string{
		"client_assertion=" + jwt + "&grant_type=refresh_token",
		"(" + jwt + ")",
		"header " + strings.TrimPrefix(jwt, "eyJ") + " trailer",
		"Authorization: Bearer oa_prod_AbCdEf0123456789",
		"Authorization: BEARER%20oa_prod_AbCdEf0123456789",
		"Authorization: baſic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", // ſ folds to s
		"refresh_token%3Doa_prod_XyZ987654321abc",
		"refreſh_token=oa_prod_XyZ987654321abc",
		"toKen=abc", // Kelvin sign
		"Authorization: Bearer oa_prod_AbCdEf0123456789 for £12.00 → €14.00",
		"Authorization: BEARER%20oa_prod_AbCdEf0123456789 for £12.00",
		"ſ café BAſIC QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
		"refresh_token%3Doa_prod_XyZ987654321abc, £5",
		"expense spent £12.00 but its splits add up to £10.00 → booked on suspense",
		`{"refresh_token": "oa_prod_XyZ987654321abc"}`,
		`{"TOKEN" : "x"}`,
		"AWS4-HMAC-SHA256 Credential = AKIAIOSFODNN7EXAMPLE/20260310/us-east-1/s3/aws4_request",
		"key ASIAIOSFODNN7EXAMPLE used",
		"-----BEGIN RSA PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
		"transaction 37aff009-91a1-4627-961c-397b25708384 was reverted after it completed on 2026-01-02.",
		"abcdefghijklmnopq.abcdefghijklmnopq.abcdefghijklmnopq",
		"no rate for EUR→GBP on 2026-02-03 from hmrc; the entry was booked without base-currency values",
		"",
	}
	for _, in := range inputs {
		if got, want := String(in), unfiltered(in); got != want {
			t.Errorf("String(%q) = %q, the expressions alone give %q", in, got, want)
		}
	}
}

// TestPrecheckSkipsOrdinaryText: an ordinary reason, with or without non-ASCII text, passes
// no pre-check of the expressions that need a keyword or a mark (the two token shapes aside,
// which look for runs of characters).
func TestPrecheckSkipsOrdinaryText(t *testing.T) {
	for _, s := range []string{
		"transaction 37aff009-91a1-4627-961c-397b25708384 was reverted after it completed on 2026-01-02",
		"expense spent £12.00 but its splits add up to £10.00 → booked on suspense",
	} {
		for i, p := range patterns[:6] {
			if p.may(s, folded(s)) {
				t.Errorf("pattern %d (%s) runs on %q", i, p.re, s)
			}
		}
	}
}

// BenchmarkStringOrdinary: an exception reason, as booking stores one per exception.
func BenchmarkStringOrdinary(b *testing.B) {
	s := "transaction 37aff009-91a1-4627-961c-397b25708384 was reverted after it completed on 2026-01-02; a reversing entry cancels it"
	for b.Loop() {
		String(s)
	}
}
