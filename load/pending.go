package load

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

// DecodeError says that a stored raw record could not be decoded into its model (written by
// an earlier version, or changed by hand). One bad record must not stop a run: iterators
// yield it and carry on, and settings and history readers collect it (Undecodable), so the
// caller can hand it to Store.QuarantineStored, which quarantines the record with Raw (the
// stored JSON) and takes it out of the booking queue until Revolut sends it anew. Store.
// Transaction returns it without Raw for a related transaction, which is treated as not held.
type DecodeError struct {
	Stream string
	ID     string
	Err    error
	Raw    []byte
}

// Error names the stream and record that could not be decoded.
func (e *DecodeError) Error() string {
	return fmt.Sprintf("load: decode stored %s %s: %v", e.Stream, e.ID, e.Err)
}

// Unwrap returns the JSON decoding error.
func (e *DecodeError) Unwrap() error { return e.Err }

// TransactionToBook is a transaction that needs booking, with every expense linked to it.
type TransactionToBook struct {
	Transaction revolut.Transaction
	Expenses    []revolut.Expense
}

// PendingTransactions streams the transactions to book: those with needs_booking and those
// whose linked expenses need booking, each with all its linked expenses, decoded from the
// stored raw JSON (Raw set). Ordered by transaction id. Rows stream from one query; nothing
// is collected in memory beyond one transaction's expenses. A transaction that does not decode,
// or one of whose linked expenses does not, is yielded as a *DecodeError naming that record,
// in place of the transaction: a transaction is never booked without one of its expenses.
func (s *Store) PendingTransactions(ctx context.Context) iter.Seq2[TransactionToBook, error] {
	return func(yield func(TransactionToBook, error) bool) {
		// The pending ids are collected first (both from partial indexes on needs_booking) and
		// then joined: a "needs_booking OR id IN (expenses that need booking)" filter is
		// evaluated per transaction of the whole table, and when the planner cannot hash the
		// sub-select (more pending expenses than work_mem holds) it rescans that list for
		// each one, quadratic in the warehouse's size.
		rows, err := s.pool.Query(ctx, `WITH pending AS (
				SELECT id FROM transactions WHERE needs_booking
				UNION
				SELECT transaction_id FROM expenses WHERE needs_booking AND transaction_id IS NOT NULL)
			SELECT t.id, t.raw, e.id, e.raw
			FROM pending p JOIN transactions t ON t.id = p.id LEFT JOIN expenses e ON e.transaction_id = t.id
			ORDER BY t.id, e.id`)
		if err != nil {
			yield(TransactionToBook{}, fmt.Errorf("load: query pending transactions: %w", interpret(err)))
			return
		}
		defer rows.Close()
		var cur TransactionToBook
		var curErr error
		have := false
		flush := func() bool {
			if !have {
				return true
			}
			have = false
			if curErr != nil {
				return yield(TransactionToBook{}, curErr)
			}
			return yield(cur, nil)
		}
		var tid string
		var traw []byte
		var eid *string
		var eraw []byte
		for rows.Next() {
			if err := rows.Scan(&tid, &traw, &eid, &eraw); err != nil {
				yield(TransactionToBook{}, fmt.Errorf("load: read pending transaction: %w", interpret(err)))
				return
			}
			if !have || cur.Transaction.ID != tid {
				if !flush() {
					return
				}
				cur, curErr, have = TransactionToBook{}, nil, true
				if err := decodeRaw(traw, &cur.Transaction); err != nil {
					curErr = &DecodeError{Stream: "transactions", ID: tid, Err: err, Raw: slices.Clone(traw)}
				}
				cur.Transaction.Raw = json.RawMessage(traw)
				cur.Transaction.ID = tid
			}
			if eid != nil && curErr == nil {
				var e revolut.Expense
				if err := decodeRaw(eraw, &e); err != nil {
					curErr = &DecodeError{Stream: "expenses", ID: *eid, Err: err, Raw: slices.Clone(eraw)}
					continue
				}
				e.Raw = json.RawMessage(eraw)
				cur.Expenses = append(cur.Expenses, e)
			}
		}
		if err := rows.Err(); err != nil {
			yield(TransactionToBook{}, fmt.Errorf("load: read pending transactions: %w", interpret(err)))
			return
		}
		flush()
	}
}

