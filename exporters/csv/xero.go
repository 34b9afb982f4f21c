package csv

import (
	"fmt"
	"io"

	"github.com/revledger/revledger/transform"
)

// XeroHeader is the header of Xero's manual journal import template.
var XeroHeader = []string{
	"*Narration", "*Date", "Description", "*AccountCode", "*TaxRate", "*Amount",
	"TrackingName1", "TrackingOption1", "TrackingName2", "TrackingOption2",
}

// DefaultXeroTaxRate is the tax rate written on every Xero journal line unless configured.
const DefaultXeroTaxRate = "No VAT"

// XeroOptions configures the Xero manual journal.
type XeroOptions struct {
	// TaxRate is the name of the Xero tax rate put on every line. VAT is already booked as its
	// own lines on the VAT account, so each line must carry the organisation's "no tax" rate,
	// whose name depends on the Xero region ("No VAT" in the UK, "BAS Excluded" in Australia,
	// "No GST" in New Zealand). Default DefaultXeroTaxRate.
	TaxRate string
}

// XeroJournal writes the Xero manual journal CSV: one journal per ledger entry (Xero groups
// rows by narration and date, so the narration is the same on every line of an entry and
// names the entry id to keep it unique), signed amounts (debit positive), dd/mm/yyyy dates,
// and the first two label groups by name as Xero's two tracking categories.
type XeroJournal struct {
	writer
	opts  XeroOptions
	entry []transform.Line
}

// NewXeroJournal writes the header to w and returns the XeroJournal.
func NewXeroJournal(w io.Writer, opts XeroOptions) (*XeroJournal, error) {
	if opts.TaxRate == "" {
		opts.TaxRate = DefaultXeroTaxRate
	}
	cw, err := newWriter(w, false, XeroHeader)
	if err != nil {
		return nil, fmt.Errorf("xero manual journal: %w", err)
	}
	return &XeroJournal{writer: cw, opts: opts}, nil
}

// Write appends a line. Lines of one entry are held until the entry ends (the next entry
// starts, or Close), because the narration is chosen from the whole entry.
func (x *XeroJournal) Write(l *transform.Line) error {
	if len(x.entry) > 0 && x.entry[0].EntryID != l.EntryID {
		if err := x.flushEntry(); err != nil {
			return err
		}
	}
	x.entry = append(x.entry, *l)
	return nil
}

func (x *XeroJournal) flushEntry() error {
	narration := Narration(x.entry)
	for i := range x.entry {
		l := &x.entry[i]
		rec := []string{
			t(narration), l.BookingDate.Format("02/01/2006"), t(lineDescription(l)),
			t(l.AccountCode), t(x.opts.TaxRate), Amount(l.Amount, l.Currency),
			"", "", "", "",
		}
		for k, g := range sortedLabels(l.Labels) {
			if k == 2 {
				break
			}
			rec[6+2*k], rec[7+2*k] = t(g), t(l.Labels[g])
		}
		if err := x.record(rec); err != nil {
			return err
		}
	}
	x.entry = x.entry[:0]
	return nil
}

// Close writes the last entry and flushes.
func (x *XeroJournal) Close() error {
	if len(x.entry) > 0 {
		if err := x.flushEntry(); err != nil {
			return err
		}
	}
	return x.writer.Close()
}

// Narration is the one narration of an entry: who it was with and what it was for, taken
// from the first line that says, followed by the entry id in brackets, which keeps two
// entries with the same payee on the same day apart.
func Narration(entry []transform.Line) string {
	if len(entry) == 0 {
		return ""
	}
	var who, what string
	for i := range entry {
		if who == "" {
			who = Payee(&entry[i])
		}
		if what == "" {
			what = entry[i].Description
		}
	}
	n := who
	if what != "" {
		if n != "" {
			n += ": "
		}
		n += what
	}
	if n != "" {
		n += " "
	}
	return n + "[" + entry[0].EntryID + "]"
}

// lineDescription describes one line of an entry: the category of an expense line, else the
// account, with the tax rate on VAT lines.
func lineDescription(l *transform.Line) string {
	switch {
	case l.Key.Role == "vat" && l.TaxRateName != "":
		return "VAT " + l.TaxRateName
	case l.CategoryName != "":
		return l.CategoryName
	case l.Description != "":
		return l.Description
	}
	return l.AccountName
}
