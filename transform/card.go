package transform

import (
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// Spending-limit periods of a card (CardLimit.Period), in the order the exports show them.
const (
	LimitSingle  = "single" // per transaction
	LimitDay     = "day"
	LimitWeek    = "week"
	LimitMonth   = "month"
	LimitQuarter = "quarter"
	LimitYear    = "year"
	LimitAllTime = "all_time"
)

// CardInfo is a card as the exports describe it: its current attributes in the warehouse,
// including a card the API no longer lists. Ledger lines keep their own card dimensions (the
// references recorded on each transaction); CardInfo is what the card is now.
type CardInfo struct {
	ID         string
	LastDigits string
	Label      string
	HolderID   string // empty for a card owned by the business
	Holder     string // the holder's "First Last", when the team member is known
	State      string // created, pending, active, frozen, locked
	// CanBeUnlocked is Revolut's can_be_unlocked of a locked card; nil when not sent.
	CanBeUnlocked *bool
	Virtual       bool
	Limits        []CardLimit     // the limits that are set, in the order of the Limit* constants
	References    []CardReference // the card's current references
	// MissingSince is when the card was first found missing from the API's list (terminated
	// cards disappear); zero while it is listed.
	MissingSince time.Time
}

// CardLimit is one spending limit of a card.
type CardLimit struct {
	Period   string // one of the Limit* constants
	Amount   decimal.Decimal
	Currency string
}

// Limit returns the card's limit for period, if one is set.
func (c *CardInfo) Limit(period string) (CardLimit, bool) {
	for _, l := range c.Limits {
		if l.Period == period {
			return l, true
		}
	}
	return CardLimit{}, false
}

// CardInfos describes cards with their holders' names taken from members. The order of cards
// is kept; MissingSince is left zero (presence is the warehouse's knowledge, not the card's).
func CardInfos(cards []revolut.Card, members []revolut.TeamMember) []CardInfo {
	names := make(map[string]string, len(members))
	for _, m := range members {
		names[m.ID] = strings.TrimSpace(m.FirstName + " " + m.LastName)
	}
	out := make([]CardInfo, len(cards))
	for i, c := range cards {
		ci := CardInfo{
			ID: c.ID, LastDigits: c.LastDigits, Label: c.Label, HolderID: c.HolderID, Holder: names[c.HolderID],
			State: c.State, CanBeUnlocked: c.CanBeUnlocked, Virtual: c.Virtual,
		}
		if s := c.SpendingLimits; s != nil {
			for _, l := range []struct {
				period string
				m      *revolut.Money
			}{
				{LimitSingle, s.Single}, {LimitDay, s.Day}, {LimitWeek, s.Week}, {LimitMonth, s.Month},
				{LimitQuarter, s.Quarter}, {LimitYear, s.Year}, {LimitAllTime, s.AllTime},
			} {
				if l.m != nil {
					ci.Limits = append(ci.Limits, CardLimit{Period: l.period, Amount: l.m.Amount, Currency: l.m.Currency})
				}
			}
		}
		for _, r := range c.References {
			ci.References = append(ci.References, CardReference{Name: r.Name, Value: r.Value})
		}
		out[i] = ci
	}
	return out
}
