// Package vatreturn computes a UK VAT return (boxes 1, 3, 4, 5, 6 and 7) and a per-rate,
// per-treatment VAT summary from a period's ledger lines. It is pure: lines in, figures out,
// in the order the lines came.
//
// What each line counts for (the role without its ":reversal" suffix, so a reversing entry
// takes back what its original counted):
//
//   - a split's net line, by its treatment: standard, reduced, zero and exempt → box 7 at the
//     net; reverse charge → boxes 6 and 7 at the net; foreign → box 7 at the whole amount
//     (another country's VAT is part of the cost, not UK VAT); blocked → box 7 at the amount
//     less the UK VAT it contains (box 7 excludes VAT, even VAT that cannot be reclaimed);
//     out of scope → nothing (listed, with no box);
//   - a split's input VAT line → box 4; a reverse charge's output VAT line → box 1;
//   - purchases without an expense, with a treatment derived here (Derived): bank fees (a
//     leg's fee, a fee or charge transaction) are exempt financial services → box 7; a card or
//     Revolut payment without a usable expense (booked to suspense, or a split difference) is
//     "unallocated" → box 7 at its whole amount, with no VAT reclaimed (no receipt, no VAT);
//     card spend the approver sent back as personal (on employee receivables) is not;
//   - nothing else: transfers, top-ups, exchanges, tax payments, loans, cash and money to
//     allocate are not purchases. Payments of supplier bills by transfer are in the
//     accounting software's bills, not here.
//
// Box 2 (acquisitions from the EU), 8 and 9 are not computed (zero): revledger does not see
// the goods movements they need. Sales are not in the Revolut data as invoices, so box 6 holds
// only the reverse-charge nets. Box 3 = box 1 + box 2; box 5 = box 3 − box 4, negative when
// HMRC owes the business. Figures are exact to the penny (HMRC wants whole pounds in boxes
// 6–9: round them down when filing).
//
// Every figure is in the return's currency (GBP, the base currency): a line in GBP counts at
// its amount, a line in another currency at its base amount (Line.BaseAmount: the amount at
// the rate the ledger converted it at; Item keeps the amount, currency and rate beside the
// GBP value for the drill-down). A foreign line without a base amount (no rate was found) has
// no GBP value: it is listed in NotConverted with its per-currency box totals, never added to
// the boxes and never dropped. Lines of expenses that are not approved yet (awaiting review,
// missing information...) are listed in Unapproved and counted only when
// Options.IncludeUnapproved is set.
package vatreturn

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/transform"
)

// Unallocated is the derived treatment of a purchase without a usable expense: its VAT
// cannot be reclaimed without a receipt, but it is a purchase (box 7).
const Unallocated = "unallocated"

// Options configures a return.
type Options struct {
	// Currency is the return's currency; default GBP.
	Currency string
	// IncludeUnapproved counts the lines of expenses not approved yet (config
	// vat.include_unapproved); they are listed in Unapproved either way.
	IncludeUnapproved bool
}

// Boxes are the UK VAT return's figures. Box2, Box8 and Box9 are always zero (see the package
// documentation).
type Boxes struct {
	Box1 decimal.Decimal // VAT due on sales and other outputs (reverse charge)
	Box2 decimal.Decimal // VAT due on acquisitions from the EU (not computed)
	Box3 decimal.Decimal // box 1 + box 2
	Box4 decimal.Decimal // VAT reclaimed on purchases and other inputs
	Box5 decimal.Decimal // box 3 − box 4 (negative: a repayment)
	Box6 decimal.Decimal // total sales and other outputs, excluding VAT
	Box7 decimal.Decimal // total purchases and other inputs, excluding VAT
}

// Item is one ledger line and what it counts for: Net is its value in box 6 and/or 7 (Box says
// which), VAT its VAT in box 1 or 4, both in the return's currency; for a line that was not
// converted (Converted false), in the line's own Currency.
type Item struct {
	EntryID     string
	LineKey     string
	Date        time.Time
	AccountCode string
	AccountName string
	// Currency, Amount and Rate are the line's own: its currency, its amount in it, and the
	// rate its base amount was converted at (1 for a line in the return's currency; null when
	// it was not converted).
	Currency  string
	Amount    decimal.Decimal
	Rate      decimal.NullDecimal
	Converted bool
	Treatment string
	Derived   bool // the treatment was derived here (fees, unallocated payments, old lines)
	RateName  string
	Net       decimal.Decimal
	VAT       decimal.Decimal
	Box       string // "1", "4", "7", "6, 7" or "" (out of scope: on no box)
	Payee     string
	ExpenseID string
	// ExpenseState is the expense's state; Unapproved says it is not approved yet.
	ExpenseState string
	Unapproved   bool

	box1, box4, box6, box7 decimal.Decimal
}

// CurrencyTotal is what the lines of one currency would add to each box.
type CurrencyTotal struct {
	Currency               string
	Box1, Box4, Box6, Box7 decimal.Decimal
	Lines                  int
}

