package revoluttest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

const basePath = "/api/1.0"

// Faults makes the fake misbehave the way real networks and the real API do. Random
// choices come from a stream seeded by Options.Seed, so a given sequence of requests meets
// the same faults every time. The token endpoint is never faulted.
type Faults struct {
	// Latency delays every API response.
	Latency time.Duration
	// Error5xxRate is the fraction of API requests answered 500, 502 (an HTML body, as a
	// proxy would send) or 503 with Retry-After: 1.
	Error5xxRate float64
	// RateLimitStorm answers the next N API requests 429; every other one carries
	// Retry-After: 1, the rest none.
	RateLimitStorm int
	// DropConnectionRate is the fraction of API requests whose connection is closed
	// without a response.
	DropConnectionRate float64
	// TruncateBodyRate is the fraction of successful API responses cut off half way
	// (Content-Length announces the full body, then the connection closes).
	TruncateBodyRate float64
	// Unauthorized401Once answers the next authorised API request 401, as if the access
	// token had been revoked early; a client should refresh once and retry.
	Unauthorized401Once bool
	// ExpensesNotEnabled makes GET /expenses answer as for a business without the expenses
	// API, with the spec's examples: 9002 answers 403 {"code":9002,"message":"Expenses API
	// for business is disabled"}, 3470 answers 422 {"code":3470,"message":"Expenses feature is
	// not enabled"}. 0 is off.
	ExpensesNotEnabled int
	// ClampCount makes every time-paged list (count or limit with to/created_before) serve at
	// most this many records per page, whatever the request asks for (a valid count is
	// accepted, not refused), as a server with a smaller page size than documented would.
	// 0 is off.
	ClampCount int
	// Respond, if set, is asked for every authorised API request (after the faults above) and
	// replaces the route's answer when it returns a non-nil *Response: oversized bodies,
	// hostile error bodies, echoes of the request. It runs with the server's lock held and
	// must not call the Server.
	Respond func(route string, r *http.Request) *Response
}

// Response is an answer injected by Faults.Respond.
type Response struct {
	Status      int    // default 200
	ContentType string // default application/json
	Body        []byte
}

type faultState struct {
	f     Faults
	storm int
	r     *rand.Rand
}

func (f *faultState) init(seed int64) { f.r = rand.New(rand.NewPCG(uint64(seed), 0xfa17)) }

// roll draws from the fault stream only when the rate is set, so enabling one fault does
// not shift the draws of another.
func (f *faultState) roll(rate float64) bool { return rate > 0 && f.r.Float64() < rate }

// SetFaults replaces the fault configuration (and restarts any storm).
func (s *Server) SetFaults(f Faults) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.f = f
	s.faults.storm = f.RateLimitStorm
	s.auth.failNext = f.Unauthorized401Once
}

// Stats counts what the fake saw and answered.
type Stats struct {
	// Requests counts API requests (token endpoint excluded), whatever their answer.
	Requests int
	// ByPath counts requests per route, e.g. "GET /transactions",
	// "GET /expenses/{expense_id}/receipts/{receipt_id}/content", "POST /auth/token".
	ByPath map[string]int
	// RateLimited counts 429 answers (rate limit and storms).
	RateLimited int
	// Unauthorized counts 401 answers.
	Unauthorized int
	// ServerErrors counts injected 5xx answers.
	ServerErrors int
	// Dropped and Truncated count injected connection faults.
	Dropped, Truncated int
	// PeakPerMinute is the most API requests received in any rolling 60 seconds of the
	// fake's clock (429 answers included).
	PeakPerMinute int
	// TokenRequests counts POST /auth/token; TokenExchanges the successful ones.
	TokenRequests, TokenExchanges int
}

type statsState struct {
	Stats
	byPath         map[string]int
	seen           window // every API request
	tokenRequests  int
	tokenExchanges int
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.stats.Stats
	st.ByPath = make(map[string]int, len(s.stats.byPath))
	for k, v := range s.stats.byPath {
		st.ByPath[k] = v
	}
	st.TokenRequests, st.TokenExchanges = s.stats.tokenRequests, s.stats.tokenExchanges
	return st
}

// window holds the instants of requests within the last minute.
type window struct {
	at   []int64
	head int
}

