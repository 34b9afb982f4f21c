package csvfmt

import (
	"maps"
	"slices"
	"strings"

	"github.com/revledger/revledger/transform"
)

// TaxNames is what a target calls one Revolut tax rate: on purchases (money out, and refunds
// of purchases) and on sales (other money in).
type TaxNames struct {
	Expenses string `yaml:"expenses"`
	Income   string `yaml:"income"`
}

// TaxMap maps Revolut tax rates to a target's tax rate names. A line's rate is looked up by
// its Revolut id, then its exact name, then by a key of letters contained in its name
// (case-insensitive; "reverse charge", "exempt"), then by its percentage as a plain number
// ("20", "5", "0", "12.5"). A rate found nowhere is the target's no-tax rate: it is not
// reclaimable there (a foreign rate such as Japan's 10%), so the gross goes to the expense.
type TaxMap map[string]TaxNames

// Merge returns m with the entries of over added or replaced.
func (m TaxMap) Merge(over TaxMap) TaxMap {
	out := maps.Clone(m)
	if out == nil {
		out = TaxMap{}
	}
	maps.Copy(out, over)
	return out
}

// lookup finds the names of l's tax rate.
func (m TaxMap) lookup(l *transform.Line) (TaxNames, bool) {
	if l == nil || (l.TaxRateID == "" && l.TaxRateName == "" && !l.TaxRatePercent.Valid) {
		return TaxNames{}, false
	}
	for _, k := range []string{l.TaxRateID, l.TaxRateName} {
		if n, ok := m[k]; ok && k != "" {
			return n, true
		}
	}
	name := strings.ToLower(l.TaxRateName)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if isWordKey(k) && name != "" && strings.Contains(name, strings.ToLower(k)) {
			return m[k], true
		}
	}
	if l.TaxRatePercent.Valid {
		if n, ok := m[l.TaxRatePercent.Decimal.String()]; ok {
			return n, true
		}
	}
	return TaxNames{}, false
}

// isWordKey reports whether k is a name fragment rather than a percentage or an id.
func isWordKey(k string) bool {
	for _, r := range k {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && r != ' ' {
			return false
		}
	}
	return k != ""
}

// byTreatment finds the names of l's tax rate from the VAT treatment it was booked with, when
// that decides: VAT the business cannot reclaim (foreign, blocked) or that does not apply (out
// of scope) must reach the target untaxed, whatever the rate's name or percentage says, or the
// target would reclaim it; exempt and reverse-charge lines take the target's rate of that kind
// (the map's "exempt" and "reverse charge" keys). decided is false for the other treatments
// and for lines booked without one, which are looked up by rate.
func (m TaxMap) byTreatment(l *transform.Line) (n TaxNames, found, decided bool) {
	word := ""
	switch l.VATTreatment {
	case transform.VATForeign, transform.VATBlocked, transform.VATOutOfScope:
		return TaxNames{}, false, true
	case transform.VATExempt:
		word = "exempt"
	case transform.VATReverseCharge:
		word = "reverse charge"
	default:
		return TaxNames{}, false, false
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if strings.EqualFold(k, word) {
			return m[k], true, true
		}
	}
	return TaxNames{}, false, true
}

// taxName returns the name of l's tax rate on the side moneyIn says, or noTax. A purchase
// refunded (money in on an expense line) keeps the purchase name: it reduces input VAT.
func (m TaxMap) taxName(l *transform.Line, moneyIn bool, noTax string) (string, bool) {
	if l == nil {
		return noTax, false
	}
	n, ok, decided := m.byTreatment(l)
	if !decided {
		n, ok = m.lookup(l)
	}
	if !ok {
		return noTax, false
	}
	name := n.Expenses
	if moneyIn && l.ExpenseID == "" && n.Income != "" {
		name = n.Income
	}
	if name == "" || name == noTax {
		return noTax, false
	}
	return name, true
}

// Names returns every name the map can produce, and noTax.
func (m TaxMap) Names(noTax string) map[string]bool {
	out := map[string]bool{noTax: true}
	for _, n := range m {
		if n.Expenses != "" {
			out[n.Expenses] = true
		}
		if n.Income != "" {
			out[n.Income] = true
		}
	}
	return out
}

// baseRole is a line's role without the reversal suffix.
func baseRole(l *transform.Line) string {
	return transform.BaseRole(l.Key.Role)
}

// isBankLine reports whether l moves money on a Revolut account.
func isBankLine(l *transform.Line) bool {
	r := baseRole(l)
	return r == transform.RoleBank || r == transform.RoleFeeBank
}

// splitGroups groups the lines of an entry so that a split's net, VAT and (reverse charge)
// output VAT lines are one group (in entry order); every other line is a group of its own. A
// reverse-charge split's input and output VAT cancel, so its group sums to what was paid, and
// a target's reverse-charge rate accounts for both sides itself.
func splitGroups(lines []*transform.Line) [][]*transform.Line {
	var out [][]*transform.Line
	at := map[transform.LineKey]int{}
	for _, l := range lines {
		r := baseRole(l)
		if r == transform.RoleNet || r == transform.RoleVAT || r == transform.RoleOutputVAT {
			k := l.Key
			k.Role = "split" + strings.TrimPrefix(l.Key.Role, r) // keeps ":reversal" apart
			if i, ok := at[k]; ok {
				out[i] = append(out[i], l)
				continue
			}
			at[k] = len(out)
		}
		out = append(out, []*transform.Line{l})
	}
	return out
}

// netOf returns the net line of a split group, or nil.
func netOf(g []*transform.Line) *transform.Line {
	for _, l := range g {
		if baseRole(l) == transform.RoleNet {
			return l
		}
	}
	return nil
}
