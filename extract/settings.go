package extract

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/revledger/revledger/extract/revolut"
)

// SettingsAPI is the part of the client Settings reads with.
type SettingsAPI interface {
	Accounts(ctx context.Context) iter.Seq2[revolut.Account, error]
	AccountingCategories(ctx context.Context, opts revolut.ListOptions) iter.Seq2[revolut.AccountingCategory, error]
	TaxRates(ctx context.Context, opts revolut.ListOptions) iter.Seq2[revolut.TaxRate, error]
	LabelGroups(ctx context.Context, opts revolut.ListOptions) iter.Seq2[revolut.LabelGroup, error]
	Labels(ctx context.Context, groupID string, opts revolut.ListOptions) iter.Seq2[revolut.Label, error]
	Cards(ctx context.Context, opts revolut.CardListOptions) iter.Seq2[revolut.Card, error]
	TeamMembers(ctx context.Context, opts revolut.TeamMemberListOptions) iter.Seq2[revolut.TeamMember, error]
	Counterparties(ctx context.Context, opts revolut.CounterpartyListOptions) iter.Seq2[revolut.Counterparty, error]
}

// Bad is a record of stream Stream that could not be decoded, to be quarantined with its raw
// JSON.
type Bad struct {
	Stream string
	Err    *revolut.RecordError
}

// SettingsLists is the reference data read in full every run.
type SettingsLists struct {
	Accounts       []revolut.Account
	Categories     []revolut.AccountingCategory
	TaxRates       []revolut.TaxRate
	LabelGroups    []revolut.LabelGroup
	Labels         []revolut.Label
	Cards          []revolut.Card // the complete card listing (with the quarantined cards in Bad)
	TeamMembers    []revolut.TeamMember
	Counterparties []revolut.Counterparty
	Bad            []Bad
	// Listed counts the decoded records per stream (accounts, accounting_categories, ...).
	Listed map[string]int64
}

// Rows is the number of decoded records of every list.
func (s SettingsLists) Rows() int64 {
	return int64(len(s.Accounts) + len(s.Categories) + len(s.TaxRates) + len(s.LabelGroups) + len(s.Labels) +
		len(s.Cards) + len(s.TeamMembers) + len(s.Counterparties))
}

// Settings reads accounts, accounting settings, labels, cards, team members and
// counterparties in full. Any error but an undecodable record stops it: a page that could not
// be fetched is never treated as empty. Counterparties are optional: a business whose plan
// cannot list them (403 or 404) has none. Listed is filled as far as the reading got, also on
// error.
func Settings(ctx context.Context, api SettingsAPI) (SettingsLists, error) {
	s := SettingsLists{Listed: map[string]int64{}}
	var err error
	if s.Accounts, err = collect(&s, "accounts", api.Accounts(ctx)); err != nil {
		return s, err
	}
	if s.Categories, err = collect(&s, "accounting_categories", api.AccountingCategories(ctx, revolut.ListOptions{})); err != nil {
		return s, err
	}
	if s.TaxRates, err = collect(&s, "tax_rates", api.TaxRates(ctx, revolut.ListOptions{})); err != nil {
		return s, err
	}
	if s.LabelGroups, err = collect(&s, "label_groups", api.LabelGroups(ctx, revolut.ListOptions{})); err != nil {
		return s, err
	}
	for _, g := range s.LabelGroups {
		labels, err := collect(&s, "labels", api.Labels(ctx, g.ID, revolut.ListOptions{}))
		if err != nil {
			return s, err
		}
		s.Labels = append(s.Labels, labels...)
	}
	if s.Cards, err = collect(&s, "cards", api.Cards(ctx, revolut.CardListOptions{})); err != nil {
		return s, err
	}
	if s.TeamMembers, err = collect(&s, "team_members", api.TeamMembers(ctx, revolut.TeamMemberListOptions{})); err != nil {
		return s, err
	}
	if s.Counterparties, err = optional(collect(&s, "counterparties", api.Counterparties(ctx, revolut.CounterpartyListOptions{}))); err != nil {
		return s, err
	}
	return s, nil
}

// collect drains a list iterator into a slice, setting undecodable records apart in s.Bad.
func collect[T any](s *SettingsLists, stream string, seq iter.Seq2[T, error]) ([]T, error) {
	var out []T
	for v, err := range seq {
		var rec *revolut.RecordError
		switch {
		case errors.As(err, &rec):
			s.Bad = append(s.Bad, Bad{Stream: stream, Err: rec})
		case err != nil:
			return nil, fmt.Errorf("extract %s: %w", stream, err)
		default:
			out = append(out, v)
		}
	}
	s.Listed[stream] += int64(len(out))
	return out, nil
}

// optional turns "this business cannot list it" (a 403/404 for a feature its plan lacks)
// into an empty list, so a missing optional feature does not stop the books.
func optional[T any](v []T, err error) ([]T, error) {
	var apiErr *revolut.APIError
	if errors.As(err, &apiErr) && (apiErr.Status == 403 || apiErr.Status == 404) {
		return nil, nil
	}
	return v, err
}
