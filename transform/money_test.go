package transform

import (
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/shopspring/decimal"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func decs(ss ...string) []decimal.Decimal {
	out := make([]decimal.Decimal, len(ss))
	for i, s := range ss {
		out[i] = dec(s)
	}
	return out
}

func TestMinorUnits(t *testing.T) {
	t.Parallel()
	for cur, want := range map[string]int32{
		"GBP": 2, "EUR": 2, "USD": 2, "HUF": 2, "JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0,
		"BHD": 3, "KWD": 3, "OMR": 3, "JOD": 3, "TND": 3, "jpy": 0, "XYZ": 2, "": 2,
	} {
		if got := MinorUnits(cur); got != want {
			t.Errorf("MinorUnits(%q) = %d, want %d", cur, got, want)
		}
	}
}

// TestRoundHalfAwayFromZero pins the rounding rule of docs/DESIGN.md on shopspring's Round (its
// source adds sign×5 at the next digit and truncates): exact halves go away from zero, for
// negatives too, and never to even.
func TestRoundHalfAwayFromZero(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, cur, want string
	}{
		{"half up", "2.345", "GBP", "2.35"},
		{"half down for negatives", "-2.345", "GBP", "-2.35"},
		{"below half", "2.3449999", "GBP", "2.34"},
		{"negative below half", "-2.3449999", "GBP", "-2.34"},
		{"not bankers: 2.5 yen", "2.5", "JPY", "3"},
		{"not bankers: 0.5 yen", "0.5", "JPY", "1"},
		{"negative half yen", "-0.5", "JPY", "-1"},
		{"dinar half", "1.0005", "BHD", "1.001"},
		{"negative dinar half", "-1.0005", "BHD", "-1.001"},
		{"dinar below half", "1.0004", "BHD", "1"},
		{"already rounded", "24.38", "GBP", "24.38"},
		{"more places than given", "7", "GBP", "7"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Round(dec(tt.in), tt.cur); !got.Equal(dec(tt.want)) {
				t.Errorf("Round(%s, %s) = %s, want %s", tt.in, tt.cur, got, tt.want)
			}
		})
	}
}

func TestVAT(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name             string
		gross, rate, cur string
		wantNet, wantTax string
		wantGross        string // "" means same as gross
	}{
		// 24.38×20/120 = 4.06333… → 4.06; net = 24.38 − 4.06 = 20.32.
		{"GBP 20%", "24.38", "20", "GBP", "20.32", "4.06", ""},
		// 15.39×20/120 = 2.565 exactly, a half: away from zero → 2.57; net 12.82.
		{"exact half rounds up", "15.39", "20", "GBP", "12.82", "2.57", ""},
		// The refund mirror: −2.565 → −2.57; net = −15.39 + 2.57 = −12.82.
		{"negative refund half rounds down", "-15.39", "20", "GBP", "-12.82", "-2.57", ""},
		// −24.38×20/120 = −4.0633 → −4.06; net −20.32.
		{"negative refund", "-24.38", "20", "GBP", "-20.32", "-4.06", ""},
		{"zero rate", "8.99", "0", "GBP", "8.99", "0", ""},
		// 1000×10/110 = 90.909… → 91 yen; net 909.
		{"JPY no decimals", "1000", "10", "JPY", "909", "91", ""},
		// 1100×10/110 = 100 exactly.
		{"JPY exact", "1100", "10", "JPY", "1000", "100", ""},
		// 1.203×20/120 = 0.2005, a half at the fourth decimal → 0.201; net 1.002.
		{"BHD three decimals half", "1.203", "20", "BHD", "1.002", "0.201", ""},
		{"BHD negative half", "-1.203", "20", "BHD", "-1.002", "-0.201", ""},
		// 100×8.1/108.1 = 7.49306… → 7.49; net 92.51 (Swiss standard rate).
		{"fractional rate", "100.00", "8.1", "CHF", "92.51", "7.49", ""},
		// 5% reduced rate: 10.50×5/105 = 0.5 exactly.
		{"reduced rate", "10.50", "5", "GBP", "10.00", "0.50", ""},
		// Gross with more decimals than GBP is first rounded: 10.005 → 10.01; 10.01/6 = 1.66833 → 1.67.
		{"gross rounded first", "10.005", "20", "GBP", "8.34", "1.67", "10.01"},
		{"zero gross", "0", "20", "GBP", "0", "0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := VAT(dec(tt.gross), dec(tt.rate), tt.cur)
			if err != nil {
				t.Fatal(err)
			}
			wantGross := tt.gross
			if tt.wantGross != "" {
				wantGross = tt.wantGross
			}
			if !got.Net.Equal(dec(tt.wantNet)) || !got.Tax.Equal(dec(tt.wantTax)) || !got.Gross.Equal(dec(wantGross)) {
				t.Errorf("VAT(%s at %s%% %s) = net %s tax %s gross %s, want net %s tax %s gross %s",
					tt.gross, tt.rate, tt.cur, got.Net, got.Tax, got.Gross, tt.wantNet, tt.wantTax, wantGross)
			}
		})
	}
}

