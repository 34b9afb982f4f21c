package xlsx

import (
	"github.com/xuri/excelize/v2"

	"github.com/revledger/revledger/exporters/report"
)

// Cards writes the Cards sheet (spend per card and currency against the card's limit, with
// per-currency totals under the table) and the Card references sheet (spend per reference
// recorded on the transactions). Call it at most once, before WriteTo; WriteTo writes both
// sheets with their headers only when it was not called.
func (w *Workbook) Cards(rows []report.CardRow, refs []report.CardRefRow) error {
	w.cardsDone = true
	if err := w.writeCards(rows); err != nil {
		return err
	}
	return w.writeCardRefs(refs)
}

func (w *Workbook) writeCards(rows []report.CardRow) error {
	st := w.st
	s := newStream(w, SheetCards, []column{
		col("Card", 8, st.text), col("Label", 20, 0), col("Holder", 20, 0), col("State", 36, 0),
		col("Currency", 9, st.center), numeric("Payments", 10, st.integer), numeric("Paid", 13, 0),
		numeric("Refunds", 9, st.integer), numeric("Refunded", 13, 0), numeric("Net spend", 13, 0),
		col("Limit period", 10, st.center), numeric("Limit", 13, 0), col("Limit currency", 9, st.center),
		numeric("Used", 9, st.percent), col("Flag", 7, st.center), col("Other limits", 30, 0), col("Card id", 36, st.text),
	})
	if err := s.open(); err != nil {
		return err
	}
	var totals currencySums
	for i := range rows {
		r := &rows[i]
		paid, err := w.money(r.PaymentsTotal, r.Currency)
		if err != nil {
			return err
		}
		refunded, err := w.money(r.RefundsTotal, r.Currency)
		if err != nil {
			return err
		}
		net, err := w.money(r.Net, r.Currency)
		if err != nil {
			return err
		}
		limit, err := w.nullMoney(r.Limit, r.LimitCurrency)
		if err != nil {
			return err
		}
		var used, flag any
		if r.Usage.Valid {
			used = excelize.Cell{StyleID: st.percent, Value: toFloat(r.Usage.Decimal)}
		}
		switch r.Flag {
		case report.FlagOver:
			flag = excelize.Cell{StyleID: st.fail, Value: r.Flag}
		case report.FlagNear:
			flag = excelize.Cell{StyleID: st.warn, Value: r.Flag}
		}
		period := r.LimitPeriod
		if !r.Limit.Valid {
			period = ""
		}
		w.row = append(w.row[:0],
			w.textCell(r.LastDigits), text(r.Label), text(r.Holder), text(r.StateText()),
			text(r.Currency), r.Payments, paid, r.Refunds, refunded, net,
			text(period), limit, text(r.LimitCurrency), used, flag, text(r.OtherLimits), w.textCell(r.CardID),
		)
		if err := s.add(w.row); err != nil {
			return err
		}
		totals.add(r.Currency, r.PaymentsTotal, r.RefundsTotal, r.Net)
	}
	if err := w.writeTotals(s, &totals, "E", []string{"G", "I", "J"}); err != nil {
		return err
	}
	return s.close()
}

// writeCardRefs has no totals: one transaction may record several references (a PNR and a
// traveller), so the rows overlap and their sum would count it twice.
func (w *Workbook) writeCardRefs(refs []report.CardRefRow) error {
	st := w.st
	s := newStream(w, SheetCardRefs, []column{
		col("Reference", 16, 0), col("Value", 22, st.text), col("Currency", 9, st.center), col("Cards", 16, st.text),
		numeric("Payments", 10, st.integer), numeric("Paid", 13, 0), numeric("Refunds", 9, st.integer),
		numeric("Refunded", 13, 0), numeric("Net spend", 13, 0),
	})
	if err := s.open(); err != nil {
		return err
	}
	for i := range refs {
		r := &refs[i]
		paid, err := w.money(r.PaymentsTotal, r.Currency)
		if err != nil {
			return err
		}
		refunded, _ := w.money(r.RefundsTotal, r.Currency) // same currency: its style exists now
		net, _ := w.money(r.Net, r.Currency)
		w.row = append(w.row[:0],
			text(r.Name), w.textCell(r.Value), text(r.Currency), w.textCell(r.Cards),
			r.Payments, paid, r.Refunds, refunded, net,
		)
		if err := s.add(w.row); err != nil {
			return err
		}
	}
	return s.close()
}
