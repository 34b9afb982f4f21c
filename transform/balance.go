package transform

import (
	"time"

	"github.com/shopspring/decimal"
)

// OpeningBalances is what the ledger holds before a date: the balance of every account, the
// start of a period's trial balance, and the balance Revolut last reported on each of its
// accounts, the start of a period's bank reconciliation. The warehouse computes it
// (load.Store.OpeningBalances); the exporters only read it.
type OpeningBalances struct {
	Accounts []AccountBalance // by account code, then currency
	Banks    []BankOpening    // by Revolut account id
}

// AccountBalance is the sum of the current lines of one general-ledger account in one
// currency before a date.
type AccountBalance struct {
	AccountCode string
	AccountName string // the name on the account's latest line
	Currency    string
	Amount      decimal.Decimal // sum of the lines' amounts, in Currency
	Lines       int
	// Base is the sum of the base amounts of the lines that have one. Unconverted counts the
	// lines without one (no rate was found) and UnconvertedAmount is their sum in Currency:
	// they are not in Base, and a trial balance that leaves them out cannot total.
	Base              decimal.Decimal
	Unconverted       int
	UnconvertedAmount decimal.Decimal
}

// BankOpening is the balance Revolut reported after the last bank line of one of its
// accounts before a date, in the account's currency.
type BankOpening struct {
	RevolutAccountID string
	AccountCode      string
	AccountName      string
	Currency         string
	Balance          decimal.Decimal
	At               time.Time // when the leg that reported it happened (UTC)
}
