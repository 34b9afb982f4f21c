package transform

import (
	"reflect"
	"testing"

	"github.com/revledger/revledger/extract/revolut"
)

func cardSettings() Settings {
	s := testSettings()
	s.Cards = []revolut.Card{
		{ID: "card-1", HolderID: "tm-1", LastDigits: "1234", Label: "Travel card", State: "active",
			// The card's references now: PNR changed after the transaction was made.
			References: []revolut.CardReference{{Name: "PNR", Value: "NEW999"}, {Name: "Traveller", Value: "Jane Roe"}}},
		{ID: "card-2", HolderID: "tm-2", LastDigits: "9876", Label: "Marketing", State: "frozen"},
	}
	s.TeamMembers = []revolut.TeamMember{
		{ID: "tm-1", FirstName: "John", LastName: "Smith"},
		{ID: "tm-2", FirstName: "Ada", LastName: "Lovelace"},
	}
	return s
}

// TestBookCardDimensions: every line of a card transaction's entry carries the card's label
// from the settings, the holder from the transaction or else from the team members, the last
// digits from the masked number or else from the card, and the references recorded on the
// transaction even though the card's references have changed since.
func TestBookCardDimensions(t *testing.T) {
	t.Parallel()
	b, err := NewBooker(cardSettings())
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		card       *revolut.TransactionCard
		wantLabel  string
		wantHolder string
		wantDigits string
		wantRefs   []CardReference
	}{
		{
			name: "name and references on the transaction win",
			card: &revolut.TransactionCard{ID: "card-1", CardNumber: "516760******1234", FirstName: "Johnny", LastName: "Smith",
				References: []revolut.CardReference{{Name: "PNR", Value: "OLD123"}}},
			wantLabel: "Travel card", wantHolder: "Johnny Smith", wantDigits: "1234",
			wantRefs: []CardReference{{Name: "PNR", Value: "OLD123"}},
		},
		{
			name:      "holder resolved through holder_id, digits from the card",
			card:      &revolut.TransactionCard{ID: "card-2"},
			wantLabel: "Marketing", wantHolder: "Ada Lovelace", wantDigits: "9876",
		},
		{
			name:       "a card the settings do not know keeps what the transaction says",
			card:       &revolut.TransactionCard{ID: "card-x", CardNumber: "4000******0002", FirstName: "Sam"},
			wantHolder: "Sam", wantDigits: "0002",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tx := txn("t-"+tc.card.ID, revolut.TypeCardPayment, leg("acc-gbp", "-10.00", "GBP"))
			tx.Card = tc.card
			got := b.BookTransaction(tx, nil)
			if !got.Booked || len(got.Lines) != 2 {
				t.Fatalf("booked %v with %d lines, want 2 lines", got.Booked, len(got.Lines))
			}
			for _, l := range got.Lines {
				if l.CardID != tc.card.ID || l.CardLabel != tc.wantLabel || l.CardHolder != tc.wantHolder ||
					l.CardLastDigits != tc.wantDigits || !reflect.DeepEqual(l.CardReferences, tc.wantRefs) {
					t.Errorf("%s: card %q label %q holder %q digits %q refs %v; want %q %q %q %q %v", l.Key,
						l.CardID, l.CardLabel, l.CardHolder, l.CardLastDigits, l.CardReferences,
						tc.card.ID, tc.wantLabel, tc.wantHolder, tc.wantDigits, tc.wantRefs)
				}
			}
		})
	}
}

func TestCardInfos(t *testing.T) {
	t.Parallel()
	s := cardSettings()
	no := false
	s.Cards[1].CanBeUnlocked = &no
	s.Cards[0].SpendingLimits = &revolut.SpendingLimits{
		Single: &revolut.Money{Amount: dec("500"), Currency: "GBP"},
		Month:  &revolut.Money{Amount: dec("2000.00"), Currency: "GBP"},
	}
	got := CardInfos(s.Cards, s.TeamMembers)
	if len(got) != 2 {
		t.Fatalf("got %d cards", len(got))
	}
	c := got[0]
	if c.Holder != "John Smith" || c.Label != "Travel card" || c.LastDigits != "1234" || len(c.References) != 2 {
		t.Errorf("card-1: %+v", c)
	}
	if len(c.Limits) != 2 || c.Limits[0].Period != LimitSingle || c.Limits[1].Period != LimitMonth {
		t.Errorf("limits %+v, want single then month", c.Limits)
	}
	if m, ok := c.Limit(LimitMonth); !ok || !m.Amount.Equal(dec("2000")) || m.Currency != "GBP" {
		t.Errorf("month limit %+v %v, want GBP 2000", m, ok)
	}
	if _, ok := c.Limit(LimitWeek); ok {
		t.Error("a week limit that is not set was found")
	}
	if got[1].CanBeUnlocked == nil || *got[1].CanBeUnlocked || got[1].Holder != "Ada Lovelace" || got[1].Limits != nil {
		t.Errorf("card-2: %+v", got[1])
	}
}
