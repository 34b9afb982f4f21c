package extract

import "time"

// LateChanges is how a sync catches changes that arrive after the windows of Policy have
// moved past a record.
//
// Transactions are listed by created_at, so a transaction created before the look-back is
// never listed again, whatever happens to it later. A sync therefore re-reads by id
// (GET /transaction/{id}) the stored transactions created before its window that may still
// change:
//   - created or pending, and created less than PendingFor ago (default 60 days): re-read every
//     sync until they complete, are declined, fail or are reverted. Older ones stay as last
//     seen, reported as not booked.
//   - completed inside the look-back window (completed_at >= the window's start) although
//     created before it: a long-pending transaction that completed late is watched for a
//     reversal as long as a transaction listed by the window would be. Once its completed_at
//     is older than the window's start it is final.
//
// Declined, failed and reverted transactions are final and never re-read.
//
// Expenses are listed by expense_date over a wide window (Policy.ExpensesWindow), but an
// expense older than that can still be recategorised or change state. Every
// ExpensesFullRefresh (default 7 days) a sync reads every expense the warehouse holds, from
// the oldest stored expense_date; the time of the last full refresh is kept in sync_state.
type LateChanges struct {
	PendingFor          time.Duration
	ExpensesFullRefresh time.Duration
}

// Recheck is which stored transactions a sync re-reads by id: created before CreatedBefore,
// and either created/pending and created at or after PendingSince, or completed at or after
// CompletedSince.
type Recheck struct {
	CreatedBefore, PendingSince, CompletedSince time.Time
}

// Recheck returns the transactions to re-read by a sync at now whose transactions window is tx.
func (l LateChanges) Recheck(now time.Time, tx Window) Recheck {
	return Recheck{CreatedBefore: tx.From.UTC(), PendingSince: now.Add(-l.PendingFor).UTC(), CompletedSince: tx.From.UTC()}
}

// FullExpenses returns the expense window of a sync at now: exp (the nightly window) widened
// back to oldest (the oldest stored expense_date; zero when there is none) when a full refresh
// is due, that is when none was recorded (hasLast false) or the last one (last) is at least
// ExpensesFullRefresh old. full says whether this is a full refresh, to be recorded once it
// committed.
func (l LateChanges) FullExpenses(now, last time.Time, hasLast bool, exp Window, oldest time.Time) (w Window, full bool) {
	if hasLast && now.Sub(last) < l.ExpensesFullRefresh {
		return exp, false
	}
	if !oldest.IsZero() && oldest.Before(exp.From) {
		exp.From = oldest.UTC()
	}
	return exp, true
}
