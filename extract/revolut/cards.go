package revolut

import (
	"context"
	"encoding/json"
	"iter"
	"time"
)

// MaxCardsPage is the largest page GET /cards serves.
const MaxCardsPage = 100

// CardListOptions pages the card list.
type CardListOptions struct {
	// CreatedBefore is the exclusive upper bound on created_at; zero means now.
	CreatedBefore time.Time
	// Limit is the page size: default and maximum MaxCardsPage.
	Limit int
}

var cardKind = kind[Card]{
	stream: "cards",
	setRaw: func(c *Card, raw json.RawMessage) { c.Raw = raw },
	id:     func(c *Card) string { return c.ID },
	at:     func(c *Card) time.Time { return c.CreatedAt.Time },
}

// Cards lists the business's cards, newest first (Revolut operation getCards, GET /cards),
// paging with created_before with the same exactly-once care as Transactions.
func (c *Client) Cards(ctx context.Context, opts CardListOptions) iter.Seq2[Card, error] {
	return createdBeforePager(c, cardKind, "getCards", "/cards", opts.CreatedBefore, opts.Limit, MaxCardsPage).seq(ctx)
}