func (w *window) prune(now int64) {
	for w.head < len(w.at) && w.at[w.head] <= now-int64(time.Minute) {
		w.head++
	}
	if w.head > 1024 && w.head*2 > len(w.at) {
		w.at = append(w.at[:0], w.at[w.head:]...)
		w.head = 0
	}
}

func (w *window) add(now int64) { w.at = append(w.at, now) }
func (w *window) len() int      { return len(w.at) - w.head }
func (w *window) oldest() int64 { return w.at[w.head] }
func (l *limiter) retryAfter(now int64) int {
	wait := l.accepted.oldest() + int64(time.Minute) - now
	return max(1, int((wait+int64(time.Second)-1)/int64(time.Second)))
}

type limiter struct{ accepted window }

// apiError is the API's error body. ErrorID is set on the routes whose spec uses ErrorWithId.
type apiError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	ErrorID string `json:"error_id,omitempty"`
}

// Error codes the API documents.
const (
	codeBadRequest   = 3000
	codeNotFound     = 3006
	codeRateLimited  = 3162
	codeUnauthorized = 9001
	// codeForbidden is the spec's example for GET /expenses when the expenses API is
	// disabled (403); codeExpensesNotEnabled when the expenses feature is (422).
	codeForbidden          = 9002
	codeExpensesNotEnabled = 3470
)

// reply is what a route handler produces; the middleware writes it.
type reply struct {
	status     int
	ctype      string
	body       []byte
	retryAfter int // seconds; 0 = no header
}

func jsonReply(body []byte) reply {
	return reply{status: http.StatusOK, ctype: "application/json", body: body}
}

func errReply(status, code int, msg string) reply {
	b, _ := json.Marshal(apiError{Code: code, Message: msg})
	return reply{status: status, ctype: "application/json", body: b}
}

func badRequest(format string, args ...any) reply {
	return errReply(http.StatusBadRequest, codeBadRequest, fmt.Sprintf(format, args...))
}

func notFound(msg string) reply { return errReply(http.StatusNotFound, codeNotFound, msg) }

// Handler serves the API under /api/1.0.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+basePath+"/auth/token", s.handleToken)
	routes := []struct {
		pattern   string
		h         func(*http.Request, time.Time) reply
		withErrID bool
	}{
		{"/accounts", s.getAccounts, false},
		{"/transactions", s.getTransactions, false},
		{"/transaction/{id}", s.getTransaction, false},
		{"/expenses", s.getExpenses, false},
		{"/expenses/{expense_id}", s.getExpense, false},
		{"/expenses/{expense_id}/receipts/{receipt_id}/content", s.getReceipt, false},
		{"/accounting-categories", s.getCategories, true},
		{"/tax-rates", s.getTaxRates, true},
		{"/label-groups", s.getLabelGroups, true},
		{"/label-groups/{group_id}/labels", s.getLabels, true},
		{"/cards", s.getCards, false},
		{"/team-members", s.getTeamMembers, true},
		{"/counterparties", s.getCounterparties, false},
	}
	for _, rt := range routes {
		mux.Handle("GET "+basePath+rt.pattern, s.api("GET "+rt.pattern, rt.h, rt.withErrID))
	}
	mux.HandleFunc(basePath+"/", func(w http.ResponseWriter, r *http.Request) {
		writeReply(w, errReply(http.StatusNotFound, codeNotFound, "Not found"))
	})
	return mux
}

// api wraps a route with what every API request goes through, in this order: statistics,
// the rate limit, injected faults, authentication, then the route itself.
func (s *Server) api(route string, h func(*http.Request, time.Time) reply, withErrID bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, latency, drop, truncate := s.serve(route, r, h)
		if withErrID && rep.status >= 400 && rep.status != http.StatusTooManyRequests && strings.HasPrefix(rep.ctype, "application/json") {
			var e apiError
			if json.Unmarshal(rep.body, &e) == nil {
				e.ErrorID = randomToken()[:16]
				rep.body, _ = json.Marshal(e)
			}
		}
		if latency > 0 {
			t := time.NewTimer(latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if drop {
			panic(http.ErrAbortHandler) // closes the connection without a response
		}
		if truncate {
			w.Header().Set("Content-Type", rep.ctype)
			w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
			w.WriteHeader(rep.status)
			_, _ = w.Write(rep.body[:len(rep.body)/2])
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			panic(http.ErrAbortHandler)
		}
		writeReply(w, rep)
	})
}

