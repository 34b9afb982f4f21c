package transform

// Exception kinds: stable machine codes for Exception.Kind. The workbook groups exceptions by
// kind; the Reason of each says in words what happened to the record.
const (
	// Records reported but not booked.
	KindNotBookedCreated  = "not_booked_created"  // transaction created, not yet pending
	KindNotBookedPending  = "not_booked_pending"  // transaction pending: booked once completed
	KindNotBookedDeclined = "not_booked_declined" // declined: no money moved
	KindNotBookedFailed   = "not_booked_failed"   // failed: no money moved
	KindNotBookedReverted = "not_booked_reverted" // reverted before it ever completed
	KindUnknownState      = "unknown_transaction_state"
	KindInvalidTx         = "invalid_transaction" // no legs, a leg without currency...
	KindZeroAmount        = "zero_amount"         // completed with nothing to book
	KindExpenseNotBooked  = "expense_not_booked"  // reimbursement in a state that is not booked
	KindOrphanExpense     = "orphan_expense"      // expense whose transaction is unknown

	// Records booked, but on a fallback account or with a figure to check.
	KindReversed           = "reversed"           // a reversing entry was booked
	KindMissingExpense     = "missing_expense"    // card payment without an expense: suspense
	KindExpenseNotUsable   = "expense_not_usable" // expense state gives no usable detail: suspense/default
	KindExpenseUnreviewed  = "expense_awaiting_review"
	KindExpenseIgnored     = "expense_ignored" // expense passed with a transaction it does not belong to
	KindDefaultAccount     = "default_account" // no expense: balanced on the type's default account
	KindUnknownType        = "unknown_transaction_type"
	KindMissingCategory    = "missing_category" // split without a usable category code: suspense
	KindUnknownTaxRate     = "unknown_tax_rate" // tax rate without a percentage: booked with no tax
	KindSplitsMismatch     = "splits_mismatch"  // splits do not add up to the booked amount
	KindSpentMismatch      = "spent_amount_mismatch"
	KindMixedCurrencies    = "mixed_split_currencies"
	KindUnbalancedLegs     = "unbalanced_legs" // own-account legs in one currency that do not net to zero
	KindAmountRounded      = "amount_rounded"  // an amount had more decimals than its currency
	KindMissingCompletedAt = "missing_completed_at"
	KindUnbalancedEntry    = "unbalanced_entry" // internal safety net: entry dropped, never expected
)
