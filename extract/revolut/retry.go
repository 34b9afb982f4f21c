package revolut

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff is the wait before retry number attempt (1 for the first retry): exponential from
// base, capped at max, with "equal jitter" so that the wait lies in [d/2, d]. Half of the wait
// is fixed so that a retry storm still spreads out; the random half keeps concurrent clients
// from retrying in lockstep. rnd returns a value in [0, 1).
func backoff(attempt int, base, max time.Duration, rnd func() float64) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	half := d / 2
	return half + time.Duration(rnd()*float64(d-half))
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP date. It reports false
// when the header is absent or unreadable. A date in the past means "now" (zero).
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Guard against an absurd value overflowing time.Duration.
		const maxSecs = int64(24 * time.Hour / time.Second)
		if secs > maxSecs {
			secs = maxSecs
		}
		return time.Duration(secs) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return d, true
	}
	return 0, false
}

// sleepContext waits for d or until ctx is done, whichever comes first.
func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
