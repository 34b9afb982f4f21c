package csvfmt_test

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// lineWriter is what every format in the package offers.
type lineWriter interface {
	Write(*transform.Line) error
	Close() error
}

func sampleLines(t *testing.T) []transform.Line {
	t.Helper()
	p := period.Month(2024, 3)
	var lines []transform.Line
	for l, err := range ledgertest.Sample().LedgerLines(context.Background(), p.From, p.To) {
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, l)
	}
	return lines
}

func render(t *testing.T, lines []transform.Line, open func(*bytes.Buffer) (lineWriter, error), keep func(*transform.Line) bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := open(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range lines {
		if keep != nil && !keep(&lines[i]) {
			continue
		}
		if err := w.Write(&lines[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestGolden(t *testing.T) {
	t.Parallel()
	lines := sampleLines(t)
	cases := []struct {
		name    string
		golden  string
		bom     bool
		open    func(*bytes.Buffer) (lineWriter, error)
		keep    func(*transform.Line) bool
		columns int
	}{
		{"canonical journal", "journal_2024-03.csv.golden", true,
			func(b *bytes.Buffer) (lineWriter, error) { return csvfmt.NewJournal(b) }, nil, len(csvfmt.JournalHeader)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := render(t, lines, tc.open, tc.keep)
			again := render(t, lines, tc.open, tc.keep)
			if !bytes.Equal(got, again) {
				t.Fatal("two renderings of the same lines differ")
			}
			if hasBOM := bytes.HasPrefix(got, []byte("\uFEFF")); hasBOM != tc.bom {
				t.Errorf("BOM = %v, want %v", hasBOM, tc.bom)
			}
			// RFC 4180: every record ends in CRLF, and parses back with a fixed column count.
			if bytes.Count(got, []byte("\n")) != bytes.Count(got, []byte("\r\n")) {
				t.Error("a line ends without CR")
			}
			recs, err := stdcsv.NewReader(bytes.NewReader(bytes.TrimPrefix(got, []byte("\uFEFF")))).ReadAll()
			if err != nil {
				t.Fatalf("output does not parse as CSV: %v", err)
			}
			for i, r := range recs {
				if len(r) != tc.columns {
					t.Fatalf("record %d has %d fields, want %d", i, len(r), tc.columns)
				}
				for _, f := range r {
					if f != "" && strings.ContainsRune("=+@\t\r", rune(f[0])) {
						t.Errorf("record %d field %q would be a formula", i, f)
					}
				}
			}
			path := filepath.Join("testdata", tc.golden)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", tc.golden, got, want)
			}
		})
	}
}

func TestNeutralize(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, want string }{
		{`=HYPERLINK("http://x","y")`, `'=HYPERLINK("http://x","y")`},
		{"+1-555", "'+1-555"},
		{"-Tokyo Cafe", "'-Tokyo Cafe"},
		{"@SUM(A1)", "'@SUM(A1)"},
		{"\tx", "'\tx"},
		{"\rx", "'\rx"},
		{"Pret A Manger", "Pret A Manger"},
		{"a=b", "a=b"},
		{"", ""},
	}
	for _, tc := range cases {
		if got := csvfmt.Neutralize(tc.in); got != tc.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAmount(t *testing.T) {
	t.Parallel()
	cases := []struct{ amount, currency, want string }{
		{"-12.5", "GBP", "-12.50"}, // a negative amount stays a plain number, never prefixed
		{"1500", "JPY", "1500"},
		{"0.1", "BHD", "0.100"},
		{"1234567.891", "EUR", "1234567.89"}, // no thousands separator
		{"2.345", "EUR", "2.35"},             // half away from zero
		{"-2.345", "EUR", "-2.35"},
	}
	for _, tc := range cases {
		if got := csvfmt.Amount(decimal.RequireFromString(tc.amount), tc.currency); got != tc.want {
			t.Errorf("Amount(%s %s) = %q, want %q", tc.amount, tc.currency, got, tc.want)
		}
	}
}

func TestJournalNo(t *testing.T) {
	t.Parallel()
	if got := csvfmt.JournalNo("tx-1"); got != "tx-1" {
		t.Errorf("short id changed: %q", got)
	}
	long := "transaction:6f1c2c1e-93b1-4c8e-9a57-6c4b8f0e2d11"
	got := csvfmt.JournalNo(long)
	if len(got) != 21 || !strings.HasPrefix(got, "RL") || got != csvfmt.JournalNo(long) {
		t.Errorf("JournalNo(long) = %q: want 21 stable characters starting RL", got)
	}
}
