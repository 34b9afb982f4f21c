package xlsx

import (
	"strconv"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
)

// formulaMoney is an amount cell holding formula, with the exact amount cached: Excel shows
// the ledger's figure before recalculating, and the formula keeps it honest after an edit.
func (w *Workbook) formulaMoney(exact decimal.Decimal, currency, formula string, style int) (any, error) {
	v, err := w.money(exact, currency)
	if err != nil {
		return nil, err
	}
	c := v.(excelize.Cell)
	if style != 0 {
		c.StyleID = style
	}
	c.Formula = formula
	return c, nil
}

// writeTrial writes the trial balance in the base currency: per account in numeric code
// order its opening balance, the period's debits, credits and movement, and its closing
// balance; a totals row (SUM formulas) that is zero in every column but debits and credits
// when the books balance; and under it the lines that have no base amount, which are in none
// of the figures.
func (w *Workbook) writeTrial(t report.BaseTrial) error {
	st, cur := w.st, t.Currency
	if cur == "" {
		cur = w.opts.BaseCurrency
	}
	in := func(s string) string { return s + " (" + cur + ")" }
	s := newStream(w, SheetTrial, []column{
		col("Account code", 12, st.text), col("Account name", 30, 0), numeric(in("Opening"), 16, 0),
		numeric(in("Debit"), 16, 0), numeric(in("Credit"), 16, 0), numeric(in("Movement"), 16, 0),
		numeric(in("Closing"), 16, 0),
	})
	if err := s.open(); err != nil {
		return err
	}
	for _, r := range t.Rows {
		row := []any{w.textCell(r.AccountCode), text(r.AccountName)}
		for i, v := range []decimal.Decimal{r.Opening, r.Debit, r.Credit, r.Movement, r.Closing} {
			// A zero debit or credit is left blank, as on a printed trial balance.
			if (i == 1 || i == 2) && v.IsZero() {
				row = append(row, nil)
				continue
			}
			c, err := w.money(v, cur)
			if err != nil {
				return err
			}
			row = append(row, c)
		}
		if err := s.add(row); err != nil {
			return err
		}
	}
	first, last := 2, s.last
	s.row++ // a blank row between the table and its totals
	totals := []any{nil, excelize.Cell{StyleID: st.bold, Value: "Total"}}
	tt := t.Totals
	for i, v := range []decimal.Decimal{tt.Opening, tt.Debit, tt.Credit, tt.Movement, tt.Closing} {
		colName, _ := excelize.ColumnNumberToName(3 + i)
		formula := ""
		if last >= first {
			formula = "SUM(" + colName + strconv.Itoa(first) + ":" + colName + strconv.Itoa(last) + ")"
		}
		style := 0
		if (i == 0 || i == 3 || i == 4) && !v.IsZero() {
			var err error
			if style, err = st.failAmount(transform.MinorUnits(cur)); err != nil {
				return err
			}
		}
		c, err := w.formulaMoney(v, cur, formula, style)
		if err != nil {
			return err
		}
		totals = append(totals, c)
	}
	if err := s.write(totals); err != nil {
		return err
	}
	if err := s.write([]any{nil, text("Opening, movement and closing each total 0.00 when the books balance in " + cur + ".")}); err != nil {
		return err
	}
	if !t.OpeningKnown {
		if err := s.write([]any{nil, text("Opening balances are not available from this ledger: openings are shown as zero.")}); err != nil {
			return err
		}
	}

	s.row++
	title := "Not converted (missing rate): lines without a " + cur + " amount, in none of the figures above"
	if len(t.Unconverted)+len(t.OpeningUnconverted) == 0 {
		return w.closeWith(s, []any{nil, excelize.Cell{StyleID: st.bold, Value: title + ": none"}})
	}
	if err := s.write([]any{nil, excelize.Cell{StyleID: st.fail, Value: title +
		". The trial balance does not total until they have a rate."}}); err != nil {
		return err
	}
	head := []any{excelize.Cell{StyleID: st.header, Value: "Currency"}, excelize.Cell{StyleID: st.header, Value: "When"},
		excelize.Cell{StyleID: st.headerR, Value: "Lines"}, excelize.Cell{StyleID: st.headerR, Value: "Amount"}}
	if err := s.write(head); err != nil {
		return err
	}
	for _, part := range []struct {
		when string
		us   []report.Unconverted
	}{{"before the period", t.OpeningUnconverted}, {"in the period", t.Unconverted}} {
		for _, u := range part.us {
			amount, err := w.money(u.Amount, u.Currency)
			if err != nil {
				return err
			}
			if err := s.write([]any{excelize.Cell{StyleID: st.center, Value: u.Currency}, text(part.when),
				excelize.Cell{StyleID: st.integer, Value: u.Lines}, amount}); err != nil {
				return err
			}
		}
	}
	return s.close()
}

// closeWith writes a last row under a table and closes the sheet.
func (w *Workbook) closeWith(s *stream, row []any) error {
	if err := s.write(row); err != nil {
		return err
	}
	return s.close()
}

// writeBankRec writes the Bank reconciliation sheet: per Revolut account, in its own
// currency, where its opening comes from and Revolut's balance before the period, the period's movements, the closing balance
// they give (a formula over the two), Revolut's reported closing and the difference (a
// formula too), highlighted when it is not zero.
//
// It is a sheet of its own rather than a block under the trial balance: the trial balance is
// in the base currency and every figure here is in its account's own currency, so they must
// not sit in columns that invite adding them up; and a bank reconciliation is a working
// paper an accountant files and filters on its own.
func (w *Workbook) writeBankRec(banks []report.BankRec) error {
	st := w.st
	s := newStream(w, SheetBankRec, []column{
		col("Revolut account", 22, st.text), col("Account code", 10, st.text), col("Account name", 24, 0),
		col("Currency", 9, st.center), col("Opening from", 32, 0), numeric("Opening (Revolut)", 15, 0),
		numeric("Movements", 15, 0), numeric("Lines", 8, st.integer), numeric("Closing", 15, 0),
		numeric("Revolut closing", 15, 0), numeric("Difference", 13, 0), col("Reconciles", 11, st.center),
	})
	if err := s.open(); err != nil {
		return err
	}
	for _, b := range banks {
		r := strconv.Itoa(s.row + 1)
		opening, err := w.money(b.Opening, b.Currency)
		if err != nil {
			return err
		}
		moves, _ := w.money(b.Movements, b.Currency)
		closing, err := w.formulaMoney(b.Closing, b.Currency, "F"+r+"+G"+r, 0)
		if err != nil {
			return err
		}
		var reported, diff any
		var ok any = "yes"
		if b.Reported.Valid {
			reported, _ = w.money(b.Reported.Decimal, b.Currency)
		}
		if b.Difference.Valid {
			style := 0
			if !b.Reconciles() {
				if style, err = st.failAmount(transform.MinorUnits(b.Currency)); err != nil {
					return err
				}
			}
			if diff, err = w.formulaMoney(b.Difference.Decimal, b.Currency, "I"+r+"-J"+r, style); err != nil {
				return err
			}
		}
		if !b.Reconciles() {
			ok = excelize.Cell{StyleID: st.fail, Value: "NO"}
		}
		if err := s.add([]any{w.textCell(b.RevolutAccountID), w.textCell(b.AccountCode), text(b.AccountName),
			text(b.Currency), text(b.OpeningFrom), opening, moves, b.Lines, closing, reported, diff, ok}); err != nil {
			return err
		}
	}
	if len(banks) == 0 {
		return w.closeWith(s, []any{nil, text("No Revolut account moved or had a balance before the period.")})
	}
	return s.close()
}
