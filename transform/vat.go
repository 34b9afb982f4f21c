package transform

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/revolut"
)

// VAT treatments (Line.VATTreatment): what a split's tax rate means for the VAT return. A
// Revolut tax rate is only a name and a percentage; whether its VAT can be reclaimed depends on
// where the purchase was made, what it was for and how the business set the rate up, so every
// split is classified once, when it is booked, and the line carries the answer.
const (
	VATStandard      = "standard"       // UK standard rate: input VAT reclaimed (box 4)
	VATReduced       = "reduced"        // UK reduced rate: input VAT reclaimed (box 4)
	VATZero          = "zero"           // zero-rated: no VAT, the purchase counts in box 7
	VATExempt        = "exempt"         // exempt supply (insurance, financial services): box 7, no VAT
	VATOutOfScope    = "out_of_scope"   // outside the scope of VAT (wages, taxes, donations): not on the return
	VATReverseCharge = "reverse_charge" // the business accounts for the supplier's VAT: boxes 1, 4, 6, 7
	VATForeign       = "foreign"        // another country's VAT: not reclaimable, part of the expense
	VATBlocked       = "blocked"        // UK VAT the law does not let the business reclaim (entertainment)
)

// VATTreatments lists every treatment, in the order reports show them.
var VATTreatments = []string{
	VATStandard, VATReduced, VATZero, VATExempt, VATOutOfScope, VATReverseCharge, VATForeign, VATBlocked,
}

// DefaultBlockedCategories are the category codes whose VAT is blocked by default: the demo
// chart's "Meals & Entertainment" (7600). UK input VAT on business entertainment is not
// reclaimable (Input Tax Order 1992 art. 5); a business that splits staff from client
// entertainment configures its own list.
var DefaultBlockedCategories = []string{"7600"}

// VATRules classify the tax rate of each expense split (see Classify). The zero value is
// usable after WithDefaults, which the Booker applies itself.
type VATRules struct {
	// Treatments maps a Revolut tax rate, by id or by name (case-insensitive), to a
	// treatment; it wins over every default below.
	Treatments map[string]string
	// BlockedCategories lists the accounting-category codes whose reclaimable VAT is blocked.
	// Nil takes DefaultBlockedCategories; an empty, non-nil list blocks nothing.
	BlockedCategories []string
	// BaseCurrency is the currency of the books and of the VAT return. Default GBP.
	BaseCurrency string
	// HomeCountries are the merchant country codes that count as the UK. Revolut's merchant
	// country has been seen both as ISO 3166 alpha-2 and alpha-3, so the default is GB and GBR.
	HomeCountries []string
}

// DefaultVATRules returns the UK defaults: entertainment (7600) blocked, GBP books, GB merchants
// at home, no rate configured.
func DefaultVATRules() VATRules { return VATRules{}.WithDefaults() }

// WithDefaults fills what r leaves out.
func (r VATRules) WithDefaults() VATRules {
	if r.BlockedCategories == nil {
		r.BlockedCategories = slices.Clone(DefaultBlockedCategories)
	}
	r.BaseCurrency = strings.ToUpper(cmp.Or(strings.TrimSpace(r.BaseCurrency), "GBP"))
	if len(r.HomeCountries) == 0 {
		r.HomeCountries = []string{"GB", "GBR"}
	}
	return r
}

// Validate reports treatments that are not one of VATTreatments, naming the config key.
func (r VATRules) Validate() error {
	var errs []error
	for _, k := range slices.Sorted(maps.Keys(r.Treatments)) {
		if !slices.Contains(VATTreatments, r.Treatments[k]) {
			errs = append(errs, fmt.Errorf("vat.treatments.%s: %q is not a treatment (use one of %s)",
				k, r.Treatments[k], strings.Join(VATTreatments, ", ")))
		}
	}
	return errors.Join(errs...)
}

// VATInput is what Classify looks at for one split.
type VATInput struct {
	RateID, RateName string
	Percent          decimal.NullDecimal // the rate's percentage; not valid when unknown
	CategoryCode     string              // the Revolut category code (not the GL code)
	Currency         string              // the split's currency (the purchase's price currency)
	MerchantCountry  string              // the card merchant's country, "" when not known
}

// Classify returns the treatment of a split, in this order:
//
//  1. the rate configured by id, then by name (Treatments): the business's word is final;
//  2. by name: "reverse" → reverse_charge, "exempt" → exempt, "out of scope", "outside the
//     scope" or "no vat" → out_of_scope, "zero" → zero;
//  3. by percentage: 0 → zero, 20 → standard, 5 → reduced (the UK rates), any other →
//     foreign (a 10% hotel rate is not UK VAT); no rate or no known percentage → out_of_scope
//     (nothing can be reclaimed without one);
//  4. a standard or reduced rate from steps 2–3 on a purchase priced in a currency other than
//     the base currency, from a merchant that is not known to be in the UK, → foreign: a 20%
//     rate on a JPY hotel bill is Japanese consumption tax (or another country's VAT),
//     which HMRC does not refund. A USD purchase from a UK merchant stays standard;
//  5. a standard or reduced rate (from any step) on a blocked category → blocked. Other
//     treatments have no UK VAT to block and stay as they are.
func (r VATRules) Classify(in VATInput) string {
	t, configured := r.Treatments[in.RateID]
	if !configured || in.RateID == "" {
		t, configured = lookupFold(r.Treatments, in.RateName)
	}
	if !configured {
		t = defaultTreatment(in.RateName, in.Percent)
		if (t == VATStandard || t == VATReduced) && r.abroad(in) {
			t = VATForeign
		}
	}
	if (t == VATStandard || t == VATReduced) && in.CategoryCode != "" && slices.Contains(r.BlockedCategories, in.CategoryCode) {
		t = VATBlocked
	}
	return t
}

