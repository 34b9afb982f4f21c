package revoluttest

import (
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestConcurrentUse serves requests while the clock advances and faults change, for the
// race detector to see (go test -race).
func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	clock := &syncClock{t: fixedEnd}
	s := NewTestServer(t, Options{End: fixedEnd, Transactions: 500, Clock: clock.now})
	tok := accessToken(t, s)
	var wg sync.WaitGroup
	for _, path := range []string{"/transactions?count=200", "/expenses?count=100", "/accounts", "/cards"} {
		wg.Go(func() {
			for range 20 {
				if resp, body := get(t, s, tok, path); resp.StatusCode != http.StatusOK {
					t.Errorf("GET %s: %d %s", path, resp.StatusCode, body)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			s.Advance(time.Minute) // 20 minutes in all: the access token (40 min) stays valid
			clock.add(time.Second)
			s.SetFaults(Faults{})
			_ = s.Stats()
		}
	})
	wg.Wait()
	if st := s.Stats(); st.Requests != 80 {
		t.Errorf("%d requests counted, want 80", st.Requests)
	}
}

type syncClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *syncClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *syncClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
