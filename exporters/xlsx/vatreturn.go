package xlsx

import (
	"fmt"
	"strconv"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/vatreturn"
)

// SheetVATReturn is the UK VAT return sheet, placed before the VAT summary when VATReturn is
// called.
const SheetVATReturn = "VAT return"

// boxTitles are HMRC's names of the boxes, in the order the sheet lists them.
var boxTitles = []struct{ box, title string }{
	{"1", "VAT due on sales and other outputs"},
	{"2", "VAT due on acquisitions from the EU (not computed)"},
	{"3", "Total VAT due (box 1 + box 2)"},
	{"4", "VAT reclaimed on purchases and other inputs"},
	{"5", "Net VAT to pay to HMRC (box 3 − box 4; negative: to reclaim)"},
	{"6", "Total value of sales and all other outputs, excluding VAT"},
	{"7", "Total value of purchases and all other inputs, excluding VAT"},
}

// VATReturn writes the VAT return sheet: the boxes at the top (boxes 3 and 5 as formulas over
// the others, cached with their exact values), the lines not converted to the return's
// currency with their totals, and the drill-down of every line the return read: counted,
// not converted, or from an expense not approved yet. It also makes the VAT summary sheet
// the return's per-rate, per-treatment summary. Call it at most once, before WriteTo.
func (w *Workbook) VATReturn(r vatreturn.Return) error {
	w.vatRates, w.vatReturnDone = r.Rates, true
	f, st := w.f, w.st
	if _, err := f.NewSheet(SheetVATReturn); err != nil {
		return fmt.Errorf("create sheet %q: %w", SheetVATReturn, err)
	}
	if err := f.MoveSheet(SheetVATReturn, SheetVAT); err != nil {
		return fmt.Errorf("move sheet %q: %w", SheetVATReturn, err)
	}
	if err := w.pageSetup(SheetVATReturn); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(SheetVATReturn)
	if err != nil {
		return fmt.Errorf("stream sheet %q: %w", SheetVATReturn, err)
	}
	cur := r.Currency
	cols := []column{
		col("Box", 9, st.center), col("Description / payee", 58, 0), numeric("Net ("+cur+")", 15, 0),
		numeric("VAT ("+cur+")", 15, 0), col("Treatment", 15, 0), col("Date", 12, st.date),
		col("Entry", 42, st.text), col("Account code", 10, st.text), col("Account name", 24, 0),
		col("Currency", 9, st.center), numeric("Amount", 14, 0), numeric("Rate", 12, st.rate),
		col("Tax rate", 22, 0), col("Derived", 8, st.center),
		col("Expense", 38, st.text), col("Expense state", 15, 0), col("Section", 24, 0), col("Line key", 34, st.text),
	}
	for i, c := range cols {
		if err := sw.SetColWidth(i+1, i+1, c.width); err != nil {
			return fmt.Errorf("width of %q column %d: %w", SheetVATReturn, i+1, err)
		}
	}
	row := 0
	var rowOpts []excelize.RowOpts // the next row's options: a header's height
	put := func(cells ...any) error {
		row++
		cell, _ := excelize.CoordinatesToCellName(1, row)
		opts := rowOpts
		rowOpts = nil
		if err := sw.SetRow(cell, cells, opts...); err != nil {
			return fmt.Errorf("write %s!%s: %w", SheetVATReturn, cell, err)
		}
		return nil
	}
	bold := func(s string) any { return excelize.Cell{StyleID: st.bold, Value: s} }
	head := func(s string, right bool) any {
		if right {
			return excelize.Cell{StyleID: st.headerR, Value: s}
		}
		return excelize.Cell{StyleID: st.header, Value: s}
	}
	if err := put(bold("VAT return (" + cur + ")")); err != nil {
		return err
	}
	if err := put(nil, text("From the ledger lines of the period, each at its "+cur+" value (lines in other currencies at their base amount); see the sections below for what is not counted.")); err != nil {
		return err
	}
	row++
	if err := put(head("Box", false), head("", false), head("Amount ("+cur+")", true)); err != nil {
		return err
	}
	b := r.Boxes
	values := map[string]decimal.Decimal{"1": b.Box1, "2": b.Box2, "3": b.Box3, "4": b.Box4, "5": b.Box5, "6": b.Box6, "7": b.Box7}
	boxRow := map[string]int{}
	for _, bt := range boxTitles {
		boxRow[bt.box] = row + 1
		c, err := w.money(values[bt.box], cur)
		if err != nil {
			return err
		}
		cell := c.(excelize.Cell)
		switch bt.box {
		case "3":
			cell.Formula = "C" + strconv.Itoa(boxRow["1"]) + "+C" + strconv.Itoa(boxRow["2"])
		case "5":
			cell.Formula = "C" + strconv.Itoa(boxRow["3"]) + "-C" + strconv.Itoa(boxRow["4"])
		}
		label := excelize.Cell{StyleID: st.bold, Value: bt.box}
		if err := put(label, text(bt.title), cell); err != nil {
			return err
		}
	}
	row++
	state := "excluded (vat.include_unapproved: false)"
	if r.UnapprovedIncluded {
		state = "included (vat.include_unapproved: true)"
	}
	if err := put(nil, text(fmt.Sprintf("Lines of expenses not approved yet: %d, %s", len(r.Unapproved), state))); err != nil {
		return err
	}

	row++
	if err := put(bold("Not converted to " + cur + " (no exchange rate was found for these lines; not in the boxes)")); err != nil {
		return err
	}
	if err := put(head("Currency", false), head("Lines", false), head("Box 1", true), head("Box 4", true),
		head("Box 6", true), head("Box 7", true)); err != nil {
		return err
	}
	if len(r.NotConvertedTotals) == 0 {
		if err := put(nil, text("none")); err != nil {
			return err
		}
	}
	for _, t := range r.NotConvertedTotals {
		var cells []any
		for _, v := range []decimal.Decimal{t.Box1, t.Box4, t.Box6, t.Box7} {
			c, err := w.money(v, t.Currency)
			if err != nil {
				return err
			}
			cells = append(cells, c)
		}
		if err := put(append([]any{excelize.Cell{StyleID: st.center, Value: t.Currency}, t.Lines}, cells...)...); err != nil {
			return err
		}
	}

	row++
	if err := put(bold("Drill-down: every line the return read")); err != nil {
		return err
	}
	header := make([]any, len(cols))
	for i, c := range cols {
		header[i] = head(c.title, c.num)
	}
	rowOpts = []excelize.RowOpts{{Height: 30}} // room for a wrapped title (Account code)
	if err := put(header...); err != nil {
		return err
	}
	first := row
	item := func(it *vatreturn.Item, section string) error {
		// Net and VAT are the return's figures in its currency; a line not converted has
		// none, only its own amount.
		var net, vat, rate any
		if it.Converted {
			var err error
			if net, err = w.money(it.Net, cur); err != nil {
				return err
			}
			vat, _ = w.money(it.VAT, cur)
		}
		amount, err := w.money(it.Amount, it.Currency)
		if err != nil {
			return err
		}
		if it.Rate.Valid {
			rate = excelize.Cell{StyleID: st.rate, Value: toFloat(it.Rate.Decimal)}
		}
		desc := it.Payee
		if desc == "" {
			desc = it.AccountName
		}
		derived := ""
		if it.Derived {
			derived = "yes"
		}
		var date any
		if !it.Date.IsZero() {
			date = excelize.Cell{StyleID: st.date, Value: excelDate(it.Date)}
		}
		return put(text(it.Box), text(desc), net, vat, text(it.Treatment), date,
			w.textCell(it.EntryID), w.textCell(it.AccountCode), text(it.AccountName), text(it.Currency),
			amount, rate, text(it.RateName), text(derived), w.textCell(it.ExpenseID), text(it.ExpenseState), text(section),
			w.textCell(it.LineKey))
	}
	for i := range r.Items {
		section := "counted"
		if r.Items[i].Unapproved {
			section = "counted (not approved)"
		}
		if err := item(&r.Items[i], section); err != nil {
			return err
		}
	}
	for i := range r.NotConverted {
		if err := item(&r.NotConverted[i], "not converted"); err != nil {
			return err
		}
	}
	if !r.UnapprovedIncluded {
		for i := range r.Unapproved {
			if err := item(&r.Unapproved[i], "not approved (excluded)"); err != nil {
				return err
			}
		}
	}
	if row > first {
		last, _ := excelize.CoordinatesToCellName(len(cols), row)
		w.tables++
		if err := sw.AddTable(&excelize.Table{
			Range:     "A" + strconv.Itoa(first) + ":" + last,
			Name:      "T" + strconv.Itoa(w.tables) + "_" + tableName(SheetVATReturn),
			StyleName: "TableStyleLight9",
		}); err != nil {
			return fmt.Errorf("table on %q: %w", SheetVATReturn, err)
		}
	}
	if err := sw.Flush(); err != nil {
		return fmt.Errorf("flush sheet %q: %w", SheetVATReturn, err)
	}
	return nil
}