// RateRow is the generic summary of one tax rate under one treatment in one currency, from
// the splits' figures: Net, VAT (reclaimable or self-accounted) and Gross as booked, and
// Irrecoverable, the VAT a foreign or blocked gross contains at its rate, which was booked
// to the expense.
type RateRow struct {
	Currency      string
	Treatment     string
	RateName      string
	RatePercent   decimal.NullDecimal
	Net           decimal.Decimal
	VAT           decimal.Decimal
	Gross         decimal.Decimal
	Irrecoverable decimal.Decimal
	Splits        int
}

// Return is a period's VAT return.
type Return struct {
	Currency string
	Boxes    Boxes
	// Items are the lines counted in the boxes (and the out-of-scope splits, on no box), in
	// ledger order.
	Items []Item
	// NotConverted are the lines in other currencies, not counted; NotConvertedTotals their
	// totals per currency.
	NotConverted       []Item
	NotConvertedTotals []CurrencyTotal
	// Unapproved are the lines of expenses not approved yet, in any currency; counted (and
	// also in Items or NotConverted) only when UnapprovedIncluded.
	Unapproved         []Item
	UnapprovedIncluded bool
	// Rates is the per-rate, per-treatment summary, by currency, treatment, rate.
	Rates []RateRow
}

// Builder accumulates a return line by line (Add), for callers that stream the ledger.
type Builder struct {
	opts  Options
	r     Return
	other map[string]*CurrencyTotal
	rates map[rateKey]*RateRow
	rules transform.VATRules
}

type rateKey struct{ cur, treatment, name, pct string }

// New starts a return.
func New(opts Options) *Builder {
	opts.Currency = strings.ToUpper(cmp.Or(opts.Currency, "GBP"))
	return &Builder{
		opts:  opts,
		r:     Return{Currency: opts.Currency, UnapprovedIncluded: opts.IncludeUnapproved},
		other: map[string]*CurrencyTotal{},
		rates: map[rateKey]*RateRow{},
		rules: transform.VATRules{BaseCurrency: opts.Currency}.WithDefaults(),
	}
}

// Compute is the return of lines.
func Compute(lines []transform.Line, opts Options) Return {
	b := New(opts)
	for i := range lines {
		b.Add(&lines[i])
	}
	return b.Finish()
}

// Add takes the next line.
func (b *Builder) Add(l *transform.Line) {
	role := transform.BaseRole(l.Key.Role)
	if role == transform.RoleNet {
		b.addRate(l)
	}
	amount, rate, converted := b.value(l)
	cur := b.opts.Currency
	if !converted {
		cur = l.Currency
	}
	it, ok := b.classify(l, role, amount, cur)
	if !ok {
		return
	}
	it.EntryID, it.LineKey, it.Date = l.EntryID, l.Key.String(), l.BookingDate
	it.AccountCode, it.AccountName, it.Currency = l.AccountCode, l.AccountName, l.Currency
	it.Amount, it.Rate, it.Converted = l.Amount, rate, converted
	it.RateName, it.Payee = l.TaxRateName, cmp.Or(l.Merchant, l.Counterparty)
	it.ExpenseID, it.ExpenseState = l.ExpenseID, l.ExpenseState
	it.Net = it.box7 // a reverse charge's net is in box 6 too: the same figure, shown once
	it.VAT = it.box1.Add(it.box4)
	// Only a split's own lines wait for approval. A payment booked without a usable expense
	// (rejected, say: suspense) is an unallocated purchase and counts as one now.
	it.Unapproved = it.Treatment != Unallocated && l.ExpenseID != "" && l.ExpenseState != "" &&
		!transform.VATApprovedState(l.ExpenseState)
	if it.Unapproved {
		b.r.Unapproved = append(b.r.Unapproved, it)
		if !b.opts.IncludeUnapproved {
			return
		}
	}
	if !converted {
		b.r.NotConverted = append(b.r.NotConverted, it)
		t := b.other[l.Currency]
		if t == nil {
			t = &CurrencyTotal{Currency: l.Currency}
			b.other[l.Currency] = t
		}
		t.Box1, t.Box4, t.Box6, t.Box7 = t.Box1.Add(it.box1), t.Box4.Add(it.box4), t.Box6.Add(it.box6), t.Box7.Add(it.box7)
		t.Lines++
		return
	}
	bx := &b.r.Boxes
	bx.Box1, bx.Box4, bx.Box6, bx.Box7 = bx.Box1.Add(it.box1), bx.Box4.Add(it.box4), bx.Box6.Add(it.box6), bx.Box7.Add(it.box7)
	b.r.Items = append(b.r.Items, it)
}

// value is l's amount in the return's currency and the rate it was converted at; converted is
// false for a line in another currency without a base amount (amount is then its own).
func (b *Builder) value(l *transform.Line) (amount decimal.Decimal, rate decimal.NullDecimal, converted bool) {
	if strings.EqualFold(l.Currency, b.opts.Currency) {
		// A line booked before lines carried base amounts has none: it is its own value.
		return l.Amount, decimal.NewNullDecimal(decimal.NewFromInt(1)), true
	}
	if l.BaseAmount.Valid {
		return l.BaseAmount.Decimal, l.BaseRate, true
	}
	return l.Amount, decimal.NullDecimal{}, false
}

