// Package redact removes credentials from text before it is shown or stored: error messages,
// log lines, what the CLI prints and the error text of the run history.
//
// A server that echoes a request back in its error answer (a proxy, a misconfigured gateway,
// a test double) can put any credential of that request into an error body: the signed
// client assertion and the refresh token of a token request, the "Bearer" access token of an
// API call, the AWS access key id and signature of an S3 request. Redaction therefore works
// two ways, and every place that shows or stores text applies both through String:
//
//   - known values: each secret the process holds is registered with Secret when it is
//     loaded or issued (refresh and access tokens, client assertions, the private key, the
//     AWS keys), and every occurrence of it is replaced, whatever surrounds it;
//   - shapes: anything that looks like a credential although it was never registered (a JWT,
//     "Bearer <token>", "refresh_token=...", an AWS "Credential=" or "X-Amz-Signature=").
//
// The registry is process-wide on purpose: the secrets are learned in one package (the API
// client learns each new access token) and must be removed in others (the run history in
// load, the CLI's output), and threading a registry through every error path would leave the
// one path that forgot it leaking.
package redact

import (
	"encoding/base64"
	"errors"
	"io"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"
)

// Mark replaces every secret.
const Mark = "[redacted]"

// minSecretLen is the shortest value Secret registers: a shorter one would match ordinary
// text and proves nothing about a leak.
const minSecretLen = 8

// maxEphemeral bounds the short-lived values kept (access tokens, client assertions): a
// scheduler that runs for months issues one every few minutes, and an old one can only be
// echoed by the request that used it.
const maxEphemeral = 512

var registry struct {
	mu        sync.RWMutex
	permanent []string
	ephemeral []string // a ring, oldest first once full
	next      int
	known     map[string]bool
}

// Secret registers a long-lived secret (a refresh token, a private key, an AWS key) so that
// String removes it from any text. Values shorter than 8 bytes are ignored. The value is
// registered with its URL-encoded form, and a PEM block also line by line, since an echo may
// escape or re-wrap it.
func Secret(v string) { register(v, false) }

// Ephemeral registers a short-lived secret (an access token, a signed client assertion). At
// most the 512 most recent are kept.
func Ephemeral(v string) { register(v, true) }

func register(v string, ephemeral bool) {
	vals := variants(v)
	if len(vals) == 0 {
		return
	}
	registry.mu.Lock()
	defer registry.mu.Unlock()
	if registry.known == nil {
		registry.known = map[string]bool{}
	}
	for _, s := range vals {
		if registry.known[s] {
			continue
		}
		registry.known[s] = true
		if !ephemeral {
			registry.permanent = append(registry.permanent, s)
			continue
		}
		if len(registry.ephemeral) < maxEphemeral {
			registry.ephemeral = append(registry.ephemeral, s)
			continue
		}
		delete(registry.known, registry.ephemeral[registry.next])
		registry.ephemeral[registry.next] = s
		registry.next = (registry.next + 1) % maxEphemeral
	}
}

// variants returns the forms of v worth looking for.
func variants(v string) []string {
	v = strings.TrimSpace(v)
	if len(v) < minSecretLen {
		return nil
	}
	out := []string{v}
	if q := url.QueryEscape(v); q != v {
		out = append(out, q)
	}
	if strings.Contains(v, "-----BEGIN") {
		for _, line := range strings.Split(v, "\n") {
			line = strings.TrimSpace(line)
			if len(line) >= 16 && !strings.HasPrefix(line, "-----") {
				out = append(out, line)
			}
		}
	}
	// A secret that is itself base64 may be echoed decoded, and a raw one encoded (HTTP
	// basic authentication): look for the standard encoding too.
	out = append(out, base64.StdEncoding.EncodeToString([]byte(v)))
	return out
}

