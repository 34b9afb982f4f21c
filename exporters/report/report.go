package report

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// CurrencyTotal is the control total of one currency: the sum of debits and of credits
// (both positive) and the number of lines. Debit equals Credit when every entry balances.
type CurrencyTotal struct {
	Currency string
	Debit    decimal.Decimal
	Credit   decimal.Decimal
	Lines    int
}

// Check is one verification shown on the Summary sheet and recorded in the manifest.
type Check struct {
	Name   string `json:"name"`
	Passed bool   `json:"passed"`
	Detail string `json:"detail"` // what was checked and, when it failed, what to look at
}

// BankRow is a bank line with the balance the ledger computes for its account next to the
// balance Revolut reported.
type BankRow struct {
	Line    transform.Line
	Running decimal.Decimal // opening balance + every bank line of the account so far
	// Checked says the row is the last line of a leg whose Revolut balance was compared with
	// Running (a leg may have a bank line and a fee line sharing one reported balance); Ties is
	// the result.
	Checked bool
	Ties    bool
}

// VATRow is the VAT summary of one tax rate in one currency.
type VATRow struct {
	RateName    string
	RatePercent decimal.NullDecimal
	Currency    string
	Net         decimal.Decimal
	Tax         decimal.Decimal
	Gross       decimal.Decimal
	Count       int
}

// TBRow is the trial balance of one account in one currency. Debit and Credit are positive
// sums; Balance is Debit − Credit.
type TBRow struct {
	AccountCode string
	AccountName string
	Currency    string
	Debit       decimal.Decimal
	Credit      decimal.Decimal
	Balance     decimal.Decimal
}

// Summary is everything Aggregator computed for a period.
type Summary struct {
	Lines      int
	Entries    int
	Splits     int
	BankLines  int
	Totals     []CurrencyTotal // by currency
	Checks     []Check
	VAT        []VATRow // by currency, then rate
	Trial      []TBRow  // by account code, then currency
	LabelGroup []string // label group names seen on splits, sorted: one Expenses column each
	// Base is the trial balance in the base currency, with opening balances when the
	// Aggregator was given them; Banks reconciles each Revolut account (trial.go).
	Base  BaseTrial
	Banks []BankRec
}

// maxListed bounds how many failing entry ids a check's detail names.
const maxListed = 5

type vatKey struct{ rate, name, currency string }
type tbKey struct{ code, currency string }
type splitKey struct {
	source, id string
	index      int
	// reversal tells apart, within one adjustment entry, the reversed split of the closed
	// version and the split booked anew: both have the same source and index.
	reversal bool
}

// Aggregator consumes the lines of a period in the Ledger's order (booking date, entry, key)
// and computes the Summary. Lines of one entry must be adjacent, which that order guarantees.
type Aggregator struct {
	sum Summary

	totals map[string]*CurrencyTotal
	vat    map[vatKey]*VATRow
	trial  map[tbKey]*TBRow
	groups map[string]struct{}

	entry       string
	entrySums   map[string]decimal.Decimal
	entrySplits map[splitKey]struct{}
	unbalanced  []string
	nUnbalanced int

	splitMismatch []string
	nSplitBad     int

	day       time.Time
	dayBank   []BankRow
	spare     []BankRow // the slice handed out by the last flush, reused by the next
	running   map[string]decimal.Decimal
	checked   int
	mismatch  int
	mismatchs []string
	noBalance int

	base         string
	opening      transform.OpeningBalances
	openingKnown bool
	baseTB       map[string]*BaseTBRow
	unconverted  map[string]*Unconverted
	banks        map[string]*bankAcc
}

