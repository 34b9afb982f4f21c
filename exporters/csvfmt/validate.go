package csvfmt

import (
	"bytes"
	stdcsv "encoding/csv"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// The validators check a written import file against the rules its importer documents (see
// XeroStatementMaxLines, XeroJournalMaxLines and QuickBooksMaxLines for the sources). They
// return every problem found, joined. Tests run them on whole exports; they are exported so
// that an operator's tooling can check a file before uploading it.

func readRecords(data []byte, header []string) ([][]string, error) {
	if bytes.HasPrefix(data, []byte(bom)) {
		return nil, errors.New("import file starts with a byte-order mark, which importers read as part of the first header")
	}
	recs, err := stdcsv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("not CSV: %w", err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], header) {
		return nil, fmt.Errorf("header is not %q", header)
	}
	return recs[1:], nil
}

type problems []error

func (p *problems) add(row int, format string, args ...any) {
	*p = append(*p, fmt.Errorf("row %d: %s", row, fmt.Sprintf(format, args...)))
}

func (p problems) err() error {
	if len(p) > 10 {
		return errors.Join(append(p[:10], fmt.Errorf("... and %d more", len(p)-10))...)
	}
	return errors.Join(p...)
}

// decimalsOf is the number of digits after the point in a plain number.
func decimalsOf(s string) int32 {
	if _, frac, ok := strings.Cut(s, "."); ok {
		return int32(len(frac))
	}
	return 0
}

func parseAmount(s string) (decimal.Decimal, bool) {
	if s == "" || strings.ContainsAny(s, ", +") {
		return decimal.Decimal{}, false
	}
	d, err := decimal.NewFromString(s)
	return d, err == nil
}

// neutralised reports text that an importer would keep with the apostrophe a spreadsheet
// neutraliser adds: import files must carry the text as it is.
func neutralised(fields ...string) bool {
	for _, f := range fields {
		if len(f) > 1 && f[0] == '\'' && strings.ContainsRune("=+-@\t\r", rune(f[1])) {
			return true
		}
	}
	return false
}

// ValidateXeroStatement checks a precoded Xero statement: the header, at most
// XeroStatementMaxLines lines, dd/mm/yyyy dates, a non-zero signed amount, and on a coded
// line a tax rate from taxNames and an account that is not one of bankCodes (a statement
// line cannot be coded to a bank account; a transfer is left uncoded).
func ValidateXeroStatement(data []byte, taxNames, bankCodes map[string]bool) error {
	recs, err := readRecords(data, XeroStatementHeader)
	if err != nil {
		return err
	}
	var p problems
	if len(recs) > XeroStatementMaxLines {
		p = append(p, fmt.Errorf("%d lines, more than Xero's %d per statement file", len(recs), XeroStatementMaxLines))
	}
	for i, r := range recs {
		row := i + 2
		if _, err := time.Parse("02/01/2006", r[0]); err != nil {
			p.add(row, "date %q is not dd/mm/yyyy", r[0])
		}
		if a, ok := parseAmount(r[1]); !ok || a.IsZero() {
			p.add(row, "amount %q is not a non-zero plain number", r[1])
		}
		if r[2] == "" && r[3] == "" {
			p.add(row, "neither payee nor description")
		}
		if r[5] != "" {
			if !taxNames[r[6]] {
				p.add(row, "tax type %q is not a mapped Xero tax rate", r[6])
			}
			if bankCodes[r[5]] {
				p.add(row, "coded to bank account %s", r[5])
			}
		} else if r[6] != "" {
			p.add(row, "tax type %q without an account code", r[6])
		}
		if neutralised(r[2], r[3], r[4], r[7]) {
			p.add(row, "text carries a spreadsheet apostrophe")
		}
	}
	return p.err()
}

var leadingPercent = regexp.MustCompile(`^(\d+(?:\.\d+)?)%`)

