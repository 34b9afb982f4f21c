package load

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/transform"
)

// RevaluationBalances returns, for each account's bank code and currency, its balance at the
// end of every month from the first month it has a current line in up to the month before
// until (the first day of a month, midnight UTC: the month not yet complete): the sum of the
// lines' amounts, of their base amounts without the revaluation lines
// (transform.MonthBalance.Base: transform.Booker.Revalue adds the revaluations it books), and
// the count of lines without a base amount. Sorted by code, currency, month.
//
// One query for every account and month end: the lines are summed per month once, and the
// running sums over the months (a window) give each month end's balance; a month without
// lines repeats the one before.
func (s *Store) RevaluationBalances(ctx context.Context, accounts []transform.RevaluedAccount, until time.Time) ([]transform.MonthBalance, error) {
	if len(accounts) == 0 {
		return nil, nil
	}
	codes, currencies := make([]string, len(accounts)), make([]string, len(accounts))
	for i, a := range accounts {
		codes[i], currencies[i] = a.Code, a.Currency
	}
	rows, _ := s.pool.Query(ctx, `WITH accounts AS (
			SELECT DISTINCT code, currency FROM unnest($1::text[], $2::text[]) AS a (code, currency)),
		monthly AS (
			SELECT l.account_code AS code, l.currency::text AS currency, date_trunc('month', l.booking_date)::date AS month,
				sum(l.amount) AS amount,
				coalesce(sum(l.base_amount) FILTER (WHERE l.source_type <> $3), 0) AS base,
				count(*) FILTER (WHERE l.base_amount IS NULL) AS unvalued
			FROM ledger_current l JOIN accounts a ON a.code = l.account_code AND a.currency = l.currency::text
			WHERE l.booking_date < $4::date
			GROUP BY 1, 2, 3),
		months AS (
			SELECT f.code, f.currency, m::date AS month
			FROM (SELECT code, currency, min(month) AS first FROM monthly GROUP BY 1, 2) f,
				generate_series(f.first, ($4::date - interval '1 month'), interval '1 month') AS m)
		SELECT m.code, m.currency, m.month,
			sum(coalesce(x.amount, 0)) OVER w, sum(coalesce(x.base, 0)) OVER w, sum(coalesce(x.unvalued, 0)) OVER w
		FROM months m LEFT JOIN monthly x ON x.code = m.code AND x.currency = m.currency AND x.month = m.month
		WINDOW w AS (PARTITION BY m.code, m.currency ORDER BY m.month)
		ORDER BY 1, 2, 3`, codes, currencies, transform.SourceRevaluation, until)
	var out []transform.MonthBalance
	var mb transform.MonthBalance
	var amount, base decimal.Decimal
	_, err := pgx.ForEachRow(rows, []any{&mb.Code, &mb.Currency, &mb.Month, &amount, &base, &mb.Unvalued}, func() error {
		mb.Amount, mb.Base = amount, base
		mb.Month = mb.Month.UTC()
		out = append(out, mb)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load: month-end balances of %d bank accounts: %w", len(accounts), interpret(err))
	}
	return out, nil
}