// NewAggregator returns an empty Aggregator.
func NewAggregator() *Aggregator {
	return &Aggregator{
		totals:      map[string]*CurrencyTotal{},
		vat:         map[vatKey]*VATRow{},
		trial:       map[tbKey]*TBRow{},
		groups:      map[string]struct{}{},
		entrySums:   map[string]decimal.Decimal{},
		entrySplits: map[splitKey]struct{}{},
		running:     map[string]decimal.Decimal{},
		base:        DefaultBaseCurrency,
		baseTB:      map[string]*BaseTBRow{},
		unconverted: map[string]*Unconverted{},
		banks:       map[string]*bankAcc{},
	}
}

// IsBankLine reports whether l is a line on a Revolut account (it has the account id).
func IsBankLine(l *transform.Line) bool { return l.RevolutAccountID != "" }

// Add takes the next line. It returns the bank rows of the previous booking day once a line
// of a later day arrives: bank rows are ordered within a day by account and time so the
// running balance follows the order Revolut applied them. The returned slice is valid until
// the next call that returns bank rows. Split reports whether l is the first line of an expense split in its entry (the
// line the Expenses sheet shows).
func (a *Aggregator) Add(l *transform.Line) (bank []BankRow, split bool) {
	a.sum.Lines++
	if l.EntryID != a.entry {
		a.closeEntry()
		a.entry = l.EntryID
		a.sum.Entries++
	}
	a.entrySums[l.Currency] = a.entrySums[l.Currency].Add(l.Amount)

	t := a.totals[l.Currency]
	if t == nil {
		t = &CurrencyTotal{Currency: l.Currency}
		a.totals[l.Currency] = t
	}
	t.Lines++
	tb := a.trial[tbKey{l.AccountCode, l.Currency}]
	if tb == nil {
		tb = &TBRow{AccountCode: l.AccountCode, AccountName: l.AccountName, Currency: l.Currency}
		a.trial[tbKey{l.AccountCode, l.Currency}] = tb
	}
	if l.Amount.IsNegative() {
		t.Credit = t.Credit.Sub(l.Amount)
		tb.Credit = tb.Credit.Sub(l.Amount)
	} else {
		t.Debit = t.Debit.Add(l.Amount)
		tb.Debit = tb.Debit.Add(l.Amount)
	}
	a.addBase(l)

	if l.Gross.Valid {
		k := splitKey{l.Key.SourceType, l.Key.SourceID, l.Key.Index, transform.IsReversal(l)}
		if _, seen := a.entrySplits[k]; !seen {
			a.entrySplits[k] = struct{}{}
			split = true
			a.addSplit(l)
		}
	}

	if IsBankLine(l) {
		a.sum.BankLines++
		if !l.BookingDate.Equal(a.day) {
			bank = a.flushDay()
			a.day = l.BookingDate
		}
		a.dayBank = append(a.dayBank, BankRow{Line: *l})
	}
	return bank, split
}

func (a *Aggregator) addSplit(l *transform.Line) {
	a.sum.Splits++
	net, tax := l.Net.Decimal, l.Tax.Decimal
	if !net.Add(tax).Equal(l.Gross.Decimal) {
		a.nSplitBad++
		if len(a.splitMismatch) < maxListed {
			a.splitMismatch = append(a.splitMismatch, l.EntryID)
		}
	}
	rate := ""
	if l.TaxRatePercent.Valid {
		rate = l.TaxRatePercent.Decimal.String()
	}
	k := vatKey{rate, l.TaxRateName, l.Currency}
	v := a.vat[k]
	if v == nil {
		v = &VATRow{RateName: l.TaxRateName, RatePercent: l.TaxRatePercent, Currency: l.Currency}
		a.vat[k] = v
	}
	v.Net, v.Tax, v.Gross = v.Net.Add(net), v.Tax.Add(tax), v.Gross.Add(l.Gross.Decimal)
	v.Count++
	for g := range l.Labels {
		a.groups[g] = struct{}{}
	}
}

