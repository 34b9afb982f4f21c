package csv

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/revledger/revledger/transform"
)

// QuickBooksHeader is the header of QuickBooks Online's journal entry import.
var QuickBooksHeader = []string{
	"Journal No", "Journal Date", "Account Name", "Debits", "Credits", "Description", "Name", "Class", "Location",
}

// DefaultQuickBooksDateLayout is the Journal Date layout unless configured: dd/mm/yyyy, the
// format QuickBooks' import offers for UK and EU companies.
const DefaultQuickBooksDateLayout = "02/01/2006"

// QuickBooksOptions configures the QuickBooks Online journal.
type QuickBooksOptions struct {
	// DateLayout is a Go time layout for Journal Date; QuickBooks asks for the format in its
	// import wizard ("MM/dd/yyyy" for US companies is "01/02/2006"). Default
	// DefaultQuickBooksDateLayout.
	DateLayout string
	// ClassGroup and LocationGroup name the label groups whose labels fill the Class and
	// Location columns; empty leaves the column blank.
	ClassGroup    string
	LocationGroup string
}

// quickBooksMaxJournalNo is the length QuickBooks accepts for a journal number (DocNumber).
const quickBooksMaxJournalNo = 21

// QuickBooksJournal writes the QuickBooks Online journal CSV: one journal per ledger entry,
// debits and credits as positive figures in their own columns, the account by name (which is
// how QuickBooks matches accounts).
type QuickBooksJournal struct {
	writer
	opts QuickBooksOptions
}

// NewQuickBooksJournal writes the header to w and returns the QuickBooksJournal.
func NewQuickBooksJournal(w io.Writer, opts QuickBooksOptions) (*QuickBooksJournal, error) {
	if opts.DateLayout == "" {
		opts.DateLayout = DefaultQuickBooksDateLayout
	}
	cw, err := newWriter(w, false, QuickBooksHeader)
	if err != nil {
		return nil, fmt.Errorf("quickbooks journal: %w", err)
	}
	return &QuickBooksJournal{writer: cw, opts: opts}, nil
}

// Write appends a line.
func (q *QuickBooksJournal) Write(l *transform.Line) error {
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
	var class, location string
	if q.opts.ClassGroup != "" {
		class = l.Labels[q.opts.ClassGroup]
	}
	if q.opts.LocationGroup != "" {
		location = l.Labels[q.opts.LocationGroup]
	}
	return q.record([]string{
		t(JournalNo(l.EntryID)), l.BookingDate.Format(q.opts.DateLayout), t(account), debit, credit,
		t(desc + " [" + l.EntryID + "]"), t(Payee(l)), t(class), t(location),
	})
}

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
