package transform

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

// TestRollCarriesAPeriodToItsClosing rolls the balances of 1 February through February's lines.
// The expected closings, by hand:
//
//	1200 GBP: 100.00 − 20.00 + 20.00 (reversal) − 10.00 − 10.00 + 10.00 (reversal) = 90.00,
//	          2 + 5 = 7 lines, base 90.00
//	1201 EUR: −5.00, 1 line, no base amount: base 0, 1 unconverted line of −5.00
//	6000 EUR: 10.00 + 5.00 = 15.00, 2 lines, both unconverted; named by its latest line,
//	          "Travel expenses"
//	1299 GBP: 3.00 (a reversal on acc-x), 1 line, base 3.00
//	6000 GBP: + 20.00 − 20.00 + 10.00 + 10.00 − 10.00 − 3.00 = 7.00, 6 lines, base 7.00
//
// Banks: acc-eur 75.00, reported on 5 Feb. acc-gbp: two legs at one instant on 6 Feb report
// 470.00 (t-b) and 460.00 (t-a); the later by transaction id is t-b, so 470.00, plus the
// reversal of 7 Feb (+10.00), which comes after it: 480.00. The reversal of 3 Feb is before
// the reported line and already in its balance. acc-sav did not move: 1,000.00 as it opened.
// acc-x only has a reversal and never reported a balance: no opening.
func TestRollCarriesAPeriodToItsClosing(t *testing.T) {
	day := func(d int, hour int) time.Time { return time.Date(2024, 2, d, hour, 0, 0, 0, time.UTC) }
	jan31 := time.Date(2024, 1, 31, 9, 0, 0, 0, time.UTC)
	roll := NewRoll(OpeningBalances{
		Accounts: []AccountBalance{
			{AccountCode: "1200", AccountName: "Revolut GBP", Currency: "GBP", Amount: dec("100.00"), Lines: 2, Base: dec("100.00")},
			{AccountCode: "6000", AccountName: "Travel", Currency: "EUR", Amount: dec("10.00"), Lines: 1,
				Unconverted: 1, UnconvertedAmount: dec("10.00")},
		},
		Banks: []BankOpening{
			{RevolutAccountID: "acc-eur", AccountCode: "1201", AccountName: "Revolut EUR", Currency: "EUR", Balance: dec("80.00"), At: jan31},
			{RevolutAccountID: "acc-gbp", AccountCode: "1200", AccountName: "Revolut GBP", Currency: "GBP", Balance: dec("500.00"), At: jan31},
			{RevolutAccountID: "acc-sav", AccountCode: "1205", AccountName: "Savings", Currency: "GBP", Balance: dec("1000.00"), At: jan31},
		},
	})
	gbp := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }
	line := func(entry, role string, d, hour int, txn, code, name, amount, cur string, base decimal.NullDecimal, acct string, bal decimal.NullDecimal) Line {
		return Line{Key: LineKey{SourceType: SourceTransaction, SourceID: entry, Role: role}, EntryID: entry,
			BookingDate: day(d, 0), OccurredAt: day(d, hour), TransactionID: txn, AccountCode: code, AccountName: name,
			Amount: dec(amount), Currency: cur, BaseAmount: base, RevolutAccountID: acct, BankBalance: bal}
	}
	none := decimal.NullDecimal{}
	lines := []Line{ // in the ledger's order: booking date, entry id, line key
		line("e1", "bank", 2, 10, "t1", "1200", "Revolut GBP", "-20.00", "GBP", gbp("-20.00"), "acc-gbp", gbp("480.00")),
		line("e1", "net", 2, 10, "t1", "6000", "Travel", "20.00", "GBP", gbp("20.00"), "", none),
		line("e2", "bank:reversal", 3, 10, "t1", "1200", "Revolut GBP", "20.00", "GBP", gbp("20.00"), "acc-gbp", none),
		line("e2", "net:reversal", 3, 10, "t1", "6000", "Travel", "-20.00", "GBP", gbp("-20.00"), "", none),
		line("e3", "bank", 5, 11, "t3", "1201", "Revolut EUR", "-5.00", "EUR", none, "acc-eur", gbp("75.00")),
		line("e3", "net", 5, 11, "t3", "6000", "Travel expenses", "5.00", "EUR", none, "", none),
		line("e4", "bank", 6, 12, "t-b", "1200", "Revolut GBP", "-10.00", "GBP", gbp("-10.00"), "acc-gbp", gbp("470.00")),
		line("e4", "net", 6, 12, "t-b", "6000", "Travel", "10.00", "GBP", gbp("10.00"), "", none),
		line("e5", "bank", 6, 12, "t-a", "1200", "Revolut GBP", "-10.00", "GBP", gbp("-10.00"), "acc-gbp", gbp("460.00")),
		line("e5", "net", 6, 12, "t-a", "6000", "Travel", "10.00", "GBP", gbp("10.00"), "", none),
		line("e6", "bank:reversal", 7, 9, "t-a", "1200", "Revolut GBP", "10.00", "GBP", gbp("10.00"), "acc-gbp", none),
		line("e6", "net:reversal", 7, 9, "t-a", "6000", "Travel", "-10.00", "GBP", gbp("-10.00"), "", none),
		line("e7", "bank:reversal", 8, 9, "t7", "1299", "Cash", "3.00", "GBP", gbp("3.00"), "acc-x", none),
		line("e7", "net:reversal", 8, 9, "t7", "6000", "Travel", "-3.00", "GBP", gbp("-3.00"), "", none),
	}
	for i := range lines {
		roll.Add(&lines[i])
	}
	got := roll.Balances()

	want := []AccountBalance{
		{AccountCode: "1200", AccountName: "Revolut GBP", Currency: "GBP", Amount: dec("90.00"), Lines: 7, Base: dec("90.00")},
		{AccountCode: "1201", AccountName: "Revolut EUR", Currency: "EUR", Amount: dec("-5.00"), Lines: 1, Unconverted: 1, UnconvertedAmount: dec("-5.00")},
		{AccountCode: "1299", AccountName: "Cash", Currency: "GBP", Amount: dec("3.00"), Lines: 1, Base: dec("3.00")},
		{AccountCode: "6000", AccountName: "Travel expenses", Currency: "EUR", Amount: dec("15.00"), Lines: 2, Unconverted: 2, UnconvertedAmount: dec("15.00")},
		{AccountCode: "6000", AccountName: "Travel", Currency: "GBP", Amount: dec("7.00"), Lines: 6, Base: dec("7.00")},
	}
	if len(got.Accounts) != len(want) {
		t.Fatalf("%d accounts, want %d: %+v", len(got.Accounts), len(want), got.Accounts)
	}
	for i, w := range want {
		g := got.Accounts[i]
		if g.AccountCode != w.AccountCode || g.AccountName != w.AccountName || g.Currency != w.Currency ||
			!g.Amount.Equal(w.Amount) || g.Lines != w.Lines || !g.Base.Equal(w.Base) ||
			g.Unconverted != w.Unconverted || !g.UnconvertedAmount.Equal(w.UnconvertedAmount) {
			t.Errorf("account %d = %+v, want %+v", i, g, w)
		}
	}
	wantBanks := []BankOpening{
		{RevolutAccountID: "acc-eur", AccountCode: "1201", AccountName: "Revolut EUR", Currency: "EUR", Balance: dec("75.00"), At: day(5, 11)},
		{RevolutAccountID: "acc-gbp", AccountCode: "1200", AccountName: "Revolut GBP", Currency: "GBP", Balance: dec("480.00"), At: day(6, 12)},
		{RevolutAccountID: "acc-sav", AccountCode: "1205", AccountName: "Savings", Currency: "GBP", Balance: dec("1000.00"), At: jan31},
	}
	if len(got.Banks) != len(wantBanks) {
		t.Fatalf("banks %+v, want %+v", got.Banks, wantBanks)
	}
	for i, w := range wantBanks {
		g := got.Banks[i]
		if g.RevolutAccountID != w.RevolutAccountID || g.AccountCode != w.AccountCode || g.AccountName != w.AccountName ||
			g.Currency != w.Currency || !g.Balance.Equal(w.Balance) || !g.At.Equal(w.At) {
			t.Errorf("bank %d = %+v, want %+v", i, g, w)
		}
	}
}
