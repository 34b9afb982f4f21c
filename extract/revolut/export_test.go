package revolut

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"time"
)

// Internal functions exposed to the black-box tests in package revolut_test.
var (
	ClientAssertion   = clientAssertion
	Backoff           = backoff
	ParseRetryAfter   = parseRetryAfter
	SniffContentType  = sniffContentType
	Redact            = redactSecrets
	AssertionAudience = assertionAudience
)

// DecodeTransaction and friends run the list decoders on one record, as the pagers do.
var (
	DecodeTransaction        = transactionKind.decode
	DecodeExpense            = expenseKind.decode
	DecodeAccount            = accountKind.decode
	DecodeCard               = cardKind.decode
	DecodeTeamMember         = teamMemberKind.decode
	DecodeCounterparty       = counterpartyKind.decode
	DecodeAccountingCategory = accountingCategoryKind.decode
	DecodeTaxRate            = taxRateKind.decode
	DecodeLabelGroup         = labelGroupKind.decode
	DecodeLabel              = labelKind("group-1").decode
)

// DecodeTokenPage decodes a page_token list envelope as the client does.
func DecodeTokenPage(field string, body []byte) (records int, next string, err error) {
	p := tokenPage{field: field}
	if err := p.UnmarshalJSON(body); err != nil {
		return 0, "", err
	}
	return len(p.records), p.next, nil
}

// PageTransactions runs the time-cursor pager of Transactions over fetch, which stands for
// GET /transactions with the given from, to and count, and over the given partitions (nil:
// none), so that the paging algorithm can be tested on synthetic histories.
func PageTransactions(ctx context.Context, from, to time.Time, count, maxCount int,
	fetch func(ctx context.Context, from, before time.Time, count int) ([]json.RawMessage, error),
	partitions []func(ctx context.Context, from, before time.Time, count int) ([]json.RawMessage, error),
) iter.Seq2[Transaction, error] {
	p := cursorPager[Transaction]{kind: transactionKind, from: from, to: to, count: count, maxCount: maxCount, fetch: fetch}
	if partitions != nil {
		p.partitions = func(context.Context) ([]partition, error) {
			var parts []partition
			for i, f := range partitions {
				parts = append(parts, partition{name: fmt.Sprintf("part %d", i), fetch: f})
			}
			return parts, nil
		}
	}
	return p.seq(ctx)
}
