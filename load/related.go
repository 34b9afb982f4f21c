package load

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

// Transaction returns one stored transaction with every expense linked to it, decoded from
// the stored raw JSON, and false when the warehouse does not hold it. The booker uses it to
// find the original a refund refers to.
func (s *Store) Transaction(ctx context.Context, id string) (TransactionToBook, bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.raw, e.id, e.raw
		FROM transactions t LEFT JOIN expenses e ON e.transaction_id = t.id
		WHERE t.id = $1 ORDER BY e.id`, id)
	if err != nil {
		return TransactionToBook{}, false, fmt.Errorf("load: query transaction %s: %w", id, interpret(err))
	}
	defer rows.Close()
	var out TransactionToBook
	found := false
	for rows.Next() {
		var traw, eraw []byte
		var eid *string
		if err := rows.Scan(&traw, &eid, &eraw); err != nil {
			return TransactionToBook{}, false, fmt.Errorf("load: read transaction %s: %w", id, interpret(err))
		}
		if !found {
			found = true
			if err := decodeRaw(traw, &out.Transaction); err != nil {
				return TransactionToBook{}, false, &DecodeError{Stream: "transactions", ID: id, Err: err}
			}
			out.Transaction.Raw = json.RawMessage(traw)
			out.Transaction.ID = id
		}
		if eid != nil {
			var e revolut.Expense
			if err := decodeRaw(eraw, &e); err != nil {
				return TransactionToBook{}, false, &DecodeError{Stream: "expenses", ID: *eid, Err: err}
			}
			e.Raw = json.RawMessage(eraw)
			out.Expenses = append(out.Expenses, e)
		}
	}
	if err := rows.Err(); err != nil {
		return TransactionToBook{}, false, fmt.Errorf("load: read transaction %s: %w", id, interpret(err))
	}
	return out, found, nil
}

// FlagRelatedForBooking marks for booking every stored transaction whose
// related_transaction_id names a transaction that is about to be booked (it, or one of its
// expenses, needs booking). A refund mirrors its original's booking, so a refund booked
// before its original arrived, or before the original's expense changed, is booked again
// with it. It returns how many it flagged.
func (w *Writer) FlagRelatedForBooking(ctx context.Context) (int64, error) {
	var n int64
	err := w.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE transactions r SET needs_booking = true
			WHERE r.related_transaction_id IS NOT NULL AND NOT r.needs_booking
			  AND r.related_transaction_id IN (
				SELECT id FROM transactions WHERE needs_booking
				UNION
				SELECT transaction_id FROM expenses WHERE needs_booking AND transaction_id IS NOT NULL)`)
		if err != nil {
			return fmt.Errorf("load: flag refunds of transactions to book: %w", interpret(err))
		}
		n = tag.RowsAffected()
		return nil
	})
	return n, err
}

// FlagMissingRatesForBooking marks for booking every stored transaction and expense whose
// current exceptions include a missing exchange rate (transform.KindMissingFXRate): its entry
// was booked without base-currency values, and booking it again once the rate exists values
// it (a new version, since the line hash covers the base values) even though its source did
// not change. It returns how many it flagged. A source whose rate is still missing is booked
// again on every run, to the same lines, which writes nothing.
func (w *Writer) FlagMissingRatesForBooking(ctx context.Context) (int64, error) {
	var n int64
	err := w.inTx(ctx, func(tx pgx.Tx) error {
		for _, table := range []string{"transactions", "expenses"} {
			source := transform.SourceTransaction
			if table == "expenses" {
				source = transform.SourceExpense
			}
			tag, err := tx.Exec(ctx, `UPDATE `+table+` r SET needs_booking = true
				WHERE NOT r.needs_booking AND r.id IN (
					SELECT source_id FROM exceptions
					WHERE cleared_by_run IS NULL AND kind = $1 AND source_type = $2)`, transform.KindMissingFXRate, source)
			if err != nil {
				return fmt.Errorf("load: flag %s with a missing exchange rate for booking: %w", table, interpret(err))
			}
			n += tag.RowsAffected()
		}
		return nil
	})
	return n, err
}