func TestVATNegativeRate(t *testing.T) {
	t.Parallel()
	if _, err := VAT(dec("10"), dec("-5"), "GBP"); !errors.Is(err, ErrNegativeRate) {
		t.Fatalf("VAT at −5%%: err = %v, want ErrNegativeRate", err)
	}
}

func TestAllocate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		total   string
		weights []string
		places  int32
		want    []string
	}{
		// 100/3 = 33.333…: floors 33.33 ×3 = 99.99, residue 0.01; equal remainders, so the first part.
		{"thirds", "100.00", []string{"1", "1", "1"}, 2, []string{"33.34", "33.33", "33.33"}},
		// The mirror image of thirds: the residue lands on the same part.
		{"negative thirds", "-100.00", []string{"1", "1", "1"}, 2, []string{"-33.34", "-33.33", "-33.33"}},
		{"exact shares", "10.00", []string{"1", "2", "3", "4"}, 2, []string{"1.00", "2.00", "3.00", "4.00"}},
		// 0.05/6 = 0.00833 each: all floor to 0.00, residue 0.05 → the first five parts.
		{"tiny total", "0.05", []string{"1", "1", "1", "1", "1", "1"}, 2, []string{"0.01", "0.01", "0.01", "0.01", "0.01", "0.00"}},
		// 24.38×17/28.5 = 14.5423 (rem .23), 24.38×11.5/28.5 = 9.8377 (rem .77): floors 14.54 + 9.83 = 24.37,
		// the residue 0.01 goes to the larger remainder, the second part.
		{"largest remainder wins", "24.38", []string{"17.00", "11.50"}, 2, []string{"14.54", "9.84"}},
		// 1000/3 yen: 333 ×3 = 999, the residue yen goes to the first.
		{"JPY", "1000", []string{"2.00", "2.00", "2.00"}, 0, []string{"334", "333", "333"}},
		// 10/3 dinar = 3.3333…: 3.333 ×3 = 9.999, residue 0.001 to the first.
		{"BHD", "10.000", []string{"1", "1", "1"}, 3, []string{"3.334", "3.333", "3.333"}},
		// Weights 3 and −1 sum to 2: shares 10×3/2 = 15 and 10×(−1)/2 = −5.
		{"mixed sign weights", "10.00", []string{"3", "-1"}, 2, []string{"15.00", "-5.00"}},
		// Negative weights only change the sign of the sum, not the ratios.
		{"negative weights", "9.00", []string{"-1", "-2"}, 2, []string{"3.00", "6.00"}},
		{"zero total", "0", []string{"1", "2"}, 2, []string{"0.00", "0.00"}},
		{"single part", "-7.77", []string{"123.456"}, 2, []string{"-7.77"}},
		{"zero weight gets nothing", "5.00", []string{"0", "1"}, 2, []string{"0.00", "5.00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Allocate(dec(tt.total), decs(tt.weights...), tt.places)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d parts, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !got[i].Equal(dec(tt.want[i])) {
					t.Errorf("part %d = %s, want %s (all: %v)", i, got[i], tt.want[i], got)
				}
			}
		})
	}
}

