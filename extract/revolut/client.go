package revolut

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/revledger/revledger/internal/redact"
)

// Base URLs of the Revolut Business API.
const (
	ProductionURL = "https://b2b.revolut.com/api/1.0"
	SandboxURL    = "https://sandbox-b2b.revolut.com/api/1.0"
)

// Defaults applied by Config for fields left at their zero value.
const (
	DefaultRatePerMinute  = 60 // Revolut's documented limit per business
	DefaultMaxAttempts    = 8  // first try + 7 retries: survives about two minutes of 429s
	DefaultRetryBaseDelay = time.Second
	DefaultRetryMaxDelay  = time.Minute
	DefaultHTTPTimeout    = 2 * time.Minute
	DefaultMaxRetryAfter  = 5 * time.Minute
	// DefaultMaxResponseBytes bounds one JSON response: a full page of 1,000 transactions is
	// about 1.5 MB, so 32 MiB is twenty times what a real page needs, and small enough that
	// a hostile or broken answer cannot exhaust memory.
	DefaultMaxResponseBytes = 32 << 20
	// DefaultMaxReceiptBytes bounds one receipt download (a phone photo or a PDF is a few MB).
	DefaultMaxReceiptBytes = 64 << 20
)

// Config configures a Client. Only cmd/revledger fills it from flags and environment.
type Config struct {
	// BaseURL is the API root including /api/1.0. Default ProductionURL; tests and the demo
	// point it at the fake API.
	BaseURL string
	// ClientID is the client_id Revolut gave the API certificate; it is the JWT's sub.
	ClientID string
	// Issuer is the host of the redirect URI set on the certificate (no scheme, no path);
	// it is the JWT's iss.
	Issuer string
	// PrivateKey signs the client assertion. See LoadPrivateKey.
	PrivateKey *rsa.PrivateKey
	// RefreshToken is the long-lived token from the first code exchange. It may be empty
	// until ExchangeAuthorizationCode has run.
	RefreshToken string
	// OnRefreshToken, if set, is called with a new refresh token whenever the token endpoint
	// returns one (the first code exchange, or a rotation), so that the caller can store it.
	OnRefreshToken func(refreshToken string)

	// RatePerMinute paces every request of this client, token calls included, at 95% of this
	// rate, evenly spaced. Default 60.
	RatePerMinute int
	// Limiter, when set, is waited on too before every request (token calls and retries
	// included), after the client's own pacing: a budget shared with other clients and
	// processes, such as ratelimit.Limiter.For(business), so that many workers calling for
	// one business stay within that business's limit together. Its error stops the request.
	Limiter interface {
		Wait(ctx context.Context) error
	}
	// MaxAttempts bounds the tries of one request (first try included) on 429, 5xx, network
	// errors and undecodable bodies. Default 8.
	MaxAttempts int
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff used when the server does
	// not send Retry-After. Defaults 1 s and 1 min.
	RetryBaseDelay time.Duration
	RetryMaxDelay  time.Duration
	// MaxRetryAfter is the longest Retry-After the client will wait out. A server asking for
	// a longer pause gets the error back at once (a *RateLimitError for a 429), so a batch
	// run fails clearly instead of hanging. Default 5 min.
	MaxRetryAfter time.Duration
	// MaxResponseBytes is the longest JSON response body the client reads; a longer one fails
	// the request with *ResponseTooLargeError, naming the endpoint. Default 32 MiB.
	MaxResponseBytes int64
	// MaxReceiptBytes is the longest receipt the client downloads; reading past it fails the
	// receipt's Body with *ResponseTooLargeError. Default 64 MiB.
	MaxReceiptBytes int64

	// HTTPClient sends the requests. Default: an http.Client with a 2-minute timeout.
	HTTPClient *http.Client
	// Logger receives retries and token refreshes (never a credential). Default: discard.
	Logger *slog.Logger
	// Now and Sleep are the clock, injectable so that tests can run the limiter and the
	// backoff on a scaled or fake clock. Sleep must return ctx.Err() when ctx ends first.
	// Defaults time.Now and a timer wait.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Rand returns a float in [0, 1) for backoff jitter. Default math/rand/v2.
	Rand func() float64
}

