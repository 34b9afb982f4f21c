package ledgertest

import (
	"time"

	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// TrialSample is a ledger for the base-currency trial balance and the bank reconciliation:
// February 2024 holds the opening balances, March 2024 is the period. Base currency GBP.
// Figures by hand:
//
//	February (openings):
//	  f1 10 Feb  1210 Revolut Main GBP +1,000.00 (Revolut: 1,000.00) / 3000 Capital −1,000.00
//	  f2 15 Feb  1229 Revolut EUR +€200.00 at 0.85 = 170.00 (Revolut: €200.00)
//	             / 10000 Customer deposits −€200.00 = −170.00
//	March:
//	  m1 5 Mar   1210 −123.45 (Revolut: 876.55) / 7400 Travel 102.87 + 2201 VAT 20.58
//	             (123.45 × 20/120 = 20.575 → 20.58; 123.45 − 20.58 = 102.87)
//	  m2 6 Mar   1229 −€50.00 at 0.85 = −42.50 (Revolut: €150.00) / SUSP Suspense +€50.00 = 42.50
//	  m3 7 Mar   1300 Revolut JPY −¥1,000 (Revolut: ¥4,000) / 6200 Subsistence +¥1,000,
//	             no rate for JPY: no base amount
//
//	Trial balance (GBP), in code order 1210 < 1229 < 1300 < 2201 < 3000 < 6200 < 7400 <
//	10000 < SUSP:
//	  1210  opening 1,000.00 + movement −123.45 = closing 876.55
//	  1229  opening   170.00 + movement  −42.50 = closing 127.50
//	  1300, 6200: nothing in GBP (the JPY lines are not converted)
//	  2201  20.58;  7400  102.87;  SUSP  42.50 (openings 0)
//	  3000  −1,000.00;  10000  −170.00 (no movement)
//	  totals: opening 1,000 + 170 − 1,000 − 170 = 0; debits 20.58 + 102.87 + 42.50 = 165.95 =
//	  credits 123.45 + 42.50; movement 0; closing 0; not converted: JPY 2 lines, ¥0
//
//	Bank reconciliation (own currency):
//	  1210 GBP: opening 1,000.00 (Revolut) − 123.45 = 876.55; Revolut 876.55; difference 0.00
//	  1229 EUR: opening 200.00 (Revolut) − 50.00 = 150.00; Revolut 150.00; difference 0.00
//	  1300 JPY: opening 4,000 + 1,000 = 5,000 (first line less its movement) − 1,000 = 4,000;
//	            Revolut 4,000; difference 0
func TrialSample() *Ledger {
	feb := func(d int) time.Time { return time.Date(2024, 2, d, 0, 0, 0, 0, time.UTC) }
	mar := func(d int) time.Time { return time.Date(2024, 3, d, 0, 0, 0, 0, time.UTC) }
	var lines []transform.Line
	add := func(entry string, day time.Time, role, code, name, amount, cur, base, rate string, f func(*transform.Line)) {
		l := transform.Line{
			Key:         transform.LineKey{SourceType: transform.SourceTransaction, SourceID: entry, Role: role},
			Version:     1,
			EntryID:     entry,
			BookingDate: day, OccurredAt: day.Add(10 * time.Hour), Period: day.Format("2006-01"),
			AccountCode: code, AccountName: name, Amount: D(amount), Currency: cur,
			TransactionID: entry, TransactionType: "card_payment", TransactionState: "completed",
		}
		if base != "" {
			l.BaseAmount, l.BaseRate, l.RateSource = ND(base), ND(rate), RateSourceECB
			if cur == "GBP" {
				l.RateSource = RateSourceBase
			}
		}
		if f != nil {
			f(&l)
		}
		lines = append(lines, l)
	}
	bank := func(acct, balance string) func(*transform.Line) {
		return func(l *transform.Line) { l.RevolutAccountID, l.BankBalance = acct, ND(balance) }
	}
	add("f1", feb(10), "bank", "1210", "Revolut Main GBP", "1000.00", "GBP", "1000.00", "1", bank("acc-gbp", "1000.00"))
	add("f1", feb(10), "balancing", "3000", "Capital", "-1000.00", "GBP", "-1000.00", "1", nil)
	add("f2", feb(15), "bank", "1229", "Revolut EUR", "200.00", "EUR", "170.00", "0.85", bank("acc-eur", "200.00"))
	add("f2", feb(15), "balancing", "10000", "Customer deposits", "-200.00", "EUR", "-170.00", "0.85", nil)

	add("m1", mar(5), "bank", "1210", "Revolut Main GBP", "-123.45", "GBP", "-123.45", "1", bank("acc-gbp", "876.55"))
	add("m1", mar(5), "net", "7400", "Travel", "102.87", "GBP", "102.87", "1", nil)
	add("m1", mar(5), "vat", "2201", "VAT input", "20.58", "GBP", "20.58", "1", nil)
	add("m2", mar(6), "bank", "1229", "Revolut EUR", "-50.00", "EUR", "-42.50", "0.85", bank("acc-eur", "150.00"))
	add("m2", mar(6), "balancing", "SUSP", "Suspense", "50.00", "EUR", "42.50", "0.85", nil)
	add("m3", mar(7), "bank", "1300", "Revolut JPY", "-1000", "JPY", "", "", bank("acc-jpy", "4000"))
	add("m3", mar(7), "balancing", "6200", "Subsistence", "1000", "JPY", "", "", nil)
	return &Ledger{Rows: lines}
}

// SetBankBalance changes the balance Revolut reported on the bank line of entry (a test
// of a reconciliation that does not tie).
func (l *Ledger) SetBankBalance(entry, balance string) {
	for i := range l.Rows {
		if l.Rows[i].EntryID == entry && l.Rows[i].RevolutAccountID != "" {
			l.Rows[i].BankBalance = decimal.NewNullDecimal(D(balance))
		}
	}
}