// PendingExpenses streams the expenses to book on their own: with needs_booking and either no
// transaction (external reimbursements, mileage) or a transaction that is not in the
// warehouse (orphans). Ordered by id.
func (s *Store) PendingExpenses(ctx context.Context) iter.Seq2[revolut.Expense, error] {
	return func(yield func(revolut.Expense, error) bool) {
		rows, err := s.pool.Query(ctx, `SELECT e.id, e.raw FROM expenses e
			WHERE e.needs_booking
			  AND (e.transaction_id IS NULL OR NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = e.transaction_id))
			ORDER BY e.id`)
		if err != nil {
			yield(revolut.Expense{}, fmt.Errorf("load: query pending expenses: %w", interpret(err)))
			return
		}
		defer rows.Close()
		var id string
		var raw []byte
		for rows.Next() {
			if err := rows.Scan(&id, &raw); err != nil {
				yield(revolut.Expense{}, fmt.Errorf("load: read pending expense: %w", interpret(err)))
				return
			}
			var e revolut.Expense
			if err := decodeRaw(raw, &e); err != nil {
				if !yield(revolut.Expense{}, &DecodeError{Stream: "expenses", ID: id, Err: err, Raw: slices.Clone(raw)}) {
					return
				}
				continue
			}
			e.Raw = json.RawMessage(raw)
			if !yield(e, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(revolut.Expense{}, fmt.Errorf("load: read pending expenses: %w", interpret(err)))
		}
	}
}

// Settings is what the booker needs besides the records themselves, decoded from raw.
type Settings struct {
	Accounts       []revolut.Account
	Categories     []revolut.AccountingCategory
	TaxRates       []revolut.TaxRate
	LabelGroups    []revolut.LabelGroup
	Labels         []revolut.Label
	Cards          []revolut.Card
	TeamMembers    []revolut.TeamMember
	Counterparties []revolut.Counterparty

	// TaxRateHistory and CategoryHistory are every version of each tax rate and category seen
	// (migration 0006), ordered by id and valid_from.
	TaxRateHistory  []transform.TaxRateVersion
	CategoryHistory []transform.CategoryVersion

	// Undecodable are the stored settings (current or historical) that no longer decode: left
	// out of the lists above, for the caller to quarantine.
	Undecodable []*DecodeError
}

// Settings reads every settings-like table (accounts, categories, tax rates, labels, cards,
// team members, counterparties) and the settings history in one repeatable-read snapshot,
// ordered by id. A stored record that no longer decodes is left out and listed in Undecodable.
func (s *Store) Settings(ctx context.Context) (Settings, error) {
	var out Settings
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if err := readSettings(ctx, tx, "accounts", &out.Accounts, nil, &out.Undecodable); err != nil {
			return err
		}
		if err := readSettings(ctx, tx, "accounting_categories", &out.Categories, nil, &out.Undecodable); err != nil {
			return err
		}
		if err := readSettings(ctx, tx, "tax_rates", &out.TaxRates, nil, &out.Undecodable); err != nil {
			return err
		}
		if err := readSettings(ctx, tx, "label_groups", &out.LabelGroups, nil, &out.Undecodable); err != nil {
			return err
		}
		// Label.GroupID is not in the JSON (the API puts it in the path): it comes from its column.
		if err := readSettings(ctx, tx, "labels", &out.Labels, func(l *revolut.Label, group string) { l.GroupID = group }, &out.Undecodable); err != nil {
			return err
		}
		if err := readSettings(ctx, tx, "cards", &out.Cards, nil, &out.Undecodable); err != nil {
			return err
		}
		if err := readSettings(ctx, tx, "team_members", &out.TeamMembers, nil, &out.Undecodable); err != nil {
			return err
		}
		if err := readSettings(ctx, tx, "counterparties", &out.Counterparties, nil, &out.Undecodable); err != nil {
			return err
		}
		return readHistory(ctx, tx, &out)
	})
	if err != nil {
		return Settings{}, fmt.Errorf("load: read settings: %w", err)
	}
	return out, nil
}

func readSettings[T rawRecord](ctx context.Context, tx pgx.Tx, table string, dst *[]T, group func(*T, string), bad *[]*DecodeError) error {
	groupCol := "NULL::text"
	if group != nil {
		groupCol = "group_id"
	}
	rows, _ := tx.Query(ctx, fmt.Sprintf("SELECT id, raw, %s FROM %s ORDER BY id", groupCol, table))
	var id string
	var raw []byte
	var g *string
	_, err := pgx.ForEachRow(rows, []any{&id, &raw, &g}, func() error {
		var v T
		if err := decodeRaw(raw, &v); err != nil {
			*bad = append(*bad, &DecodeError{Stream: table, ID: id, Err: err, Raw: slices.Clone(raw)})
			return nil
		}
		setRaw(&v, raw)
		if group != nil && g != nil {
			group(&v, *g)
		}
		*dst = append(*dst, v)
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", table, interpret(err))
	}
	return nil
}

func decodeRaw(raw []byte, v any) error { return json.Unmarshal(raw, v) }

func setRaw[T rawRecord](p *T, raw []byte) { *asRecord(p).RawJSON() = raw }
