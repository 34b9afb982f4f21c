package csvfmt_test

import (
	"errors"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// foreignLines are three entries in other currencies than the base currency (GBP), with the
// base amounts the booker gives them. The expected files in testdata/imports
// (*_foreign_2024-03.csv) were written by hand from these:
//
//	txn:h  07/03 card €16.83 on Revolut EUR (1201) at 0.8571, Travel at 20%:
//	       VAT round(16.83 × 20/120 = 2.805) = €2.81, net €14.02;
//	       base: bank −16.83 × 0.8571 = −14.424993 → −14.42, net 14.02 × 0.8571 = 12.016542
//	       → 12.02, VAT 2.81 × 0.8571 = 2.408451 → 2.41; they sum to +0.01, so the booker's
//	       FX rounding line (€0.00) carries −0.01.
//	       Xero on 12.02: 2.404 → 2.40, a penny short of 2.41; on 12.03: 2.406 → 2.41 (no tie),
//	       so the journal writes 12.03 at 20% and −0.01 No VAT on Travel:
//	       −14.42 + 12.03 + 2.41 − 0.01 − 0.01 = 0.00.
//	       QuickBooks: one currency, one rate: the entry in EUR at 0.8571 (€16.83 credit,
//	       Travel €14.02 with tax €2.81), the zero FX rounding line left out.
//	txn:j  08/03 exchange £100.00 → €116.00 at the legs' own rate 100/116 = 0.862069: GBP
//	       bank −100.00 and FX clearing +100.00; EUR bank +116.00 → 100.00 and FX clearing
//	       −116.00 → −100.00. Two currencies: QuickBooks gets it in GBP at the base amounts.
//	txn:k  09/03 ¥1,500 card payment, no rate for JPY: no base amount. In neither file.
func foreignLines() []transform.Line {
	dec := decimal.RequireFromString
	nd := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }
	var out []transform.Line
	add := func(entry string, day int, src string, idx int, role, code, name, amount, cur, base, rate string, f func(*transform.Line)) {
		l := transform.Line{
			Key:     transform.LineKey{SourceType: src, SourceID: entry[4:], Index: idx, Role: role},
			Version: 1, EntryID: entry, BookingDate: time.Date(2024, 3, day, 0, 0, 0, 0, time.UTC), Period: "2024-03",
			AccountCode: code, AccountName: name, Amount: dec(amount), Currency: cur,
		}
		if base != "" {
			l.BaseAmount, l.BaseRate = nd(base), nd(rate)
		}
		if f != nil {
			f(&l)
		}
		out = append(out, l)
	}
	hotel := func(l *transform.Line) { l.Merchant, l.Description, l.ExpenseID = "Hotel Paris", "Room", "e-h" }
	split := func(l *transform.Line) {
		hotel(l)
		l.CategoryName = "Travel"
		l.TaxRateID, l.TaxRateName, l.TaxRatePercent = "tr-20", "Standard 20%", nd("20")
		l.Net, l.Tax, l.Gross = nd("14.02"), nd("2.81"), nd("16.83")
	}
	const tx, ex = transform.SourceTransaction, transform.SourceExpense
	add("txn:h", 7, tx, 0, "bank", "1201", "Revolut EUR", "-16.83", "EUR", "-14.42", "0.8571", func(l *transform.Line) {
		hotel(l)
		l.RevolutAccountID = "acc-eur"
	})
	add("txn:h", 7, ex, 0, "net", "7400", "Travel", "14.02", "EUR", "12.02", "0.8571", split)
	add("txn:h", 7, ex, 0, "vat", "2201", "Input VAT", "2.81", "EUR", "2.41", "0.8571", split)
	add("txn:h", 7, tx, 0, "fx_rounding", "7960", "FX rounding", "0.00", "EUR", "-0.01", "0.8571", hotel)

	exch := func(acct string) func(*transform.Line) {
		return func(l *transform.Line) {
			l.Counterparty, l.Description, l.RevolutAccountID = "Revolut", "Exchange GBP to EUR", acct
		}
	}
	add("txn:j", 8, tx, 0, "bank", "1200", "Revolut Main GBP", "-100.00", "GBP", "-100.00", "1", exch("acc-main"))
	add("txn:j", 8, tx, 0, "fx_clearing", "1290", "FX clearing", "100.00", "GBP", "100.00", "1", exch(""))
	add("txn:j", 8, tx, 1, "bank", "1201", "Revolut EUR", "116.00", "EUR", "100.00", "0.862069", exch("acc-eur"))
	add("txn:j", 8, tx, 1, "fx_clearing", "1290", "FX clearing", "-116.00", "EUR", "-100.00", "0.862069", exch(""))

	cafe := func(l *transform.Line) { l.Merchant, l.Description = "Tokyo Cafe", "Coffee" }
	add("txn:k", 9, tx, 0, "bank", "1202", "Revolut JPY", "-1500", "JPY", "", "", func(l *transform.Line) {
		cafe(l)
		l.RevolutAccountID = "acc-jpy"
	})
	add("txn:k", 9, tx, 0, "balancing", "6200", "Subsistence", "1500", "JPY", "", "", cafe)
	return out
}

