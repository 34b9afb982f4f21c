package load

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/transform"
)

// LedgerLines streams the current ledger lines (latest version of every entry that is not a
// tombstone) with BookingDate in [from, to) (dates: the time of day is ignored), ordered by
// booking date, entry and line key. Rows stream from one query: a year of lines is never held
// in memory. Line.Version is the entry's version.
func (s *Store) LedgerLines(ctx context.Context, from, to time.Time) iter.Seq2[transform.Line, error] {
	cols := make([]string, len(ledgerCols))
	for i, c := range ledgerCols {
		cols[i] = "l." + c
	}
	query := `SELECT ` + strings.Join(cols, ", ") + `, l.version
		FROM ledger_current l
		WHERE l.booking_date >= $1::date AND l.booking_date < $2::date
		ORDER BY l.booking_date, l.entry_id, l.line_key`
	return func(yield func(transform.Line, error) bool) {
		rows, err := s.pool.Query(ctx, query, dateOf(from), dateOf(to))
		if err != nil {
			yield(transform.Line{}, fmt.Errorf("load: query ledger lines: %w", interpret(err)))
			return
		}
		defer rows.Close()
		for rows.Next() {
			l, err := scanLine(rows)
			if err != nil {
				yield(transform.Line{}, fmt.Errorf("load: read ledger line: %w", err))
				return
			}
			if !yield(l, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(transform.Line{}, fmt.Errorf("load: read ledger lines: %w", interpret(err)))
		}
	}
}

// dateOf is the calendar date of t as written (BookingDate is midnight UTC for the date).
func dateOf(t time.Time) string { return t.UTC().Format(time.DateOnly) }

func scanLine(rows pgx.Rows) (transform.Line, error) {
	var l transform.Line
	var lineKey string
	var accountName, origCur, taxRateID, taxRateName, catID, catCode, catName *string
	var counterparty, merchant, description, reference *string
	var txID, txType, txState, relTx, expID, expState, revAcc, cardID, cardDigits, cardHolder, cardLabel, vatTreatment *string
	var labels, refs []byte
	var adjEntry, adjPeriod, adjReason *string
	var adjVersion *int
	var rateSource *string
	err := rows.Scan(
		&l.EntryID, &lineKey, &l.Key.SourceType, &l.Key.SourceID, &l.Key.Index, &l.Key.Role, &l.BookingDate, &l.OccurredAt, &l.Period,
		&l.AccountCode, &accountName, &l.Amount, &l.Currency, &l.OriginalAmount, &origCur,
		&l.Net, &l.Tax, &l.Gross, &taxRateID, &taxRateName, &l.TaxRatePercent,
		&catID, &catCode, &catName, &labels,
		&counterparty, &merchant, &description, &reference,
		&txID, &txType, &txState, &relTx, &expID, &expState,
		&l.ReceiptIDs, &revAcc, &l.BankBalance, &cardID, &cardDigits, &cardHolder, &refs,
		&cardLabel, &vatTreatment, &adjEntry, &adjVersion, &adjPeriod, &adjReason,
		&l.BaseAmount, &l.BaseRate, &rateSource, &l.Version)
	if err != nil {
		return transform.Line{}, interpret(err)
	}
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	l.AccountName, l.OriginalCurrency = str(accountName), str(origCur)
	l.TaxRateID, l.TaxRateName = str(taxRateID), str(taxRateName)
	l.CategoryID, l.CategoryCode, l.CategoryName = str(catID), str(catCode), str(catName)
	l.Counterparty, l.Merchant, l.Description, l.Reference = str(counterparty), str(merchant), str(description), str(reference)
	l.TransactionID, l.TransactionType, l.TransactionState, l.RelatedTransactionID = str(txID), str(txType), str(txState), str(relTx)
	l.ExpenseID, l.ExpenseState, l.RevolutAccountID = str(expID), str(expState), str(revAcc)
	l.CardID, l.CardLastDigits, l.CardHolder, l.CardLabel = str(cardID), str(cardDigits), str(cardHolder), str(cardLabel)
	l.VATTreatment = str(vatTreatment)
	l.RateSource = str(rateSource)
	l.AdjustsEntryID, l.AdjustsPeriod, l.AdjustmentReason = str(adjEntry), str(adjPeriod), str(adjReason)
	if adjVersion != nil {
		l.AdjustsVersion = *adjVersion
	}
	l.BookingDate = l.BookingDate.UTC()
	l.OccurredAt = l.OccurredAt.UTC()
	if labels != nil {
		if err := json.Unmarshal(labels, &l.Labels); err != nil {
			return transform.Line{}, fmt.Errorf("labels of %s: %w", lineKey, err)
		}
	}
	if refs != nil {
		var rs []cardRefJSON
		if err := json.Unmarshal(refs, &rs); err != nil {
			return transform.Line{}, fmt.Errorf("card references of %s: %w", lineKey, err)
		}
		for _, r := range rs {
			l.CardReferences = append(l.CardReferences, transform.CardReference(r))
		}
	}
	return l, nil
}

// Exceptions streams the current exceptions that belong to [from, to): by period when they
// have one (the months the range touches), else by when they occurred. Ordered by period,
// occurred_at, source.
func (s *Store) Exceptions(ctx context.Context, from, to time.Time) iter.Seq2[transform.Exception, error] {
	return func(yield func(transform.Exception, error) bool) {
		last := to.UTC().Add(-time.Nanosecond)
		rows, err := s.pool.Query(ctx, `SELECT source_type, source_id, COALESCE(entry_id, ''), period, occurred_at, kind, reason
			FROM exceptions
			WHERE cleared_by_run IS NULL
			  AND CASE WHEN period <> '' THEN period BETWEEN $1 AND $2
			           ELSE occurred_at >= $3 AND occurred_at < $4 END
			ORDER BY period, occurred_at, source_type, source_id, kind, id`,
			from.UTC().Format("2006-01"), last.Format("2006-01"), from.UTC(), to.UTC())
		if err != nil {
			yield(transform.Exception{}, fmt.Errorf("load: query exceptions: %w", interpret(err)))
			return
		}
		defer rows.Close()
		for rows.Next() {
			var e transform.Exception
			var occurred *time.Time
			if err := rows.Scan(&e.SourceType, &e.SourceID, &e.EntryID, &e.Period, &occurred, &e.Kind, &e.Reason); err != nil {
				yield(transform.Exception{}, fmt.Errorf("load: read exception: %w", interpret(err)))
				return
			}
			if occurred != nil {
				e.OccurredAt = occurred.UTC()
			}
			if !yield(e, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(transform.Exception{}, fmt.Errorf("load: read exceptions: %w", interpret(err)))
		}
	}
}

// ExportedFile is one file an export wrote.
type ExportedFile struct {
	Name   string // path under the export root, e.g. 2025-01/journal_2025-01.csv
	SHA256 string // hex of the whole file's SHA-256
	Size   int64
	Rows   int64
}

// RecordExport records that run exported period (YYYY-MM) as files, together with the entry
// versions current for that period at this moment: a later version of one of them is an
// adjustment to an exported period.
func (s *Store) RecordExport(ctx context.Context, run RunID, period string, files []ExportedFile) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		if err := tx.QueryRow(ctx, "INSERT INTO exports (run_id, period) VALUES ($1, $2) RETURNING id", run, period).Scan(&id); err != nil {
			return interpret(err)
		}
		var names, sums []string
		var sizes, rowsN []int64
		for _, f := range files {
			names, sums, sizes, rowsN = append(names, f.Name), append(sums, f.SHA256), append(sizes, f.Size), append(rowsN, f.Rows)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO export_files (export_id, file, sha256, size, rows)
			SELECT $1, f, h, s, r FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[]) AS u (f, h, s, r)`,
			id, names, sums, sizes, rowsN); err != nil {
			return interpret(err)
		}
		_, err := tx.Exec(ctx, `INSERT INTO export_entries (export_id, entry_id, version)
			SELECT $1, entry_id, current_version FROM entries WHERE period = $2 AND NOT tombstone`, id, period)
		return interpret(err)
	})
	if err != nil {
		return fmt.Errorf("load: record export of %s for run %d: %w", period, run, err)
	}
	return nil
}
