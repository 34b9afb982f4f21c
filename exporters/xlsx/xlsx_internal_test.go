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

func TestKeyString(t *testing.T) {
	t.Parallel()
	k := transform.LineKey{SourceType: "expense", SourceID: "e-1", Index: 2, Role: "vat"}
	if got, want := keyString(&k), k.String(); got != want {
		t.Errorf("keyString = %q, want %q", got, want)
	}
}
