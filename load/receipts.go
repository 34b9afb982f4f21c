package load

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// ReceiptRef names a receipt that a stored expense refers to.
type ReceiptRef struct {
	ExpenseID string
	ReceiptID string
}

// UnstoredReceipts lists, in one query, every receipt that an expense in the warehouse refers
// to, whatever the expense's date, and returns those not stored yet: never recorded, or
// recorded under an object that present (the export location's view: its key and recorded
// SHA-256) reports missing. They come newest expense first, each once; stored counts the
// others. The query has finished when it returns, so the caller downloads with no cursor
// open. Receipts of a quarantined expense are not listed: only stored expenses count.
func (s *Store) UnstoredReceipts(ctx context.Context, present func(objectKey, sha256 string) bool) (missing []ReceiptRef, stored int, err error) {
	rows, err := s.pool.Query(ctx, `SELECT e.id, r.rid, x.object_key, x.sha256
		FROM expenses e
		CROSS JOIN LATERAL unnest(e.receipt_ids) AS r (rid)
		LEFT JOIN receipts x ON x.expense_id = e.id AND x.receipt_id = r.rid
		ORDER BY e.expense_date DESC NULLS LAST, e.id, r.rid`)
	if err != nil {
		return nil, 0, fmt.Errorf("load: list receipts to store: %w", interpret(err))
	}
	defer rows.Close()
	var prev ReceiptRef
	for rows.Next() {
		var ref ReceiptRef
		var key, sum *string
		if err := rows.Scan(&ref.ExpenseID, &ref.ReceiptID, &key, &sum); err != nil {
			return nil, 0, fmt.Errorf("load: read receipt to store: %w", interpret(err))
		}
		if ref == prev {
			continue // listed twice by its expense
		}
		prev = ref
		if key != nil && present(*key, *sum) {
			stored++
			continue
		}
		missing = append(missing, ref)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("load: list receipts to store: %w", interpret(err))
	}
	return missing, stored, nil
}

func writeReceipts(ctx context.Context, tx pgx.Tx, run RunID, items []ReceiptMeta) error {
	if len(items) == 0 {
		return nil
	}
	var exp, rec, ctype, sum, key []string
	var size []int64
	var stored []any
	for _, m := range items {
		if m.ExpenseID == "" || m.ReceiptID == "" {
			return fmt.Errorf("receipt metadata without expense or receipt id (%q/%q)", m.ExpenseID, m.ReceiptID)
		}
		exp, rec, ctype, sum, key = append(exp, m.ExpenseID), append(rec, m.ReceiptID), append(ctype, m.ContentType),
			append(sum, m.SHA256), append(key, m.ObjectKey)
		size = append(size, m.Size)
		stored = append(stored, nullTime(m.StoredAt))
	}
	_, err := tx.Exec(ctx, `INSERT INTO receipts AS r (expense_id, receipt_id, content_type, size, sha256, object_key, stored_at, run_id)
		SELECT DISTINCT ON (e, rid) e, rid, ct, sz, sh, k, COALESCE(st, now()), $8
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::timestamptz[])
			AS u (e, rid, ct, sz, sh, k, st)
		ON CONFLICT (expense_id, receipt_id) DO UPDATE SET content_type = excluded.content_type, size = excluded.size,
			sha256 = excluded.sha256, object_key = excluded.object_key, stored_at = excluded.stored_at, run_id = excluded.run_id
		WHERE (r.content_type, r.size, r.sha256, r.object_key) IS DISTINCT FROM
			(excluded.content_type, excluded.size, excluded.sha256, excluded.object_key)`,
		exp, rec, ctype, size, sum, key, stored, nullRun(run))
	if err != nil {
		return fmt.Errorf("record %d receipts: %w", len(items), interpret(err))
	}
	return nil
}
