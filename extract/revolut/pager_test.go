package revolut_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// These tests run the time-cursor pager on synthetic histories far nastier than the fake's:
// ties of every size up to one and a half pages, sub-millisecond timestamps, and rows of one
// millisecond served in a different order on every request (the API promises no order below
// the timestamp). history.fetch follows the API's documented semantics: newest first,
// from inclusive, to exclusive, at most count rows.

type row struct {
	id      string
	at      time.Time
	account string
}

type history struct {
	rows     []row // newest first
	rnd      *rand.Rand
	requests int
}

func (h *history) fetcher(account string) func(context.Context, time.Time, time.Time, int) ([]json.RawMessage, error) {
	return func(_ context.Context, from, before time.Time, count int) ([]json.RawMessage, error) {
		h.requests++
		// The query carries milliseconds only, as the client formats it.
		from, before = from.Truncate(time.Millisecond), before.Truncate(time.Millisecond)
		var match []row
		for _, r := range h.rows {
			if (!from.IsZero() && r.at.Before(from)) || (!before.IsZero() && !r.at.Before(before)) {
				continue
			}
			if account != "" && r.account != account {
				continue
			}
			match = append(match, r)
		}
		// Shuffle inside each millisecond, then keep newest first by millisecond.
		h.rnd.Shuffle(len(match), func(i, j int) { match[i], match[j] = match[j], match[i] })
		slices.SortStableFunc(match, func(a, b row) int {
			return b.at.Truncate(time.Millisecond).Compare(a.at.Truncate(time.Millisecond))
		})
		if len(match) > count {
			match = match[:count]
		}
		out := make([]json.RawMessage, len(match))
		for i, r := range match {
			out[i] = json.RawMessage(fmt.Sprintf(`{"id":%q,"type":"transfer","state":"completed","created_at":%q,"legs":[{"leg_id":"l","amount":1,"currency":"GBP","account_id":%q}]}`,
				r.id, r.at.Format("2006-01-02T15:04:05.000000Z"), r.account))
		}
		return out, nil
	}
}

// randomHistory makes n rows over a few hours with clusters of equal milliseconds, on two
// accounts. maxTie bounds a cluster's size; a cluster alternates between the accounts, so
// each account holds at most half of it (rounded up).
func randomHistory(rnd *rand.Rand, n, maxTie int) []row {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var rows []row
	used := map[int]bool{}
	for len(rows) < n {
		k := rnd.IntN(4 * 3600 * 1000)
		if used[k] {
			continue
		}
		used[k] = true
		ms := start.Add(time.Duration(k) * time.Millisecond)
		size := 1
		if rnd.IntN(4) == 0 {
			size = 1 + rnd.IntN(maxTie)
		}
		first := rnd.IntN(2)
		for i := range min(size, n-len(rows)) {
			// Same millisecond, different microseconds: the API's filters cannot tell
			// them apart, so neither may the pager.
			at := ms.Add(time.Duration(rnd.IntN(1000)) * time.Microsecond)
			rows = append(rows, row{id: fmt.Sprintf("tx-%05d", len(rows)), at: at, account: []string{"gbp", "eur"}[(first+i)%2]})
		}
	}
	slices.SortFunc(rows, func(a, b row) int { return b.at.Compare(a.at) })
	return rows
}