// patterns match credentials by their shape. Each keeps its first group (the name) and
// replaces the rest. may is a cheap test that must hold wherever the expression can match
// (a literal the expression needs): most text handed to String (exception reasons, log
// messages) holds no credential, and running eight expressions over every stored reason cost
// seconds per 100k transactions. lower is folded(s), for the case-insensitive expressions.
var patterns = []struct {
	re  *regexp.Regexp
	may func(s, lower string) bool
}{
	// Private keys in PEM form, even unregistered.
	{regexp.MustCompile(`(?s)(-----BEGIN [A-Z ]*PRIVATE KEY-----).*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)`),
		func(s, _ string) bool { return strings.Contains(s, "PRIVATE KEY-----") }},
	// "Bearer <token>" and "Basic <credentials>" in an echoed Authorization header.
	{regexp.MustCompile(`(?i)\b((?:bearer|basic)(?:\s+|%20|\+))[^\s"',;&\\]{8,}`),
		func(_, lower string) bool {
			return strings.Contains(lower, "bearer") || strings.Contains(lower, "basic")
		}},
	// Form and query parameters that carry credentials.
	{regexp.MustCompile(`(?i)\b((?:client_assertion|refresh_token|access_token|id_token|client_secret|code|password|token|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|Signature|AWSAccessKeyId)(?:=|%3D))[^\s&"',;\\]+`),
		func(s, lower string) bool { return strings.Contains(s, "=") || strings.Contains(lower, "%3d") }},
	// The same fields in JSON ("refresh_token": "...").
	{regexp.MustCompile(`(?i)("(?:client_assertion|refresh_token|access_token|id_token|client_secret|password|token)"\s*:\s*)"(?:[^"\\]|\\.)*"`),
		func(s, _ string) bool { return strings.Contains(s, `"`) && strings.Contains(s, ":") }},
	// AWS Signature V4 Authorization header: Credential=AKID/date/region/s3/aws4_request.
	{regexp.MustCompile(`(?i)\b(Credential\s*=\s*)[^\s,;&"']+`),
		func(s, _ string) bool { return strings.Contains(s, "=") }},
	// AWS access key ids (AKIA long-term, ASIA temporary).
	{regexp.MustCompile(`\b()(?:AKIA|ASIA)[A-Z0-9]{16}\b`),
		func(s, _ string) bool { return strings.Contains(s, "AKIA") || strings.Contains(s, "ASIA") }},
	// JWTs: three base64url segments, the first a JSON header ("eyJ" is `{"`), or any three
	// long segments (a JWT whose header starts with whitespace, or a JWE/JWS fragment).
	{regexp.MustCompile(`()\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*`),
		func(s, _ string) bool { return strings.Contains(s, "eyJ") }},
	{regexp.MustCompile(`()[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}`),
		func(s, _ string) bool { return longSegmentThenDot(s) }},
}

// folded returns s in lower case with the two letters outside ASCII that a case-insensitive
// expression matches to ASCII ones (Unicode's case folding: ſ, the long s, to s, and K, the
// Kelvin sign, to k, which strings.ToLower already gives) made ASCII too: an ASCII keyword
// is in folded(s) wherever the expression can find it in s. Exception reasons often hold
// non-ASCII text (£, →), which must not send them through every expression.
func folded(s string) string {
	lower := strings.ToLower(s)
	for i := 0; i < len(lower); i++ {
		if lower[i] >= utf8.RuneSelf {
			return strings.ReplaceAll(lower, "ſ", "s")
		}
	}
	return lower
}

// longSegmentThenDot reports whether s has 16 or more base64url characters in a row followed
// by a dot: what the first segment of a three-segment token needs.
func longSegmentThenDot(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_', c == '-':
			run++
		case c == '.' && run >= 16:
			return true
		default:
			run = 0
		}
	}
	return false
}

// String returns s without any registered secret and without anything shaped like a
// credential.
func String(s string) string {
	if s == "" {
		return s
	}
	registry.mu.RLock()
	for _, lists := range [][]string{registry.permanent, registry.ephemeral} {
		for _, sec := range lists {
			if strings.Contains(s, sec) {
				s = strings.ReplaceAll(s, sec, Mark)
			}
		}
	}
	registry.mu.RUnlock()
	lower := folded(s)
	for _, p := range patterns {
		if p.may(s, lower) {
			s = p.re.ReplaceAllString(s, "${1}"+Mark)
		}
	}
	return s
}

// Bytes is String for a byte slice.
func Bytes(b []byte) []byte { return []byte(String(string(b))) }

// Error wraps err so that its message is redacted; errors.Is and errors.As still see err.
// A nil err stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	var r *redacted
	if errors.As(err, &r) && r == err {
		return err
	}
	return &redacted{err}
}

type redacted struct{ err error }

func (r *redacted) Error() string { return String(r.err.Error()) }
func (r *redacted) Unwrap() error { return r.err }

// Writer returns a writer that redacts each Write before passing it to w. A slog handler and
// fmt.Fprintf write one record or message per call, so a secret is never split across two
// writes by them. The count returned is len(p) when the redacted text was written in full.
func Writer(w io.Writer) io.Writer { return &writer{w: w} }

type writer struct{ w io.Writer }

func (w *writer) Write(p []byte) (int, error) {
	if _, err := w.w.Write(Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}