func lookupFold(m map[string]string, name string) (string, bool) {
	if name = strings.TrimSpace(name); name == "" {
		return "", false
	}
	if t, ok := m[name]; ok {
		return t, true
	}
	for k, t := range m {
		if strings.EqualFold(strings.TrimSpace(k), name) {
			return t, true
		}
	}
	return "", false
}

var (
	twenty = decimal.NewFromInt(20)
	five   = decimal.NewFromInt(5)
)

func defaultTreatment(name string, pct decimal.NullDecimal) string {
	n := strings.ToLower(name)
	switch {
	case strings.Contains(n, "reverse"):
		return VATReverseCharge
	case strings.Contains(n, "exempt"):
		return VATExempt
	case strings.Contains(n, "out of scope"), strings.Contains(n, "outside the scope"),
		strings.Contains(n, "outside scope"), strings.Contains(n, "no vat"):
		return VATOutOfScope
	case strings.Contains(n, "zero"):
		return VATZero
	}
	switch {
	case !pct.Valid:
		return VATOutOfScope
	case pct.Decimal.IsZero():
		return VATZero
	case pct.Decimal.Equal(twenty):
		return VATStandard
	case pct.Decimal.Equal(five):
		return VATReduced
	}
	return VATForeign
}

// abroad reports a purchase priced in another currency than the base one whose merchant is
// not known to be in the UK.
func (r VATRules) abroad(in VATInput) bool {
	cur := strings.ToUpper(strings.TrimSpace(in.Currency))
	if cur == "" || cur == r.BaseCurrency {
		return false
	}
	country := strings.ToUpper(strings.TrimSpace(in.MerchantCountry))
	return country == "" || !slices.Contains(r.HomeCountries, country)
}

// Reclaimable reports whether a treatment's VAT is booked as input VAT.
func Reclaimable(treatment string) bool {
	switch treatment {
	case VATStandard, VATReduced, VATZero, VATReverseCharge:
		return true
	}
	return false
}

// ReverseChargeVAT is the VAT the business accounts for on a reverse-charge purchase of net
// (the amount paid: the supplier charged no VAT): round(net × r / 100) to the minor units of
// currency, half away from zero.
func ReverseChargeVAT(net, ratePercent decimal.Decimal, currency string) decimal.Decimal {
	return quoRound(net.Mul(ratePercent), hundred, MinorUnits(currency))
}

// addSplit books one split of gross (signed, in the entry's currency) at ratePercent by its
// treatment (base.VATTreatment; "" books as standard, for lines from before treatments):
//
//   - standard, reduced, zero: a net line on code and an input VAT line of
//     round(gross × r / (100 + r)), as a VAT receipt shows it;
//   - foreign, blocked, exempt, out of scope: one line of the whole gross on code, no VAT line
//     (the rate stays on the line, with the treatment that says why it was not reclaimed);
//   - reverse charge: the supplier charged no VAT, so the gross paid is the net, on code; the
//     business accounts for round(net × r / 100) both ways: input VAT (debit) and output VAT
//     (credit, chart OutputVAT), which cancel in the entry.
//
// Every line of the split carries its figures: Net, Tax and Gross with Net + Tax = Gross. For
// a reverse charge Tax is the self-accounted VAT and Gross = Net + Tax, more than was paid.
func (e *entry) addSplit(base Line, code, name string, gross, ratePercent decimal.Decimal) {
	c := e.b.chart
	t := base.VATTreatment
	vatRate := ratePercent
	if t != "" && (!Reclaimable(t) || t == VATReverseCharge) {
		vatRate = decimal.Zero
	}
	cur := base.Currency
	v, _ := VAT(gross, vatRate, cur)
	var rc decimal.Decimal
	if t == VATReverseCharge && ratePercent.IsPositive() {
		rc = ReverseChargeVAT(v.Net, ratePercent, cur)
	}
	base.Net = decimal.NewNullDecimal(v.Net)
	base.Tax = decimal.NewNullDecimal(v.Tax.Add(rc))
	base.Gross = decimal.NewNullDecimal(v.Gross.Add(rc))

	line := func(role, code, name string, amount decimal.Decimal) {
		l := base
		l.Key.Role = role
		l.AccountCode, l.AccountName = code, name
		l.Amount = amount
		l.ReceiptIDs = slices.Clone(base.ReceiptIDs)
		l.Labels = maps.Clone(base.Labels)
		e.add(l)
	}
	line(RoleNet, code, name, v.Net)
	if !v.Tax.IsZero() {
		line(RoleVAT, c.InputVAT, c.name(c.InputVAT, ""), v.Tax)
	}
	if !rc.IsZero() {
		line(RoleVAT, c.InputVAT, c.name(c.InputVAT, ""), rc)
		line(RoleOutputVAT, c.OutputVAT, c.name(c.OutputVAT, ""), rc.Neg())
	}
}

// VATApprovedState reports whether an expense in this state is decided by its approver, so
// that its VAT counts on a return: approved, and the states that follow approval (paid out,
// refund requested, refunded). Awaiting review, missing information, rejected and reverted
// do not. An expense state that changes across this line changes what a return counts, so a
// closed entry is adjusted for it.
func VATApprovedState(expenseState string) bool {
	switch expenseState {
	case revolut.ExpenseApproved, revolut.ExpensePendingReimbursement, revolut.ExpenseRefundRequested, revolut.ExpenseRefunded:
		return true
	}
	return false
}
