package revolut

import (
	"context"
	"encoding/json"
	"iter"
	"time"
)

// MaxCounterpartiesPage is the largest page GET /counterparties serves.
const MaxCounterpartiesPage = 1000

// CounterpartyListOptions pages the counterparty list.
type CounterpartyListOptions struct {
	// CreatedBefore is the exclusive upper bound on created_at; zero means now.
	CreatedBefore time.Time
	// Limit is the page size: default and maximum MaxCounterpartiesPage.
	Limit int
}

var counterpartyKind = kind[Counterparty]{
	stream: "counterparties",
	setRaw: func(p *Counterparty, raw json.RawMessage) { p.Raw = raw },
	id:     func(p *Counterparty) string { return p.ID },
	at:     func(p *Counterparty) time.Time { return p.CreatedAt.Time },
}

// Counterparties lists the saved counterparties, newest first (Revolut operation
// getCounterparties, GET /counterparties), paging with created_before.
func (c *Client) Counterparties(ctx context.Context, opts CounterpartyListOptions) iter.Seq2[Counterparty, error] {
	return createdBeforePager(c, counterpartyKind, "getCounterparties", "/counterparties", opts.CreatedBefore, opts.Limit, MaxCounterpartiesPage).seq(ctx)
}
