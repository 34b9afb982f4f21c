package extract

import "time"

// The sync windows' defaults. They live here, with the policies that use them, so that the
// pipeline's defaults and the command's documented configuration are the same numbers.
const (
	// DefaultTransactionsLookback is Policy.TransactionsLookback's default: how far before
	// the checkpoint transactions are read again.
	DefaultTransactionsLookback = 30 * 24 * time.Hour
	// DefaultExpensesWindow is Policy.ExpensesWindow's default.
	DefaultExpensesWindow = 180 * 24 * time.Hour
	// DefaultInitialHistory is Policy.InitialHistory's default: the first sync's reach.
	DefaultInitialHistory = 365 * 24 * time.Hour
	// DefaultPendingRecheck is LateChanges.PendingFor's default.
	DefaultPendingRecheck = 60 * 24 * time.Hour
	// DefaultExpensesFullRefresh is LateChanges.ExpensesFullRefresh's default.
	DefaultExpensesFullRefresh = 7 * 24 * time.Hour
)
