package load

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// TransactionsToRecheck returns the ids of stored transactions created before createdBefore
// that may still change (see extract.LateChanges): created or pending ones created at or after
// pendingSince, and completed ones completed at or after completedSince. Ordered by id.
func (s *Store) TransactionsToRecheck(ctx context.Context, createdBefore, pendingSince, completedSince time.Time) ([]string, error) {
	rows, _ := s.pool.Query(ctx, `SELECT id FROM transactions
		WHERE created_at < $1
		  AND ((state IN ('created', 'pending') AND created_at >= $2)
		    OR (state = 'completed' AND completed_at >= $3))
		ORDER BY id`, createdBefore.UTC(), pendingSince.UTC(), completedSince.UTC())
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("load: list transactions to re-read: %w", interpret(err))
	}
	return ids, nil
}

// OldestExpenseDate returns the earliest expense_date stored; false when there is none.
func (s *Store) OldestExpenseDate(ctx context.Context) (time.Time, bool, error) {
	var t *time.Time
	if err := s.pool.QueryRow(ctx, `SELECT min(expense_date) FROM expenses`).Scan(&t); err != nil {
		return time.Time{}, false, fmt.Errorf("load: oldest expense date: %w", interpret(err))
	}
	if t == nil {
		return time.Time{}, false, nil
	}
	return t.UTC(), true, nil
}
