// Package report computes, in one pass over a period's ledger lines, every figure the exports
// show besides the lines themselves: control totals per currency, the checks an accountant
// looks at first (entries balance, bank lines tie to Revolut's balances, splits add up), the
// running balance of each Revolut account, the VAT summary, the trial balance in the base
// currency (from the lines' base amounts and the opening balances the warehouse gives,
// SetOpening; trial.go) and each Revolut account's reconciliation with Revolut's balances.
//
// It holds only small aggregates (per currency, per account, per tax rate) and the bank lines
// of one booking day, so memory stays flat however many lines a period has. It is pure: no
// I/O, no logging; the xlsx and csv formats and the exporters orchestrator consume its types.
package report
