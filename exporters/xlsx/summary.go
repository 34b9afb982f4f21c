package xlsx

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

// sumIf is a live total over a column of the rows above, for one currency, cached with the
// total computed exactly from the ledger: Excel shows the exact figure before recalculating,
// and the formula keeps it honest if someone edits a row.
func (w *Workbook) sumIf(col, curCol string, first, last int, currency string, exact decimal.Decimal) (any, error) {
	cell, err := w.money(exact, currency)
	if err != nil {
		return nil, err
	}
	c := cell.(excelize.Cell)
	r1, r2 := strconv.Itoa(first), strconv.Itoa(last)
	c.Formula = "SUMIFS(" + col + "$" + r1 + ":" + col + "$" + r2 + ",$" + curCol + "$" + r1 + ":$" + curCol + "$" + r2 + `,"` + quote(currency) + `")`
	return c, nil
}

// totalsRows writes, two rows below the table, one "Total" row per currency with SUMIFS
// over the given amount columns, matching the currency in column curCol; exact(cur, i) is the
// exact total of amount column i.
// currencySums adds up a few amount columns per currency, for a sheet's totals rows.
type currencySums struct {
	sums       map[string][]decimal.Decimal
	currencies []string // first-seen order
}

func (c *currencySums) add(cur string, amounts ...decimal.Decimal) {
	if c.sums == nil {
		c.sums = map[string][]decimal.Decimal{}
	}
	t, ok := c.sums[cur]
	if !ok {
		t = make([]decimal.Decimal, len(amounts))
		c.currencies = append(c.currencies, cur)
	}
	for i, a := range amounts {
		t[i] = t[i].Add(a)
	}
	c.sums[cur] = t
}

// writeTotals writes c's totals rows under the table, one per currency in code order, with
// the currency in curCol and the sums in cols.
func (w *Workbook) writeTotals(s *stream, c *currencySums, curCol string, cols []string) error {
	slices.Sort(c.currencies)
	return w.totalsRows(s, c.currencies, curCol, 1, cols, func(cur string, i int) decimal.Decimal { return c.sums[cur][i] })
}

func (w *Workbook) totalsRows(s *stream, currencies []string, curCol string, label int, cols []string, exact func(cur string, i int) decimal.Decimal) error {
	curIdx, err := excelize.ColumnNameToNumber(curCol)
	if err != nil {
		return err
	}
	if s.last < 2 {
		return nil
	}
	first, last := 2, s.last
	s.row++ // a blank row between the table and its totals
	width := len(s.cols)
	for _, cur := range currencies {
		row := make([]any, width)
		row[curIdx-1] = excelize.Cell{StyleID: w.st.bold, Value: cur}
		row[label] = excelize.Cell{StyleID: w.st.bold, Value: "Total " + cur}
		for i, col := range cols {
			idx, err := excelize.ColumnNameToNumber(col)
			if err != nil {
				return err
			}
			c, err := w.sumIf(col, curCol, first, last, cur, exact(cur, i))
			if err != nil {
				return err
			}
			row[idx-1] = c
		}
		if err := s.write(row); err != nil {
			return err
		}
	}
	return nil
}

func (w *Workbook) writeVAT(rows []report.VATRow) error {
	st := w.st
	s := newStream(w, SheetVAT, []column{
		col("Currency", 10, 0), col("Tax rate name", 26, 0), numeric("Tax rate", 10, st.percent),
		numeric("Net", 15, 0), numeric("Tax", 15, 0), numeric("Gross", 15, 0), numeric("Splits", 9, st.integer),
	})
	if err := s.open(); err != nil {
		return err
	}
	var totals currencySums
	for _, r := range rows {
		net, err := w.money(r.Net, r.Currency)
		if err != nil {
			return err
		}
		tax, _ := w.money(r.Tax, r.Currency)
		gross, _ := w.money(r.Gross, r.Currency)
		var rate any
		if r.RatePercent.Valid {
			v, _ := r.RatePercent.Decimal.Shift(-2).Float64()
			rate = excelize.Cell{StyleID: st.percent, Value: v}
		}
		name := r.RateName
		if name == "" && !r.RatePercent.Valid {
			name = "No tax rate"
		}
		if err := s.add([]any{text(r.Currency), text(name), rate, net, tax, gross, r.Count}); err != nil {
			return err
		}
		totals.add(r.Currency, r.Net, r.Tax, r.Gross)
	}
	if err := w.writeTotals(s, &totals, "A", []string{"D", "E", "F"}); err != nil {
		return err
	}
	return s.close()
}

