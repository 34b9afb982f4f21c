package load

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

// readHistory reads every version of the tax rates and accounting categories (migration
// 0007) into out, each decoded from the raw JSON it was seen as.
func readHistory(ctx context.Context, tx pgx.Tx, out *Settings) error {
	if err := readVersions(ctx, tx, "tax_rate_history", func(raw []byte, from, to time.Time) error {
		var v revolut.TaxRate
		if err := decodeRaw(raw, &v); err != nil {
			return err
		}
		v.Raw = raw
		out.TaxRateHistory = append(out.TaxRateHistory, transform.TaxRateVersion{TaxRate: v, ValidFrom: from, ValidTo: to})
		return nil
	}, &out.Undecodable); err != nil {
		return err
	}
	return readVersions(ctx, tx, "accounting_category_history", func(raw []byte, from, to time.Time) error {
		var v revolut.AccountingCategory
		if err := decodeRaw(raw, &v); err != nil {
			return err
		}
		v.Raw = raw
		out.CategoryHistory = append(out.CategoryHistory, transform.CategoryVersion{AccountingCategory: v, ValidFrom: from, ValidTo: to})
		return nil
	}, &out.Undecodable)
}

func readVersions(ctx context.Context, tx pgx.Tx, table string, add func(raw []byte, from, to time.Time) error, bad *[]*DecodeError) error {
	rows, _ := tx.Query(ctx, fmt.Sprintf(`SELECT id, raw, valid_from, valid_to FROM %s
		WHERE valid_from IS NULL OR valid_to IS NULL OR valid_from < valid_to
		ORDER BY id, valid_from NULLS FIRST`, table))
	var id string
	var raw []byte
	var from, to *time.Time
	_, err := pgx.ForEachRow(rows, []any{&id, &raw, &from, &to}, func() error {
		var f, t time.Time
		if from != nil {
			f = from.UTC()
		}
		if to != nil {
			t = to.UTC()
		}
		if err := add(slices.Clone(raw), f, t); err != nil {
			*bad = append(*bad, &DecodeError{Stream: table, ID: id, Err: err, Raw: slices.Clone(raw)})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%s: %w", table, interpret(err))
	}
	return nil
}

// QuarantineStored puts stored records that no longer decode into the quarantine, with the
// reason and their raw JSON, and takes them out of the booking queue: a transaction or
// expense quarantined here is booked again only when Revolut sends it anew (its raw changes,
// which flags it). A quarantined transaction takes its linked expenses out of the queue too:
// they are booked with it. Its ledger entries, if any, stay as they were. Counted records
// are returned; the same bytes quarantined again are counted, not duplicated.
func (w *Writer) QuarantineStored(ctx context.Context, run RunID, bad []*DecodeError) (int, error) {
	if len(bad) == 0 {
		return 0, nil
	}
	items := make([]Quarantined, 0, len(bad))
	var txIDs, expIDs []string
	for _, e := range bad {
		items = append(items, Quarantined{Stream: e.Stream, SourceID: e.ID, Raw: e.Raw,
			Reason: "stored record no longer decodes: " + e.Err.Error()})
		switch e.Stream {
		case "transactions":
			txIDs = append(txIDs, e.ID)
		case "expenses":
			expIDs = append(expIDs, e.ID)
		}
	}
	var n int
	err := w.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		if n, err = writeQuarantine(ctx, tx, "", run, items); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE transactions SET needs_booking = false WHERE id = ANY($1) AND needs_booking`, txIDs); err != nil {
			return fmt.Errorf("take quarantined transactions out of the booking queue: %w", interpret(err))
		}
		if _, err := tx.Exec(ctx, `UPDATE expenses SET needs_booking = false
			WHERE (id = ANY($1) OR transaction_id = ANY($2)) AND needs_booking`, expIDs, txIDs); err != nil {
			return fmt.Errorf("take quarantined expenses out of the booking queue: %w", interpret(err))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("load: quarantine %d stored records: %w", len(bad), err)
	}
	return n, nil
}
