package csvfmt

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/revledger/revledger/exporters/report"
)

// CardsHeader is the header of cards_{YYYY-MM}.csv.
var CardsHeader = []string{
	"card_id", "last_digits", "label", "holder", "state", "missing_since", "currency",
	"payments", "paid", "refunds", "refunded", "net_spend",
	"limit_period", "limit", "limit_currency", "used_percent", "flag", "other_limits",
}

// Cards writes cards_{YYYY-MM}.csv: per card and currency, the completed card payments and
// refunds of the period and the card's limit for a period of the same length, flagged
// "over" or "near". Amounts are positive with the currency's minor-unit decimals; used_percent
// is paid ÷ limit × 100 with two decimals, empty when the limit is in another currency.
type Cards struct{ writer }

// NewCards writes the byte-order mark and header to w and returns the Cards writer.
func NewCards(w io.Writer) (*Cards, error) {
	cw, err := newWriter(w, true, CardsHeader)
	if err != nil {
		return nil, fmt.Errorf("cards: %w", err)
	}
	return &Cards{cw}, nil
}

// Write appends the row of one card and currency.
func (c *Cards) Write(r *report.CardRow) error {
	missing := ""
	if !r.MissingSince.IsZero() {
		missing = r.MissingSince.UTC().Format(time.RFC3339)
	}
	limit, period, used := "", "", ""
	if r.Limit.Valid {
		limit, period = Amount(r.Limit.Decimal, r.LimitCurrency), r.LimitPeriod
	}
	if r.Usage.Valid {
		used = r.Usage.Decimal.Shift(2).StringFixed(2)
	}
	return c.record([]string{
		t(r.CardID), t(r.LastDigits), t(r.Label), t(r.Holder), t(r.State), missing, r.Currency,
		strconv.Itoa(r.Payments), Amount(r.PaymentsTotal, r.Currency), strconv.Itoa(r.Refunds), Amount(r.RefundsTotal, r.Currency),
		Amount(r.Net, r.Currency),
		period, limit, r.LimitCurrency, used, r.Flag, t(r.OtherLimits),
	})
}
