package ledgertest

import (
	"time"

	"github.com/revledger/revledger/transform"
)

// AdjustmentSample returns a hand-made ledger of November 2026, after October 2026 was
// closed, with two adjustment entries and one ordinary entry between them. Its figures, by
// hand (all GBP, Revolut account acc-gbp-0001 on 1200):
//
//	adj:txn:oct-1:v1:1, 3 Nov, reverted: October's card payment at Shell, 120.00 gross =
//	  100.00 net on 7400 + 20.00 VAT on 2201, reversed line by line: bank +120.00,
//	  7400 −100.00, 2201 −20.00 (debits 120.00 = credits 100.00 + 20.00).
//	txn:nov-1, 5 Nov, ordinary: BP 24.00 = 20.00 on 7400 + 4.00 VAT.
//	adj:txn:oct-2:v1:1, 10 Nov, recategorised: October's Trainline 60.00 (50.00 on 7500
//	  Travel + 10.00 VAT) reversed (bank +60.00, 7500 −50.00, 2201 −10.00) and booked anew on
//	  7600 Staff welfare (bank −60.00, 7600 +50.00, 2201 +10.00): debits and credits 120.00;
//	  on the bank it nets to zero.
//
// Adjustment totals: reverted 120.00/120.00 over 3 lines, recategorised 120.00/120.00 over 6.
// The month's GBP totals: debits 120.00 + 24.00 + 120.00 = 264.00, credits the same.
func AdjustmentSample() *Ledger {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	at := func(d, hh int) time.Time { return time.Date(2026, 11, d, hh, 0, 0, 0, time.UTC) }
	gbp := func(l transform.Line) transform.Line {
		l.Currency, l.Period, l.Version = "GBP", "2026-11", 1
		return l
	}
	key := func(id, role string) transform.LineKey {
		return transform.LineKey{SourceType: transform.SourceTransaction, SourceID: id, Role: role}
	}
	rev := func(role string) string { return role + transform.AdjustmentReversed } // as load writes them
	split := func(l *transform.Line, code, name, net, tax, gross string) {
		l.Net, l.Tax, l.Gross = ND(net), ND(tax), ND(gross)
		l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-20", "20% (VAT on Expenses)", ND("20")
		l.CategoryCode, l.CategoryName = code, name
	}
	bank := func(l *transform.Line, amount string) {
		l.AccountCode, l.AccountName, l.Amount = "1200", "Revolut GBP", D(amount)
		l.RevolutAccountID = "acc-gbp-0001"
	}

	a := transform.Line{
		EntryID: "adj:txn:oct-1:v1:1", BookingDate: day(3), OccurredAt: at(3, 9),
		Merchant: "Shell", Description: "Fuel", TransactionID: "oct-1", TransactionType: "card_payment",
		TransactionState: "reverted", ExpenseID: "exp-oct-1", ExpenseState: "completed",
		AdjustsEntryID: "txn:oct-1", AdjustsVersion: 1, AdjustsPeriod: "2026-10",
		AdjustmentReason: transform.AdjustmentReverted,
	}
	n := transform.Line{
		EntryID: "txn:nov-1", BookingDate: day(5), OccurredAt: at(5, 12),
		Merchant: "BP", Description: "Fuel", TransactionID: "nov-1", TransactionType: "card_payment",
		TransactionState: "completed", ExpenseID: "exp-nov-1", ExpenseState: "completed",
	}
	b := transform.Line{
		EntryID: "adj:txn:oct-2:v1:1", BookingDate: day(10), OccurredAt: at(10, 15),
		Merchant: "Trainline", Description: "Train to Leeds", TransactionID: "oct-2", TransactionType: "card_payment",
		TransactionState: "completed", ExpenseID: "exp-oct-2", ExpenseState: "approved",
		AdjustsEntryID: "txn:oct-2", AdjustsVersion: 1, AdjustsPeriod: "2026-10",
		AdjustmentReason: transform.AdjustmentRecategorised,
	}
	lines := []transform.Line{
		gbp(with(a, func(l *transform.Line) { l.Key = key("oct-1", rev("bank")); bank(l, "120.00") })),
		gbp(with(a, func(l *transform.Line) {
			l.Key = key("oct-1", rev("net"))
			l.AccountCode, l.AccountName, l.Amount = "7400", "Motor expenses", D("-100.00")
			split(l, "7400", "Motor expenses", "-100.00", "-20.00", "-120.00")
		})),
		gbp(with(a, func(l *transform.Line) {
			l.Key = key("oct-1", rev("vat"))
			l.AccountCode, l.AccountName, l.Amount = "2201", "VAT input", D("-20.00")
			split(l, "7400", "Motor expenses", "-100.00", "-20.00", "-120.00")
		})),
		gbp(with(n, func(l *transform.Line) {
			l.Key = key("nov-1", "bank")
			bank(l, "-24.00")
			l.BankBalance = ND("976.00")
		})),
		gbp(with(n, func(l *transform.Line) {
			l.Key = key("nov-1", "net")
			l.AccountCode, l.AccountName, l.Amount = "7400", "Motor expenses", D("20.00")
			split(l, "7400", "Motor expenses", "20.00", "4.00", "24.00")
		})),
		gbp(with(n, func(l *transform.Line) {
			l.Key = key("nov-1", "vat")
			l.AccountCode, l.AccountName, l.Amount = "2201", "VAT input", D("4.00")
			split(l, "7400", "Motor expenses", "20.00", "4.00", "24.00")
		})),
		gbp(with(b, func(l *transform.Line) { l.Key = key("oct-2", rev("bank")); bank(l, "60.00") })),
		gbp(with(b, func(l *transform.Line) {
			l.Key = key("oct-2", rev("net"))
			l.AccountCode, l.AccountName, l.Amount = "7500", "Travel", D("-50.00")
			split(l, "7500", "Travel", "-50.00", "-10.00", "-60.00")
		})),
		gbp(with(b, func(l *transform.Line) {
			l.Key = key("oct-2", rev("vat"))
			l.AccountCode, l.AccountName, l.Amount = "2201", "VAT input", D("-10.00")
			split(l, "7500", "Travel", "-50.00", "-10.00", "-60.00")
		})),
		gbp(with(b, func(l *transform.Line) { l.Key = key("oct-2", "bank"); bank(l, "-60.00") })),
		gbp(with(b, func(l *transform.Line) {
			l.Key = key("oct-2", "net")
			l.AccountCode, l.AccountName, l.Amount = "7600", "Staff welfare", D("50.00")
			split(l, "7600", "Staff welfare", "50.00", "10.00", "60.00")
		})),
		gbp(with(b, func(l *transform.Line) {
			l.Key = key("oct-2", "vat")
			l.AccountCode, l.AccountName, l.Amount = "2201", "VAT input", D("10.00")
			split(l, "7600", "Staff welfare", "50.00", "10.00", "60.00")
		})),
	}
	return &Ledger{Rows: lines}
}