// TaxPercents returns the percentage Xero applies for each tax rate name the options can
// write, for checking that journals balance once Xero has added the tax. A rate known by
// percentage key gets that percentage; reverse charge and exemption add no tax to the
// journal (reverse charge posts output and input VAT that cancel); another name takes the
// percentage it starts with, else none.
func (o XeroOptions) TaxPercents() map[string]decimal.Decimal {
	o = o.withDefaults()
	out := map[string]decimal.Decimal{o.NoTaxRate: decimal.Zero}
	for k, n := range o.TaxRates {
		pct, err := decimal.NewFromString(k)
		if err != nil {
			pct = decimal.Zero
			if m := leadingPercent.FindStringSubmatch(n.Expenses); m != nil && !isWordKey(k) {
				pct = decimal.RequireFromString(m[1])
			}
		}
		for _, name := range []string{n.Expenses, n.Income} {
			if name != "" {
				out[name] = pct
			}
		}
	}
	return out
}

// ValidateXeroJournal checks a Xero manual journal file: the header, at most
// XeroJournalMaxLines lines, the mandatory fields, dd/mm/yyyy dates, amounts with exactly the
// minor-unit decimals of currency, the base currency (a manual journal has no currency: an
// amount printed for another one, ¥1500 in a GBP file, is a foreign amount booked as base
// currency), tax rates from taxPercents, no line on one of bankCodes, and every journal (rows
// with the same narration and date) balancing once Xero adds round(amount × rate) to each
// taxed line, rounded in currency. It returns the narrations found, to check that none is split
// across files.
func ValidateXeroJournal(data []byte, taxPercents map[string]decimal.Decimal, bankCodes map[string]bool, currency string) ([]string, error) {
	recs, err := readRecords(data, XeroHeader)
	if err != nil {
		return nil, err
	}
	var p problems
	if len(recs) > XeroJournalMaxLines {
		p = append(p, fmt.Errorf("%d lines, more than Xero's %d per manual journal file", len(recs), XeroJournalMaxLines))
	}
	sums := map[string]decimal.Decimal{}
	lines := map[string]int{}
	var order []string
	for i, r := range recs {
		row := i + 2
		if r[0] == "" || r[3] == "" || r[4] == "" || r[5] == "" {
			p.add(row, "a mandatory field is empty")
		}
		if _, err := time.Parse("02/01/2006", r[1]); err != nil {
			p.add(row, "date %q is not dd/mm/yyyy", r[1])
		}
		pct, ok := taxPercents[r[4]]
		if !ok {
			p.add(row, "tax rate %q is not a mapped Xero tax rate", r[4])
		}
		if bankCodes[r[3]] {
			p.add(row, "posts to bank account %s", r[3])
		}
		a, ok := parseAmount(r[5])
		if !ok {
			p.add(row, "amount %q is not a plain number", r[5])
			continue
		}
		if decimalsOf(r[5]) != transform.MinorUnits(currency) {
			p.add(row, "amount %q is not a %s amount (%d decimals)", r[5], currency, transform.MinorUnits(currency))
		}
		if neutralised(r[0], r[2]) {
			p.add(row, "text carries a spreadsheet apostrophe")
		}
		k := r[0] + "\x00" + r[1]
		if _, seen := sums[k]; !seen {
			order = append(order, r[0])
		}
		sums[k] = sums[k].Add(a).Add(XeroTax(a, pct, currency))
		lines[k]++
	}
	for k, s := range sums {
		if !s.IsZero() {
			p = append(p, fmt.Errorf("journal %q does not balance after Xero's tax: off by %s", strings.ReplaceAll(k, "\x00", " "), s))
		}
		if lines[k] < 2 {
			p = append(p, fmt.Errorf("journal %q has one line", strings.ReplaceAll(k, "\x00", " ")))
		}
	}
	return order, p.err()
}

