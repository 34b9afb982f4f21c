package revolut

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/revledger/revledger/internal/redact"
)

// APIError is a non-success answer of the API that retrying will not fix (or that was still
// failing when the retries ran out). Code and Message come from the JSON error body
// {"code": <int>, "message": "..."} when there is one.
type APIError struct {
	Method  string
	Path    string // request path without the query
	Status  int    // HTTP status code
	Code    int    // Revolut error code, e.g. 3006 not found, 3470 expenses not enabled, 9002 forbidden
	Message string
}

// Error describes the failed call without any credential: only the method, the path, the
// status and the server's message.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "revolut: %s %s: HTTP %d", e.Method, e.Path, e.Status)
	if e.Code != 0 {
		fmt.Fprintf(&b, " (code %d)", e.Code)
	}
	if e.Message != "" {
		fmt.Fprintf(&b, ": %s", e.Message)
	}
	// The message was redacted when the error was made; redacting again covers an APIError
	// built elsewhere, and any secret learned since.
	return redact.String(b.String())
}

// Revolut error codes that mean "this business cannot use the expenses API". The spec
// documents both for GET /expenses: 9002 (403, "Expenses API for business is disabled") and
// 3470 (422, "Expenses feature is not enabled").
const (
	codeForbidden          = 9002
	codeExpensesNotEnabled = 3470
)

// IsNotEnabled reports whether err is the API's answer that a feature (the expenses API) is
// not available to this business: code 3470, or code 9002 on a 403. Such a list is empty by
// the business's choice, not broken; the caller reports it and carries on without it.
func IsNotEnabled(err error) bool {
	var apiErr *APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	switch apiErr.Code {
	case codeExpensesNotEnabled:
		return true
	case codeForbidden:
		return apiErr.Status == http.StatusForbidden
	}
	return false
}

// ResponseTooLargeError is a response body longer than the client accepts (Config.
// MaxResponseBytes for JSON, Config.MaxReceiptBytes for a receipt). It is not retried: the
// same request would get the same body.
type ResponseTooLargeError struct {
	Method string
	Path   string
	Limit  int64 // bytes
	Length int64 // the announced Content-Length, or -1 when the body simply ran over
}

// Error names the endpoint and the limit.
func (e *ResponseTooLargeError) Error() string {
	if e.Length >= 0 {
		return fmt.Sprintf("revolut: %s %s: the response body is %d bytes, more than the %d (%s) allowed; raise the limit if this is genuine",
			e.Method, e.Path, e.Length, e.Limit, mib(e.Limit))
	}
	return fmt.Sprintf("revolut: %s %s: the response body is longer than the %d bytes (%s) allowed; raise the limit if this is genuine",
		e.Method, e.Path, e.Limit, mib(e.Limit))
}

func mib(n int64) string { return fmt.Sprintf("%.4g MiB", float64(n)/(1<<20)) }

// RateLimitError is a 429 answer. RetryAfter is the wait the server asked for (zero when it
// did not say). The client retries these itself; a caller sees one only when the retries ran
// out.
type RateLimitError struct {
	APIError
	RetryAfter time.Duration
}

// Error reports the rate-limit answer and the wait the server asked for.
func (e *RateLimitError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s (retry after %s)", e.APIError.Error(), e.RetryAfter)
	}
	return e.APIError.Error()
}

// Unwrap exposes the embedded *APIError to errors.As.
func (e *RateLimitError) Unwrap() error { return &e.APIError }

// ErrReauthorize is wrapped by an *AuthError when the refresh token (or the authorisation
// code) is no longer accepted and only a person can fix it by consenting again.
var ErrReauthorize = errors.New("revolut: re-authorisation required")

// ReauthorizeHelp tells a person how to get a new refresh token.
const ReauthorizeHelp = "re-authorise: in the Revolut Business web app open Settings → APIs → Business API, " +
	"open the consent link of this certificate again, then run `revledger auth exchange --code <code from the redirect URL>`"