// The Xero manual journal is in the base currency only: foreign lines at their base
// amounts, the entry without a rate not written.
func TestXeroJournalForeignGolden(t *testing.T) {
	t.Parallel()
	opts := csvfmt.XeroOptions{Route: csvfmt.XeroRouteJournal}
	var b bufs
	j := csvfmt.NewXeroJournal(b.open, opts)
	var skipped []string
	for _, e := range entries(foreignLines()) {
		err := j.WriteEntry(e)
		if errors.Is(err, csvfmt.ErrNoBaseAmount) {
			skipped = append(skipped, e[0].EntryID)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	got := b.parts[0].Bytes()
	compareGolden(t, "xero_journal_foreign_2024-03.csv", got)
	if len(skipped) != 1 || skipped[0] != "txn:k" {
		t.Errorf("skipped %q, want txn:k", skipped)
	}
	if _, err := csvfmt.ValidateXeroJournal(got, opts.TaxPercents(), map[string]bool{"1200": true, "1201": true, "1202": true}, "GBP"); err != nil {
		t.Error(err)
	}
}

// QuickBooks gets a single-currency foreign entry in its currency at its rate, a
// multi-currency one in the base currency, and refuses one without a rate.
func TestQuickBooksForeignGolden(t *testing.T) {
	t.Parallel()
	var b bufs
	q := csvfmt.NewQuickBooksJournal(b.open, csvfmt.QuickBooksOptions{BaseCurrency: "GBP"})
	var skipped []string
	for _, e := range entries(foreignLines()) {
		err := q.WriteEntry(e)
		if errors.Is(err, csvfmt.ErrNoBaseAmount) {
			skipped = append(skipped, e[0].EntryID)
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	got := b.parts[0].Bytes()
	compareGolden(t, "quickbooks_journal_foreign_2024-03.csv", got)
	if len(skipped) != 1 || skipped[0] != "txn:k" {
		t.Errorf("skipped %q, want txn:k", skipped)
	}
	codes := csvfmt.DefaultQuickBooksTaxCodes().Names("")
	delete(codes, "")
	if _, err := csvfmt.ValidateQuickBooks(got, csvfmt.DefaultQuickBooksDateLayout, "GBP", codes); err != nil {
		t.Error(err)
	}
}

// A Xero manual journal holds base-currency amounts only: a JPY figure in a GBP file is
// refused by its decimals.
func TestValidateXeroJournalRefusesForeignAmounts(t *testing.T) {
	t.Parallel()
	journal := "*Narration,*Date,Description,*AccountCode,*TaxRate,*Amount,TrackingName1,TrackingOption1,TrackingName2,TrackingOption2\r\n" +
		"N,04/03/2024,,CLR1202,No VAT,-1500,,,,\r\n" +
		"N,04/03/2024,,6200,No VAT,1500,,,,\r\n"
	if _, err := csvfmt.ValidateXeroJournal([]byte(journal), csvfmt.XeroOptions{}.TaxPercents(), nil, "GBP"); err == nil {
		t.Error("a journal of yen amounts passed as GBP")
	}
}

// The QuickBooks validator refuses a base-currency line at another rate than 1, a foreign
// line at rate 1, a journal that mixes currencies, and amounts in another currency's format.
func TestValidateQuickBooksRates(t *testing.T) {
	t.Parallel()
	head := "Journal No,Journal Date,Account,Debits,Credits,Description,Name,Currency,Exchange Rate,Tax Code,Tax Amount,Class,Location\r\n"
	for name, body := range map[string]string{
		"GBP at 0.9":     "A,04/03/2024,X,1.00,,,,GBP,0.9,,,,\r\nA,04/03/2024,Y,,1.00,,,GBP,0.9,,,,\r\n",
		"EUR at 1":       "A,04/03/2024,X,1.00,,,,EUR,1,,,,\r\nA,04/03/2024,Y,,1.00,,,EUR,1,,,,\r\n",
		"no rate":        "A,04/03/2024,X,1.00,,,,EUR,,,,,\r\nA,04/03/2024,Y,,1.00,,,EUR,,,,,\r\n",
		"mixed currency": "A,04/03/2024,X,1.00,,,,EUR,0.85,,,,\r\nA,04/03/2024,Y,,1.00,,,GBP,1,,,,\r\n",
		"yen with pence": "A,04/03/2024,X,1500.00,,,,JPY,0.0052,,,,\r\nA,04/03/2024,Y,,1500.00,,,JPY,0.0052,,,,\r\n",
	} {
		if _, err := csvfmt.ValidateQuickBooks([]byte(head+body), csvfmt.DefaultQuickBooksDateLayout, "GBP", nil); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
