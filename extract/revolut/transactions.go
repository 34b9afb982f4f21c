package revolut

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"net/url"
	"strconv"
	"time"
)

// MaxTransactionsPage is the largest page GET /transactions serves.
const MaxTransactionsPage = 1000

// TransactionListOptions selects transactions by creation time.
type TransactionListOptions struct {
	// From is the inclusive lower bound on created_at; zero means from the beginning.
	From time.Time
	// To is the exclusive upper bound on created_at; zero means now.
	To time.Time
	// Account restricts the list to one account ID.
	Account string
	// Type restricts the list to one transaction type (TypeCardPayment...).
	Type string
	// Count is the page size: default and maximum MaxTransactionsPage, the cheapest choice
	// under the rate limit.
	Count int
}

var transactionKind = kind[Transaction]{
	stream: "transactions",
	setRaw: func(t *Transaction, raw json.RawMessage) { t.Raw = raw },
	id:     func(t *Transaction) string { return t.ID },
	at:     func(t *Transaction) time.Time { return t.CreatedAt.Time },
}

// Transactions lists the transactions created in [From, To), newest first (Revolut operation
// getTransactions, GET /transactions). Every transaction is yielded exactly once, including
// those sharing a timestamp across a page boundary. A record that cannot be decoded is
// yielded as a *RecordError and the list goes on; any other error is yielded once and ends the
// list.
//
// A millisecond holding more transactions than a page (a bulk payout) is read account by
// account, at the cost of one GET /accounts and one request per account. More than a page of
// transactions of one account in one millisecond cannot be paged by the API at all and ends
// the list with *TieOverflowError.
func (c *Client) Transactions(ctx context.Context, opts TransactionListOptions) iter.Seq2[Transaction, error] {
	count := pageSize(opts.Count, MaxTransactionsPage, MaxTransactionsPage)
	fetch := func(account string) fetchCursorPage {
		return func(ctx context.Context, from, before time.Time, count int) ([]json.RawMessage, error) {
			q := url.Values{"count": {strconv.Itoa(count)}}
			if !from.IsZero() {
				q.Set("from", Time{from}.String())
			}
			if !before.IsZero() {
				q.Set("to", Time{before}.String())
			}
			if account != "" {
				q.Set("account", account)
			}
			if opts.Type != "" {
				q.Set("type", opts.Type)
			}
			var raws rawList
			err := c.getJSON(ctx, "getTransactions", "/transactions", q, &raws)
			return raws, err
		}
	}
	p := withClient(c, cursorPager[Transaction]{
		kind: transactionKind, from: opts.From, to: opts.To,
		count: count, maxCount: MaxTransactionsPage,
		fetch: fetch(opts.Account),
	})
	if opts.Account == "" {
		// Every transaction has a leg on one of the business's accounts, so the accounts
		// partition a millisecond that holds more transactions than a page.
		p.partitions = func(ctx context.Context) ([]partition, error) {
			var parts []partition
			for a, err := range c.Accounts(ctx) {
				if err != nil {
					return nil, err
				}
				parts = append(parts, partition{name: "account " + a.ID, fetch: fetch(a.ID)})
			}
			return parts, nil
		}
	}
	return p.seq(ctx)
}

// Transaction fetches one transaction by its ID (Revolut operation getTransaction,
// GET /transaction/{id}). A 404 is an *APIError with Status 404.
func (c *Client) Transaction(ctx context.Context, id string) (Transaction, error) {
	if id == "" {
		return Transaction{}, errors.New("revolut: transaction id is empty")
	}
	var raw json.RawMessage
	if err := c.getJSON(ctx, "getTransaction", "/transaction/"+url.PathEscape(id), nil, &raw); err != nil {
		return Transaction{}, err
	}
	return transactionKind.decode(raw)
}

// pageSize applies a list's default to a zero size and caps it at the API's maximum.
func pageSize(n, def, max int) int {
	if n <= 0 {
		return def
	}
	if n > max {
		return max
	}
	return n
}
