package transform

import (
	"slices"
	"time"

	"github.com/revledger/revledger/extract/revolut"
)

// TaxRateVersion is a tax rate as it was in force over [ValidFrom, ValidTo). A zero bound is
// unbounded: the first version seen of a rate covers everything before it, the current one
// everything after.
type TaxRateVersion struct {
	revolut.TaxRate
	ValidFrom, ValidTo time.Time
}

// CategoryVersion is an accounting category as it was over [ValidFrom, ValidTo), like
// TaxRateVersion.
type CategoryVersion struct {
	revolut.AccountingCategory
	ValidFrom, ValidTo time.Time
}

// inForce reports whether [from, to) (zero bounds unbounded) holds at.
func inForce(from, to, at time.Time) bool {
	return (from.IsZero() || !at.Before(from)) && (to.IsZero() || at.Before(to))
}

// versionAt returns the version of vs (one setting's versions, ordered by ValidFrom) in force
// at at. A tax point outside every version (before the first, or in a gap) takes the nearest
// earlier version, else the first: the settings as last known before the tax point.
func versionAt[V any](vs []V, at time.Time, bounds func(*V) (time.Time, time.Time)) (*V, bool) {
	if len(vs) == 0 {
		return nil, false
	}
	var before *V
	for i := range vs {
		from, to := bounds(&vs[i])
		if inForce(from, to, at) {
			return &vs[i], true
		}
		if !from.After(at) {
			before = &vs[i]
		}
	}
	if before != nil {
		return before, true
	}
	return &vs[0], true
}

// indexHistory groups versions by setting id, each group ordered by ValidFrom (zero first).
func indexHistory[V any](vs []V, id func(*V) string, from func(*V) time.Time) map[string][]V {
	out := map[string][]V{}
	for i := range vs {
		out[id(&vs[i])] = append(out[id(&vs[i])], vs[i])
	}
	for _, g := range out {
		slices.SortStableFunc(g, func(a, b V) int { return from(&a).Compare(from(&b)) })
	}
	return out
}

func taxRateBounds(v *TaxRateVersion) (time.Time, time.Time)   { return v.ValidFrom, v.ValidTo }
func categoryBounds(v *CategoryVersion) (time.Time, time.Time) { return v.ValidFrom, v.ValidTo }

// taxRateAt is the tax-rate setting id as in force at the tax point at, when the history
// knows the rate.
func (b *Booker) taxRateAt(id string, at time.Time) (revolut.TaxRate, bool) {
	if v, ok := versionAt(b.taxRateHistory[id], at, taxRateBounds); ok && id != "" {
		return v.TaxRate, true
	}
	return revolut.TaxRate{}, false
}

// categoryAt is the category setting id as in force at the tax point at, when the history
// knows the category.
func (b *Booker) categoryAt(id string, at time.Time) (revolut.AccountingCategory, bool) {
	if v, ok := versionAt(b.categoryHistory[id], at, categoryBounds); ok && id != "" {
		return v.AccountingCategory, true
	}
	return revolut.AccountingCategory{}, false
}
