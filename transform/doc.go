// Package transform turns Revolut records into balanced double-entry ledger lines with exact
// VAT arithmetic. It is pure: no I/O, no logging, no clock. The same input always gives the
// same lines, which is what lets the warehouse upsert by line key.
//
// It sits between extract and load: the pipeline hands a Booker each transaction with the
// expenses linked to it (BookTransaction), each expense without a transaction (BookExpense),
// and each expense whose transaction is unknown (OrphanExpense), and loads the Lines and
// Exceptions of the returned Booking.
//
// # Money
//
// Amounts are shopspring decimals rounded to the ISO 4217 minor units of their currency
// (MinorUnits; JPY 0, GBP 2, BHD 3), half away from zero (Round). VAT splits a gross amount
// into net and tax with net + tax = gross exactly; Allocate spreads an amount pro rata with the
// largest-remainder method, so parts always sum to the total.
//
// # Entries
//
// One entry per booked source event; its lines sum to zero per currency (debit positive):
//
//   - "txn:<id>": a completed transaction. A bank line per leg (the chart's code for the
//     Revolut account, else for its currency) and a pair bank fees / bank per leg fee, in the
//     same entry. With one leg and a usable expense: a net line per split on the category's
//     account and an input-VAT line per split with tax. Splits in another currency than the
//     account are weights: the bank amount is allocated over them, and VAT is computed within
//     each allocated gross. Splits in the account currency are booked at face value and any
//     difference to the bank amount goes to suspense. With no usable expense: a balancing line
//     on the transaction type's default account, else suspense. Several legs (exchanges,
//     transfers between own accounts): the bank lines, balanced per currency on FX clearing.
//   - "txn:<id>:reversal": a transaction reverted after it completed gets its entry and a
//     reversing entry with every sign flipped, dated when it was reverted (updated_at).
//   - "exp:<id>": an approved external reimbursement or mileage expense: net and VAT debits,
//     credited to employee reimbursements.
//   - "reval:<account id>:<YYYY-MM>": the optional month-end revaluation of a foreign-currency
//     bank account (revalue.go), booked from the ledger's month-end balances and reference
//     rates: two lines of amount 0 that move the bank account's base balance to balance ×
//     rate, the difference on unrealised FX gains/losses.
//
// Expenses in state approved or pending_reimbursement give the split detail of their
// transaction; awaiting_review ones do too, with an exception. missing_info, rejected,
// refund_requested, refunded and reverted expenses do not: the transaction is booked as if it
// had no expense (suspense for a card payment), with an exception that names the state.
//
// # Base currency
//
// Every line also gets its value in the base currency (Settings.BaseCurrency, default GBP):
// BaseAmount, BaseRate and RateSource (fx.go). Rates come from the transaction's own amounts
// (an exchange's base leg, a card payment's bill amount in the base currency) or else from a
// RateBook the caller filled beforehand (RatesNeeded says which); a missing rate leaves the
// entry without base values and with a missing_fx_rate exception. An exchange across two
// foreign currencies books its realised result on the FX gain/loss account, and an entry's
// rounding residue goes to the FX rounding account, so every entry balances in base
// currency too.
//
// Anything a person should look at is an Exception (kinds Kind*), never an error: records
// reported but not booked (pending, declined, failed...), lines on suspense or a default
// account, figures that do not add up.
package transform
