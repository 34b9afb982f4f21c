package ledgertest

import (
	"context"
	"time"

	"github.com/revledger/revledger/transform"
)

// CardLedger is a Ledger that also describes its cards, as the warehouse does
// (exporters.CardSource).
type CardLedger struct {
	Ledger
	CardList []transform.CardInfo
}

// Cards returns the card list.
func (c *CardLedger) Cards(context.Context) ([]transform.CardInfo, error) { return c.CardList, nil }

// CardPeriod is the month CardSample's lines fall in.
const CardPeriod = "2024-04"

// CardSample returns a hand-made April 2024 of card spend. Each transaction is a bank line on
// the Revolut account and a balancing line; tx-a2 also has a fee pair, which is not spend.
//
//	card-a "Travel" ****0042, Ada Lovelace, month limit GBP 1000.00, single GBP 500.00
//	  tx-a1 payment GBP 450.00  refs PNR=RT1, Traveller=Ada
//	  tx-a2 payment GBP 400.00  refs PNR=RT2, Traveller=Ada  (+ fee 1.00: not counted)
//	  tx-a3 refund  GBP  50.00  refs PNR=RT1, Traveller=Ada
//	  tx-a4 payment EUR 100.00  refs PNR=RT3
//	  → GBP: 2 payments 850.00, 1 refund 50.00, net 800.00; used 850/1000 = 85 % → near
//	  → EUR: 1 payment 100.00; the limit is in GBP, so no usage and no flag
//	  The card's references now are PNR=NEW9: changed after the transactions.
//	card-b "Marketing" ****9876, holder tm-2 (Grace Hopper, known only to the warehouse),
//	  locked and cannot be unlocked, month limit GBP 300.00
//	  tx-b1 payment GBP 250.00, tx-b2 payment GBP 75.50
//	  tx-b3 payment GBP 20.00 reverted (original and reversing entry): not counted
//	  → GBP: 2 payments 325.50; used 325.50/300 = 108.5 % → over
//	card-c "Old" ****1111, no month limit (day GBP 100.00), no longer listed since 2024-04-20
//	  tx-c1 payment GBP 60.00 → 1 payment 60.00, no limit to compare
//
//	Cards totals: GBP paid 450+400+250+75.50+60 = 1235.50, refunded 50.00, net 1185.50;
//	              EUR paid 100.00, net 100.00
//	References:   PNR RT1 GBP 1 payment 450.00, 1 refund 50.00, net 400.00; PNR RT2 GBP 400.00;
//	              PNR RT3 EUR 100.00; Traveller Ada GBP 2 payments 850.00, 1 refund 50.00, net 800.00
func CardSample() *CardLedger {
	no := false
	refs := func(kv ...string) []transform.CardReference {
		var out []transform.CardReference
		for i := 0; i < len(kv); i += 2 {
			out = append(out, transform.CardReference{Name: kv[i], Value: kv[i+1]})
		}
		return out
	}
	type card struct{ id, digits, label, holder string }
	a := card{"card-a", "0042", "Travel", "Ada Lovelace"}
	b := card{"card-b", "9876", "Marketing", ""} // the transaction did not carry the holder
	c := card{"card-c", "1111", "Old", "Alan Turing"}
	var rows []transform.Line
	tx := func(dayN int, id, typ, state string, k card, cur, account, bankAmount string, r []transform.CardReference, fee string) {
		date := time.Date(2024, 4, dayN, 0, 0, 0, 0, time.UTC)
		at := date.Add(10 * time.Hour)
		base := transform.Line{
			EntryID: "txn:" + id, Version: 1, BookingDate: date, OccurredAt: at, Period: CardPeriod, Currency: cur,
			TransactionID: id, TransactionType: typ, TransactionState: state,
			CardID: k.id, CardLastDigits: k.digits, CardLabel: k.label, CardHolder: k.holder, CardReferences: r,
			Merchant: "Merchant " + id,
		}
		add := func(role, code, name, amount string, bank bool) {
			l := base
			l.Key = transform.LineKey{SourceType: transform.SourceTransaction, SourceID: id, Role: role}
			l.AccountCode, l.AccountName, l.Amount = code, name, D(amount)
			if bank {
				l.RevolutAccountID = account
			}
			rows = append(rows, l)
		}
		add("bank", "1200", "Revolut "+cur, bankAmount, true)
		add("balancing", "6000", "Travel", D(bankAmount).Neg().String(), false)
		if fee != "" {
			add("fee", "7900", "Bank fees", fee, false)
			add("fee_bank", "1200", "Revolut "+cur, D(fee).Neg().String(), true)
		}
		if state == "reverted" {
			for _, l := range rows[len(rows)-2:] {
				l.EntryID += transform.ReversalSuffix
				l.Key.Role += transform.ReversalSuffix
				l.Amount = l.Amount.Neg()
				rows = append(rows, l)
			}
		}
	}
	tx(2, "tx-a1", "card_payment", "completed", a, "GBP", "acc-gbp", "-450.00", refs("PNR", "RT1", "Traveller", "Ada"), "")
	tx(3, "tx-a2", "card_payment", "completed", a, "GBP", "acc-gbp", "-400.00", refs("PNR", "RT2", "Traveller", "Ada"), "1.00")
	tx(5, "tx-a3", "card_refund", "completed", a, "GBP", "acc-gbp", "50.00", refs("PNR", "RT1", "Traveller", "Ada"), "")
	tx(6, "tx-a4", "card_payment", "completed", a, "EUR", "acc-eur", "-100.00", refs("PNR", "RT3"), "")
	tx(8, "tx-b1", "card_payment", "completed", b, "GBP", "acc-gbp", "-250.00", nil, "")
	tx(9, "tx-b2", "card_payment", "completed", b, "GBP", "acc-gbp", "-75.50", nil, "")
	tx(10, "tx-b3", "card_payment", "reverted", b, "GBP", "acc-gbp", "-20.00", nil, "")
	tx(12, "tx-c1", "card_payment", "completed", c, "GBP", "acc-gbp", "-60.00", nil, "")
	gbp := func(period, amount string) transform.CardLimit {
		return transform.CardLimit{Period: period, Amount: D(amount), Currency: "GBP"}
	}
	return &CardLedger{
		Ledger: Ledger{Rows: rows},
		CardList: []transform.CardInfo{
			{ID: "card-a", LastDigits: "0042", Label: "Travel", HolderID: "tm-1", Holder: "Ada Lovelace", State: "active",
				Limits:     []transform.CardLimit{gbp(transform.LimitSingle, "500.00"), gbp(transform.LimitMonth, "1000.00")},
				References: refs("PNR", "NEW9")},
			{ID: "card-b", LastDigits: "9876", Label: "Marketing", HolderID: "tm-2", Holder: "Grace Hopper", State: "locked",
				CanBeUnlocked: &no, Limits: []transform.CardLimit{gbp(transform.LimitMonth, "300.00")}},
			{ID: "card-c", LastDigits: "1111", Label: "Old", HolderID: "tm-3", Holder: "Alan Turing", State: "active",
				Limits: []transform.CardLimit{gbp(transform.LimitDay, "100.00")}, MissingSince: time.Date(2024, 4, 20, 6, 0, 0, 0, time.UTC)},
		},
	}
}
