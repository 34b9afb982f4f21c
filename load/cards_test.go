package load

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

func card(id, label, state, monthLimit string) revolut.Card {
	c := revolut.Card{ID: id, LastDigits: "42" + id[len(id)-2:], Label: label, State: state, HolderID: "tm-1", Accounts: []string{"acc-gbp"}}
	if monthLimit != "" {
		c.SpendingLimits = &revolut.SpendingLimits{Month: &revolut.Money{Amount: dec(monthLimit), Currency: "GBP"}}
	}
	return withRaw(c, func(c *revolut.Card, r json.RawMessage) { c.Raw = r })
}

func loadCards(t *testing.T, s *Store, lock *Writer, run RunID, cards ...revolut.Card) {
	t.Helper()
	members := []revolut.TeamMember{withRaw(revolut.TeamMember{ID: "tm-1", FirstName: "Ada", LastName: "Lovelace", State: "active"},
		func(m *revolut.TeamMember, r json.RawMessage) { m.Raw = r })}
	if _, err := lock.LoadBatch(context.Background(), Batch{Stream: "settings", RunID: run, Cards: cards, TeamMembers: members}); err != nil {
		t.Fatalf("LoadBatch: %v", err)
	}
}

type cardVersion struct {
	label, state string
	month        *string
	open         bool
	from         time.Time
	to           *time.Time
}

func cardVersions(t *testing.T, dsn, id string) []cardVersion {
	t.Helper()
	conn := connect(t, dsn)
	rows, err := conn.Query(context.Background(), `SELECT label, state, spending_limits #>> '{month,amount}', seen_to IS NULL, seen_from, seen_to
		FROM card_versions WHERE card_id = $1 ORDER BY seen_from, id`, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []cardVersion
	for rows.Next() {
		var v cardVersion
		if err := rows.Scan(&v.label, &v.state, &v.month, &v.open, &v.from, &v.to); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCardHistory: the same card loaded three times, unchanged the second time and with a
// new monthly limit the third, has two versions: 1000 (closed when 1500 was seen) and 1500
// (open). The head row in cards is the newest.
func TestCardHistory(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	lock, run := lockAndRun(t, s)
	loadCards(t, s, lock, run, card("card-01", "Travel", "active", "1000.00"))
	loadCards(t, s, lock, run, card("card-01", "Travel", "active", "1000.00"))
	if got := cardVersions(t, dsn, "card-01"); len(got) != 1 || !got[0].open {
		t.Fatalf("after an unchanged reload: %d versions %+v, want one open version", len(got), got)
	}
	loadCards(t, s, lock, run, card("card-01", "Travel", "active", "1500.00"))

	got := cardVersions(t, dsn, "card-01")
	if len(got) != 2 {
		t.Fatalf("%d versions, want 2: %+v", len(got), got)
	}
	old, cur := got[0], got[1]
	if old.month == nil || !dec(*old.month).Equal(dec("1000")) || old.open || old.to == nil || !old.to.Equal(cur.from) {
		t.Errorf("first version: limit %s open %v seen_to %v; want 1000.00, closed when the second was seen (%v)",
			deref(old.month), old.open, old.to, cur.from)
	}
	if cur.month == nil || !dec(*cur.month).Equal(dec("1500")) || !cur.open || cur.label != "Travel" || cur.state != "active" {
		t.Errorf("second version: %+v (limit %s), want limit 1500, open", cur, deref(cur.month))
	}
	cards, err := s.Cards(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 1 {
		t.Fatalf("Cards: %d cards", len(cards))
	}
	if m, ok := cards[0].Limit(transform.LimitMonth); !ok || !m.Amount.Equal(dec("1500")) || cards[0].Holder != "Ada Lovelace" {
		t.Errorf("Cards: %+v, want the current limit 1500 and holder Ada Lovelace", cards[0])
	}
}

// TestMissingCardKeptAndMarked: a card the listing no longer returns is kept, marked with
// the time of the listing that missed it (and not re-marked by later listings), its history
// untouched; a card listed again loses the mark.
func TestMissingCardKeptAndMarked(t *testing.T) {
	t.Parallel()
	s, dsn := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	loadCards(t, s, lock, run, card("card-01", "Travel", "active", ""), card("card-02", "Old", "frozen", ""))

	first := time.Date(2025, 2, 1, 6, 0, 0, 0, time.UTC)
	b := Batch{Cards: []revolut.Card{card("card-01", "Travel", "active", "")}}
	if err := lock.MarkMissingCards(ctx, ListedCardIDs(b), first); err != nil {
		t.Fatal(err)
	}
	if err := lock.MarkMissingCards(ctx, ListedCardIDs(b), first.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	cards, err := s.Cards(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := func(cs []transform.CardInfo) []string {
		var out []string
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	if !slices.Equal(ids(cards), []string{"card-01", "card-02"}) {
		t.Fatalf("cards %v, want both kept", ids(cards))
	}
	if !cards[0].MissingSince.IsZero() || !cards[1].MissingSince.Equal(first) || cards[1].State != "frozen" {
		t.Errorf("missing since %v / %v (state %s); want listed card unmarked, card-02 since %v", cards[0].MissingSince,
			cards[1].MissingSince, cards[1].State, first)
	}
	if v := cardVersions(t, dsn, "card-02"); len(v) != 1 || !v[0].open {
		t.Errorf("marking changed card-02's history: %+v", v)
	}

	// A quarantined card is listed: it must not be marked.
	b.Quarantine = []Quarantined{{Stream: "cards", SourceID: "card-02", Reason: "bad"}}
	if err := lock.MarkMissingCards(ctx, ListedCardIDs(b), first.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if cards, err = s.Cards(ctx); err != nil {
		t.Fatal(err)
	}
	if !cards[1].MissingSince.IsZero() {
		t.Errorf("card-02 listed again (quarantined) is still missing since %v", cards[1].MissingSince)
	}
}

// TestCardLabelRoundTrip: the card label written with a ledger line reads back.
func TestCardLabelRoundTrip(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	lines := entryLines("tx-card", "12.00")
	for i := range lines {
		lines[i].CardID, lines[i].CardLabel, lines[i].CardHolder = "card-01", "Travel", "Ada Lovelace"
	}
	if _, err := lock.WriteBookings(ctx, run, []SourceBooking{{SourceType: transform.SourceTransaction, SourceID: "tx-card", Lines: lines}}); err != nil {
		t.Fatal(err)
	}
	n := 0
	for l, err := range s.LedgerLines(ctx, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC)) {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if l.CardLabel != "Travel" || l.CardHolder != "Ada Lovelace" {
			t.Errorf("%s: label %q holder %q, want Travel / Ada Lovelace", l.Key, l.CardLabel, l.CardHolder)
		}
	}
	if n != 2 {
		t.Errorf("read %d lines, want 2", n)
	}
}
