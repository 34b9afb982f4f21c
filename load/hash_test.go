package load

import (
	"context"
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

// The merge hashes with raw_source_hash (migrations/0003), the hashes already stored were made
// by raw_hash (0001): the two must agree, or every stored record would look changed.
func TestRawSourceHashIsRawHash(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	docs := []string{
		`{}`, `[]`, `null`, `"x"`, `1.50`, `-0`, `1e2`,
		`{"b": 1, "a": [1, 2.0, "é", "\u00e9", "\ud83d\ude00"], "a ": {"z": null, "y": true}}`,
		`{"k": "tab\tquote\"back\\slash\/", "k": "last wins", "n": 12345678901234567890.000}`,
		`{"amount": "-12.00", "legs": [{"currency": "GBP", "amount": -12.00}], "merchant": {"name": "Café ☕"}}`,
	}
	var differ int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM unnest($1::jsonb[]) AS d (raw)
		WHERE raw_source_hash(raw) IS DISTINCT FROM raw_hash(raw) OR raw_source_hash(raw) IS NULL`, docs).Scan(&differ); err != nil {
		t.Fatal(err)
	}
	if differ != 0 {
		t.Fatalf("raw_source_hash differs from raw_hash for %d of %d documents", differ, len(docs))
	}
}
