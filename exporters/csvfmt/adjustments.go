package csvfmt

import (
	"fmt"
	"io"
	"strconv"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
)

// AdjustmentsHeader is the header of adjustments_{YYYY-MM}.csv.
var AdjustmentsHeader = []string{
	"adjustment_entry_id", "booking_date", "original_entry_id", "original_version", "original_period",
	"reason_code", "reason", "account_code", "account_name", "debit", "credit", "currency",
	"vat_rate", "description", "line_key",
}

// Adjustments writes adjustments_{YYYY-MM}.csv: one row per line of the period's adjustment
// entries (booked here because an entry version of a closed period changed at its source),
// with the original entry, version and period, and the reason as a code and in plain words.
// Like the canonical journal it is meant to be opened in a spreadsheet: UTF-8 with a
// byte-order mark, text neutralised. A period without adjustments gets the header alone.
type Adjustments struct{ writer }

// NewAdjustments writes the byte-order mark and header to w and returns the writer.
func NewAdjustments(w io.Writer) (*Adjustments, error) {
	cw, err := newWriter(w, true, AdjustmentsHeader)
	if err != nil {
		return nil, fmt.Errorf("adjustments: %w", err)
	}
	return &Adjustments{cw}, nil
}

// Write appends the row of l when it is a line of an adjustment entry; other lines are
// skipped, so the writer can be given every line of the period.
func (a *Adjustments) Write(l *transform.Line) error {
	if !report.IsAdjustment(l) {
		return nil
	}
	debit, credit := "", ""
	if l.Amount.IsNegative() {
		credit = Amount(l.Amount.Neg(), l.Currency)
	} else {
		debit = Amount(l.Amount, l.Currency)
	}
	desc := Payee(l)
	if l.Description != "" {
		if desc != "" {
			desc += ": "
		}
		desc += l.Description
	}
	return a.record([]string{
		t(l.EntryID), l.BookingDate.Format("2006-01-02"), t(l.AdjustsEntryID), strconv.Itoa(l.AdjustsVersion),
		t(l.AdjustsPeriod), t(l.AdjustmentReason), t(report.AdjustmentReason(l.AdjustmentReason, l.AdjustsPeriod)),
		t(l.AccountCode), t(l.AccountName), debit, credit, l.Currency,
		t(l.TaxRateName), t(desc), t(l.Key.String()),
	})
}
