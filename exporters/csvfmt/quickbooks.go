package csvfmt

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// QuickBooksHeader is the header of QuickBooks Online's journal entry import (UK edition,
// with the tax columns).
var QuickBooksHeader = []string{
	"Journal No", "Journal Date", "Account", "Debits", "Credits", "Description", "Name",
	"Currency", "Exchange Rate", "Tax Code", "Tax Amount", "Class", "Location",
}

// DefaultQuickBooksDateLayout is the Journal Date layout unless configured: dd/mm/yyyy, the
// format QuickBooks' import offers for UK and EU companies.
const DefaultQuickBooksDateLayout = "02/01/2006"

// QuickBooksMaxLines is the most lines written to one QuickBooks journal file. QuickBooks
// does not publish a line limit for its journal entry import (what it documents: Journal No
// up to 21 characters, a journal's lines share it and must balance, Debits and Credits
// positive in their own columns, accounts by name or number, Currency and Exchange Rate when
// multicurrency is on; its statement upload caps files at 350 KB). 1,000 lines keeps a file
// near 150 KB, well inside every size limit QuickBooks states for imports.
const QuickBooksMaxLines = 1000

// DefaultQuickBooksTaxCodes are QuickBooks Online UK's VAT codes by Revolut rate percentage.
func DefaultQuickBooksTaxCodes() TaxMap {
	return TaxMap{
		"20":     {Expenses: "20.0% S", Income: "20.0% S"},
		"5":      {Expenses: "5.0% R", Income: "5.0% R"},
		"0":      {Expenses: "0.0% Z", Income: "0.0% Z"},
		"exempt": {Expenses: "Exempt", Income: "Exempt"},
	}
}

// QuickBooksOptions configures the QuickBooks Online journal.
type QuickBooksOptions struct {
	// DateLayout is a Go time layout for Journal Date, the company's date format
	// ("MM/dd/yyyy" for US companies is "01/02/2006"). Default DefaultQuickBooksDateLayout.
	DateLayout string
	// ClassGroup and LocationGroup name the label groups whose labels fill the Class and
	// Location columns; empty leaves the column blank.
	ClassGroup    string
	LocationGroup string
	// TaxCodes maps Revolut tax rates to QuickBooks tax codes; entries are added to (and win
	// over) DefaultQuickBooksTaxCodes. A rate without a code keeps its VAT line.
	TaxCodes TaxMap
	// BaseCurrency is the company's home currency (default GBP): its lines get Exchange Rate
	// 1, and an entry QuickBooks cannot take in one foreign currency is written in it.
	BaseCurrency string
	// MaxLines caps each file; default QuickBooksMaxLines.
	MaxLines int
}

// quickBooksMaxJournalNo is the length QuickBooks accepts for a journal number (DocNumber).
const quickBooksMaxJournalNo = 21

// QuickBooksJournal writes QuickBooks Online journals, one per ledger entry, in parts of at
// most MaxLines lines that never split a journal: debits and credits as positive figures in
// their own columns, the account by name (how QuickBooks matches accounts). A split with a
// mapped tax code is one line, the net amount with its Tax Code and Tax Amount (revledger's
// VAT, exactly: QuickBooks takes a given tax amount as it is and posts it to its VAT
// control account), and its VAT line is left out. Text is written as it is.
//
// Currency and Exchange Rate. QuickBooks Online takes one currency per journal entry (the
// API's CurrencyRef and ExchangeRate are the transaction's; a transaction "can have only one
// foreign currency at a time"), with the rate as home-currency units per foreign unit, and
// home-currency accounts (expenses, VAT) usable in a foreign-currency entry. So:
//
//   - an entry in the base currency: its lines, Currency the base currency, Exchange Rate 1;
//   - an entry whose lines are all in one foreign currency at one rate (a EUR card payment,
//     its expense and VAT): written in that currency with Exchange Rate the lines' BaseRate;
//     QuickBooks computes each line's home amount as amount × rate, which is how the ledger
//     computed its base amounts, and lines of zero amount (an FX rounding line, whose only
//     figure is in base currency) are left out;
//   - any other entry (an exchange or transfer across currencies, lines at several rates):
//     written in the base currency at the lines' base amounts, rate 1, exact to the penny. It
//     imports where the accounts it uses are home-currency accounts in QuickBooks; an entry
//     that moves a foreign-currency bank account of QuickBooks and another currency is a
//     transfer there, not a journal;
//   - an entry with a foreign line that has no base amount is not written (ErrNoBaseAmount):
//     its foreign amount must never be booked as base currency.
type QuickBooksJournal struct {
	parts *Parts
	opts  QuickBooksOptions
}

