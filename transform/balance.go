package transform

import (
	"cmp"
	"slices"
	"strings"
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

// Roll carries a period's opening balances through its lines to its closing balances, which
// are the next period's openings. Started from the balances before the period's first day
// (load.Store.OpeningBalances) and given every current line of the period in the ledger's
// order (booking date, entry id, line key, as load.Store.LedgerLines yields them), Balances
// returns what OpeningBalances would for the day after the period, without summing the
// ledger's whole history again: exporting a year month by month reads it once, not twelve
// times. The two must agree figure for figure; load's tests hold them to it.
type Roll struct {
	accounts map[accountKey]*AccountBalance
	banks    map[string]*bankRoll
}

type accountKey struct{ code, currency string }

// bankRoll is one Revolut account's balance as the lines go by: the balance Revolut reported
// after the latest reported line so far (from a line of the period when last is set, else the
// opening's), and the period's reversing lines, which carry no balance of their own.
type bankRoll struct {
	opening   BankOpening
	last      *lineOrder // the reported line the balance is from, when it is a line of the period
	reversals []reversal
}

type reversal struct {
	at     lineOrder
	amount decimal.Decimal
}

// lineOrder orders the bank lines of one Revolut account as the warehouse does to find the
// latest reported balance: booking date, occurred at, transaction id, line key (the text
// columns compared byte by byte, as the warehouse's query does with COLLATE "C").
type lineOrder struct {
	booking, occurred time.Time
	transactionID     string
	key               string
}

func orderOf(l *Line) lineOrder {
	return lineOrder{booking: l.BookingDate, occurred: l.OccurredAt, transactionID: l.TransactionID, key: l.Key.String()}
}

// after reports whether o comes after p. As in SQL's row comparison, a missing transaction id
// (NULL in the warehouse) decides nothing: when the dates tie on it, o is not after p.
func (o lineOrder) after(p lineOrder) bool {
	if c := o.booking.Compare(p.booking); c != 0 {
		return c > 0
	}
	if c := o.occurred.Compare(p.occurred); c != 0 {
		return c > 0
	}
	if o.transactionID == "" || p.transactionID == "" {
		return false
	}
	if o.transactionID != p.transactionID {
		return o.transactionID > p.transactionID
	}
	return o.key > p.key
}

// NewRoll starts a roll from the balances before a period.
func NewRoll(opening OpeningBalances) *Roll {
	r := &Roll{accounts: make(map[accountKey]*AccountBalance, len(opening.Accounts)),
		banks: make(map[string]*bankRoll, len(opening.Banks))}
	for _, a := range opening.Accounts {
		r.accounts[accountKey{a.AccountCode, a.Currency}] = &a
	}
	for _, b := range opening.Banks {
		r.banks[b.RevolutAccountID] = &bankRoll{opening: b}
	}
	return r
}

// Add adds one line of the period; lines must come in the ledger's order.
func (r *Roll) Add(l *Line) {
	k := accountKey{l.AccountCode, l.Currency}
	a := r.accounts[k]
	if a == nil {
		a = &AccountBalance{AccountCode: l.AccountCode, Currency: l.Currency}
		r.accounts[k] = a
	}
	a.AccountName = l.AccountName // the latest line names the account
	a.Amount = a.Amount.Add(l.Amount)
	a.Lines++
	if l.BaseAmount.Valid {
		a.Base = a.Base.Add(l.BaseAmount.Decimal)
	} else {
		a.Unconverted++
		a.UnconvertedAmount = a.UnconvertedAmount.Add(l.Amount)
	}

	if l.RevolutAccountID == "" {
		return
	}
	switch {
	case l.BankBalance.Valid:
		b := r.banks[l.RevolutAccountID]
		if b == nil {
			b = &bankRoll{}
			r.banks[l.RevolutAccountID] = b
		}
		at := orderOf(l)
		if b.last == nil || at.after(*b.last) {
			b.last = &at
			b.opening = BankOpening{RevolutAccountID: l.RevolutAccountID, AccountCode: l.AccountCode,
				AccountName: l.AccountName, Currency: l.Currency, Balance: l.BankBalance.Decimal, At: l.OccurredAt.UTC()}
		}
	case strings.HasSuffix(l.Key.Role, ReversalSuffix):
		// What came back shows in no reported balance until the account's next leg.
		b := r.banks[l.RevolutAccountID]
		if b == nil {
			b = &bankRoll{}
			r.banks[l.RevolutAccountID] = b
		}
		b.reversals = append(b.reversals, reversal{at: orderOf(l), amount: l.Amount})
	}
}

// Balances returns the balances at the end of the lines added: by account code then currency,
// and by Revolut account id, the order OpeningBalances gives them in.
func (r *Roll) Balances() OpeningBalances {
	var out OpeningBalances
	for _, a := range r.accounts {
		out.Accounts = append(out.Accounts, *a)
	}
	slices.SortFunc(out.Accounts, func(x, y AccountBalance) int {
		return cmp.Or(strings.Compare(x.AccountCode, y.AccountCode), strings.Compare(x.Currency, y.Currency))
	})
	for id, b := range r.banks {
		if b.last == nil && b.opening.RevolutAccountID == "" {
			continue // reversals on an account that never reported a balance: no opening, as in the warehouse
		}
		o := b.opening
		o.RevolutAccountID = id
		for _, rv := range b.reversals {
			// The opening's balance counts the reversals before the period already; every
			// reversal of the period comes after its line.
			if b.last == nil || rv.at.after(*b.last) {
				o.Balance = o.Balance.Add(rv.amount)
			}
		}
		out.Banks = append(out.Banks, o)
	}
	slices.SortFunc(out.Banks, func(x, y BankOpening) int { return strings.Compare(x.RevolutAccountID, y.RevolutAccountID) })
	return out
}

// Equal reports whether o and p hold the same balances in the same order, figure for figure
// (decimals by value, times by instant).
func (o OpeningBalances) Equal(p OpeningBalances) bool {
	return slices.EqualFunc(o.Accounts, p.Accounts, func(a, b AccountBalance) bool {
		return a.AccountCode == b.AccountCode && a.AccountName == b.AccountName && a.Currency == b.Currency &&
			a.Amount.Equal(b.Amount) && a.Lines == b.Lines && a.Base.Equal(b.Base) &&
			a.Unconverted == b.Unconverted && a.UnconvertedAmount.Equal(b.UnconvertedAmount)
	}) && slices.EqualFunc(o.Banks, p.Banks, func(a, b BankOpening) bool {
		return a.RevolutAccountID == b.RevolutAccountID && a.AccountCode == b.AccountCode && a.AccountName == b.AccountName &&
			a.Currency == b.Currency && a.Balance.Equal(b.Balance) && a.At.Equal(b.At)
	})
}
