package load

import (
	"context"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// TestForwardOnlyCheckpoint: a ForwardOnly checkpoint is written when it moves forward and
// left (window included) when it would move back or stay; a plain one is written as given.
func TestForwardOnlyCheckpoint(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	at := func(day int) *time.Time {
		v := time.Date(2025, 3, day, 0, 0, 0, 0, time.UTC)
		return &v
	}
	put := func(stream string, cp *time.Time, forward bool) {
		t.Helper()
		if _, err := lock.LoadBatch(ctx, Batch{Stream: stream, RunID: run, Checkpoint: cp, ForwardOnly: forward}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(stream string) time.Time {
		t.Helper()
		cp, ok, err := s.Checkpoint(ctx, stream)
		if err != nil || !ok {
			t.Fatalf("checkpoint of %s: %v, %v", stream, ok, err)
		}
		return cp
	}
	put("transactions", at(10), true) // no row yet: inserted
	put("transactions", at(5), true)  // back: kept at the 10th
	if got := get("transactions"); !got.Equal(*at(10)) {
		t.Errorf("forward-only checkpoint moved back to %s", got)
	}
	put("transactions", at(12), true)
	if got := get("transactions"); !got.Equal(*at(12)) {
		t.Errorf("forward-only checkpoint = %s, want the 12th", got)
	}
	put("backfill", at(10), false)
	put("backfill", at(5), false) // a backfill's own progress may start again
	if got := get("backfill"); !got.Equal(*at(5)) {
		t.Errorf("plain checkpoint = %s, want the 5th", got)
	}
}

// TestCardsListedAtMarksInTheSameBatch: a batch that carries the complete card listing marks
// the stored cards it does not list, and unmarks a card listed again, with the cards' load.
func TestCardsListedAtMarksInTheSameBatch(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	first := time.Date(2025, 2, 1, 6, 0, 0, 0, time.UTC)
	both := Batch{Stream: "settings", RunID: run, CardsListedAt: first,
		Cards: []revolut.Card{card("card-01", "Travel", "active", ""), card("card-02", "Old", "frozen", "")}}
	if _, err := lock.LoadBatch(ctx, both); err != nil {
		t.Fatal(err)
	}
	one := Batch{Stream: "settings", RunID: run, CardsListedAt: first.Add(time.Hour),
		Cards: []revolut.Card{card("card-01", "Travel", "active", "")}}
	if _, err := lock.LoadBatch(ctx, one); err != nil {
		t.Fatal(err)
	}
	cards, err := s.Cards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 || !cards[0].MissingSince.IsZero() || !cards[1].MissingSince.Equal(first.Add(time.Hour)) {
		t.Fatalf("cards %+v: want card-02 missing since %s, card-01 not", cards, first.Add(time.Hour))
	}
	both.CardsListedAt = first.Add(2 * time.Hour)
	if _, err := lock.LoadBatch(ctx, both); err != nil {
		t.Fatal(err)
	}
	if cards, err = s.Cards(ctx); err != nil || !cards[1].MissingSince.IsZero() {
		t.Fatalf("card-02 listed again: missing since %v (%v)", cards[1].MissingSince, err)
	}
}