func TestAllocateErrors(t *testing.T) {
	t.Parallel()
	if _, err := Allocate(dec("1"), nil, 2); err == nil {
		t.Error("Allocate without weights: want an error")
	}
	if _, err := Allocate(dec("1"), decs("1", "-1"), 2); !errors.Is(err, ErrZeroWeights) {
		t.Errorf("Allocate over weights summing to zero: err = %v, want ErrZeroWeights", err)
	}
}

// refVAT is an independent reference: the exact rational tax rounded half away from zero.
func refVAT(grossMinor int64, rate *big.Rat, places int32) *big.Int {
	q := new(big.Rat).SetInt64(grossMinor) // gross in minor units
	q.Mul(q, rate)
	q.Quo(q, new(big.Rat).Add(big.NewRat(100, 1), rate))
	return roundRat(q)
}

// roundRat rounds q to an integer, half away from zero.
func roundRat(q *big.Rat) *big.Int {
	abs := new(big.Rat).Abs(q)
	abs.Add(abs, big.NewRat(1, 2))
	n := new(big.Int).Quo(abs.Num(), abs.Denom()) // floor of a non-negative number
	if q.Sign() < 0 {
		n.Neg(n)
	}
	return n
}

func checkVAT(t *testing.T, grossMinor int64, rateHundredths int64, cur string) {
	t.Helper()
	places := MinorUnits(cur)
	gross := decimal.New(grossMinor, -places)
	rate := decimal.New(rateHundredths, -2)
	v, err := VAT(gross, rate, cur)
	if err != nil {
		t.Fatalf("VAT(%s, %s%%): %v", gross, rate, err)
	}
	if !v.Net.Add(v.Tax).Equal(gross) || !v.Gross.Equal(gross) {
		t.Fatalf("VAT(%s, %s%%, %s): net %s + tax %s != gross %s", gross, rate, cur, v.Net, v.Tax, gross)
	}
	want := refVAT(grossMinor, big.NewRat(rateHundredths, 100), places)
	if got := v.Tax.Shift(places); !got.Equal(decimal.NewFromBigInt(want, 0)) {
		t.Fatalf("VAT(%s, %s%%, %s): tax %s, exact reference %s minor units", gross, rate, cur, v.Tax, want)
	}
	if v.Tax.Sign()*gross.Sign() < 0 {
		t.Fatalf("VAT(%s, %s%%): tax %s has the opposite sign", gross, rate, v.Tax)
	}
	// A refund mirrors its payment exactly.
	m, _ := VAT(gross.Neg(), rate, cur)
	if !m.Tax.Equal(v.Tax.Neg()) {
		t.Fatalf("VAT(−%s, %s%%) tax %s, want %s", gross, rate, m.Tax, v.Tax.Neg())
	}
}

func checkAllocate(t *testing.T, totalMinor int64, weightsMinor []int64, places int32) {
	t.Helper()
	total := decimal.New(totalMinor, -places)
	weights := make([]decimal.Decimal, len(weightsMinor))
	sumW := int64(0)
	for i, w := range weightsMinor {
		weights[i] = decimal.New(w, -2)
		sumW += w
	}
	parts, err := Allocate(total, weights, places)
	if sumW == 0 {
		if err == nil && totalMinor != 0 {
			t.Fatalf("Allocate(%s, %v): want an error for weights summing to zero", total, weights)
		}
		return
	}
	if err != nil {
		t.Fatalf("Allocate(%s, %v): %v", total, weights, err)
	}
	sum := decimal.Zero
	for i, p := range parts {
		sum = sum.Add(p)
		if p.Exponent() < -places && !p.Round(places).Equal(p) {
			t.Fatalf("part %d = %s has more than %d decimals", i, p, places)
		}
		// Every part is within one minor unit of its exact share total×w/Σw.
		exact := new(big.Rat).SetFrac64(totalMinor*weightsMinor[i], sumW)
		diff := new(big.Rat).Sub(new(big.Rat).SetFrac(p.Shift(places).BigInt(), big.NewInt(1)), exact)
		if diff.Abs(diff).Cmp(big.NewRat(1, 1)) >= 0 {
			t.Fatalf("Allocate(%s, %v): part %d = %s is a minor unit or more from its exact share %s",
				total, weights, i, p, exact.FloatString(4))
		}
	}
	if !sum.Equal(total) {
		t.Fatalf("Allocate(%s, %v) = %v sums to %s: a minor unit was lost", total, weights, parts, sum)
	}
	neg, _ := Allocate(total.Neg(), weights, places)
	for i := range parts {
		if !neg[i].Equal(parts[i].Neg()) {
			t.Fatalf("Allocate(−%s) part %d = %s, want %s", total, i, neg[i], parts[i].Neg())
		}
	}
}

