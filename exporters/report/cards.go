package report

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/transform"
)

// Limit flags of a CardRow.
const (
	FlagOver = "over" // spend above the limit
	FlagNear = "near" // spend at or above NearShare of the limit
)

// Revolut's transaction type and state values the card view selects (the exporters read
// ledger lines only; they do not depend on the API client's package).
const (
	typeCardPayment = "card_payment"
	typeCardRefund  = "card_refund"
	stateCompleted  = "completed"
)

// NearShare is the share of a limit from which a card is flagged near it.
var NearShare = decimal.RequireFromString("0.8")

// CardRow is what one card spent in one currency during a period, with the card's spending
// limit for a period of the same length next to it. Payments and refunds are positive sums of
// completed card_payment and card_refund bank lines; Net is Payments − Refunds.
type CardRow struct {
	CardID     string
	LastDigits string
	Label      string
	Holder     string
	State      string // the card's state in the warehouse, "" when the card is not stored
	// MissingSince is when the API stopped listing the card (terminated); zero otherwise.
	MissingSince  time.Time
	CanBeUnlocked *bool

	Currency      string
	Payments      int
	PaymentsTotal decimal.Decimal
	Refunds       int
	RefundsTotal  decimal.Decimal
	Net           decimal.Decimal

	// LimitPeriod is the card limit period matching the export period (transform.LimitMonth
	// for a calendar month), "" when none matches. Limit is set when the card has that limit;
	// Usage (PaymentsTotal ÷ Limit) and Flag only when the limit is in the row's currency:
	// a limit in GBP says nothing about the EUR account's spend.
	LimitPeriod   string
	Limit         decimal.NullDecimal
	LimitCurrency string
	Usage         decimal.NullDecimal // 0.8 is 80 %
	Flag          string              // FlagOver, FlagNear or ""
	// OtherLimits lists the card's other limits, e.g. "single GBP 500.00; day GBP 1000.00".
	OtherLimits string
}

// CardRefRow is the spend of every card transaction that recorded one reference (name and
// value, e.g. PNR = RT12345) in one currency. The references are the transaction's own, as
// Revolut recorded them when the card was used.
type CardRefRow struct {
	Name          string
	Value         string
	Currency      string
	Cards         string // the cards' last digits (or ids), comma-separated
	Payments      int
	PaymentsTotal decimal.Decimal
	Refunds       int
	RefundsTotal  decimal.Decimal
	Net           decimal.Decimal
}

type cardKey struct{ card, currency string }
type refKey struct{ name, value, currency string }

type cardSums struct {
	payments, refunds           int
	paymentsTotal, refundsTotal decimal.Decimal
	cards                       map[string]struct{} // reference rows: the cards seen
	// from the lines, for a card the warehouse does not hold
	digits, label, holder string
}

func (s *cardSums) add(l *transform.Line) {
	if l.TransactionType == typeCardPayment {
		s.payments++
		s.paymentsTotal = s.paymentsTotal.Sub(l.Amount) // money out: negative on the bank line
	} else {
		s.refunds++
		s.refundsTotal = s.refundsTotal.Add(l.Amount)
	}
}

// CardSpend adds up card spend per card and per card reference over the lines of a period.
// Feed it every line (Add); it keeps only the bank line of each completed card payment or
// refund, so fees, expense lines and reversals of reverted transactions never count twice.
type CardSpend struct {
	period period.Period
	cards  map[cardKey]*cardSums
	refs   map[refKey]*cardSums
}

// NewCardSpend returns an empty CardSpend for period p (which decides the matching limit).
func NewCardSpend(p period.Period) *CardSpend {
	return &CardSpend{period: p, cards: map[cardKey]*cardSums{}, refs: map[refKey]*cardSums{}}
}

// IsCardSpend reports whether l is the bank line of a completed card payment or refund made
// with a known card: the line whose amount is what the card spent or got back. A line of an
// adjustment entry is not: the card was used in the closed period, where it was counted, and
// an adjustment re-books that use (a recategorised payment would otherwise count twice).
func IsCardSpend(l *transform.Line) bool {
	return l.CardID != "" && !IsAdjustment(l) && IsBankLine(l) && l.Key.Role == transform.RoleBank &&
		l.TransactionState == stateCompleted &&
		(l.TransactionType == typeCardPayment || l.TransactionType == typeCardRefund)
}

// Add takes the next line of the period.
func (c *CardSpend) Add(l *transform.Line) {
	if !IsCardSpend(l) {
		return
	}
	k := cardKey{l.CardID, l.Currency}
	s := c.cards[k]
	if s == nil {
		s = &cardSums{}
		c.cards[k] = s
	}
	s.add(l)
	// The line's own dimensions, newest last: used only for a card the warehouse lacks.
	s.digits, s.label, s.holder = cmp.Or(l.CardLastDigits, s.digits), cmp.Or(l.CardLabel, s.label), cmp.Or(l.CardHolder, s.holder)
	for _, r := range l.CardReferences {
		rk := refKey{r.Name, r.Value, l.Currency}
		rs := c.refs[rk]
		if rs == nil {
			rs = &cardSums{cards: map[string]struct{}{}}
			c.refs[rk] = rs
		}
		rs.add(l)
		rs.cards[cmp.Or(l.CardLastDigits, l.CardID)] = struct{}{}
	}
}

