package exporters_test

import (
	"bytes"
	"context"
	stdcsv "encoding/csv"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/sink"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// partSuffix strips "_partN" so the parts of one file series group together.
var partSuffix = regexp.MustCompile(`_part\d+\.csv$`)

func series(name string) string { return partSuffix.ReplaceAllString(name, ".csv") }

// TestImportFilesValidate exports the hand-made sample (three currencies, a fee, a 0% and a
// foreign 10% split) and a generated month of 2,100 entries on two GBP accounts (grosses from
// 1.00 to 22.00, so many of them hit Xero's penny rounding), on both Xero routes, and runs
// each target's validator on every import file: limits, required columns, signs, tax names
// from the mapping, no bank account in a Xero journal, journals balancing (with Xero's own
// tax), no journal split across parts, and each account's statement summing to its bank
// lines.
func TestImportFilesValidate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, route := range []string{csvfmt.XeroRouteStatement, csvfmt.XeroRouteJournal} {
		for name, ledger := range map[string]*ledgertest.Ledger{"sample": ledgertest.Sample(), "generated": ledgertest.Generated(6300)} {
			t.Run(route+"/"+name, func(t *testing.T) {
				t.Parallel()
				d, err := sink.NewDir(t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				cfg := exporters.Config{Now: clock, Xero: csvfmt.XeroOptions{Route: route}}
				if _, err := exporters.New(ledger, d, cfg).Export(ctx, march, "run-1"); err != nil {
					t.Fatal(err)
				}
				m := readManifest(t, d, "2024-03/manifest.json")
				files := verifyObjects(t, d, "2024-03/", m)
				checkImports(t, ledger.Rows, files, route)
			})
		}
	}
}

func checkImports(t *testing.T, lines []transform.Line, files map[string][]byte, route string) {
	t.Helper()
	bankCodes := map[string]bool{}
	bankSums := map[string]decimal.Decimal{} // Revolut account → sum of its bank lines
	for _, l := range lines {
		if l.RevolutAccountID != "" {
			bankCodes[l.AccountCode] = true
			bankSums[l.RevolutAccountID] = bankSums[l.RevolutAccountID].Add(l.Amount)
		}
	}
	xo := csvfmt.XeroOptions{Route: route}.WithDefaults()
	xeroNames := xo.TaxRates.Names(xo.NoTaxRate)
	qboCodes := csvfmt.DefaultQuickBooksTaxCodes().Names("")
	delete(qboCodes, "")

	seen := map[string]map[string]string{} // series → journal → file
	statementSums := map[string]decimal.Decimal{}
	statements, xeroJournals, qbo := 0, 0, 0
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range files {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		data := files[name]
		var journals []string
		var err error
		switch {
		case strings.HasPrefix(name, "xero_statement_"):
			statements++
			if route != csvfmt.XeroRouteStatement {
				t.Errorf("%s written on the journal route: the bank would be counted twice", name)
			}
			err = csvfmt.ValidateXeroStatement(data, xeroNames, bankCodes)
			recs, _ := stdcsv.NewReader(bytes.NewReader(data)).ReadAll()
			for _, r := range recs[1:] {
				statementSums[series(name)] = statementSums[series(name)].Add(decimal.RequireFromString(r[1]))
			}
		case strings.HasPrefix(name, "xero_journal_"):
			xeroJournals++
			cur := "GBP"
			if m := regexp.MustCompile(`_([A-Z]{3})(_part\d+)?\.csv$`).FindStringSubmatch(name); m != nil {
				cur = m[1]
			}
			journals, err = csvfmt.ValidateXeroJournal(data, xo.TaxPercents(), bankCodes, cur)
		case strings.HasPrefix(name, "quickbooks_journal_"):
			qbo++
			journals, err = csvfmt.ValidateQuickBooks(data, csvfmt.DefaultQuickBooksDateLayout, "GBP", qboCodes)
		default:
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
		s := series(name)
		if seen[s] == nil {
			seen[s] = map[string]string{}
		}
		for _, j := range journals {
			if other, ok := seen[s][j]; ok {
				t.Errorf("journal %q is in %s and %s", j, other, name)
			}
			seen[s][j] = name
		}
	}
	t.Logf("%d statement files, %d Xero journal files, %d QuickBooks files", statements, xeroJournals, qbo)
	if xeroJournals == 0 || qbo == 0 || (route == csvfmt.XeroRouteStatement) != (statements > 0) {
		t.Errorf("files: %d statements, %d Xero journals, %d QuickBooks journals", statements, xeroJournals, qbo)
	}
	if route == csvfmt.XeroRouteStatement {
		// Each account's statement (all its parts) sums to its bank lines.
		var want, got []string
		for _, s := range bankSums {
			want = append(want, s.StringFixed(3))
		}
		for _, s := range statementSums {
			got = append(got, s.StringFixed(3))
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("statement sums %v, bank line sums per account %v", got, want)
		}
	}
}
