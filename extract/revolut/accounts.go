package revolut

import (
	"context"
	"encoding/json"
	"iter"
	"time"
)

var accountKind = kind[Account]{
	stream: "accounts",
	setRaw: func(a *Account, raw json.RawMessage) { a.Raw = raw },
	id:     func(a *Account) string { return a.ID },
}

// Accounts lists the business's accounts (Revolut operation getAccounts, GET /accounts). The
// list is not paged: one request. A record that cannot be decoded is yielded as a
// *RecordError; a failed request is yielded once.
func (c *Client) Accounts(ctx context.Context) iter.Seq2[Account, error] {
	return func(yield func(Account, error) bool) {
		var raws rawList
		if err := c.getJSON(ctx, "getAccounts", "/accounts", nil, &raws); err != nil {
			yield(Account{}, err)
			return
		}
		for a, err := range records(accountKind, raws) {
			if !yield(a, err) {
				return
			}
		}
	}
}

// createdBeforePager is the cursorPager of the lists paged with created_before and limit
// (cards, team members, counterparties).
func createdBeforePager[T any](c *Client, k kind[T], op, path string, before time.Time, limit, maxLimit int) cursorPager[T] {
	return withClient(c, cursorPager[T]{
		kind: k, to: before, count: pageSize(limit, maxLimit, maxLimit), maxCount: maxLimit,
		fetch: func(ctx context.Context, _, before time.Time, count int) ([]json.RawMessage, error) {
			q := limitQuery(count)
			if !before.IsZero() {
				q.Set("created_before", Time{before}.String())
			}
			var raws rawList
			err := c.getJSON(ctx, op, path, q, &raws)
			return raws, err
		},
	})
}
