package load

import (
	"testing"

	"github.com/revledger/revledger/transform"
)

func TestKeyStringMatchesLineKey(t *testing.T) {
	t.Parallel()
	for _, k := range []transform.LineKey{
		{SourceType: transform.SourceTransaction, SourceID: "tx-1", Index: 0, Role: "bank"},
		{SourceType: transform.SourceExpense, SourceID: "a/b", Index: -3, Role: ""},
		{SourceType: transform.SourceTransaction, SourceID: "ü", Index: 123456, Role: "vat"},
	} {
		if got, want := keyString(k), k.String(); got != want {
			t.Errorf("keyString(%#v) = %q, want %q", k, got, want)
		}
	}
}

func TestEntryHash(t *testing.T) {
	t.Parallel()
	ptrs := func(ls []transform.Line) []*transform.Line {
		out := make([]*transform.Line, len(ls))
		for i := range ls {
			out[i] = &ls[i]
		}
		return out
	}
	base := entryLines("tx-1", "12.00")
	reordered := []transform.Line{base[1], base[0]}
	trailingZero := entryLines("tx-1", "12.0")
	changed := entryLines("tx-1", "12.00")
	changed[1].Labels = map[string]string{"Department": "Ops"}
	version := entryLines("tx-1", "12.00")
	version[0].Version, version[1].Version = 7, 7

	h := string(entryHash(ptrs(base)))
	tests := []struct {
		name  string
		lines []transform.Line
		same  bool
	}{
		{"line order does not matter", reordered, true},
		{"amount compared by value (12.0 = 12.00)", trailingZero, true},
		{"Version is not content", version, true},
		{"a label is content", changed, false},
		{"a missing line is content", base[:1], false},
	}
	for _, tc := range tests {
		if got := string(entryHash(ptrs(tc.lines))) == h; got != tc.same {
			t.Errorf("%s: same hash = %v, want %v", tc.name, got, tc.same)
		}
	}
}
