package csvfmt

import (
	"fmt"
	"strings"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// XeroHeader is the header of Xero's manual journal import template.
var XeroHeader = []string{
	"*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
	"TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2",
}

// Xero routes: how the bank side reaches Xero.
const (
	// XeroRouteStatement (the default) writes a precoded statement per Revolut account, to
	// reconcile in Xero; entries that touch no bank go to a manual journal.
	XeroRouteStatement = "statement"
	// XeroRouteJournal writes every entry as a manual journal, the bank side on a clearing
	// account per Revolut account (Xero refuses manual journals on a bank account).
	XeroRouteJournal = "journal"
)

// DefaultXeroTaxRate is Xero UK's no-tax rate: lines the VAT return leaves out.
const DefaultXeroTaxRate = "No VAT"

// XeroJournalMaxLines is the most lines Xero imports from one manual journal file.
//
// Xero help, "Enter multiple manual journals using an import template": "You can import up to
// 300 lines in one template file"; rows with the same Narration and Date form one journal;
// AccountCode is the code, not the name; TaxRate is the full tax rate name as in Xero's tax
// settings; a positive Amount is a debit, a negative one a credit; dates dd/mm/yyyy. A journal
// cannot post to a bank account. Xero computes the tax of a tax-exclusive line per line,
// rounded to 2 decimals (Xero developer docs, "Rounding in Xero").
const XeroJournalMaxLines = 300

// DefaultXeroTaxRates are Xero UK's standard tax rate names by Revolut rate percentage, with
// reverse charge and exemption recognised by name.
func DefaultXeroTaxRates() TaxMap {
	return TaxMap{
		"20":             {Expenses: "20% (VAT on Expenses)", Income: "20% (VAT on Income)"},
		"5":              {Expenses: "5% (VAT on Expenses)", Income: "5% (VAT on Income)"},
		"0":              {Expenses: "Zero Rated Expenses", Income: "Zero Rated Income"},
		"reverse charge": {Expenses: "Reverse Charge Expenses (20%)", Income: "Reverse Charge Expenses (20%)"},
		"exempt":         {Expenses: "Exempt Expenses", Income: "Exempt Income"},
	}
}

// XeroOptions configures the Xero files. The zero value gives Xero UK's defaults.
type XeroOptions struct {
	// Route is XeroRouteStatement (default) or XeroRouteJournal.
	Route string
	// TaxRates maps Revolut tax rates to Xero tax rate names; entries are added to (and win
	// over) DefaultXeroTaxRates.
	TaxRates TaxMap
	// NoTaxRate is the organisation's no-tax rate name ("No VAT" in the UK, "BAS Excluded" in
	// Australia). Default DefaultXeroTaxRate.
	NoTaxRate string
	// TaxRate is the former name of NoTaxRate, still read.
	TaxRate string
	// Clearing maps a Revolut account id, or a bank GL code, to the clearing account the
	// journal route posts that account's movements to. Default ClearingPrefix + bank code.
	Clearing map[string]string
	// ClearingPrefix makes the default clearing code; default "CLR" (CLR1200 for 1200).
	ClearingPrefix string
	// DateLayout is a Go layout for dates; default dd/mm/yyyy (UK organisations).
	DateLayout string
	// StatementMaxLines and JournalMaxLines cap each file; defaults Xero's limits.
	StatementMaxLines int
	JournalMaxLines   int
	// BaseCurrency is the organisation's base currency (export.base_currency; default GBP):
	// manual journals are written in it only.
	BaseCurrency string
}

func (o XeroOptions) withDefaults() XeroOptions {
	if o.Route == "" {
		o.Route = XeroRouteStatement
	}
	o.TaxRates = DefaultXeroTaxRates().Merge(o.TaxRates)
	if o.NoTaxRate == "" {
		o.NoTaxRate = o.TaxRate
	}
	if o.NoTaxRate == "" {
		o.NoTaxRate = DefaultXeroTaxRate
	}
	if o.ClearingPrefix == "" {
		o.ClearingPrefix = "CLR"
	}
	if o.DateLayout == "" {
		o.DateLayout = "02/01/2006"
	}
	if o.StatementMaxLines <= 0 {
		o.StatementMaxLines = XeroStatementMaxLines
	}
	if o.JournalMaxLines <= 0 {
		o.JournalMaxLines = XeroJournalMaxLines
	}
	if o.BaseCurrency == "" {
		o.BaseCurrency = report.DefaultBaseCurrency
	}
	return o
}

// WithDefaults returns o with every default filled in.
func (o XeroOptions) WithDefaults() XeroOptions { return o.withDefaults() }

// ClearingCode is the clearing account of a bank line in the journal route.
func (o XeroOptions) ClearingCode(l *transform.Line) string {
	if c, ok := o.Clearing[l.RevolutAccountID]; ok && l.RevolutAccountID != "" {
		return c
	}
	if c, ok := o.Clearing[l.AccountCode]; ok {
		return c
	}
	return o.ClearingPrefix + l.AccountCode
}

// XeroJournal writes Xero manual journals, one per entry (Xero groups rows by narration and
// date, so the narration names the entry id), in parts of at most JournalMaxLines lines that
// never split a journal. Bank lines go to their clearing account; a split's net line carries
// the mapped tax rate and its VAT line is left to Xero to compute (see xeroSplitRows); every
// other line carries the no-tax rate. Text is written as it is (Xero does not evaluate it).
//
// A manual journal has no currency: Xero books it in the organisation's base currency. So
// every line is written at its base amount (a converted line's description says what it was:
// "Travel (EUR 14.02 at 0.8571)"), and an entry with a foreign line that has no base amount
// is not written at all (ErrNoBaseAmount): a foreign amount is never booked as base
// currency. The VAT Xero computes on a converted net is checked against the converted VAT
// line like any other (xeroSplitRows): both were rounded separately from the foreign
// figures, so a penny apart is the ordinary case there, and the FX rounding line the booker
// adds keeps the entry balanced.
type XeroJournal struct {
	parts *Parts
	opts  XeroOptions
}

// NewXeroJournal returns a journal writer; open creates its parts.
func NewXeroJournal(open Opener, opts XeroOptions) *XeroJournal {
	opts = opts.withDefaults()
	return &XeroJournal{parts: NewParts(XeroHeader, opts.JournalMaxLines, open), opts: opts}
}

// Open makes sure the first part exists even when no journal is written.
func (x *XeroJournal) Open() error { return x.parts.Open() }

// WriteEntry writes the journal of one entry in the base currency; it returns
// ErrNoBaseAmount, writing nothing, when a foreign line has no base amount.
func (x *XeroJournal) WriteEntry(entry []transform.Line) error {
	if len(entry) == 0 {
		return nil
	}
	narration := Narration(entry)
	entry, notes, ok := baseLines(entry, x.opts.BaseCurrency)
	if !ok {
		return ErrNoBaseAmount
	}
	ptrs := make([]*transform.Line, len(entry))
	note := make(map[*transform.Line]string, len(entry))
	for i := range entry {
		ptrs[i] = &entry[i]
		note[ptrs[i]] = notes[i]
	}
	var rows [][]string
	row := func(l *transform.Line, code, tax string, amount decimal.Decimal, desc string) {
		rec := []string{
			narration, l.BookingDate.Format(x.opts.DateLayout), desc,
			code, tax, Amount(amount, l.Currency), "", "", "", "",
		}
		for k, g := range sortedLabels(l.Labels) {
			if k == 2 {
				break
			}
			rec[6+2*k], rec[7+2*k] = g, l.Labels[g]
		}
		rows = append(rows, rec)
	}
	for _, g := range splitGroups(ptrs) {
		if rs, ok := xeroSplitRows(g, x.opts); ok {
			for _, r := range rs {
				row(r.line, r.line.AccountCode, r.tax, r.amount, lineDescription(r.line)+note[r.line])
			}
			continue
		}
		for _, l := range g {
			code := l.AccountCode
			if isBankLine(l) {
				code = x.opts.ClearingCode(l)
			}
			row(l, code, x.opts.NoTaxRate, l.Amount, lineDescription(l)+note[l])
		}
	}
	return x.parts.Group(rows)
}

// Close flushes the last part.
func (x *XeroJournal) Close() error { return x.parts.Close() }

// Rows returns the data rows of each part.
func (x *XeroJournal) Rows() []int { return x.parts.Rows() }

type xeroRow struct {
	line   *transform.Line
	tax    string
	amount decimal.Decimal
}

// xeroSplitRows writes a split (net + VAT lines) as Xero needs it for the VAT return: the net
// amount on the category's account with the mapped tax rate, tax exclusive, and no VAT line:
// Xero computes the VAT itself, round(net × rate), and posts it to its VAT account.
//
// revledger computed the VAT from the gross, tax = round(gross × r / (100 + r)), so Xero's
// figure can differ by a minor unit: at 20% whenever the gross in pence is 3 more than a
// multiple of 6 (gross 0.03: revledger 0.01 VAT on 0.02 net; Xero 0.02 × 20% = 0.004 → 0.00).
// Then the taxed line gets the nearest amount net' whose tax Xero rounds to exactly
// revledger's VAT (0.03 → 0.006 → 0.01), and a second line of net − net' on the same account
// with the no-tax rate puts the expense back to revledger's net. The VAT reaches the return
// to the penny; box 7 counts net' instead of net (under a penny off, and box 7 is in whole
// pounds). A net' that would round at exactly half a unit is avoided, so the result does not
// depend on Xero rounding halves up or to even.
//
// ok is false when the split is not taxed in Xero (no mapped rate, or no VAT line): its lines
// are then written as they are, with the no-tax rate.
func xeroSplitRows(g []*transform.Line, o XeroOptions) ([]xeroRow, bool) {
	net := netOf(g)
	if net == nil || !net.TaxRatePercent.Valid {
		return nil, false
	}
	var vat *transform.Line
	for _, l := range g {
		if baseRole(l) == transform.RoleVAT {
			vat = l
		}
	}
	name, ok := o.TaxRates.taxName(net, net.Amount.IsNegative(), o.NoTaxRate)
	if !ok {
		return nil, false
	}
	tax := decimal.Zero
	if vat != nil {
		tax = vat.Amount
	}
	n, exact := XeroTaxableNet(net.Amount, tax, net.TaxRatePercent.Decimal, net.Currency)
	if !exact {
		return nil, false // Xero could not compute this VAT: keep the VAT line, untaxed
	}
	rows := []xeroRow{{line: net, tax: name, amount: n}}
	if d := net.Amount.Sub(n); !d.IsZero() {
		rows = append(rows, xeroRow{line: net, tax: o.NoTaxRate, amount: d})
	}
	return rows, true
}

// XeroTax is the tax Xero computes on a tax-exclusive line: amount × percent / 100, rounded
// per line to the currency's minor units (half away from zero).
func XeroTax(amount, percent decimal.Decimal, currency string) decimal.Decimal {
	return transform.Round(amount.Mul(percent).Div(decimal.NewFromInt(100)), currency)
}

// XeroTaxableNet returns the amount closest to net on which Xero's tax is exactly tax, with
// no half-unit tie; net itself when it already is. ok is false when no amount within 10
// minor units does (a tax that is not percent of anything near net).
func XeroTaxableNet(net, tax, percent decimal.Decimal, currency string) (decimal.Decimal, bool) {
	unit := decimal.New(1, -int32(transform.MinorUnits(currency)))
	half := unit.Div(decimal.NewFromInt(2))
	exact := func(n decimal.Decimal) bool {
		raw := n.Mul(percent).Div(decimal.NewFromInt(100))
		return raw.Sub(tax).Abs().LessThan(half)
	}
	for k := 0; k <= 10; k++ {
		step := unit.Mul(decimal.NewFromInt(int64(k)))
		for _, n := range []decimal.Decimal{net.Add(step), net.Sub(step)} {
			if exact(n) {
				return n, true
			}
		}
	}
	return net, false
}

// Narration is the one narration of an entry: who it was with and what it was for, taken
// from the first line that says, followed by the entry id in brackets, which keeps two
// entries with the same payee on the same day apart. An adjustment entry's narration starts
// with the closed period it adjusts and why (report.AdjustmentNarration).
func Narration(entry []transform.Line) string {
	if len(entry) == 0 {
		return ""
	}
	var who, what string
	for i := range entry {
		if who == "" {
			who = Payee(&entry[i])
		}
		if what == "" {
			what = entry[i].Description
		}
	}
	n := who
	if report.IsAdjustment(&entry[0]) {
		// "Adjustment to 2026-10 (reverted): Shell: Fuel [adj:txn:…:v1:1]": the closed period
		// and why, before what it was; the entry id names the original entry and version.
		n = report.AdjustmentNarration(&entry[0])
		if who != "" {
			n += ": " + who
		}
	}
	if what != "" {
		if n != "" {
			n += ": "
		}
		n += what
	}
	if n != "" {
		n += " "
	}
	return n + "[" + entry[0].EntryID + "]"
}

// lineDescription describes one line of an entry: the category of an expense line, else the
// account, with the tax rate on VAT lines.
func lineDescription(l *transform.Line) string {
	switch {
	case baseRole(l) == transform.RoleVAT && l.TaxRateName != "":
		return "VAT " + l.TaxRateName
	case l.CategoryName != "":
		return l.CategoryName
	case l.Description != "":
		return l.Description
	}
	return l.AccountName
}

// JournalBase is the name, without part suffix and ".csv", of a journal import file:
// {prefix}_{YYYY-MM}, with _{CUR} for a currency other than the base currency.
func JournalBase(prefix, period, currency, base string) string {
	if currency == base || currency == "" {
		return prefix + "_" + period
	}
	return fmt.Sprintf("%s_%s_%s", prefix, period, strings.ToUpper(currency))
}