func writeReply(w http.ResponseWriter, rep reply) {
	w.Header().Set("Content-Type", rep.ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(rep.body)))
	if rep.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(rep.retryAfter))
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

func (s *Server) serve(route string, r *http.Request, h func(*http.Request, time.Time) reply) (rep reply, latency time.Duration, drop, truncate bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.catchUp()
	now := s.now()
	n := now.UnixNano()
	st := &s.stats
	st.Requests++
	st.byPath[route]++
	st.seen.prune(n)
	st.seen.add(n)
	st.PeakPerMinute = max(st.PeakPerMinute, st.seen.len())
	f := &s.faults
	latency = f.f.Latency

	if lim := s.opts.RatePerMinute; lim > 0 {
		s.limit.accepted.prune(n)
		if s.limit.accepted.len() >= lim {
			st.RateLimited++
			rep = errReply(http.StatusTooManyRequests, codeRateLimited, "Request rate limit has been reached. Please try again later.")
			rep.retryAfter = s.limit.retryAfter(n)
			return rep, latency, false, false
		}
		s.limit.accepted.add(n)
	}
	if f.storm > 0 {
		f.storm--
		st.RateLimited++
		rep = errReply(http.StatusTooManyRequests, codeRateLimited, "Request rate limit has been reached. Please try again later.")
		if f.storm%2 == 0 {
			rep.retryAfter = 1
		}
		return rep, latency, false, false
	}
	if f.roll(f.f.DropConnectionRate) {
		st.Dropped++
		return rep, latency, true, false
	}
	if f.roll(f.f.Error5xxRate) {
		st.ServerErrors++
		switch f.r.IntN(3) {
		case 0:
			rep = errReply(http.StatusInternalServerError, 0, "Internal server error")
		case 1:
			rep = reply{status: http.StatusBadGateway, ctype: "text/html", body: []byte("<html><body><h1>502 Bad Gateway</h1></body></html>\n")}
		default:
			rep = errReply(http.StatusServiceUnavailable, 0, "Service temporarily unavailable")
			rep.retryAfter = 1
		}
		return rep, latency, false, false
	}
	if !s.authorized(r, now) || s.auth.failNext {
		if s.auth.failNext && s.authorized(r, now) {
			s.auth.failNext = false
		}
		st.Unauthorized++
		return errReply(http.StatusUnauthorized, codeUnauthorized, "The request should be authorized."), latency, false, false
	}
	if code := f.f.ExpensesNotEnabled; code != 0 && route == "GET /expenses" {
		switch code {
		case codeExpensesNotEnabled:
			return errReply(http.StatusUnprocessableEntity, code, "Expenses feature is not enabled"), latency, false, false
		default:
			return errReply(http.StatusForbidden, code, "Expenses API for business is disabled"), latency, false, false
		}
	}
	if f.f.Respond != nil {
		if inj := f.f.Respond(route, r); inj != nil {
			rep = reply{status: inj.Status, ctype: inj.ContentType, body: inj.Body}
			if rep.status == 0 {
				rep.status = http.StatusOK
			}
			if rep.ctype == "" {
				rep.ctype = "application/json"
			}
			return rep, latency, false, false
		}
	}
	rep = h(r, now)
	if rep.status == http.StatusOK && f.roll(f.f.TruncateBodyRate) {
		st.Truncated++
		truncate = true
	}
	return rep, latency, false, truncate
}

// Serve serves the API on ln until ln is closed; URL reports the base URL meanwhile.
// `revledger fake-api` uses it (or Start).
func (s *Server) Serve(ln net.Listener) error {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.baseURL = "http://" + ln.Addr().String() + basePath
	s.mu.Unlock()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("revoluttest: serve: %w", err)
	}
	return nil
}

// Start listens on addr (e.g. "127.0.0.1:0") and serves in the background. It returns the
// base URL (with /api/1.0) and a stop function that closes the listener.
func (s *Server) Start(addr string) (url string, stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("revoluttest: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.baseURL = "http://" + ln.Addr().String() + basePath
	url = s.baseURL
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return url, func() { _ = srv.Close() }, nil
}