func TestCursorPagerExactlyOnce(t *testing.T) {
	t.Parallel()
	for seed := range uint64(40) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			t.Parallel()
			rnd := rand.New(rand.NewPCG(seed, 1))
			maxCount := 5 + rnd.IntN(30)
			count := 1 + rnd.IntN(maxCount)
			// Ties up to 1.5 pages: larger than a page in all, but each account's share of
			// one (at most 0.75 of a page, rounded up) stays below a page, so the partitions
			// can always resolve it.
			h := &history{rows: randomHistory(rnd, 300+rnd.IntN(300), maxCount*3/2), rnd: rnd}
			// A window whose bounds fall inside the history, sub-millisecond included.
			from := h.rows[len(h.rows)*3/4].at
			to := h.rows[len(h.rows)/5].at.Add(-time.Microsecond)
			var want []string
			for _, r := range h.rows {
				if !r.at.Before(from) && r.at.Before(to) {
					want = append(want, r.id)
				}
			}
			var got []string
			seq := revolut.PageTransactions(t.Context(), from, to, count, maxCount, h.fetcher(""),
				[]func(context.Context, time.Time, time.Time, int) ([]json.RawMessage, error){h.fetcher("gbp"), h.fetcher("eur")})
			for x, err := range seq {
				if err != nil {
					t.Fatalf("count %d/%d: %v", count, maxCount, err)
				}
				got = append(got, x.ID)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Fatalf("count %d/%d: got %d ids, want %d; first difference at %d", count, maxCount, len(got), len(want), firstDiff(got, want))
			}
		})
	}
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestCursorPagerTieOverflow: more rows of one account in one millisecond than the largest
// page is the API's hard limit. The pager must say so, after a bounded number of requests,
// having yielded only rows it is sure of.
func TestCursorPagerTieOverflow(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	h := &history{rnd: rand.New(rand.NewPCG(1, 2))}
	for i := range 4 {
		h.rows = append(h.rows, row{id: fmt.Sprintf("new-%d", i), at: at.Add(time.Duration(i+1) * time.Second), account: "gbp"})
	}
	for i := range 12 { // 12 rows in one millisecond, one account; pages of at most 10
		h.rows = append(h.rows, row{id: fmt.Sprintf("tie-%02d", i), at: at, account: "gbp"})
	}
	slices.SortStableFunc(h.rows, func(a, b row) int { return b.at.Compare(a.at) })

	for _, tc := range []struct {
		name  string
		parts []func(context.Context, time.Time, time.Time, int) ([]json.RawMessage, error)
	}{
		{"without partitions", nil},
		{"partitions that cannot split it", []func(context.Context, time.Time, time.Time, int) ([]json.RawMessage, error){h.fetcher("gbp"), h.fetcher("eur")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.requests = 0
			var errs []error
			n := 0
			for _, err := range revolut.PageTransactions(t.Context(), time.Time{}, time.Time{}, 3, 10, h.fetcher(""), tc.parts) {
				if err != nil {
					errs = append(errs, err)
					continue
				}
				n++
			}
			var toe *revolut.TieOverflowError
			if len(errs) != 1 || !errors.As(errs[0], &toe) || !toe.At.Equal(at) {
				t.Fatalf("errors %v, want one *TieOverflowError at %v", errs, at)
			}
			// Pages of 3: [new-3..new-1], [new-0 + 2 ties], a full page inside the tie's
			// millisecond, the same again at size 10, then (with partitions) the gbp one.
			if h.requests > 6 {
				t.Errorf("%d requests before giving up, want at most 6", h.requests)
			}
			if n < 4 {
				t.Errorf("yielded %d rows, want at least the 4 newer ones", n)
			}
		})
	}
}

// TestCursorPagerServerIgnoresBound: a server that ignores `to` returns the same full page for
// ever. The pager must stop with an error instead of looping.
func TestCursorPagerServerIgnoresBound(t *testing.T) {
	t.Parallel()
	requests := 0
	page := func(context.Context, time.Time, time.Time, int) ([]json.RawMessage, error) {
		requests++
		var out []json.RawMessage
		for i := range 5 {
			out = append(out, json.RawMessage(fmt.Sprintf(`{"id":"x%d","created_at":"2026-01-01T00:00:0%dZ","legs":[]}`, i, 5-i)))
		}
		return out, nil
	}
	var errs []error
	for _, err := range revolut.PageTransactions(t.Context(), time.Time{}, time.Time{}, 5, 5, page, nil) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) != 1 || requests > 3 {
		t.Fatalf("%d requests, errors %v; want an error within 3 requests", requests, errs)
	}
}