func (a *Aggregator) closeEntry() {
	for cur, s := range a.entrySums {
		if !s.IsZero() {
			a.nUnbalanced++
			if len(a.unbalanced) < maxListed {
				a.unbalanced = append(a.unbalanced, a.entry+" ("+cur+" "+s.String()+")")
			}
			break
		}
	}
	clear(a.entrySums)
	clear(a.entrySplits)
}

// flushDay orders the buffered bank rows of one day and computes their running balances.
// Lines that share an account, a transaction and a reported balance form one leg (a payment
// and its fee); the reported balance is after the whole leg, so it is compared once, on the
// leg's last line. An account's opening balance is taken from its first reported balance.
func (a *Aggregator) flushDay() []BankRow {
	rows := a.dayBank
	slices.SortStableFunc(rows, func(x, y BankRow) int {
		return cmp.Or(
			cmp.Compare(x.Line.RevolutAccountID, y.Line.RevolutAccountID),
			x.Line.OccurredAt.Compare(y.Line.OccurredAt),
			cmp.Compare(x.Line.TransactionID, y.Line.TransactionID),
			cmp.Compare(x.Line.Key.SourceType, y.Line.Key.SourceType),
			cmp.Compare(x.Line.Key.SourceID, y.Line.Key.SourceID),
			cmp.Compare(x.Line.Key.Index, y.Line.Key.Index),
			cmp.Compare(x.Line.Key.Role, y.Line.Key.Role),
		)
	})
	for i := 0; i < len(rows); {
		acct := rows[i].Line.RevolutAccountID
		run, known := a.running[acct]
		if known && (i == 0 || !sameInstant(&rows[i-1].Line, &rows[i].Line)) {
			k := i + 1
			for k < len(rows) && sameInstant(&rows[i].Line, &rows[k].Line) {
				k++
			}
			if k-i > 1 {
				reorderCluster(rows[i:k], run)
			}
		}
		j := i + 1
		for j < len(rows) && sameLeg(&rows[i].Line, &rows[j].Line) {
			j++
		}
		legSum := decimal.Zero
		for k := i; k < j; k++ {
			legSum = legSum.Add(rows[k].Line.Amount)
		}
		// The transform puts Revolut's balance on the leg's main bank line only; it is the
		// balance after the whole leg (amount and fee).
		var reported decimal.NullDecimal
		for k := i; k < j; k++ {
			if rows[k].Line.BankBalance.Valid {
				reported = rows[k].Line.BankBalance
			}
		}
		if !known && reported.Valid {
			run, known = reported.Decimal.Sub(legSum), true
		}
		for k := i; k < j; k++ {
			run = run.Add(rows[k].Line.Amount)
			rows[k].Running = run
		}
		a.bankLeg(rows[i:j], legSum, reported)
		if known {
			a.running[acct] = run
		}
		if reported.Valid {
			last := &rows[j-1]
			last.Checked, last.Ties = true, run.Equal(reported.Decimal)
			a.checked++
			if !last.Ties {
				a.mismatch++
				if len(a.mismatchs) < maxListed {
					a.mismatchs = append(a.mismatchs, last.Line.TransactionID)
				}
			}
		} else {
			a.noBalance++
		}
		i = j
	}
	a.dayBank, a.spare = a.spare[:0], rows
	return rows
}

// sameLeg reports whether two bank lines are one leg of one transaction on one account: its
// movement and its fee. A reversing entry is a movement of its own.
// sameInstant reports whether two bank lines are on one account at one instant: a bulk
// payout completes hundreds of payments in one millisecond, and only Revolut's reported
// balances tell the order it applied them in.
func sameInstant(x, y *transform.Line) bool {
	return x.RevolutAccountID == y.RevolutAccountID && x.OccurredAt.Equal(y.OccurredAt)
}

