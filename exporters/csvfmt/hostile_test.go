package csvfmt_test

// Hostile text in CSV cells (issue 21 item 9): formula triggers hidden behind characters a
// spreadsheet skips, fullwidth triggers, and a lone carriage return inside a value.

import (
	"bytes"
	stdcsv "encoding/csv"
	"strings"
	"testing"

	"github.com/revledger/revledger/exporters/csvfmt"
)

func TestNeutralizeHidden(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{"\n=1+1", "'\n=1+1"},
		{"\nline", "'\nline"}, // LF is a trigger on its own, like tab and CR
		{" =HYPERLINK(\"http://x\")", "' =HYPERLINK(\"http://x\")"},
		{"   @SUM(A1)", "'   @SUM(A1)"},
		{"\u00a0-2+3", "'\u00a0-2+3"},         // no-break space
		{"\ufeff=1+1", "'\ufeff=1+1"},         // byte-order mark
		{"\u200b=1+1", "'\u200b=1+1"},         // zero-width space
		{"\u200b\u2060+1", "'\u200b\u2060+1"}, // zero-width space, word joiner
		{"\u3000=1", "'\u3000=1"},             // ideographic space
		{"＝1+1", "'＝1+1"},                     // fullwidth equals sign
		{"＋44 20", "'＋44 20"},
		{"－5", "'－5"},
		{"＠SUM(A1)", "'＠SUM(A1)"},
		{" Pret A Manger", " Pret A Manger"}, // a leading space alone is left alone
		{"\ufeffCafé", "\ufeffCafé"},
		{"\u200b", "\u200b"},
		{"   ", "   "},
		{"a＝b", "a＝b"},
		{"\xff=1", "\xff=1"}, // invalid UTF-8 is not a space
	}
	for _, tc := range cases {
		if got := csvfmt.Neutralize(tc.in); got != tc.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLoneCR: encoding/csv with CRLF line ends drops a lone CR inside a quoted field ("a\rb"
// comes back "ab"); the writers turn every CR of a value into a line break, so the value
// reads back with its line break, and CR LF inside a value reads back as one line break.
func TestLoneCR(t *testing.T) {
	t.Parallel()
	// What the standard library does, the reason for the normalisation.
	var std bytes.Buffer
	w := stdcsv.NewWriter(&std)
	w.UseCRLF = true
	_ = w.Write([]string{"a\rb"})
	w.Flush()
	if rec, err := stdcsv.NewReader(&std).Read(); err != nil || rec[0] != "ab" {
		t.Fatalf("encoding/csv no longer drops a lone CR (%q, %v): revisit normalizeCR", rec, err)
	}

	lines := sampleLines(t)[:1]
	lines[0].Description = "Order 1\rOrder 2"
	lines[0].Merchant = "Shop\r\nLtd"
	var buf bytes.Buffer
	j, err := csvfmt.NewJournal(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.Write(&lines[0]); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "\"Order 1\r\nOrder 2\"") {
		t.Errorf("the lone CR is not written as a quoted line break:\n%q", buf.String())
	}
	recs, err := stdcsv.NewReader(strings.NewReader(strings.TrimPrefix(buf.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("read back: %d records, %v", len(recs), err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	if got := recs[1][col["description"]]; got != "Order 1\nOrder 2" {
		t.Errorf("description read back as %q", got)
	}
	if got := recs[1][col["merchant"]]; got != "Shop\nLtd" {
		t.Errorf("merchant read back as %q", got)
	}
}
