package load

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// HasReceipt reports whether the receipt's metadata is recorded, i.e. the file was stored
// already and need not be downloaded again.
func (s *Store) HasReceipt(ctx context.Context, expenseID, receiptID string) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx,
		"SELECT EXISTS (SELECT 1 FROM receipts WHERE expense_id = $1 AND receipt_id = $2)",
		expenseID, receiptID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("load: look up receipt %s/%s: %w", expenseID, receiptID, interpret(err))
	}
	return ok, nil
}

// Receipt returns the recorded metadata of a receipt, or ErrNotFound.
func (s *Store) Receipt(ctx context.Context, expenseID, receiptID string) (ReceiptMeta, error) {
	var m ReceiptMeta
	err := s.pool.QueryRow(ctx, `SELECT expense_id, receipt_id, content_type, size, sha256, object_key, stored_at
		FROM receipts WHERE expense_id = $1 AND receipt_id = $2`, expenseID, receiptID).
		Scan(&m.ExpenseID, &m.ReceiptID, &m.ContentType, &m.Size, &m.SHA256, &m.ObjectKey, &m.StoredAt)
	if err != nil {
		return ReceiptMeta{}, fmt.Errorf("load: read receipt %s/%s: %w", expenseID, receiptID, interpret(err))
	}
	m.StoredAt = m.StoredAt.UTC()
	return m, nil
}

// RecordReceipt records the metadata of a stored receipt file in its own transaction (under
// the run lock). Recording the same receipt again updates it.
func (s *Store) RecordReceipt(ctx context.Context, lock *RunLock, run RunID, m ReceiptMeta) error {
	err := s.inLockedTx(ctx, lock, func(tx pgx.Tx) error {
		return writeReceipts(ctx, tx, run, []ReceiptMeta{m})
	})
	if err != nil {
		return fmt.Errorf("load: record receipt %s/%s: %w", m.ExpenseID, m.ReceiptID, err)
	}
	return nil
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
