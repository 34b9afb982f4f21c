package xlsx

import (
	"testing"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// TestToFloat: the fast conversion gives the same double as Decimal.Float64.
func TestToFloat(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "0.00", "-12.50", "0.10", "0.30", "957.50", "1500", "123456789012.34", "-0.001", "99999999999999.99", "1e3", "0.1234567890123456789"} {
		d := decimal.RequireFromString(s)
		want, _ := d.Float64()
		if got := toFloat(d); got != want {
			t.Errorf("toFloat(%s) = %v, want %v", s, got, want)
		}
	}
}

// TestSpoolKeepsAmountsExact: the spool stores an expense split's amounts as exact decimals
// (rounded to the currency's minor units), small and beyond an int64 coefficient alike, and
// they become floats only as cell values.
func TestSpoolKeepsAmountsExact(t *testing.T) {
	t.Parallel()
	sp, err := newSpool(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	nd := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(decimal.RequireFromString(s)) }
	l := transform.Line{Currency: "GBP", ExpenseID: "e-1", EntryID: "txn:1",
		Net: nd("12345678901234567890.124"), Tax: nd("-0.005"), Gross: nd("2.565"), TaxRatePercent: nd("20")}
	if err := sp.write(&l, 7); err != nil {
		t.Fatal(err)
	}
	if err := sp.rewind(); err != nil {
		t.Fatal(err)
	}
	var got split
	if err := sp.read(&got); err != nil {
		t.Fatal(err)
	}
	exact := func(n spoolNum) decimal.Decimal {
		if n.big != "" {
			return decimal.RequireFromString(n.big)
		}
		return decimal.New(n.coef, n.exp)
	}
	// Rounded half away from zero to 2 places: ….124 → ….12, -0.005 → -0.01, 2.565 → 2.57.
	for _, c := range []struct {
		n    spoolNum
		want string
	}{{got.net, "12345678901234567890.12"}, {got.tax, "-0.01"}, {got.gross, "2.57"}, {got.rate, "0.2"}} {
		if want := decimal.RequireFromString(c.want); !c.n.valid || !exact(c.n).Equal(want) {
			t.Errorf("spooled %+v, want exactly %s", c.n, want)
		}
		if f, _ := exact(c.n).Float64(); c.n.float() != f {
			t.Errorf("cell value of %s = %v, want %v", c.want, c.n.float(), f)
		}
	}
	if got.amountStyle != 7 || got.expenseID != "e-1" || got.entryID != "txn:1" || got.hasDate {
		t.Errorf("split read back as %+v", got)
	}
}