var propCurrencies = []string{"GBP", "JPY", "BHD", "EUR"}

// TestVATProperties checks seeded random amounts against an exact rational reference; the
// seed is fixed so a failure reproduces.
func TestVATProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		gross := r.Int64N(2_000_000) - 1_000_000
		rate := r.Int64N(3001) // 0.00% to 30.00%
		if r.IntN(3) == 0 {
			rate = []int64{0, 500, 2000, 810, 2500, 1000}[r.IntN(6)]
		}
		checkVAT(t, gross, rate, propCurrencies[r.IntN(len(propCurrencies))])
	}
}

func TestAllocateProperties(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for range 10000 {
		n := 1 + r.IntN(8)
		ws := make([]int64, n)
		for i := range ws {
			ws[i] = r.Int64N(100_000)
			if r.IntN(10) == 0 {
				ws[i] = -ws[i]
			}
		}
		checkAllocate(t, r.Int64N(10_000_000)-5_000_000, ws, int32(r.IntN(4)))
	}
}

func FuzzVAT(f *testing.F) {
	f.Add(int64(2438), int64(2000), uint8(0))
	f.Add(int64(1539), int64(2000), uint8(0))
	f.Add(int64(-1203), int64(2000), uint8(2))
	f.Add(int64(1000), int64(1000), uint8(1))
	f.Fuzz(func(t *testing.T, grossMinor, rateHundredths int64, cur uint8) {
		if rateHundredths < 0 || rateHundredths > 1_000_000 || grossMinor == -1<<63 {
			t.Skip()
		}
		checkVAT(t, grossMinor, rateHundredths, propCurrencies[int(cur)%len(propCurrencies)])
	})
}

func FuzzAllocate(f *testing.F) {
	f.Add(int64(10000), int64(100), int64(100), int64(100), uint8(2))
	f.Add(int64(-2438), int64(1700), int64(1150), int64(0), uint8(2))
	f.Add(int64(1000), int64(200), int64(-200), int64(5), uint8(0))
	f.Fuzz(func(t *testing.T, total, w1, w2, w3 int64, places uint8) {
		const limit = 1 << 40 // keep total×weight far from int64 overflow in the reference
		for _, v := range []int64{total, w1, w2, w3} {
			if v > limit || v < -limit {
				t.Skip()
			}
		}
		checkAllocate(t, total, []int64{w1, w2, w3}, int32(places%4))
	})
}

func ExampleVAT() {
	// A receipt of £24.38 including 20% VAT.
	v, err := VAT(decimal.RequireFromString("24.38"), decimal.NewFromInt(20), "GBP")
	if err != nil {
		panic(err)
	}
	fmt.Println("net", v.Net, "tax", v.Tax, "gross", v.Gross)

	// Its refund mirrors it, and yen have no minor unit.
	r, _ := VAT(decimal.RequireFromString("-24.38"), decimal.NewFromInt(20), "GBP")
	y, _ := VAT(decimal.NewFromInt(1000), decimal.NewFromInt(10), "JPY")
	fmt.Println("refund net", r.Net, "tax", r.Tax)
	fmt.Println("yen net", y.Net, "tax", y.Tax)
	// Output:
	// net 20.32 tax 4.06 gross 24.38
	// refund net -20.32 tax -4.06
	// yen net 909 tax 91
}

func ExampleAllocate() {
	parts, err := Allocate(decimal.RequireFromString("100.00"), []decimal.Decimal{
		decimal.NewFromInt(1), decimal.NewFromInt(1), decimal.NewFromInt(1),
	}, 2)
	if err != nil {
		panic(err)
	}
	fmt.Println(parts)
	// Output: [33.34 33.33 33.33]
}