func (c Config) withDefaults() Config {
	if c.BaseURL == "" {
		c.BaseURL = ProductionURL
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.RatePerMinute == 0 {
		c.RatePerMinute = DefaultRatePerMinute
	}
	if c.MaxAttempts == 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.RetryBaseDelay == 0 {
		c.RetryBaseDelay = DefaultRetryBaseDelay
	}
	if c.RetryMaxDelay == 0 {
		c.RetryMaxDelay = DefaultRetryMaxDelay
	}
	if c.MaxRetryAfter == 0 {
		c.MaxRetryAfter = DefaultMaxRetryAfter
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = DefaultMaxResponseBytes
	}
	if c.MaxReceiptBytes == 0 {
		c.MaxReceiptBytes = DefaultMaxReceiptBytes
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultHTTPTimeout}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Sleep == nil {
		c.Sleep = sleepContext
	}
	if c.Rand == nil {
		c.Rand = rand.Float64
	}
	return c
}

// SettingError is a Config setting that cannot work. Setting names the Config field
// (BaseURL, ClientID, Issuer, PrivateKey, RatePerMinute, ...), so that a caller filling Config
// from its own configuration can say which of its settings to fix.
type SettingError struct {
	Setting string
	Problem string
}

func (e *SettingError) Error() string { return "revolut: " + e.Problem }

// CheckSettings reports every setting of c that cannot work, other than the private key,
// as *SettingError values joined with errors.Join, or nil. NewClient runs it (and checks the
// key); a caller may run it first, before it reads the key file, as the one check of the
// credentials' settings.
func (c Config) CheckSettings() error {
	c = c.withDefaults()
	var errs []error
	bad := func(setting, format string, args ...any) {
		errs = append(errs, &SettingError{Setting: setting, Problem: fmt.Sprintf(format, args...)})
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("BaseURL", "base URL %q must be an absolute http(s) URL such as %s", c.BaseURL, ProductionURL)
	}
	if c.ClientID == "" {
		bad("ClientID", "client ID is required (the client_id shown for the API certificate)")
	}
	if c.Issuer == "" {
		bad("Issuer", "issuer is required (the host of the certificate's redirect URI)")
	} else if strings.Contains(c.Issuer, "://") || strings.ContainsAny(c.Issuer, "/?#") {
		bad("Issuer", "issuer %q must be a bare host (the redirect URI's host only), without scheme or path", c.Issuer)
	}
	if c.RatePerMinute < 0 {
		bad("RatePerMinute", "rate per minute %d must be positive", c.RatePerMinute)
	}
	if c.MaxAttempts < 1 {
		bad("MaxAttempts", "max attempts %d must be at least 1", c.MaxAttempts)
	}
	if c.MaxResponseBytes < 0 || c.MaxReceiptBytes < 0 {
		bad("MaxResponseBytes", "response limits (%d, %d bytes) must be positive", c.MaxResponseBytes, c.MaxReceiptBytes)
	}
	if c.RetryBaseDelay < 0 || c.RetryMaxDelay < c.RetryBaseDelay {
		bad("RetryBaseDelay", "retry delays base=%s max=%s must satisfy 0 <= base <= max", c.RetryBaseDelay, c.RetryMaxDelay)
	}
	return errors.Join(errs...)
}

func (c Config) validate() error {
	err := c.CheckSettings()
	if c.PrivateKey == nil {
		err = errors.Join(err, &SettingError{Setting: "PrivateKey", Problem: "private key is required (see LoadPrivateKey)"})
	}
	return err
}

// Client calls the Revolut Business API. It is safe for concurrent use; all its requests
// share one rate limiter and one access token.
type Client struct {
	cfg     Config
	limiter *rate.Limiter
	tokens  *tokenSource
	stats   struct {
		requests, retries, rateLimited, tokenRefreshes, outsideWindow atomic.Int64
	}
	// pageHonoured holds, per list stream, the largest page size the server has been seen to
	// fill: a shorter page of at most that size is then known to be the last one.
	pageHonoured sync.Map // stream → *atomic.Int64
}

// NewClient checks cfg and returns a Client. It makes no request.
func NewClient(cfg Config) (*Client, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	c := &Client{
		cfg:     cfg,
		limiter: rate.NewLimiter(rate.Every(paceInterval(cfg.RatePerMinute)), 1),
	}
	c.tokens = newTokenSource(c, cfg.RefreshToken)
	return c, nil
}

// paceInterval is the spacing between two requests at perMinute. Burst is 1, so requests are
// spaced evenly and no 60-second window holds more than perMinute of them (a larger burst
// would allow burst+rate in one window). The spacing is 5% wider than exact because network
// and scheduling jitter can bring two requests closer together by the time the server counts
// them; exact spacing would put the server's rolling count right on the limit.
func paceInterval(perMinute int) time.Duration {
	return time.Minute * 105 / 100 / time.Duration(perMinute)
}

// Stats counts what a client has done since it was created.
type Stats struct {
	Requests       int64 // HTTP requests sent, token calls and retries included
	Retries        int64 // requests that were a retry of an earlier failure
	RateLimited    int64 // 429 answers received
	TokenRefreshes int64 // successful token exchanges (code or refresh token)
	// OutsideWindow counts list records the server returned outside the window asked for
	// (each is logged); they are not yielded.
	OutsideWindow int64
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats {
	return Stats{
		Requests:       c.stats.requests.Load(),
		Retries:        c.stats.retries.Load(),
		RateLimited:    c.stats.rateLimited.Load(),
		TokenRefreshes: c.stats.tokenRefreshes.Load(),
		OutsideWindow:  c.stats.outsideWindow.Load(),
	}
}

// call describes one logical API request; send turns it into one or more HTTP attempts.
type call struct {
	op     string // Revolut operation id, for logs
	method string
	path   string // escaped path below the base URL, e.g. "/transactions"
	query  url.Values
	// form, when set, builds a form-encoded body afresh for every attempt (token calls sign a
	// new client assertion each time). Its values are secrets and never reach a log or error.
	form func() (url.Values, error)
	// auth adds the bearer access token and refreshes it once after a 401.
	auth bool
	// refused, when set, turns a 4xx answer other than 429 into the call's error (the token
	// endpoint's answers become *AuthError); the 401 refresh does not apply.
	refused func(status int, body []byte) error
	// handle consumes a 2xx response. An error wrapping *decodeError is retried like a
	// transport failure; any other error is returned as is.
	handle func(*http.Response) error
	// stream leaves the body open after a successful handle; handle then owns it.
	stream bool
}

// waitTurn blocks until the limiter (and Config.Limiter, if set) lets one more request go.
func (c *Client) waitTurn(ctx context.Context) error {
	now := c.cfg.Now()
	r := c.limiter.ReserveN(now, 1)
	if !r.OK() {
		return errors.New("revolut: rate limiter refused a request")
	}
	if err := c.cfg.Sleep(ctx, r.DelayFrom(now)); err != nil {
		r.CancelAt(c.cfg.Now())
		return err
	}
	if c.cfg.Limiter != nil {
		return c.cfg.Limiter.Wait(ctx)
	}
	return nil
}

// send performs a call with pacing, authentication and bounded retries. It is the only place
// that retries: callers above it never loop on errors.
func (c *Client) send(ctx context.Context, cl call) error {
	reauthed := false
	var lastErr error
	for attempt := 1; ; attempt++ {
		if attempt > 1 {
			c.stats.retries.Add(1)
		}
		retryAfter, err := c.attempt(ctx, cl, &reauthed)
		if err == nil {
			return nil
		}
		if errors.Is(err, errRetryNow) {
			// A 401 answered by a token refresh: try again at once, without using up an attempt.
			attempt--
			continue
		}
		if ctx.Err() != nil {
			return fmt.Errorf("revolut: %s: %w", cl.op, ctx.Err())
		}
		var r *retryable
		if !errors.As(err, &r) {
			return err
		}
		// Unwrap the marker so that a caller that itself sends (the token refresh inside
		// an API call) does not retry an already exhausted request a second time.
		lastErr = r.err
		if attempt >= c.cfg.MaxAttempts {
			return fmt.Errorf("revolut: %s: giving up after %d attempts: %w", cl.op, attempt, lastErr)
		}
		if retryAfter > c.cfg.MaxRetryAfter {
			return fmt.Errorf("revolut: %s: the server asks to wait %s, more than the %s allowed: %w", cl.op, retryAfter, c.cfg.MaxRetryAfter, lastErr)
		}
		delay := retryAfter
		if delay <= 0 {
			delay = backoff(attempt, c.cfg.RetryBaseDelay, c.cfg.RetryMaxDelay, c.cfg.Rand)
		}
		c.cfg.Logger.WarnContext(ctx, "revolut request failed, retrying",
			slog.String("operation", cl.op), slog.Int("attempt", attempt),
			slog.Duration("delay", delay), slog.String("error", err.Error()))
		if err := c.cfg.Sleep(ctx, delay); err != nil {
			return fmt.Errorf("revolut: %s: waiting to retry after %v: %w", cl.op, lastErr, err)
		}
	}
}

// errRetryNow asks send to repeat an attempt immediately (after a token refresh).
var errRetryNow = errors.New("retry now")

// retryable wraps a failure that another attempt may cure.
type retryable struct{ err error }

func (r *retryable) Error() string { return r.err.Error() }
func (r *retryable) Unwrap() error { return r.err }

// attempt makes one HTTP request. It returns the server's Retry-After (zero if none) and an
// error that is *retryable when another attempt may succeed.
func (c *Client) attempt(ctx context.Context, cl call, reauthed *bool) (time.Duration, error) {
	if err := c.waitTurn(ctx); err != nil {
		return 0, fmt.Errorf("revolut: %s: waiting for the rate limiter: %w", cl.op, err)
	}
	req, tokenGen, err := c.newRequest(ctx, cl)
	if err != nil {
		return 0, err
	}
	c.stats.requests.Add(1)
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		// *url.Error holds the method and URL only, no header and no body; the URL is redacted
		// all the same, in case a query ever carries a credential.
		return 0, &retryable{redact.Error(fmt.Errorf("revolut: %s %s: %w", cl.method, cl.path, err))}
	}
	keepOpen := false
	defer func() {
		if !keepOpen {
			// Drain a little so the connection can be reused, then close.
			_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
			resp.Body.Close()
		}
	}()

	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		if err := cl.handle(resp); err != nil {
			var tooLarge *ResponseTooLargeError
			if errors.As(err, &tooLarge) {
				tooLarge.Method, tooLarge.Path = cl.method, cl.path
				return 0, err
			}
			var de *decodeError
			if errors.As(err, &de) {
				if ctx.Err() != nil {
					return 0, ctx.Err()
				}
				return 0, &retryable{fmt.Errorf("revolut: %s %s: %w", cl.method, cl.path, err)}
			}
			return 0, err
		}
		keepOpen = cl.stream
		return 0, nil
	}

	body, readErr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if readErr != nil && ctx.Err() != nil {
		return 0, ctx.Err()
	}
	retryAfter, _ := parseRetryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())
	code, msg := parseErrorBody(body)
	apiErr := APIError{Method: cl.method, Path: cl.path, Status: resp.StatusCode, Code: code, Message: msg}

	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		c.stats.rateLimited.Add(1)
		return retryAfter, &retryable{&RateLimitError{APIError: apiErr, RetryAfter: retryAfter}}
	case resp.StatusCode >= 500:
		return retryAfter, &retryable{&apiErr}
	case cl.refused != nil:
		return 0, cl.refused(resp.StatusCode, body)
	case resp.StatusCode == http.StatusUnauthorized && cl.auth && !*reauthed:
		// The access token was refused before its expiry (revoked, server restart...):
		// refresh once, for every goroutine that saw the same token, and try again.
		*reauthed = true
		c.cfg.Logger.InfoContext(ctx, "revolut access token refused, refreshing", slog.String("operation", cl.op))
		if _, _, err := c.tokens.refresh(ctx, tokenGen); err != nil {
			return 0, err
		}
		return 0, errRetryNow
	default:
		return 0, &apiErr
	}
}