// LimitPeriod returns the card limit period that has the length of p: a calendar day, week
// (7 days), month, quarter or year from its start; "" for any other window.
func LimitPeriod(p period.Period) string {
	from, to := p.From.UTC(), p.To.UTC()
	switch {
	case to.Equal(from.AddDate(0, 0, 1)):
		return transform.LimitDay
	case to.Equal(from.AddDate(0, 0, 7)):
		return transform.LimitWeek
	case from.Day() == 1 && to.Equal(from.AddDate(0, 1, 0)):
		return transform.LimitMonth
	case from.Day() == 1 && to.Equal(from.AddDate(0, 3, 0)):
		return transform.LimitQuarter
	case from.Day() == 1 && to.Equal(from.AddDate(1, 0, 0)):
		return transform.LimitYear
	}
	return ""
}

// Finish returns the card rows (by holder, label, last digits, card id, currency) and the
// reference rows (by name, value, currency). cards describes the cards as the warehouse holds
// them; a card it lacks is described by its lines.
func (c *CardSpend) Finish(cards []transform.CardInfo) ([]CardRow, []CardRefRow) {
	byID := make(map[string]*transform.CardInfo, len(cards))
	for i := range cards {
		byID[cards[i].ID] = &cards[i]
	}
	period := LimitPeriod(c.period)
	rows := make([]CardRow, 0, len(c.cards))
	for k, s := range c.cards {
		r := CardRow{
			CardID: k.card, LastDigits: s.digits, Label: s.label, Holder: s.holder, Currency: k.currency,
			Payments: s.payments, PaymentsTotal: s.paymentsTotal, Refunds: s.refunds, RefundsTotal: s.refundsTotal,
			Net: s.paymentsTotal.Sub(s.refundsTotal), LimitPeriod: period,
		}
		if ci := byID[k.card]; ci != nil {
			r.LastDigits, r.Label = cmp.Or(ci.LastDigits, r.LastDigits), ci.Label
			r.Holder = cmp.Or(ci.Holder, r.Holder)
			r.State, r.MissingSince, r.CanBeUnlocked = ci.State, ci.MissingSince, ci.CanBeUnlocked
			var others []string
			for _, l := range ci.Limits {
				if l.Period == period {
					r.Limit, r.LimitCurrency = decimal.NewNullDecimal(l.Amount), l.Currency
					continue
				}
				others = append(others, strings.ReplaceAll(l.Period, "_", "-")+" "+l.Currency+" "+
					transform.Round(l.Amount, l.Currency).StringFixed(transform.MinorUnits(l.Currency)))
			}
			r.OtherLimits = strings.Join(others, "; ")
		}
		if r.Limit.Valid && r.LimitCurrency == r.Currency && r.Limit.Decimal.IsPositive() {
			r.Usage = decimal.NewNullDecimal(r.PaymentsTotal.DivRound(r.Limit.Decimal, 4))
			switch {
			case r.PaymentsTotal.GreaterThan(r.Limit.Decimal):
				r.Flag = FlagOver
			case r.PaymentsTotal.GreaterThanOrEqual(r.Limit.Decimal.Mul(NearShare)):
				r.Flag = FlagNear
			}
		}
		rows = append(rows, r)
	}
	slices.SortFunc(rows, func(x, y CardRow) int {
		return cmp.Or(cmp.Compare(x.Holder, y.Holder), cmp.Compare(x.Label, y.Label), cmp.Compare(x.LastDigits, y.LastDigits),
			cmp.Compare(x.CardID, y.CardID), cmp.Compare(x.Currency, y.Currency))
	})
	refs := make([]CardRefRow, 0, len(c.refs))
	for k, s := range c.refs {
		ids := make([]string, 0, len(s.cards))
		for id := range s.cards {
			ids = append(ids, id)
		}
		slices.Sort(ids)
		refs = append(refs, CardRefRow{
			Name: k.name, Value: k.value, Currency: k.currency, Cards: strings.Join(ids, ", "),
			Payments: s.payments, PaymentsTotal: s.paymentsTotal, Refunds: s.refunds, RefundsTotal: s.refundsTotal,
			Net: s.paymentsTotal.Sub(s.refundsTotal),
		})
	}
	slices.SortFunc(refs, func(x, y CardRefRow) int {
		return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.Value, y.Value), cmp.Compare(x.Currency, y.Currency))
	})
	return rows, refs
}

// StateText says a card's state for a person: the API state, whether a locked card can be
// unlocked, and since when the API no longer lists it.
func (r *CardRow) StateText() string {
	s := r.State
	if s == "locked" && r.CanBeUnlocked != nil && !*r.CanBeUnlocked {
		s += " (cannot be unlocked)"
	}
	if !r.MissingSince.IsZero() {
		s = strings.TrimSpace(s + " — no longer listed since " + r.MissingSince.UTC().Format(time.DateOnly))
	}
	return s
}
