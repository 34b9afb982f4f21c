package revolut

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// MaxExpensesPage is the largest page GET /expenses serves.
const MaxExpensesPage = 500

// ExpenseListOptions selects expenses by expense date.
type ExpenseListOptions struct {
	// From is the inclusive lower bound on expense_date; zero means from the beginning.
	From time.Time
	// To is the exclusive upper bound on expense_date; zero means now.
	To time.Time
	// Count is the page size: default and maximum MaxExpensesPage.
	Count int
}

var expenseKind = kind[Expense]{
	stream: "expenses",
	setRaw: func(e *Expense, raw json.RawMessage) { e.Raw = raw },
	id:     func(e *Expense) string { return e.ID },
	at:     func(e *Expense) time.Time { return e.ExpenseDate.Time },
}

// Expenses lists the expenses dated in [From, To), newest first by expense_date (Revolut
// operation getExpenses, GET /expenses), with the same exactly-once paging and per-record
// errors as Transactions. Expense dates move after the fact, so callers refresh a wide window.
func (c *Client) Expenses(ctx context.Context, opts ExpenseListOptions) iter.Seq2[Expense, error] {
	count := pageSize(opts.Count, MaxExpensesPage, MaxExpensesPage)
	return withClient(c, cursorPager[Expense]{
		kind: expenseKind, from: opts.From, to: opts.To,
		count: count, maxCount: MaxExpensesPage,
		fetch: func(ctx context.Context, from, before time.Time, count int) ([]json.RawMessage, error) {
			q := url.Values{"count": {strconv.Itoa(count)}}
			if !from.IsZero() {
				q.Set("from", Time{from}.String())
			}
			if !before.IsZero() {
				q.Set("to", Time{before}.String())
			}
			var raws rawList
			err := c.getJSON(ctx, "getExpenses", "/expenses", q, &raws)
			return raws, err
		},
	}).seq(ctx)
}

// Expense fetches one expense by its ID (Revolut operation getExpense,
// GET /expenses/{expense_id}).
func (c *Client) Expense(ctx context.Context, id string) (Expense, error) {
	if id == "" {
		return Expense{}, errors.New("revolut: expense id is empty")
	}
	var raw json.RawMessage
	if err := c.getJSON(ctx, "getExpense", "/expenses/"+url.PathEscape(id), nil, &raw); err != nil {
		return Expense{}, err
	}
	return expenseKind.decode(raw)
}

// Receipt is the content of one expense receipt, streamed. The caller must Close Body.
type Receipt struct {
	Body io.ReadCloser
	// ContentType is sniffed from the first bytes, not taken from the server's header or a
	// file name; "application/octet-stream" when unknown.
	ContentType string
	// Extension is the file extension for ContentType, with the dot (".pdf", ".bin").
	Extension string
	// Length is the body's length from Content-Length, or -1 when the server did not say.
	// A body shorter than Length ends with io.ErrUnexpectedEOF.
	Length int64
}

// ReceiptContent downloads one receipt of an expense (Revolut operation getExpenseReceipt,
// GET /expenses/{expense_id}/receipts/{receipt_id}/content). Failures before the body starts
// are retried; a failure while the caller reads Body is the caller's to retry.
func (c *Client) ReceiptContent(ctx context.Context, expenseID, receiptID string) (*Receipt, error) {
	if expenseID == "" || receiptID == "" {
		return nil, errors.New("revolut: receipt download needs an expense id and a receipt id")
	}
	var rc *Receipt
	path := "/expenses/" + url.PathEscape(expenseID) + "/receipts/" + url.PathEscape(receiptID) + "/content"
	err := c.send(ctx, call{
		op: "getExpenseReceipt", method: http.MethodGet, path: path, auth: true, stream: true,
		handle: func(resp *http.Response) error {
			limit := c.cfg.MaxReceiptBytes
			if resp.ContentLength > limit {
				return &ResponseTooLargeError{Limit: limit, Length: resp.ContentLength}
			}
			capped := &cappedReader{r: resp.Body, left: limit, tooLarge: &ResponseTooLargeError{
				Method: http.MethodGet, Path: path, Limit: limit, Length: -1}}
			br := bufio.NewReaderSize(capped, sniffLen)
			head, err := br.Peek(sniffLen)
			if err != nil && !errors.Is(err, io.EOF) {
				return &decodeError{fmt.Errorf("read receipt: %w", err)}
			}
			if len(head) == 0 {
				return &decodeError{errors.New("empty receipt body")}
			}
			ct, ext := sniffContentType(head)
			rc = &Receipt{
				Body:        readCloser{Reader: br, Closer: resp.Body},
				ContentType: ct,
				Extension:   ext,
				Length:      resp.ContentLength,
			}
			return nil
		},
	})
	if err != nil {
		return nil, fmt.Errorf("revolut: download receipt %s of expense %s: %w", receiptID, expenseID, err)
	}
	return rc, nil
}

type readCloser struct {
	io.Reader
	io.Closer
}

// cappedReader reads at most left bytes of r and then fails with tooLarge, so that a receipt
// longer than Config.MaxReceiptBytes is refused while it streams instead of filling a disk
// or memory.
type cappedReader struct {
	r        io.Reader
	left     int64
	tooLarge *ResponseTooLargeError
}

func (c *cappedReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		// Anything left beyond the limit is an error; a body that ends exactly there is not.
		var one [1]byte
		n, err := c.r.Read(one[:])
		if n > 0 {
			return 0, c.tooLarge
		}
		return 0, err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	return n, err
}