// NewQuickBooksJournal returns a journal writer; open creates its parts.
func NewQuickBooksJournal(open Opener, opts QuickBooksOptions) *QuickBooksJournal {
	if opts.DateLayout == "" {
		opts.DateLayout = DefaultQuickBooksDateLayout
	}
	if opts.MaxLines <= 0 {
		opts.MaxLines = QuickBooksMaxLines
	}
	opts.TaxCodes = DefaultQuickBooksTaxCodes().Merge(opts.TaxCodes)
	if opts.BaseCurrency == "" {
		opts.BaseCurrency = report.DefaultBaseCurrency
	}
	return &QuickBooksJournal{parts: NewParts(QuickBooksHeader, opts.MaxLines, open), opts: opts}
}

// Open makes sure the first part exists even when no journal is written.
func (q *QuickBooksJournal) Open() error { return q.parts.Open() }

// WriteEntry writes the journal of one entry, in its foreign currency or in the base
// currency (see QuickBooksJournal). It returns ErrNoBaseAmount, writing nothing, for an entry
// with a foreign line that has no base amount.
func (q *QuickBooksJournal) WriteEntry(entry []transform.Line) error {
	rate := "1"
	var notes []string
	if cur, r, ok := entryCurrency(entry, q.opts.BaseCurrency); ok {
		rate = r.String()
		kept := make([]transform.Line, 0, len(entry))
		for _, l := range entry {
			if !l.Amount.IsZero() && l.Currency == cur {
				kept = append(kept, l)
			}
		}
		entry = kept
	} else {
		conv, n, ok := baseLines(entry, q.opts.BaseCurrency)
		if !ok {
			return ErrNoBaseAmount
		}
		entry, notes = conv, n
	}
	ptrs := make([]*transform.Line, len(entry))
	note := map[*transform.Line]string{}
	for i := range entry {
		ptrs[i] = &entry[i]
		if notes != nil {
			note[ptrs[i]] = notes[i]
		}
	}
	var rows [][]string
	for _, g := range splitGroups(ptrs) {
		net := netOf(g)
		code, taxed := "", false
		if net != nil && net.Tax.Valid {
			code, taxed = q.opts.TaxCodes.taxName(net, net.Amount.IsNegative(), "")
		}
		if taxed {
			tax := decimal.Zero
			for _, l := range g {
				if baseRole(l) == transform.RoleVAT {
					tax = tax.Add(l.Amount)
				}
			}
			rows = append(rows, q.row(net, rate, note[net], code, Amount(tax.Abs(), net.Currency)))
			continue
		}
		for _, l := range g {
			rows = append(rows, q.row(l, rate, note[l], "", ""))
		}
	}
	return q.parts.Group(rows)
}

// row is one line of a journal: rate is the entry's exchange rate and note what a converted
// line was, added to its description.
func (q *QuickBooksJournal) row(l *transform.Line, rate, note, taxCode, taxAmount string) []string {
	debit, credit := "", ""
	if l.Amount.IsNegative() {
		credit = Amount(l.Amount.Neg(), l.Currency)
	} else {
		debit = Amount(l.Amount, l.Currency)
	}
	account := l.AccountName
	if account == "" {
		account = l.AccountCode
	}
	desc := lineDescription(l)
	if l.Description != "" && desc != l.Description {
		desc += " - " + l.Description
	}
	if report.IsAdjustment(l) {
		desc = report.AdjustmentNarration(l) + ": " + desc
	}
	var class, location string
	if q.opts.ClassGroup != "" {
		class = l.Labels[q.opts.ClassGroup]
	}
	if q.opts.LocationGroup != "" {
		location = l.Labels[q.opts.LocationGroup]
	}
	return []string{
		JournalNo(l.EntryID), l.BookingDate.Format(q.opts.DateLayout), account, debit, credit,
		desc + note + " [" + l.EntryID + "]", Payee(l), l.Currency, rate, taxCode, taxAmount,
		class, location,
	}
}

// Close flushes the last part.
func (q *QuickBooksJournal) Close() error { return q.parts.Close() }

// Rows returns the data rows of each part.
func (q *QuickBooksJournal) Rows() []int { return q.parts.Rows() }

// JournalNo returns the entry id when it fits QuickBooks' 21-character journal number, else
// "RL" and the first 19 hex digits of its SHA-256: stable across runs, and the full entry id
// is still in the Description.
func JournalNo(entryID string) string {
	if len(entryID) <= quickBooksMaxJournalNo {
		return entryID
	}
	sum := sha256.Sum256([]byte(entryID))
	return "RL" + hex.EncodeToString(sum[:])[:quickBooksMaxJournalNo-2]
}
