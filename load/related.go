package load

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

// Transactions returns the stored transactions of ids with every expense linked to each,
// decoded from the stored raw JSON, by id; an id the warehouse does not hold, or whose
// records no longer decode (they are quarantined when read for booking), is not in the map.
// The booker uses it to find the originals refunds refer to, one query per batch of
// transactions to book rather than one per refund.
func (s *Store) Transactions(ctx context.Context, ids []string) (map[string]TransactionToBook, error) {
	out := make(map[string]TransactionToBook, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT t.id, t.raw, e.id, e.raw
		FROM transactions t LEFT JOIN expenses e ON e.transaction_id = t.id
		WHERE t.id = ANY($1::text[]) ORDER BY t.id, e.id`, ids)
	if err != nil {
		return nil, fmt.Errorf("load: query transactions: %w", interpret(err))
	}
	defer rows.Close()
	var (
		cur    TransactionToBook
		curID  string
		broken bool // cur or one of its expenses does not decode
	)
	flush := func() {
		if curID != "" && !broken {
			out[curID] = cur
		}
	}
	for rows.Next() {
		var id string
		var traw, eraw []byte
		var eid *string
		if err := rows.Scan(&id, &traw, &eid, &eraw); err != nil {
			return nil, fmt.Errorf("load: read transactions: %w", interpret(err))
		}
		if id != curID {
			flush()
			cur, curID, broken = TransactionToBook{}, id, false
			if err := decodeRaw(traw, &cur.Transaction); err != nil {
				broken = true
			}
			cur.Transaction.Raw = json.RawMessage(traw)
			cur.Transaction.ID = id
		}
		if eid != nil && !broken {
			var e revolut.Expense
			if err := decodeRaw(eraw, &e); err != nil {
				broken = true
				continue
			}
			e.Raw = json.RawMessage(eraw)
			cur.Expenses = append(cur.Expenses, e)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load: read transactions: %w", interpret(err))
	}
	flush()
	return out, nil
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
		for _, t := range bookedTables {
			table, source := t.table, t.source
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

// FlagUnvaluedForBooking marks for booking, once after an upgrade, the stored transactions
// and expenses whose entries were booked before base values existed (migration 0011): their
// current lines have no base amount, and, unlike a missing rate, no missing_fx_rate exception
// says so, so nothing else would ever book them again. Booking them values them (a new
// version) or gives them that exception.
//
// Sources with an entry in a closed period are left as filed: booking them again would turn
// the base values they gain into adjustments of a period an accountant already has.
//
// The search reads every current line, so it runs only while base_value_backfill.pending
// (migration 0013) says there may be something to find: a run that flags nothing clears it,
// and from then on this costs one row read. ReopenPeriod sets it again. It returns how many
// sources it flagged.
func (w *Writer) FlagUnvaluedForBooking(ctx context.Context) (int64, error) {
	var n int64
	err := w.inTx(ctx, func(tx pgx.Tx) error {
		var pending bool
		if err := tx.QueryRow(ctx, `SELECT pending FROM base_value_backfill FOR UPDATE`).Scan(&pending); err != nil {
			return fmt.Errorf("load: read whether lines without base values may remain: %w", interpret(err))
		}
		if !pending {
			return nil
		}
		for _, t := range bookedTables {
			table, source := t.table, t.source
			tag, err := tx.Exec(ctx, `UPDATE `+table+` r SET needs_booking = true
				WHERE NOT r.needs_booking AND r.id IN (
					SELECT l.source_id FROM ledger_current l
					WHERE l.base_amount IS NULL AND l.source_type = $2
					  AND NOT EXISTS (SELECT 1 FROM exceptions x WHERE x.cleared_by_run IS NULL AND x.kind = $1
						AND x.source_type = l.source_type AND x.source_id = l.source_id)
					  AND NOT EXISTS (SELECT 1 FROM entries e JOIN periods c ON c.period = e.period AND c.state = 'closed'
						WHERE e.source_type = l.source_type AND e.source_id = l.source_id AND NOT e.tombstone))`,
				transform.KindMissingFXRate, source)
			if err != nil {
				return fmt.Errorf("load: flag %s booked without base values for booking: %w", table, interpret(err))
			}
			n += tag.RowsAffected()
		}
		if n > 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `UPDATE base_value_backfill SET pending = false`); err != nil {
			return fmt.Errorf("load: record that no lines without base values remain: %w", interpret(err))
		}
		return nil
	})
	return n, err
}

// bookedTables are the tables of the records booking reads, with the source type their
// entries and exceptions carry.
var bookedTables = [...]struct{ table, source string }{
	{"transactions", transform.SourceTransaction},
	{"expenses", transform.SourceExpense},
}
