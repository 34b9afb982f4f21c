package load

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// How a period was closed (PeriodState.ClosedHow, PeriodEvent.How).
const (
	ClosedByExport  = "export"  // exported to the configured location after its end plus the grace
	ClosedByCommand = "command" // revledger close, or reopen
)

// ErrReasonRequired is returned by ReopenPeriod without a reason: reopening a period whose
// files an accountant has is something somebody must answer for.
var ErrReasonRequired = errors.New("load: reopening a period needs a reason")

// ErrReopenBlocked is returned by ReopenPeriod when changes to the period were booked as
// adjustments in periods that are closed too.
var ErrReopenBlocked = errors.New("load: the period cannot be reopened")

var periodRE = regexp.MustCompile(`^[0-9]{4}-(0[1-9]|1[0-2])$`)

// PeriodState is one period's close state, its last export and its pending adjustments.
type PeriodState struct {
	Period     string // YYYY-MM
	Closed     bool
	ClosedAt   time.Time
	ClosedBy   string
	ClosedHow  string // ClosedByExport or ClosedByCommand; "" when open
	LastExport time.Time
	// PendingAdjustments counts the live adjustment entries, booked into open periods, that
	// adjust an entry of this period.
	PendingAdjustments int
}

// Periods lists every period that has ledger entries, exports or a close state, oldest first.
func (s *Store) Periods(ctx context.Context) ([]PeriodState, error) {
	rows, _ := s.pool.Query(ctx, `WITH ps AS (
			SELECT period FROM entries WHERE NOT tombstone UNION SELECT period FROM exports UNION SELECT period FROM periods),
		pending AS (SELECT r.adjusts_period AS period, count(DISTINCT r.entry_id) AS n
			FROM ledger_current r LEFT JOIN periods c ON c.period = r.period
			WHERE r.adjusts_period IS NOT NULL AND coalesce(c.state, 'open') = 'open' GROUP BY 1)
		SELECT ps.period, coalesce(p.state = 'closed', false), p.closed_at, coalesce(p.closed_by, ''), coalesce(p.closed_how, ''),
			(SELECT max(x.exported_at) FROM exports x WHERE x.period = ps.period), coalesce(pd.n, 0)
		FROM ps LEFT JOIN periods p ON p.period = ps.period LEFT JOIN pending pd ON pd.period = ps.period
		ORDER BY 1`)
	var out []PeriodState
	var st PeriodState
	var closedAt, lastExport *time.Time
	_, err := pgx.ForEachRow(rows, []any{&st.Period, &st.Closed, &closedAt, &st.ClosedBy, &st.ClosedHow, &lastExport, &st.PendingAdjustments},
		func() error {
			st.ClosedAt, st.LastExport = time.Time{}, time.Time{}
			if closedAt != nil {
				st.ClosedAt = closedAt.UTC()
			}
			if lastExport != nil {
				st.LastExport = lastExport.UTC()
			}
			out = append(out, st)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("load: list periods: %w", interpret(err))
	}
	return out, nil
}

// PeriodClosed reports whether period is closed.
func (s *Store) PeriodClosed(ctx context.Context, period string) (bool, error) {
	var closed bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM periods WHERE period = $1 AND state = 'closed')`, period).Scan(&closed)
	if err != nil {
		return false, fmt.Errorf("load: state of period %s: %w", period, interpret(err))
	}
	return closed, nil
}

// ClosePeriod closes period (YYYY-MM), recording who closed it and how (ClosedByExport,
// ClosedByCommand) and the run, if any. It reports whether the period was open: closing a
// closed period changes nothing and records nothing.
func (w *Writer) ClosePeriod(ctx context.Context, period, by, how string, run RunID) (bool, error) {
	if !periodRE.MatchString(period) {
		return false, fmt.Errorf("load: close period %q: not a YYYY-MM period", period)
	}
	if by == "" {
		return false, fmt.Errorf("load: close period %s: who closes it is required", period)
	}
	var changed bool
	err := w.inTx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `INSERT INTO periods (period, state, closed_at, closed_by, closed_how) VALUES ($1, 'closed', now(), $2, $3)
			ON CONFLICT (period) DO UPDATE SET state = 'closed', closed_at = now(), closed_by = $2, closed_how = $3, updated_at = now()
			WHERE periods.state <> 'closed'`, period, by, how)
		if err != nil {
			return interpret(err)
		}
		if changed = tag.RowsAffected() == 1; !changed {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO period_events (period, action, how, actor, run_id) VALUES ($1, 'close', $2, $3, $4)`,
			period, how, by, nullRun(run))
		return interpret(err)
	})
	if err != nil {
		return false, fmt.Errorf("load: close period %s: %w", period, err)
	}
	return changed, nil
}

// ReopenPeriod reopens a closed period, recording who, when and why (reason is required). It
// reports whether the period was closed. Entries of a reopened period are re-versioned in place
// again; adjustments already booked into other periods stay.
func (w *Writer) ReopenPeriod(ctx context.Context, period, by, reason string) (bool, error) {
	if !periodRE.MatchString(period) {
		return false, fmt.Errorf("load: reopen period %q: not a YYYY-MM period", period)
	}
	if reason == "" {
		return false, fmt.Errorf("load: reopen period %s: %w", period, ErrReasonRequired)
	}
	if by == "" {
		return false, fmt.Errorf("load: reopen period %s: who reopens it is required", period)
	}
	var changed bool
	err := w.inTx(ctx, func(tx pgx.Tx) error {
		// Changes to this period booked as adjustments in a period closed since then are
		// final there: reopening this one would book the same changes a second time in place.
		rows, _ := tx.Query(ctx, `SELECT DISTINCT r.period FROM ledger_current r
			JOIN periods c ON c.period = r.period AND c.state = 'closed'
			WHERE r.adjusts_period = $1 ORDER BY 1`, period)
		later, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return interpret(err)
		}
		if len(later) > 0 {
			return fmt.Errorf("%w: its adjustments in %s are closed too; reopen from the latest of those first",
				ErrReopenBlocked, strings.Join(later, ", "))
		}
		tag, err := tx.Exec(ctx, `UPDATE periods SET state = 'open', closed_at = NULL, closed_by = NULL, closed_how = NULL, updated_at = now()
			WHERE period = $1 AND state = 'closed'`, period)
		if err != nil {
			return interpret(err)
		}
		if changed = tag.RowsAffected() == 1; !changed {
			return nil
		}
		_, err = tx.Exec(ctx, `INSERT INTO period_events (period, action, how, actor, reason) VALUES ($1, 'reopen', 'command', $2, $3)`,
			period, by, StoredText(reason))
		if err != nil {
			return interpret(err)
		}
		// Its entries may have lines booked before base values existed, which the closed
		// period kept as filed: the next run looks for them again (FlagUnvaluedForBooking).
		_, err = tx.Exec(ctx, `UPDATE base_value_backfill SET pending = true`)
		return interpret(err)
	})
	if err != nil {
		return false, fmt.Errorf("load: reopen period %s: %w", period, err)
	}
	return changed, nil
}