// writeSummary fills the Summary sheet with the ordinary (non-streaming) API: it is small.
func (w *Workbook) writeSummary(info Info, sum report.Summary) error {
	f, st, sh := w.f, w.st, SheetSummary
	row := 0
	var err error
	set := func(col int, v any, style int) {
		if err != nil {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(col, row)
		if err = f.SetCellValue(sh, cell, v); err == nil && style != 0 {
			err = f.SetCellStyle(sh, cell, cell, style)
		}
	}
	kv := func(k string, v any, style int) {
		row++
		set(1, k, st.bold)
		set(2, v, style)
	}
	title := "Revolut Business ledger"
	if info.Company != "" {
		title = info.Company + " — " + title
	}
	row++
	set(1, title, st.bold)
	row++
	kv("Period", info.Period.Label, st.text)
	kv("Window from", excelDate(info.Period.From), st.date)
	kv("Window to (exclusive)", excelDate(info.Period.To), st.date)
	kv("Run id", info.RunID, st.text)
	kv("Generated at (UTC)", excelDate(info.GeneratedAt), st.dateTime)
	kv("Ledger lines", sum.Lines, st.integer)
	kv("Journal entries", sum.Entries, st.integer)
	kv("Expense splits", sum.Splits, st.integer)
	kv("Bank lines", sum.BankLines, st.integer)
	_, _, _, exceptions := w.Rows()
	kv("Exceptions", exceptions, st.integer)

	row += 2
	set(1, "Control totals", st.header)
	for i, h := range []string{"Debit", "Credit", "Difference", "Lines"} {
		set(i+2, h, st.header)
	}
	for _, t := range sum.Totals {
		row++
		places := transform.MinorUnits(t.Currency)
		amount, aerr := st.amount(places)
		if aerr != nil {
			return aerr
		}
		set(1, t.Currency, 0)
		set(2, toFloat(t.Debit.Round(places)), amount)
		set(3, toFloat(t.Credit.Round(places)), amount)
		set(4, toFloat(t.Debit.Sub(t.Credit).Round(places)), amount)
		set(5, t.Lines, st.integer)
	}
	// Adjustments booked here to periods already closed: their lines are in the totals above
	// and listed on the Adjustments sheet.
	row++
	n := w.adj.Entries()
	entries := strconv.Itoa(n) + " entries"
	if n == 1 {
		entries = "1 entry"
	}
	set(1, "Adjustments to closed periods", 0)
	set(2, entries, 0)

	row += 2
	set(1, "Check", st.header)
	set(2, "Result", st.header)
	set(3, "Detail", st.header)
	checks := sum.Checks
	if w.adj.Entries() > 0 {
		checks = append(slices.Clip(checks), w.adj.Check())
	}
	for _, c := range checks {
		row++
		set(1, c.Name, 0)
		if c.Passed {
			set(2, "PASS", st.pass)
		} else {
			set(2, "FAIL", st.fail)
		}
		set(3, c.Detail, 0)
	}
	if err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	for col, width := range map[string]float64{"A": 36, "B": 22, "C": 16, "D": 14, "E": 10} {
		if err := f.SetColWidth(sh, col, col, width); err != nil {
			return fmt.Errorf("summary column width: %w", err)
		}
	}
	return nil
}