// writeVATSheet writes the VAT summary: per rate and treatment from the VAT return when
// VATReturn was called, else per rate from the report.
func (w *Workbook) writeVATSheet(rows []report.VATRow) error {
	if !w.vatReturnDone {
		return w.writeVAT(rows)
	}
	st := w.st
	s := newStream(w, SheetVAT, []column{
		col("Currency", 10, 0), col("Treatment", 16, 0), col("Tax rate name", 26, 0), numeric("Tax rate", 10, st.percent),
		numeric("Net", 15, 0), numeric("VAT", 15, 0), numeric("Gross", 15, 0), numeric("Irrecoverable VAT", 15, 0),
		numeric("Splits", 9, st.integer),
	})
	if err := s.open(); err != nil {
		return err
	}
	var totals currencySums
	for _, r := range w.vatRates {
		net, err := w.money(r.Net, r.Currency)
		if err != nil {
			return err
		}
		vat, _ := w.money(r.VAT, r.Currency)
		gross, _ := w.money(r.Gross, r.Currency)
		irr, _ := w.money(r.Irrecoverable, r.Currency)
		var rate any
		if r.RatePercent.Valid {
			rate = excelize.Cell{StyleID: st.percent, Value: toFloat(r.RatePercent.Decimal.Shift(-2))}
		}
		name := r.RateName
		if name == "" && !r.RatePercent.Valid {
			name = "No tax rate"
		}
		if err := s.add([]any{text(r.Currency), text(r.Treatment), text(name), rate, net, vat, gross, irr, r.Splits}); err != nil {
			return err
		}
		totals.add(r.Currency, r.Net, r.VAT, r.Gross, r.Irrecoverable)
	}
	if err := w.writeTotals(s, &totals, "A", []string{"E", "F", "G", "H"}); err != nil {
		return err
	}
	return s.close()
}
