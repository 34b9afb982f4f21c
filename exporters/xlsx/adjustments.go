package xlsx

import (
	"strconv"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// NoAdjustments is what the Adjustments sheet says in a period without adjustments. The
// sheet is always there, so that every month's workbook has the same sheets and a reader
// sees "none" rather than wondering whether the sheet was forgotten.
const NoAdjustments = "No adjustments in this period."

// Columns of the Adjustments sheet that the totals rows refer to.
const (
	adjReasonCol   = "F"
	adjDebitCol    = "I"
	adjCreditCol   = "J"
	adjCurrencyCol = "K"
)

// newAdjustments describes the Adjustments sheet: one row per line of an adjustment entry,
// with the closed entry version it adjusts and why, in words.
func (w *Workbook) newAdjustments() *stream {
	st := w.st
	return newStream(w, SheetAdjust, []column{
		col("Adjustment entry", 30, st.text), col("Date", 12, st.date), col("Original entry", 22, st.text),
		numeric("Original version", 9, st.integer), col("Original period", 10, st.center), col("Reason", 80, 0),
		col("Account code", 10, st.text), col("Account name", 22, 0), numeric("Debit", 13, 0), numeric("Credit", 13, 0),
		col("Currency", 9, st.center), col("VAT rate", 22, 0), col("Description", 34, 0), col("Line key", 34, st.text),
	})
}

// adjustment writes one line of an adjustment entry to the Adjustments sheet.
func (w *Workbook) adjustment(l *transform.Line) error {
	w.adj.Add(l)
	st, s := w.st, w.adjust
	s.begin()
	s.str(st.text, l.EntryID)
	s.date(l.BookingDate, st.date)
	s.str(st.text, l.AdjustsEntryID)
	s.integer(l.AdjustsVersion)
	s.str(st.text, l.AdjustsPeriod)
	s.str(0, report.AdjustmentReason(l.AdjustmentReason, l.AdjustsPeriod))
	s.str(st.text, l.AccountCode)
	s.str(0, l.AccountName)
	if err := s.debitCredit(l.Amount, l.Currency); err != nil {
		return err
	}
	s.str(0, l.Currency)
	s.str(0, l.TaxRateName)
	s.str(0, adjustmentDescription(l))
	s.str(st.text, l.Key.String())
	return s.end()
}

// adjustmentDescription is who and what, as the journal narrations say it.
func adjustmentDescription(l *transform.Line) string {
	who, what := payee(l), l.Description
	switch {
	case who == "":
		return what
	case what == "":
		return who
	}
	return who + ": " + what
}

// finishAdjustments closes the Adjustments sheet: the sentence when there were none, else
// the totals per reason and currency under the table (live SUMIFS over the rows, cached with
// the exact totals) and the check that each adjustment entry balances per currency.
func (w *Workbook) finishAdjustments() error {
	s, st := w.adjust, w.st
	if s.total == 0 {
		if err := s.write([]any{excelize.Cell{StyleID: st.bold, Value: NoAdjustments}}); err != nil {
			return err
		}
		return s.close()
	}
	first, last := strconv.Itoa(2), strconv.Itoa(s.last)
	rng := func(c string) string { return c + "$" + first + ":" + c + "$" + last }
	reasonIdx, _ := excelize.ColumnNameToNumber(adjReasonCol)
	curIdx, _ := excelize.ColumnNameToNumber(adjCurrencyCol)
	debitIdx, _ := excelize.ColumnNameToNumber(adjDebitCol)
	creditIdx, _ := excelize.ColumnNameToNumber(adjCreditCol)
	s.row++ // a blank row between the table and its totals
	for _, t := range w.adj.Totals() {
		row := make([]any, len(s.cols))
		row[0] = excelize.Cell{StyleID: st.bold, Value: "Total"}
		row[reasonIdx-1] = excelize.Cell{StyleID: st.bold, Value: t.Reason}
		row[curIdx-1] = excelize.Cell{StyleID: st.bold, Value: t.Currency}
		for _, c := range []struct {
			idx   int
			col   string
			exact decimal.Decimal
		}{{debitIdx, adjDebitCol, t.Debit}, {creditIdx, adjCreditCol, t.Credit}} {
			cell, err := w.money(c.exact, t.Currency)
			if err != nil {
				return err
			}
			x := cell.(excelize.Cell)
			x.Formula = "SUMIFS(" + rng(c.col) + "," + rng("$"+adjReasonCol) + `,"` + quote(t.Reason) + `",` +
				rng("$"+adjCurrencyCol) + `,"` + quote(t.Currency) + `")`
			row[c.idx-1] = x
		}
		if err := s.write(row); err != nil {
			return err
		}
	}
	s.row++
	c := w.adj.Check()
	result := excelize.Cell{StyleID: st.pass, Value: "PASS"}
	if !c.Passed {
		result = excelize.Cell{StyleID: st.fail, Value: "FAIL"}
	}
	row := make([]any, len(s.cols))
	row[0] = excelize.Cell{StyleID: st.bold, Value: "Check"}
	row[reasonIdx-1] = excelize.Cell{StyleID: st.bold, Value: c.Name}
	row[reasonIdx] = result
	row[reasonIdx+1] = c.Detail
	if err := s.write(row); err != nil {
		return err
	}
	return s.close()
}
