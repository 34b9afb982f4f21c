package transform

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"

	"github.com/shopspring/decimal"
)

// defaultMinorUnits is the number of decimals of a currency that is not in minorUnits. Almost
// every currency has two; the exceptions are listed explicitly.
const defaultMinorUnits = 2

// minorUnits holds ISO 4217 minor units. It lists every currency Revolut Business holds or
// pays in (so the table documents what is supported), and every ISO currency whose minor unit
// is not two (so a payment billed in, say, Omani rials is still rounded correctly). HUF is two
// in ISO 4217 even though forints are paid in whole units.
var minorUnits = map[string]int32{
	// Currencies of Revolut Business accounts and payments.
	"AED": 2, "AUD": 2, "BGN": 2, "CAD": 2, "CHF": 2, "CNY": 2, "CZK": 2, "DKK": 2,
	"EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "ILS": 2, "ISK": 0, "JPY": 0, "MXN": 2,
	"NOK": 2, "NZD": 2, "PLN": 2, "QAR": 2, "RON": 2, "RSD": 2, "SAR": 2, "SEK": 2,
	"SGD": 2, "THB": 2, "TRY": 2, "USD": 2, "ZAR": 2, "INR": 2, "KZT": 2, "UAH": 2,
	// ISO 4217 currencies without minor units.
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
	"UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	// ISO 4217 currencies with three decimals.
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
	// ISO 4217 units of account with four decimals.
	"CLF": 4, "UYW": 4,
}

// MinorUnits returns the number of decimals of currency per ISO 4217 (JPY 0, EUR 2, BHD 3).
// An unknown code gets 2, the most common value, rather than an error: a currency Revolut adds
// later must not stop a sync, and two decimals never loses a cent of a two-decimal currency.
func MinorUnits(currency string) int32 {
	if n, ok := minorUnits[strings.ToUpper(currency)]; ok {
		return n
	}
	return defaultMinorUnits
}

// Round rounds amount to the minor units of currency, half away from zero (2.345 → 2.35,
// −2.345 → −2.35), the rule for money in docs/DESIGN.md. shopspring's Decimal.Round implements
// exactly that rule; the tests pin it.
func Round(amount decimal.Decimal, currency string) decimal.Decimal {
	return amount.Round(MinorUnits(currency))
}

