package revolut

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"net/url"
	"strconv"
)

// MaxSettingsPage is the largest page of the accounting-settings and label lists.
const MaxSettingsPage = 500

// ListOptions pages the lists that use page_token (accounting categories, tax rates, label
// groups, labels).
type ListOptions struct {
	// Limit is the page size: default and maximum MaxSettingsPage.
	Limit int
}

var accountingCategoryKind = kind[AccountingCategory]{
	stream: "accounting_categories",
	setRaw: func(a *AccountingCategory, raw json.RawMessage) { a.Raw = raw },
	id:     func(a *AccountingCategory) string { return a.ID },
}

var taxRateKind = kind[TaxRate]{
	stream: "tax_rates",
	setRaw: func(t *TaxRate, raw json.RawMessage) { t.Raw = raw },
	id:     func(t *TaxRate) string { return t.ID },
}

// AccountingCategories lists the accounting categories (Revolut operation
// getAccountingCategories, GET /accounting-categories), following next_page_token.
func (c *Client) AccountingCategories(ctx context.Context, opts ListOptions) iter.Seq2[AccountingCategory, error] {
	return tokenPager(ctx, accountingCategoryKind,
		c.tokenPageFetcher("getAccountingCategories", "/accounting-categories", "accounting_categories", opts.Limit))
}

// TaxRates lists the tax rates (Revolut operation getTaxRates, GET /tax-rates), following
// next_page_token.
func (c *Client) TaxRates(ctx context.Context, opts ListOptions) iter.Seq2[TaxRate, error] {
	return tokenPager(ctx, taxRateKind, c.tokenPageFetcher("getTaxRates", "/tax-rates", "tax_rates", opts.Limit))
}

// tokenPageFetcher fetches one page of a page_token list whose records sit under field.
func (c *Client) tokenPageFetcher(op, path, field string, limit int) fetchTokenPage {
	limit = pageSize(limit, MaxSettingsPage, MaxSettingsPage)
	return func(ctx context.Context, token string) ([]json.RawMessage, string, error) {
		q := limitQuery(limit)
		if token != "" {
			q.Set("page_token", token)
		}
		page := tokenPage{field: field}
		if err := c.getJSON(ctx, op, path, q, &page); err != nil {
			return nil, "", err
		}
		raws, next := page.records, page.next
		return raws, next, nil
	}
}

// tokenPage is one page of a page_token list. Decoding fails, and the request is retried,
// when the list field is missing: a malformed page must not pass for an empty one.
type tokenPage struct {
	field   string
	records []json.RawMessage
	next    string
}

// UnmarshalJSON reads the list under p.field and next_page_token.
func (p *tokenPage) UnmarshalJSON(b []byte) error {
	var page map[string]json.RawMessage
	if err := json.Unmarshal(b, &page); err != nil {
		return err
	}
	var list rawList
	if err := json.Unmarshal(page[p.field], &list); err != nil {
		return fmt.Errorf("field %q: %w", p.field, err)
	}
	p.records = list
	if t, ok := page["next_page_token"]; ok && string(t) != "null" {
		if err := json.Unmarshal(t, &p.next); err != nil {
			return fmt.Errorf("next_page_token: %w", err)
		}
	}
	return nil
}

func limitQuery(limit int) url.Values {
	return url.Values{"limit": {strconv.Itoa(limit)}}
}
