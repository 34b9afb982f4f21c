package report

import (
	"cmp"
	"maps"
	"slices"
	"strings"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// DefaultBaseCurrency is the base currency of an Aggregator until SetBaseCurrency says
// otherwise.
const DefaultBaseCurrency = "GBP"

// BaseTBRow is one account of the base-currency trial balance: its balance before the
// period, the period's debits and credits (positive) and movement (debits − credits), and
// its balance at the end, all in the base currency.
type BaseTBRow struct {
	AccountCode string
	AccountName string
	Opening     decimal.Decimal
	Debit       decimal.Decimal
	Credit      decimal.Decimal
	Movement    decimal.Decimal
	Closing     decimal.Decimal
}

// Unconverted is what lines without a base amount (no rate was found for them) hold in one
// currency: they are in no figure of the base-currency trial balance.
type Unconverted struct {
	Currency string
	Lines    int
	Amount   decimal.Decimal // the lines' signed sum, in Currency
}

// BaseTrial is the trial balance in the base currency, by account code in numeric order
// (AccountCodeOrder), with its totals. It totals to zero when every entry balances in base
// currency and every line, before and in the period, has a base amount.
type BaseTrial struct {
	Currency string
	Rows     []BaseTBRow
	Totals   BaseTBRow
	// OpeningKnown says opening balances were read from the warehouse (SetOpening); without
	// them every opening is zero.
	OpeningKnown bool
	// Unconverted are the period's lines without a base amount, OpeningUnconverted those
	// before the period, per currency.
	Unconverted        []Unconverted
	OpeningUnconverted []Unconverted
}

// Balances reports whether the trial balance totals to zero with nothing left out.
func (t BaseTrial) Balances() bool {
	return t.Totals.Opening.IsZero() && t.Totals.Movement.IsZero() && t.Totals.Closing.IsZero() &&
		len(t.Unconverted) == 0 && len(t.OpeningUnconverted) == 0
}

// BankRec reconciles one Revolut account over the period, in the account's currency:
// Opening + Movements = Closing, compared with the balance Revolut reported last.
type BankRec struct {
	RevolutAccountID string
	AccountCode      string
	AccountName      string
	Currency         string
	// Opening is Revolut's balance before the period: the balance it reported after the last
	// bank line before the period (OpeningFrom OpeningReported), else the first reported
	// balance of the period less the movement of its leg (OpeningFirstLine). OpeningFrom is
	// OpeningUnknown when Revolut reported no balance at all; Opening is then zero.
	Opening     decimal.Decimal
	OpeningFrom string
	Movements   decimal.Decimal // the period's bank and bank-fee lines on the account
	Lines       int
	Closing     decimal.Decimal // Opening + Movements
	// Reported is the balance Revolut reported after the period's last leg (the opening
	// when the account did not move); Difference is Closing − Reported, zero when the
	// ledger holds every movement Revolut made. Both are null when Revolut reported nothing.
	Reported   decimal.NullDecimal
	Difference decimal.NullDecimal
}

// Where a BankRec's opening balance came from.
const (
	OpeningReported  = "Revolut balance before the period"
	OpeningFirstLine = "first line's balance less its movement"
	OpeningUnknown   = "no balance reported"
)

// Reconciles reports whether the account's closing ties to Revolut's.
func (b BankRec) Reconciles() bool { return b.Difference.Valid && b.Difference.Decimal.IsZero() }

// bankAcc is the running reconciliation of one Revolut account.
type bankAcc struct {
	rec       BankRec
	firstSeen bool // a leg with a reported balance was seen in the period
	firstOpen decimal.Decimal
	last      decimal.NullDecimal
}

// SetBaseCurrency sets the base currency: lines in it without a base amount (booked before
// lines carried one) count at their amount.
func (a *Aggregator) SetBaseCurrency(currency string) {
	if currency != "" {
		a.base = strings.ToUpper(currency)
	}
}

// SetOpening gives the balances before the period (load.Store.OpeningBalances); call it
// before Finish.
func (a *Aggregator) SetOpening(o transform.OpeningBalances) {
	a.opening, a.openingKnown = o, true
}

// baseAmount is l's amount in the base currency, and false when it has none.
func (a *Aggregator) baseAmount(l *transform.Line) (decimal.Decimal, bool) {
	if l.BaseAmount.Valid {
		return l.BaseAmount.Decimal, true
	}
	if strings.EqualFold(l.Currency, a.base) {
		return l.Amount, true
	}
	return decimal.Decimal{}, false
}

// addBase adds l to the base-currency trial balance.
func (a *Aggregator) addBase(l *transform.Line) {
	row := a.baseTB[l.AccountCode]
	if row == nil {
		row = &BaseTBRow{AccountCode: l.AccountCode}
		a.baseTB[l.AccountCode] = row
	}
	if l.AccountName != "" {
		row.AccountName = l.AccountName
	}
	b, ok := a.baseAmount(l)
	if !ok {
		u := a.unconverted[l.Currency]
		if u == nil {
			u = &Unconverted{Currency: l.Currency}
			a.unconverted[l.Currency] = u
		}
		u.Lines++
		u.Amount = u.Amount.Add(l.Amount)
		return
	}
	if b.IsNegative() {
		row.Credit = row.Credit.Sub(b)
	} else {
		row.Debit = row.Debit.Add(b)
	}
}

// bankLeg adds one leg of a Revolut account (rows in the order Revolut applied them) to the
// account's reconciliation.
func (a *Aggregator) bankLeg(rows []BankRow, legSum decimal.Decimal, reported decimal.NullDecimal) {
	l := &rows[0].Line
	acc := a.banks[l.RevolutAccountID]
	if acc == nil {
		acc = &bankAcc{rec: BankRec{RevolutAccountID: l.RevolutAccountID, Currency: l.Currency}}
		a.banks[l.RevolutAccountID] = acc
	}
	acc.rec.AccountCode, acc.rec.AccountName = l.AccountCode, l.AccountName
	acc.rec.Movements = acc.rec.Movements.Add(legSum)
	acc.rec.Lines += len(rows)
	// A reversing entry carries no balance: Revolut reported the reverted leg's balance when
	// the money left, and the money that came back shows only in the next leg's balance. The
	// balance after the reversal is the last one reported plus what came back.
	if !reported.Valid && acc.last.Valid && transform.IsReversal(l) {
		acc.last = decimal.NewNullDecimal(acc.last.Decimal.Add(legSum))
	}
	if reported.Valid {
		if !acc.firstSeen {
			// The movements before the first reported balance are in it too.
			acc.firstSeen, acc.firstOpen = true, reported.Decimal.Sub(acc.rec.Movements)
		}
		acc.last = reported
	}
}

// finishTrial builds the base-currency trial balance from the period's lines and the
// openings.
func (a *Aggregator) finishTrial() BaseTrial {
	t := BaseTrial{Currency: a.base, OpeningKnown: a.openingKnown}
	opening := map[string]decimal.Decimal{}
	openUnconv := map[string]*Unconverted{}
	for _, ob := range a.opening.Accounts {
		row := a.baseTB[ob.AccountCode]
		if row == nil {
			row = &BaseTBRow{AccountCode: ob.AccountCode, AccountName: ob.AccountName}
			a.baseTB[ob.AccountCode] = row
		}
		if row.AccountName == "" {
			row.AccountName = ob.AccountName
		}
		base := ob.Base
		if ob.Unconverted > 0 {
			if strings.EqualFold(ob.Currency, a.base) {
				base = base.Add(ob.UnconvertedAmount) // base-currency lines booked before base amounts
			} else {
				u := openUnconv[ob.Currency]
				if u == nil {
					u = &Unconverted{Currency: ob.Currency}
					openUnconv[ob.Currency] = u
				}
				u.Lines += ob.Unconverted
				u.Amount = u.Amount.Add(ob.UnconvertedAmount)
			}
		}
		opening[ob.AccountCode] = opening[ob.AccountCode].Add(base)
	}
	for _, row := range a.baseTB {
		row.Opening = opening[row.AccountCode]
		row.Movement = row.Debit.Sub(row.Credit)
		row.Closing = row.Opening.Add(row.Movement)
		t.Rows = append(t.Rows, *row)
		tt := &t.Totals
		tt.Opening, tt.Debit, tt.Credit = tt.Opening.Add(row.Opening), tt.Debit.Add(row.Debit), tt.Credit.Add(row.Credit)
		tt.Movement, tt.Closing = tt.Movement.Add(row.Movement), tt.Closing.Add(row.Closing)
	}
	slices.SortFunc(t.Rows, func(x, y BaseTBRow) int { return AccountCodeOrder(x.AccountCode, y.AccountCode) })
	for _, c := range slices.Sorted(maps.Keys(a.unconverted)) {
		t.Unconverted = append(t.Unconverted, *a.unconverted[c])
	}
	for _, c := range slices.Sorted(maps.Keys(openUnconv)) {
		t.OpeningUnconverted = append(t.OpeningUnconverted, *openUnconv[c])
	}
	return t
}

// finishBanks builds the reconciliation of every Revolut account that moved in the period
// or had a balance before it, by account code then id.
func (a *Aggregator) finishBanks() []BankRec {
	for _, o := range a.opening.Banks {
		acc := a.banks[o.RevolutAccountID]
		if acc == nil {
			acc = &bankAcc{rec: BankRec{RevolutAccountID: o.RevolutAccountID, AccountCode: o.AccountCode,
				AccountName: o.AccountName, Currency: o.Currency}}
			a.banks[o.RevolutAccountID] = acc
		}
		acc.rec.Opening, acc.rec.OpeningFrom = o.Balance, OpeningReported
		if !acc.last.Valid && acc.rec.Lines == 0 {
			acc.last = decimal.NewNullDecimal(o.Balance) // no movement: Revolut's balance stands
		}
	}
	var out []BankRec
	for _, acc := range a.banks {
		r := acc.rec
		if r.OpeningFrom == "" {
			if acc.firstSeen {
				r.Opening, r.OpeningFrom = acc.firstOpen, OpeningFirstLine
			} else {
				r.OpeningFrom = OpeningUnknown
			}
		}
		r.Closing = r.Opening.Add(r.Movements)
		r.Reported = acc.last
		if r.Reported.Valid && r.OpeningFrom != OpeningUnknown {
			r.Difference = decimal.NewNullDecimal(r.Closing.Sub(r.Reported.Decimal))
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y BankRec) int {
		return cmp.Or(AccountCodeOrder(x.AccountCode, y.AccountCode), cmp.Compare(x.RevolutAccountID, y.RevolutAccountID))
	})
	return out
}

// AccountCodeOrder orders account codes numerically (1210 < 1229 < 2201 < 10000), codes
// that are not all digits after them, lexically. Leading zeros do not change a code's
// number ("0410" is 410); equal numbers are ordered by their text.
func AccountCodeOrder(x, y string) int {
	nx, ny := isDigits(x), isDigits(y)
	switch {
	case nx && ny:
		tx, ty := strings.TrimLeft(x, "0"), strings.TrimLeft(y, "0")
		return cmp.Or(cmp.Compare(len(tx), len(ty)), strings.Compare(tx, ty), strings.Compare(x, y))
	case nx:
		return -1
	case ny:
		return 1
	}
	return strings.Compare(x, y)
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// trialCheck and bankCheck are the Summary's checks of the base-currency trial balance and
// the reconciliations.
func trialCheck(t BaseTrial) Check {
	c := Check{Name: "Trial balance totals zero in " + t.Currency, Passed: t.Balances()}
	switch {
	case len(t.Unconverted)+len(t.OpeningUnconverted) > 0:
		n := 0
		for _, u := range append(slices.Clip(t.Unconverted), t.OpeningUnconverted...) {
			n += u.Lines
		}
		c.Detail = "does not total: " + itoa(n) + " lines have no " + t.Currency +
			" amount (no exchange rate); listed under the Trial balance as not converted"
	case !c.Passed:
		c.Detail = "totals: opening " + t.Totals.Opening.String() + ", movement " + t.Totals.Movement.String() +
			", closing " + t.Totals.Closing.String() + " " + t.Currency
	default:
		c.Detail = itoa(len(t.Rows)) + " accounts; opening, movement and closing each total 0.00"
	}
	if !t.OpeningKnown {
		c.Detail += "; opening balances not available"
	}
	return c
}

func bankCheck(banks []BankRec) Check {
	var bad []string
	for _, b := range banks {
		if !b.Reconciles() {
			bad = append(bad, cmp.Or(b.AccountName, b.RevolutAccountID)+" ("+b.Currency+")")
		}
	}
	return checkOf("Bank accounts reconcile to Revolut", len(bad), len(banks), "accounts",
		bad[:min(len(bad), maxListed)])
}