// quoRound returns a/b rounded half away from zero to places decimals, computed exactly with
// integers. Decimal.Div first rounds the quotient to 16 digits, and rounding twice can move a
// value that sits just under a half up to it.
func quoRound(a, b decimal.Decimal, places int32) decimal.Decimal {
	if b.IsZero() {
		panic("transform: quoRound by zero")
	}
	// a/b × 10^places = ca × 10^(ea − eb + places) / cb.
	num, den := a.Coefficient(), b.Coefficient()
	if e := a.Exponent() - b.Exponent() + places; e >= 0 {
		num.Mul(num, pow10(e))
	} else {
		den.Mul(den, pow10(-e))
	}
	q, r := new(big.Int).QuoRem(num, den, new(big.Int)) // truncated towards zero
	r.Abs(r).Lsh(r, 1)
	if r.CmpAbs(den) >= 0 {
		if (num.Sign() < 0) != (den.Sign() < 0) {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return decimal.NewFromBigInt(q, -places)
}

func pow10(n int32) *big.Int {
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
}

var hundred = decimal.NewFromInt(100)

// VATBreakdown is a gross amount split into net and tax, in one currency: Net + Tax = Gross
// exactly.
type VATBreakdown struct {
	Gross decimal.Decimal
	Net   decimal.Decimal
	Tax   decimal.Decimal
}

// ErrNegativeRate is returned by VAT for a tax rate below zero, which no tax authority uses
// and which would make the formula meaningless at −100%.
var ErrNegativeRate = errors.New("transform: negative tax rate")

// VAT splits a tax-inclusive amount at ratePercent (20 for 20%) the way a VAT receipt does:
// tax = round(gross × r / (100 + r)) to the minor units of currency, half away from zero, and
// net = gross − tax, so that net + tax = gross exactly. A negative gross (a refund) gives a
// negative tax and net, mirror images of the positive case. Gross is first rounded to the
// currency's minor units, which leaves any amount that came from Revolut unchanged.
func VAT(gross, ratePercent decimal.Decimal, currency string) (VATBreakdown, error) {
	if ratePercent.IsNegative() {
		return VATBreakdown{}, fmt.Errorf("%w: %s%%", ErrNegativeRate, ratePercent)
	}
	places := MinorUnits(currency)
	g := gross.Round(places)
	tax := decimal.Zero.Round(places)
	if !ratePercent.IsZero() {
		tax = quoRound(g.Mul(ratePercent), hundred.Add(ratePercent), places)
	}
	return VATBreakdown{Gross: g, Net: g.Sub(tax), Tax: tax}, nil
}

// ErrZeroWeights is returned by Allocate when the weights sum to zero but the total does not:
// there is no pro-rata share of something among nothing.
var ErrZeroWeights = errors.New("transform: allocation weights sum to zero")

// Allocate divides total pro rata to weights into parts rounded to places decimals that sum
// exactly to total (after total itself is rounded to places, half away from zero).
//
// It is the largest-remainder method: every part starts at its exact share rounded towards
// zero, and the minor units left over go one each to the parts with the largest remainders,
// the earlier part first when remainders tie, so the result is deterministic and every part
// is within one minor unit of its exact share. Allocating −T gives exactly the negated parts
// of T, so a refund mirrors its payment. Weights may have any sign and scale (they are often
// the split amounts in another currency); only their ratios matter.
func Allocate(total decimal.Decimal, weights []decimal.Decimal, places int32) ([]decimal.Decimal, error) {
	if len(weights) == 0 {
		return nil, errors.New("transform: allocation without weights")
	}
	total = total.Round(places)
	parts := make([]decimal.Decimal, len(weights))
	if total.IsZero() {
		for i := range parts {
			parts[i] = decimal.New(0, -places)
		}
		return parts, nil
	}

	// Integer weights on a common exponent.
	minExp := weights[0].Exponent()
	for _, w := range weights[1:] {
		minExp = min(minExp, w.Exponent())
	}
	ws := make([]*big.Int, len(weights))
	sum := new(big.Int)
	for i, w := range weights {
		ws[i] = w.Coefficient()
		ws[i].Mul(ws[i], pow10(w.Exponent()-minExp))
		sum.Add(sum, ws[i])
	}
	if sum.Sign() == 0 {
		return nil, fmt.Errorf("%w (total %s)", ErrZeroWeights, total)
	}
	if sum.Sign() < 0 {
		sum.Neg(sum)
		for _, w := range ws {
			w.Neg(w)
		}
	}

	// Work on |total| in minor units and put the sign back at the end, so that the residue
	// lands on the same parts for T and −T.
	t := total.Shift(places).BigInt()
	negative := t.Sign() < 0
	t.Abs(t)

	floors := make([]*big.Int, len(ws))
	rems := make([]*big.Int, len(ws))
	residue := new(big.Int).Set(t)
	for i, w := range ws {
		num := new(big.Int).Mul(t, w)
		// sum > 0, so Euclidean division is floor division with a remainder in [0, sum).
		floors[i], rems[i] = new(big.Int).DivMod(num, sum, new(big.Int))
		residue.Sub(residue, floors[i])
	}
	// The residue is Σ(exact − floor), a whole number in [0, len(weights)).
	order := make([]int, len(ws))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		return rems[order[a]].Cmp(rems[order[b]]) > 0
	})
	for k := int64(0); k < residue.Int64(); k++ {
		floors[order[k]].Add(floors[order[k]], big.NewInt(1))
	}
	for i, f := range floors {
		if negative {
			f.Neg(f)
		}
		parts[i] = decimal.NewFromBigInt(f, -places)
	}
	return parts, nil
}
