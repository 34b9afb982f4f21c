package revolut_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
)

// countingLimiter is a Config.Limiter that counts its grants and can refuse.
type countingLimiter struct {
	waits  atomic.Int64
	refuse error
}

func (l *countingLimiter) Wait(ctx context.Context) error {
	if l.refuse != nil {
		return l.refuse
	}
	l.waits.Add(1)
	return ctx.Err()
}

// Every HTTP request, token calls and retries of 429s included, waits on Config.Limiter once.
func TestSharedLimiterGuardsEveryRequest(t *testing.T) {
	t.Parallel()
	srv := newFake(t, revoluttest.Options{Seed: 3, Transactions: 300})
	srv.SetFaults(revoluttest.Faults{RateLimitStorm: 3})
	lim := &countingLimiter{}
	c := newClient(t, srv, func(cfg *revolut.Config) { cfg.Limiter = lim })
	if txs, errs := pull(t, c.Transactions(t.Context(), revolut.TransactionListOptions{Count: 100})); len(errs) > 0 || len(txs) == 0 {
		t.Fatalf("%d transactions, %v", len(txs), errs)
	}
	st, cs := srv.Stats(), c.Stats()
	if st.TokenRequests == 0 || st.RateLimited != 3 || cs.Retries < 3 {
		t.Fatalf("the fake saw %d token requests and answered %d 429s (client retried %d times); the test needs both", st.TokenRequests, st.RateLimited, cs.Retries)
	}
	// The fake counts API requests and token requests apart; the client counts them all.
	if got, want := lim.waits.Load(), int64(st.Requests+st.TokenRequests); got != want || got != cs.Requests {
		t.Fatalf("limiter granted %d, fake saw %d requests, client sent %d; want all equal", got, want, cs.Requests)
	}

	// The limiter's refusal stops the request before it is sent.
	refusing := &countingLimiter{refuse: errors.New("budget store unreachable")}
	before := srv.Stats().Requests + srv.Stats().TokenRequests
	c2 := newClient(t, srv, func(cfg *revolut.Config) { cfg.Limiter = refusing; cfg.MaxAttempts = 1 })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := c2.Authenticate(ctx); err == nil || !errors.Is(err, refusing.refuse) {
		t.Fatalf("Authenticate with a refusing limiter: %v", err)
	}
	if after := srv.Stats().Requests + srv.Stats().TokenRequests; after != before {
		t.Fatalf("%d requests reached the server past a refusing limiter", after-before)
	}
}
