package csvfmt_test

import (
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/transform"
	"github.com/shopspring/decimal"
)

// treatmentLines are three card payments on Main (1200), booked by transform's VAT treatments
// (figures by hand):
//
//	txn:fx  EUR −60.00, rate "Standard 20%" but foreign: one line 60.00 on 7400, tax 0; at
//	        0.86 the base amounts are ∓51.60 (60.00 × 0.86)
//	txn:bl  GBP −36.00, 20% on entertainment, blocked: one line 36.00 on 7600, tax 0
//	txn:rc  GBP −250.00 to a supplier abroad, reverse charge 20%: net 250.00 on 7520, input VAT
//	        +50.00 on 2201 and output VAT −50.00 on 2202 (250 × 20% = 50.00; they cancel)
func treatmentLines() []transform.Line {
	dec := decimal.RequireFromString
	nd := func(s string) decimal.NullDecimal { return decimal.NewNullDecimal(dec(s)) }
	day := time.Date(2024, 3, 4, 0, 0, 0, 0, time.UTC)
	line := func(id, role, code, amount, cur, treatment string) transform.Line {
		l := transform.Line{
			Key:     transform.LineKey{SourceType: "transaction", SourceID: id, Role: role},
			Version: 1, EntryID: "txn:" + id, BookingDate: day, Period: "2024-03",
			AccountCode: code, Amount: dec(amount), Currency: cur, Merchant: "M " + id,
		}
		if cur == "EUR" {
			l.BaseAmount, l.BaseRate = decimal.NewNullDecimal(l.Amount.Mul(dec("0.86"))), nd("0.86")
		}
		if role == transform.RoleBank {
			l.RevolutAccountID = "acc-main"
			return l
		}
		l.VATTreatment = treatment
		l.TaxRateName, l.TaxRatePercent = "Standard 20%", nd("20")
		return l
	}
	withVAT := func(l transform.Line, net, tax, gross string) transform.Line {
		l.Net, l.Tax, l.Gross = nd(net), nd(tax), nd(gross)
		return l
	}
	rcName := func(l transform.Line) transform.Line { l.TaxRateName = "Reverse charge 20%"; return l }
	return []transform.Line{
		line("fx", transform.RoleBank, "1201", "-60.00", "EUR", ""),
		withVAT(line("fx", transform.RoleNet, "7400", "60.00", "EUR", transform.VATForeign), "60.00", "0", "60.00"),
		line("bl", transform.RoleBank, "1200", "-36.00", "GBP", ""),
		withVAT(line("bl", transform.RoleNet, "7600", "36.00", "GBP", transform.VATBlocked), "36.00", "0", "36.00"),
		line("rc", transform.RoleBank, "1200", "-250.00", "GBP", ""),
		rcName(withVAT(line("rc", transform.RoleNet, "7520", "250.00", "GBP", transform.VATReverseCharge), "250.00", "50.00", "300.00")),
		rcName(withVAT(line("rc", transform.RoleVAT, "2201", "50.00", "GBP", transform.VATReverseCharge), "250.00", "50.00", "300.00")),
		rcName(withVAT(line("rc", transform.RoleOutputVAT, "2202", "-50.00", "GBP", transform.VATReverseCharge), "250.00", "50.00", "300.00")),
	}
}

// TestImportFilesFollowVATTreatment: foreign and blocked VAT is not reclaimable, so Xero and
// QuickBooks get those lines untaxed even though their rate is called "Standard 20%" (else the
// target would reclaim 20% of them); a reverse-charge split is one line of what was paid with
// the target's reverse-charge rate, which posts both VAT sides itself, so revledger's own
// input and output VAT lines are not written too.
func TestImportFilesFollowVATTreatment(t *testing.T) {
	t.Parallel()
	ents := entries(treatmentLines())

	var stmt bufs
	x := csvfmt.NewXeroStatement(stmt.open, csvfmt.XeroOptions{})
	for _, e := range ents {
		sls, rest := csvfmt.StatementLines(e)
		if len(rest) != 0 {
			t.Fatalf("%s: %d lines left out of the statement", e[0].EntryID, len(rest))
		}
		if err := x.Write(sls); err != nil {
			t.Fatal(err)
		}
	}
	if err := x.Close(); err != nil {
		t.Fatal(err)
	}
	wantStmt := "Date,Amount,Payee,Description,Reference,AccountCode,TaxType,ContactName\r\n" +
		"04/03/2024,-60.00,M fx,,txn:fx,7400,No VAT,M fx\r\n" +
		"04/03/2024,-36.00,M bl,,txn:bl,7600,No VAT,M bl\r\n" +
		"04/03/2024,-250.00,M rc,,txn:rc,7520,Reverse Charge Expenses (20%),M rc\r\n"
	if got := stmt.parts[0].String(); got != wantStmt {
		t.Errorf("Xero statement:\n%s\nwant:\n%s", got, wantStmt)
	}

	var jb bufs
	j := csvfmt.NewXeroJournal(jb.open, csvfmt.XeroOptions{Route: csvfmt.XeroRouteJournal})
	for _, e := range ents {
		if err := j.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	journal := jb.parts[0].String()
	for _, want := range []string{
		",7400,No VAT,51.60,", ",7600,No VAT,36.00,",
		",7520,Reverse Charge Expenses (20%),250.00,", ",CLR1200,No VAT,-250.00,",
	} {
		if !strings.Contains(journal, want) {
			t.Errorf("Xero journal lacks %q:\n%s", want, journal)
		}
	}
	for _, never := range []string{",2201,", ",2202,", "20% (VAT on Expenses)"} {
		if strings.Contains(journal, never) {
			t.Errorf("Xero journal has %q:\n%s", never, journal)
		}
	}

	var qb bufs
	q := csvfmt.NewQuickBooksJournal(qb.open, csvfmt.QuickBooksOptions{BaseCurrency: "GBP"})
	for _, e := range ents {
		if err := q.WriteEntry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.Close(); err != nil {
		t.Fatal(err)
	}
	for _, row := range strings.Split(qb.parts[0].String(), "\r\n") {
		if strings.Contains(row, "20.0% S") {
			t.Errorf("QuickBooks taxes a foreign or blocked line at the standard rate: %s", row)
		}
	}
}