// classify says what l counts for, given its amount in currency cur, and false when it is not
// on the return at all.
func (b *Builder) classify(l *transform.Line, role string, amount decimal.Decimal, cur string) (Item, bool) {
	var it Item
	it.Treatment = l.VATTreatment
	switch role {
	case transform.RoleNet:
		if it.Treatment == "" { // booked before treatments: classify as the booker would
			it.Treatment, it.Derived = b.rules.Classify(transform.VATInput{
				RateID: l.TaxRateID, RateName: l.TaxRateName, Percent: l.TaxRatePercent,
				CategoryCode: l.CategoryCode, Currency: cmp.Or(l.OriginalCurrency, l.Currency),
			}), true
		}
		switch it.Treatment {
		case transform.VATReverseCharge:
			it.box6, it.box7, it.Box = amount, amount, "6, 7"
		case transform.VATOutOfScope:
			// listed, on no box
		case transform.VATBlocked:
			v, _ := transform.VAT(amount, rate(l), cur)
			it.box7, it.Box = v.Net, "7"
		default: // standard, reduced, zero, exempt: the net; foreign: the whole amount
			it.box7, it.Box = amount, "7"
		}
		return it, true
	case transform.RoleVAT:
		it.box4, it.Box = amount, "4"
		return it, true
	case transform.RoleOutputVAT:
		it.box1, it.Box = amount.Neg(), "1"
		return it, true
	case transform.RoleFee:
		it.Treatment, it.Derived, it.box7, it.Box = transform.VATExempt, true, amount, "7"
		return it, true
	case transform.RoleBalancing:
		switch l.TransactionType {
		case "fee", "charge", "charge_refund": // Revolut transaction types
			it.Treatment, it.Derived, it.box7, it.Box = transform.VATExempt, true, amount, "7"
			return it, true
		case "card_refund", "card_chargeback": // Revolut transaction types
			if l.RelatedTransactionID == "" {
				return Item{}, false // not matched to a purchase: to allocate, not on the return
			}
			// The mirror of an unallocated card payment's line: it takes back what that counted.
			it.Treatment, it.Derived, it.box7, it.Box = Unallocated, true, amount, "7"
			return it, true
		case "card_payment", "rev_payment":
			if l.ExpenseState == "refund_requested" || l.ExpenseState == "refunded" {
				return Item{}, false // personal spend on employee receivables: not a purchase
			}
			it.Treatment, it.Derived, it.box7, it.Box = Unallocated, true, amount, "7"
			return it, true
		}
	case transform.RoleSplitDifference:
		it.Treatment, it.Derived, it.box7, it.Box = Unallocated, true, amount, "7"
		return it, true
	}
	return Item{}, false
}

func rate(l *transform.Line) decimal.Decimal {
	if l.TaxRatePercent.Valid && !l.TaxRatePercent.Decimal.IsNegative() {
		return l.TaxRatePercent.Decimal
	}
	return decimal.Zero
}

// addRate adds a split's figures (from its net line, which every split has) to the summary.
func (b *Builder) addRate(l *transform.Line) {
	if !l.Gross.Valid {
		return
	}
	t := cmp.Or(l.VATTreatment, "(not classified)")
	pct := ""
	if l.TaxRatePercent.Valid {
		pct = l.TaxRatePercent.Decimal.String()
	}
	k := rateKey{l.Currency, t, l.TaxRateName, pct}
	r := b.rates[k]
	if r == nil {
		r = &RateRow{Currency: l.Currency, Treatment: t, RateName: l.TaxRateName, RatePercent: l.TaxRatePercent}
		b.rates[k] = r
	}
	r.Net, r.VAT, r.Gross = r.Net.Add(l.Net.Decimal), r.VAT.Add(l.Tax.Decimal), r.Gross.Add(l.Gross.Decimal)
	if t == transform.VATForeign || t == transform.VATBlocked {
		v, _ := transform.VAT(l.Gross.Decimal, rate(l), l.Currency)
		r.Irrecoverable = r.Irrecoverable.Add(v.Tax)
	}
	r.Splits++
}

// Finish computes the derived boxes and sorts the summaries.
func (b *Builder) Finish() Return {
	r := b.r
	r.Boxes.Box3 = r.Boxes.Box1.Add(r.Boxes.Box2)
	r.Boxes.Box5 = r.Boxes.Box3.Sub(r.Boxes.Box4)
	for _, c := range slices.Sorted(maps.Keys(b.other)) {
		r.NotConvertedTotals = append(r.NotConvertedTotals, *b.other[c])
	}
	for _, row := range b.rates {
		r.Rates = append(r.Rates, *row)
	}
	order := func(t string) int {
		if i := slices.Index(transform.VATTreatments, t); i >= 0 {
			return i
		}
		return len(transform.VATTreatments)
	}
	slices.SortFunc(r.Rates, func(x, y RateRow) int {
		return cmp.Or(strings.Compare(x.Currency, y.Currency), cmp.Compare(order(x.Treatment), order(y.Treatment)),
			x.RatePercent.Decimal.Cmp(y.RatePercent.Decimal), strings.Compare(x.RateName, y.RateName))
	})
	return r
}
