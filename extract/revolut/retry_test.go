package revolut_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		header string
		want   time.Duration
		ok     bool
	}{
		{"absent", "", 0, false},
		{"seconds", "7", 7 * time.Second, true},
		{"zero", "0", 0, true},
		{"spaces", " 3 ", 3 * time.Second, true},
		{"negative", "-1", 0, false},
		{"fraction is not allowed", "1.5", 0, false},
		{"garbage", "soon", 0, false},
		// 12:00:30 is 30 s after now.
		{"http date", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{"http date in the past", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"huge is capped at a day", "99999999999999", 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := revolut.ParseRetryAfter(tt.header, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("ParseRetryAfter(%q) = %v, %v; want %v, %v", tt.header, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestBackoffBounds(t *testing.T) {
	t.Parallel()
	base, max := 100*time.Millisecond, 2*time.Second
	// Uncapped wait for retry n is base·2^(n-1): 100, 200, 400, 800, 1600 ms, then the 2 s cap.
	// Equal jitter puts the actual wait in [d/2, d].
	ceilings := []time.Duration{100, 200, 400, 800, 1600, 2000, 2000, 2000}
	for i, ceilMs := range ceilings {
		attempt := i + 1
		d := ceilMs * time.Millisecond
		if got := revolut.Backoff(attempt, base, max, func() float64 { return 0 }); got != d/2 {
			t.Errorf("attempt %d with no jitter: %v, want %v", attempt, got, d/2)
		}
		got := revolut.Backoff(attempt, base, max, func() float64 { return 0.999999 })
		if got < d/2 || got > d {
			t.Errorf("attempt %d with full jitter: %v, want within [%v, %v]", attempt, got, d/2, d)
		}
	}
	// A huge attempt number neither overflows nor exceeds the cap.
	if got := revolut.Backoff(1000, base, max, func() float64 { return 0.5 }); got <= 0 || got > max {
		t.Errorf("attempt 1000: %v, want within (0, %v]", got, max)
	}
}