// reorderCluster orders the legs of one same-instant cluster so that Revolut's reported
// balances chain from run: at each step the first leg whose balance follows. Where none
// follows, the sorted order stays.
func reorderCluster(rows []BankRow, run decimal.Decimal) {
	type leg struct {
		rows     []BankRow
		sum      decimal.Decimal
		reported decimal.NullDecimal
	}
	var legs []leg
	for i := 0; i < len(rows); {
		j := i + 1
		for j < len(rows) && sameLeg(&rows[i].Line, &rows[j].Line) {
			j++
		}
		l := leg{rows: slices.Clone(rows[i:j])}
		for _, r := range l.rows {
			l.sum = l.sum.Add(r.Line.Amount)
			if r.Line.BankBalance.Valid {
				l.reported = r.Line.BankBalance
			}
		}
		legs = append(legs, l)
		i = j
	}
	if len(legs) < 2 {
		return
	}
	out := rows[:0]
	for len(legs) > 0 {
		pick := 0
		for k, l := range legs {
			if l.reported.Valid && run.Add(l.sum).Equal(l.reported.Decimal) {
				pick = k
				break
			}
		}
		run = run.Add(legs[pick].sum)
		out = append(out, legs[pick].rows...)
		legs = slices.Delete(legs, pick, pick+1)
	}
}

func sameLeg(x, y *transform.Line) bool {
	return x.RevolutAccountID == y.RevolutAccountID && x.TransactionID == y.TransactionID &&
		x.TransactionID != "" && x.EntryID == y.EntryID && x.Key.Index == y.Key.Index
}

// Finish closes the last entry and day and returns the remaining bank rows and the Summary.
func (a *Aggregator) Finish() ([]BankRow, Summary) {
	if a.entry != "" {
		a.closeEntry()
	}
	bank := a.flushDay()
	s := a.sum
	for _, t := range a.totals {
		s.Totals = append(s.Totals, *t)
	}
	slices.SortFunc(s.Totals, func(x, y CurrencyTotal) int { return cmp.Compare(x.Currency, y.Currency) })
	for _, v := range a.vat {
		s.VAT = append(s.VAT, *v)
	}
	slices.SortFunc(s.VAT, func(x, y VATRow) int {
		return cmp.Or(cmp.Compare(x.Currency, y.Currency),
			x.RatePercent.Decimal.Cmp(y.RatePercent.Decimal),
			cmp.Compare(x.RateName, y.RateName))
	})
	for _, t := range a.trial {
		t.Balance = t.Debit.Sub(t.Credit)
		s.Trial = append(s.Trial, *t)
	}
	slices.SortFunc(s.Trial, func(x, y TBRow) int {
		return cmp.Or(cmp.Compare(x.AccountCode, y.AccountCode), cmp.Compare(x.Currency, y.Currency))
	})
	for g := range a.groups {
		s.LabelGroup = append(s.LabelGroup, g)
	}
	slices.Sort(s.LabelGroup)
	s.Checks = []Check{
		checkOf("Every entry balances per currency", a.nUnbalanced, s.Entries, "entries", a.unbalanced),
		checkOf("Bank lines tie to Revolut balances", a.mismatch, a.checked, "legs with a reported balance", a.mismatchs),
		checkOf("Splits add up (net + tax = gross)", a.nSplitBad, s.Splits, "splits", a.splitMismatch),
	}
	if a.noBalance > 0 {
		s.Checks[1].Detail += "; " + itoa(a.noBalance) + " legs without a reported balance were not compared"
	}
	s.Base, s.Banks = a.finishTrial(), a.finishBanks()
	s.Checks = append(s.Checks, trialCheck(s.Base), bankCheck(s.Banks))
	return bank, s
}

func checkOf(name string, failed, total int, what string, examples []string) Check {
	c := Check{Name: name, Passed: failed == 0}
	if c.Passed {
		c.Detail = itoa(total) + " " + what + " checked"
		return c
	}
	c.Detail = itoa(failed) + " of " + itoa(total) + " " + what + " fail, e.g. " + join(examples)
	return c
}

func itoa(n int) string { return strconv.Itoa(n) }

func join(s []string) string { return strings.Join(s, ", ") }