// ValidateQuickBooks checks a QuickBooks Online journal file: the header, at most
// QuickBooksMaxLines lines, a Journal No of 1–21 characters, dates in layout, exactly one of
// Debits and Credits as a positive number, a currency code, an Exchange Rate that is 1 for
// the base currency and a positive number for another, a Tax Code from taxCodes exactly when
// there is a Tax Amount, and every journal balancing with its tax (a taxed line's tax is on
// the line's side), on one date, in one currency at one rate (QuickBooks takes one currency
// per journal entry). It returns the journal numbers found.
func ValidateQuickBooks(data []byte, layout, base string, taxCodes map[string]bool) ([]string, error) {
	recs, err := readRecords(data, QuickBooksHeader)
	if err != nil {
		return nil, err
	}
	var p problems
	if len(recs) > QuickBooksMaxLines {
		p = append(p, fmt.Errorf("%d lines, more than the %d per file revledger allows", len(recs), QuickBooksMaxLines))
	}
	type journal struct {
		sum                  decimal.Decimal
		date, currency, rate string
	}
	js := map[string]*journal{}
	var order []string
	for i, r := range recs {
		row := i + 2
		no := r[0]
		if no == "" || len(no) > quickBooksMaxJournalNo {
			p.add(row, "journal no %q is not 1–%d characters", no, quickBooksMaxJournalNo)
		}
		if _, err := time.Parse(layout, r[1]); err != nil {
			p.add(row, "date %q is not in the company's format", r[1])
		}
		if r[2] == "" {
			p.add(row, "no account")
		}
		if len(r[7]) != 3 {
			p.add(row, "currency %q is not an ISO code", r[7])
		}
		if rate, ok := parseAmount(r[8]); !ok || !rate.IsPositive() {
			p.add(row, "exchange rate %q is not a positive number", r[8])
		} else if (r[7] == base) != (r[8] == "1") {
			p.add(row, "exchange rate %s on a %s line: want 1 exactly for the base currency %s", r[8], r[7], base)
		}
		var amt decimal.Decimal
		d, dok := parseAmount(r[3])
		c, cok := parseAmount(r[4])
		switch {
		case dok && r[4] == "" && d.IsPositive():
			amt = d
		case cok && r[3] == "" && c.IsPositive():
			amt = c.Neg()
		default:
			p.add(row, "debits %q / credits %q: want exactly one positive figure", r[3], r[4])
		}
		if len(r[7]) == 3 && decimalsOf(r[3]+r[4]) != transform.MinorUnits(r[7]) {
			p.add(row, "debits %q / credits %q are not %s amounts", r[3], r[4], r[7])
		}
		if (r[9] == "") != (r[10] == "") {
			p.add(row, "tax code %q and tax amount %q go together", r[9], r[10])
		}
		if r[9] != "" && !taxCodes[r[9]] {
			p.add(row, "tax code %q is not a mapped QuickBooks code", r[9])
		}
		if r[10] != "" {
			t, ok := parseAmount(r[10])
			if !ok || t.IsNegative() {
				p.add(row, "tax amount %q is not a non-negative number", r[10])
			}
			if amt.IsNegative() {
				t = t.Neg()
			}
			amt = amt.Add(t)
		}
		if neutralised(r[2], r[5], r[6]) {
			p.add(row, "text carries a spreadsheet apostrophe")
		}
		j := js[no]
		if j == nil {
			j = &journal{date: r[1], currency: r[7], rate: r[8]}
			js[no] = j
			order = append(order, no)
		}
		if j.date != r[1] || j.currency != r[7] || j.rate != r[8] {
			p.add(row, "journal %s mixes dates, currencies or rates", no)
		}
		j.sum = j.sum.Add(amt)
	}
	for _, no := range order {
		if !js[no].sum.IsZero() {
			p = append(p, fmt.Errorf("journal %s does not balance: off by %s", no, js[no].sum))
		}
	}
	return order, p.err()
}