// newRequest builds the HTTP request of one attempt. It returns the generation of the access
// token it used so that a 401 refreshes that token and not a newer one.
func (c *Client) newRequest(ctx context.Context, cl call) (*http.Request, uint64, error) {
	u := c.cfg.BaseURL + cl.path
	if len(cl.query) > 0 {
		u += "?" + cl.query.Encode()
	}
	var body io.Reader
	if cl.form != nil {
		form, err := cl.form()
		if err != nil {
			return nil, 0, err
		}
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u, body)
	if err != nil {
		return nil, 0, fmt.Errorf("revolut: %s: build request: %w", cl.op, err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "revledger")
	if cl.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	var gen uint64
	if cl.auth {
		tok, g, err := c.tokens.get(ctx)
		if err != nil {
			return nil, 0, err
		}
		gen = g
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return req, gen, nil
}

// getJSON GETs path and decodes the whole JSON body into v. A body that is truncated or not
// JSON is retried; it is never taken for an empty result.
func (c *Client) getJSON(ctx context.Context, op, path string, query url.Values, v any) error {
	return c.send(ctx, call{
		op: op, method: http.MethodGet, path: path, query: query, auth: true,
		handle: func(resp *http.Response) error { return decodeBody(resp, v, c.cfg.MaxResponseBytes) },
	})
}

// decodeBody reads the whole body before decoding, so that a connection cut mid-body is seen
// as the transport failure it is. A body longer than limit is refused with
// *ResponseTooLargeError (the caller fills in the endpoint) before it is held in memory: one
// byte past the limit is read, never more.
func decodeBody(resp *http.Response, v any, limit int64) error {
	if resp.ContentLength > limit {
		return &ResponseTooLargeError{Limit: limit, Length: resp.ContentLength}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return &decodeError{fmt.Errorf("read: %w", err)}
	}
	if int64(len(body)) > limit {
		return &ResponseTooLargeError{Limit: limit, Length: -1}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return &decodeError{err}
	}
	if dec.More() {
		return &decodeError{errors.New("trailing data after the JSON value")}
	}
	return nil
}
