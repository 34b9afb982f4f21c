package revoluttest

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

func TestRateLimit(t *testing.T) {
	t.Parallel()
	clock := &testClock{t: fixedEnd}
	s := NewTestServer(t, Options{End: fixedEnd, Transactions: 100, Clock: clock.now, RatePerMinute: 5})
	tok := accessToken(t, s) // the token endpoint is not rate limited

	status := func() (int, string, apiError) {
		resp, body := get(t, s, tok, "/accounts")
		var e apiError
		_ = json.Unmarshal(body, &e)
		return resp.StatusCode, resp.Header.Get("Retry-After"), e
	}
	// Requests at t+0, t+10s, ..., t+40s: five within the minute, all allowed.
	for i := range 5 {
		if code, _, _ := status(); code != http.StatusOK {
			t.Fatalf("request %d: status %d, want 200", i+1, code)
		}
		clock.t = clock.t.Add(10 * time.Second)
	}
	// Now t+50s: the sixth within the rolling minute. The oldest (t+0) leaves the window at
	// t+60s, so Retry-After is 10 seconds.
	code, retry, e := status()
	if code != http.StatusTooManyRequests || retry != "10" || e.Code != 3162 || e.Message == "" {
		t.Fatalf("sixth request: %d Retry-After %q body %+v; want 429, 10, code 3162", code, retry, e)
	}
	clock.t = clock.t.Add(10 * time.Second) // t+60s: the request at t+0 has left the window
	if code, _, _ := status(); code != http.StatusOK {
		t.Fatalf("after the window moved: status %d, want 200", code)
	}
	st := s.Stats()
	if st.RateLimited != 1 || st.PeakPerMinute != 6 || st.ByPath["GET /accounts"] != 7 {
		t.Errorf("stats %+v: want 1 rate-limited, peak 6 (five accepted plus the refused one), 7 requests to /accounts", st)
	}
}

func TestRateLimitStorm(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{End: fixedEnd, Transactions: 100})
	tok := accessToken(t, s)
	s.SetFaults(Faults{RateLimitStorm: 4})
	var retryAfter []string
	for range 4 {
		resp, _ := get(t, s, tok, "/accounts")
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("storm: status %d, want 429", resp.StatusCode)
		}
		retryAfter = append(retryAfter, resp.Header.Get("Retry-After"))
	}
	// Storm of 4: after answering, 3, 2, 1, 0 remain; even remainders carry Retry-After.
	if want := []string{"", "1", "", "1"}; !equalStrings(retryAfter, want) {
		t.Errorf("Retry-After headers %q, want %q", retryAfter, want)
	}
	if resp, _ := get(t, s, tok, "/accounts"); resp.StatusCode != http.StatusOK {
		t.Errorf("after the storm: %d, want 200", resp.StatusCode)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestFaults(t *testing.T) {
	t.Parallel()
	s := NewTestServer(t, Options{End: fixedEnd, Transactions: 300})
	tok := accessToken(t, s)
	do := func() (*http.Response, []byte, error) {
		req, _ := http.NewRequest(http.MethodGet, s.URL()+"/transactions?count=200", nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		// A fresh transport per request: a dropped connection must not poison the next one.
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Do(req)
		if err != nil {
			return nil, nil, err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp, b, err
	}

	s.SetFaults(Faults{Error5xxRate: 1})
	for range 6 {
		resp, body, err := do()
		if err != nil || resp.StatusCode < 500 {
			t.Fatalf("5xx fault: %v %v %s", err, resp, body)
		}
		if resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "1" {
			t.Errorf("503 without Retry-After")
		}
	}

	s.SetFaults(Faults{DropConnectionRate: 1})
	if _, _, err := do(); err == nil {
		t.Errorf("dropped connection: no error")
	}

	s.SetFaults(Faults{TruncateBodyRate: 1})
	resp, body, err := do()
	if err == nil || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated body: err %v (status %v, %d bytes), want unexpected EOF", err, resp, len(body))
	}

	s.SetFaults(Faults{})
	if resp, _, err := do(); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("faults cleared: %v %v", err, resp)
	}
	st := s.Stats()
	if st.ServerErrors != 6 || st.Dropped != 1 || st.Truncated != 1 {
		t.Errorf("stats %+v", st)
	}
}
