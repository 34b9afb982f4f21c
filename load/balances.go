package load

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/revledger/revledger/transform"
)

// OpeningBalances returns what the current ledger holds before the date of before (the time
// of day is ignored, as for LedgerLines): per account and currency the sum of the lines'
// amounts and of their base amounts, with the lines that have no base amount counted and
// summed apart; and per Revolut account the balance Revolut reported after its last bank line.
// The exporters start a period's trial balance and bank reconciliation from it.
//
// Each is one set-based query over ledger_current: a grouped sum over every earlier line,
// which PostgreSQL computes in one pass without sending a line to Go.
func (s *Store) OpeningBalances(ctx context.Context, before time.Time) (transform.OpeningBalances, error) {
	var out transform.OpeningBalances
	date := dateOf(before)
	// The name is the one on the account's latest line in the ledger's order (LedgerLines'), so
	// that transform.Roll, which carries one period's closing balances into the next, names it
	// alike: a renamed account is one account.
	rows, err := s.pool.Query(ctx, `SELECT account_code,
			COALESCE((array_agg(account_name ORDER BY booking_date DESC, entry_id DESC, line_key DESC))[1], ''),
			currency, sum(amount), count(*)::int,
			COALESCE(sum(base_amount), 0),
			(count(*) FILTER (WHERE base_amount IS NULL))::int,
			COALESCE(sum(amount) FILTER (WHERE base_amount IS NULL), 0)
		FROM ledger_current
		WHERE booking_date < $1::date
		GROUP BY account_code, currency
		ORDER BY account_code, currency`, date)
	if err != nil {
		return out, fmt.Errorf("load: query opening balances before %s: %w", date, interpret(err))
	}
	for rows.Next() {
		var a transform.AccountBalance
		if err := rows.Scan(&a.AccountCode, &a.AccountName, &a.Currency, &a.Amount, &a.Lines,
			&a.Base, &a.Unconverted, &a.UnconvertedAmount); err != nil {
			rows.Close()
			return out, fmt.Errorf("load: read opening balance: %w", interpret(err))
		}
		out.Accounts = append(out.Accounts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("load: read opening balances: %w", interpret(err))
	}

	// Revolut reports the balance after a whole leg (movement and fee) on the leg's main bank
	// line; the latest such line before the date is the opening. Legs completed at one
	// instant (a bulk payout) are ordered by transaction id here, which may not be the order
	// Revolut applied them in; the reconciliation then shows the difference.
	//
	// A reversing entry carries no balance (Revolut reported the reverted leg's when the money
	// left; what came back shows only in the next leg's), so the reversals after the last
	// reported balance are added to it.
	//
	// Looking for the latest reported line among every earlier line sorts the whole ledger
	// for each period, so it is looked for in the last weeks first (along the booking-date
	// index), and among every earlier line only for the Revolut accounts that reported
	// nothing in those weeks.
	recent, err := s.bankOpenings(ctx, date, bankOpeningRecent, dateOf(before.AddDate(0, 0, -bankOpeningDays)))
	if err != nil {
		return out, err
	}
	found := map[string]bool{}
	for _, b := range recent {
		found[b.RevolutAccountID] = true
	}
	var quiet []string
	ids, err := s.pool.Query(ctx, `SELECT id FROM accounts ORDER BY id`)
	if err != nil {
		return out, fmt.Errorf("load: list accounts: %w", interpret(err))
	}
	for ids.Next() {
		var id string
		if err := ids.Scan(&id); err != nil {
			ids.Close()
			return out, fmt.Errorf("load: list accounts: %w", interpret(err))
		}
		if !found[id] {
			quiet = append(quiet, id)
		}
	}
	ids.Close()
	if err := ids.Err(); err != nil {
		return out, fmt.Errorf("load: list accounts: %w", interpret(err))
	}
	out.Banks = recent
	if len(quiet) > 0 {
		older, err := s.bankOpenings(ctx, date, bankOpeningOf, quiet)
		if err != nil {
			return out, err
		}
		out.Banks = append(out.Banks, older...)
		slices.SortFunc(out.Banks, func(a, b transform.BankOpening) int { return strings.Compare(a.RevolutAccountID, b.RevolutAccountID) })
	}
	return out, nil
}

// bankOpeningDays is how far back the latest reported bank line is looked for first.
const bankOpeningDays = 45

// The two ways bankOpenings narrows the lines it looks at: booked since a date, or on the
// given Revolut accounts.
const (
	bankOpeningRecent = "booking_date >= $2::date"
	bankOpeningOf     = "revolut_account_id = ANY($2::text[])"
)

// bankOpenings returns, per Revolut account among the lines before date that match narrow
// (with arg as $2), the balance Revolut reported after its latest bank line, plus the
// reversals booked after that line. Ties are broken on the text columns byte by byte
// (COLLATE "C"), as transform.Roll breaks them. A reversing entry carries no balance: Revolut reported
// the reverted leg's when the money left, and what came back shows only in the next leg's.
func (s *Store) bankOpenings(ctx context.Context, date, narrow string, arg any) ([]transform.BankOpening, error) {
	rows, err := s.pool.Query(ctx, `WITH last AS (
			SELECT DISTINCT ON (revolut_account_id)
				revolut_account_id, account_code, COALESCE(account_name, '') AS account_name, currency, bank_balance,
				booking_date, occurred_at, transaction_id, line_key
			FROM ledger_current
			WHERE booking_date < $1::date AND `+narrow+` AND revolut_account_id IS NOT NULL AND bank_balance IS NOT NULL
			ORDER BY revolut_account_id, booking_date DESC, occurred_at DESC, transaction_id COLLATE "C" DESC, line_key COLLATE "C" DESC)
		SELECT l.revolut_account_id, l.account_code, l.account_name, l.currency,
			l.bank_balance + COALESCE((SELECT sum(r.amount) FROM ledger_current r
				WHERE r.revolut_account_id = l.revolut_account_id
					AND r.booking_date >= l.booking_date AND r.booking_date < $1::date -- an index range, not the ledger
					AND r.role LIKE '%:reversal' AND r.bank_balance IS NULL
					AND (r.booking_date, r.occurred_at, r.transaction_id COLLATE "C", r.line_key COLLATE "C") >
						(l.booking_date, l.occurred_at, l.transaction_id COLLATE "C", l.line_key COLLATE "C")), 0),
			l.occurred_at
		FROM last l
		ORDER BY l.revolut_account_id`, date, arg)
	if err != nil {
		return nil, fmt.Errorf("load: query opening bank balances before %s: %w", date, interpret(err))
	}
	defer rows.Close()
	var out []transform.BankOpening
	for rows.Next() {
		var b transform.BankOpening
		if err := rows.Scan(&b.RevolutAccountID, &b.AccountCode, &b.AccountName, &b.Currency, &b.Balance, &b.At); err != nil {
			return nil, fmt.Errorf("load: read opening bank balance: %w", interpret(err))
		}
		b.At = b.At.UTC()
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load: read opening bank balances: %w", interpret(err))
	}
	return out, nil
}
