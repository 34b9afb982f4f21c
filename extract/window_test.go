package extract

import (
	"testing"
	"time"
)

func TestChunksByMonthInLocation(t *testing.T) {
	t.Parallel()
	london, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Skip("no tzdata")
	}
	// 2026-03-15 to 2026-05-10 (UTC). Month boundaries are London midnights: 1 April is in
	// BST, so it starts at 2026-03-31T23:00Z; 1 May likewise at 2026-04-30T23:00Z.
	w := Window{From: time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)}
	got := w.Chunks(london, 0)
	want := []Window{
		{time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC)},
		{time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC), time.Date(2026, 4, 30, 23, 0, 0, 0, time.UTC)},
		{time.Date(2026, 4, 30, 23, 0, 0, 0, time.UTC), time.Date(2026, 5, 10, 0, 0, 0, 0, time.UTC)},
	}
	if len(got) != len(want) {
		t.Fatalf("chunks = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].From.Equal(want[i].From) || !got[i].To.Equal(want[i].To) {
			t.Errorf("chunk %d = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestChunksCoverWindowExactly(t *testing.T) {
	t.Parallel()
	w := Window{From: time.Date(2025, 1, 1, 5, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC)}
	for _, days := range []int{0, 1, 7, 30} {
		chunks := w.Chunks(time.UTC, days)
		if !chunks[0].From.Equal(w.From) || !chunks[len(chunks)-1].To.Equal(w.To) {
			t.Fatalf("days=%d: chunks %v do not span %s", days, chunks, w)
		}
		for i := 1; i < len(chunks); i++ {
			if !chunks[i].From.Equal(chunks[i-1].To) {
				t.Fatalf("days=%d: gap or overlap between %s and %s", days, chunks[i-1], chunks[i])
			}
		}
	}
	if got := (Window{From: w.To, To: w.To}).Chunks(time.UTC, 0); got != nil {
		t.Fatalf("empty window gave chunks %v", got)
	}
}

func TestPolicyNightly(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 21, 2, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	cases := []struct {
		name          string
		checkpoint    time.Time
		has           bool
		wantTx, wantE time.Time
	}{
		// No checkpoint: the initial history (365 days) for both streams.
		{"first run", time.Time{}, false, now.Add(-365 * day), now.Add(-365 * day)},
		// Checkpoint yesterday: transactions from 30 days before it, expenses 180 days back.
		{"nightly", now.Add(-day), true, now.Add(-31 * day), now.Add(-180 * day)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{TransactionsLookback: 30 * day, ExpensesWindow: 180 * day, InitialHistory: 365 * day}
			tx, exp := p.Nightly(now, tc.checkpoint, tc.has)
			if !tx.From.Equal(tc.wantTx) || !tx.To.Equal(now) {
				t.Errorf("transactions %s, want from %s", tx, tc.wantTx)
			}
			if !exp.From.Equal(tc.wantE) || !exp.To.Equal(now) {
				t.Errorf("expenses %s, want from %s", exp, tc.wantE)
			}
		})
	}
}

func TestPolicyBackfillExpenses(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	p := Policy{TransactionsLookback: 30 * day}
	w := Window{From: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)}
	// Long ago: the end moves out by the 30-day look-back (1 July + 30 days = 31 July).
	if got := p.BackfillExpenses(w, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)); !got.From.Equal(w.From) || !got.To.Equal(time.Date(2025, 7, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("expenses of a past backfill: %s", got)
	}
	// Ending yesterday: capped at now.
	now := time.Date(2025, 7, 2, 12, 0, 0, 0, time.UTC)
	if got := p.BackfillExpenses(w, now); !got.To.Equal(now) {
		t.Errorf("expenses of a recent backfill end at %s, want now %s", got.To, now)
	}
}