// AuthError is a refusal of the token endpoint (POST /auth/token). Reason is the OAuth error
// ("invalid_grant", "invalid_client", "unauthorized_client"...) or the Revolut error code.
// Its message never contains the refresh token, the code or the client assertion.
type AuthError struct {
	Status      int
	Reason      string
	Description string // the server's description, with any credential removed
	// Reauthorize is true when the grant itself was refused: the refresh token was revoked or
	// expired, or the authorisation code was used or stale.
	Reauthorize bool
}

// Error says what was refused and what a person has to do about it.
func (e *AuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "revolut: token request refused: HTTP %d", e.Status)
	if e.Reason != "" {
		fmt.Fprintf(&b, " %s", e.Reason)
	}
	if e.Description != "" {
		fmt.Fprintf(&b, " (%s)", redact.String(e.Description))
	}
	switch {
	case e.Reauthorize:
		b.WriteString(": the refresh token or authorisation code is no longer valid; ")
		b.WriteString(ReauthorizeHelp)
	case e.Reason == "unauthorized_client" || e.Reason == "invalid_client":
		b.WriteString(": check the client ID, the issuer (the redirect URI's host) and that the private key matches the certificate uploaded to Revolut")
	}
	return b.String()
}

// Unwrap lets errors.Is(err, ErrReauthorize) find a refused grant.
func (e *AuthError) Unwrap() error {
	if e.Reauthorize {
		return ErrReauthorize
	}
	return nil
}

// RecordError is one list record that could not be decoded. The pager yields it in place of
// the record and carries on with the rest, so the caller can quarantine Raw and keep syncing.
type RecordError struct {
	Stream string          // e.g. "transactions"
	ID     string          // the record's id when it could be read, else ""
	Raw    json.RawMessage // the record exactly as received
	Err    error
}

// Error names the stream and the record.
func (e *RecordError) Error() string {
	id := e.ID
	if id == "" {
		id = "(unknown id)"
	}
	return fmt.Sprintf("revolut: %s record %s: %v", e.Stream, id, e.Err)
}

// Unwrap returns the decoding error.
func (e *RecordError) Unwrap() error { return e.Err }

// TieOverflowError means a full page of records shares one millisecond, so the time cursor of
// a list cannot move past them without skipping some: the API offers no secondary sort key.
// Narrowing the request (by account or type for transactions) is the only way through.
type TieOverflowError struct {
	Stream string
	At     time.Time // the shared timestamp, truncated to the millisecond
	Count  int       // the page size that was full
}

// Error says where the pager stopped and why.
func (e *TieOverflowError) Error() string {
	return fmt.Sprintf("revolut: %s: %d or more records share the timestamp %s; the API cannot page past them by time (narrow the request, e.g. by account or type)",
		e.Stream, e.Count, e.At.UTC().Format(APIFormat))
}

// decodeError marks a response body that could not be read or decoded as a whole (truncated
// or not JSON). It is a transport failure: the request is retried, the page is never taken as
// empty.
type decodeError struct {
	err error
}

func (e *decodeError) Error() string { return fmt.Sprintf("undecodable response body: %v", e.err) }
func (e *decodeError) Unwrap() error { return e.err }

// parseErrorBody reads {"code", "message"} from an error response. Bodies that are not in that
// form (HTML from a proxy...) leave Code zero and put a short prefix of the text in Message.
// The message is redacted: a server may echo the request, Authorization header included.
func parseErrorBody(body []byte) (code int, message string) {
	var eb struct {
		Code    json.RawMessage `json:"code"`
		Message string          `json:"message"`
	}
	if err := json.Unmarshal(body, &eb); err == nil {
		// Some answers carry the code as a string; keep whatever integer we can read.
		var n int
		if json.Unmarshal(eb.Code, &n) != nil {
			var s string
			if json.Unmarshal(eb.Code, &s) == nil {
				fmt.Sscan(s, &n)
			}
		}
		if n != 0 || eb.Message != "" {
			return n, redact.String(eb.Message)
		}
	}
	// Redact before cutting, so that a secret cut in half is still recognised.
	text := redact.String(strings.TrimSpace(string(body)))
	const max = 200
	if len(text) > max {
		text = strings.ToValidUTF8(text[:max], "") + "…"
	}
	return 0, text
}
