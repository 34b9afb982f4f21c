package vatreturn

import (
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/transform"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// ledger builds the lines of a period by hand, one purchase per treatment.
type ledger struct{ lines []transform.Line }

// split adds a split's lines: the net line on code, and for each extra (role, account, amount)
// a further line of the same split. Net/Tax/Gross are the split's figures on every line.
func (g *ledger) split(entry, cur, treatment, rateName, pct, code, amount, net, tax, gross string, extra ...[3]string) {
	base := transform.Line{
		EntryID: entry, BookingDate: time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC), Currency: cur,
		VATTreatment: treatment, TaxRateName: rateName, ExpenseID: "x-" + entry, ExpenseState: "approved",
		TransactionType: "card_payment",
		Net:             decimal.NewNullDecimal(d(net)), Tax: decimal.NewNullDecimal(d(tax)), Gross: decimal.NewNullDecimal(d(gross)),
	}
	if pct != "" {
		base.TaxRatePercent = decimal.NewNullDecimal(d(pct))
	}
	l := base
	l.Key = transform.LineKey{SourceType: "transaction", SourceID: entry, Role: transform.RoleNet}
	l.AccountCode, l.Amount = code, d(amount)
	g.lines = append(g.lines, l)
	for _, e := range extra {
		l := base
		l.Key = transform.LineKey{SourceType: "transaction", SourceID: entry, Role: e[0]}
		l.AccountCode, l.Amount = e[1], d(e[2])
		g.lines = append(g.lines, l)
	}
}

func (g *ledger) plain(entry, role, txType, code, amount string) {
	g.lines = append(g.lines, transform.Line{
		EntryID: entry, Key: transform.LineKey{SourceType: "transaction", SourceID: entry, Role: role},
		BookingDate: time.Date(2024, 3, 6, 0, 0, 0, 0, time.UTC), Currency: "GBP",
		AccountCode: code, Amount: d(amount), TransactionType: txType,
	})
}

func vat(amount string) [3]string { return [3]string{transform.RoleVAT, "2201", amount} }

func testLedger() []transform.Line {
	var g ledger
	g.split("std", "GBP", transform.VATStandard, "Standard 20%", "20", "7500", "100.00", "100.00", "20.00", "120.00", vat("20.00"))
	g.split("red", "GBP", transform.VATReduced, "Reduced 5%", "5", "7300", "10.00", "10.00", "0.50", "10.50", vat("0.50"))
	g.split("zero", "GBP", transform.VATZero, "Zero rated", "0", "461", "30.00", "30.00", "0.00", "30.00")
	g.split("exempt", "GBP", transform.VATExempt, "Exempt", "0", "7100", "45.00", "45.00", "0.00", "45.00")
	g.split("oos", "GBP", transform.VATOutOfScope, "Out of scope", "", "7800", "8.00", "8.00", "0.00", "8.00")
	g.split("foreign", "GBP", transform.VATForeign, "Hotel 10%", "10", "7410", "110.00", "110.00", "0.00", "110.00")
	g.split("blocked", "GBP", transform.VATBlocked, "Standard 20%", "20", "7600", "60.00", "60.00", "0.00", "60.00")
	g.split("rc", "GBP", transform.VATReverseCharge, "Reverse charge 20%", "20", "7520", "250.00", "250.00", "50.00", "300.00",
		vat("50.00"), [3]string{transform.RoleOutputVAT, "2202", "-50.00"})
	// A refund of part of a standard purchase: −40.00 net, −8.00 VAT.
	g.split("refund", "GBP", transform.VATStandard, "Standard 20%", "20", "7500", "-40.00", "-40.00", "-8.00", "-48.00", vat("-8.00"))
	// A line booked before treatments: classified here as standard (20% on GBP).
	g.split("legacy", "GBP", "", "Standard 20%", "20", "7500", "25.00", "25.00", "5.00", "30.00", vat("5.00"))
	// An expense awaiting review: 50.00 net, 10.00 VAT, listed but not counted by default.
	g.split("review", "GBP", transform.VATStandard, "Standard 20%", "20", "7500", "50.00", "50.00", "10.00", "60.00", vat("10.00"))
	for i := len(g.lines) - 2; i < len(g.lines); i++ {
		g.lines[i].ExpenseState = "awaiting_review"
	}
	// Purchases without an expense: a leg's fee (exempt), a card payment booked to suspense.
	g.plain("fee", transform.RoleFee, "card_payment", "7901", "0.66")
	g.plain("unalloc", transform.RoleBalancing, "card_payment", "9999", "12.34")
	// Not purchases: a transfer, a top-up, card spend sent back as personal.
	g.plain("transfer", transform.RoleBalancing, "transfer", "1295", "500.00")
	g.plain("personal", transform.RoleBalancing, "card_payment", "1105", "70.00")
	g.lines[len(g.lines)-1].ExpenseID, g.lines[len(g.lines)-1].ExpenseState = "x-personal", "refunded"
	g.plain("topup", transform.RoleBalancing, "topup", "1299", "-1000.00")
	// EUR: a reverse charge of 100.00 (VAT 20.00) and a foreign 55.00; no GBP value yet.
	g.split("rc-eur", "EUR", transform.VATReverseCharge, "Reverse charge 20%", "20", "7520", "100.00", "100.00", "20.00", "120.00",
		vat("20.00"), [3]string{transform.RoleOutputVAT, "2202", "-20.00"})
	g.split("foreign-eur", "EUR", transform.VATForeign, "Standard 20%", "20", "7400", "55.00", "55.00", "0.00", "55.00")
	return g.lines
}

func eq(t *testing.T, what string, got decimal.Decimal, want string) {
	t.Helper()
	if !got.Equal(d(want)) {
		t.Errorf("%s = %s, want %s", what, got, want)
	}
}

func TestReturnBoxes(t *testing.T) {
	r := Compute(testLedger(), Options{})
	b := r.Boxes
	// Box 1: the reverse charge's output VAT, 50.00.
	eq(t, "box 1", b.Box1, "50.00")
	eq(t, "box 2", b.Box2, "0")
	eq(t, "box 3", b.Box3, "50.00") // box 1 + box 2
	// Box 4: 20.00 standard + 0.50 reduced + 50.00 reverse charge − 8.00 refund + 5.00 legacy.
	eq(t, "box 4", b.Box4, "67.50")
	// Box 5: 50.00 − 67.50: HMRC owes 17.50.
	eq(t, "box 5", b.Box5, "-17.50")
	// Box 6: the reverse charge's net.
	eq(t, "box 6", b.Box6, "250.00")
	// Box 7: 100 std + 10 red + 30 zero + 45 exempt + 110 foreign (whole) + 50 blocked
	// (60 − 60×20/120) + 250 RC − 40 refund + 25 legacy + 0.66 fee + 12.34 unallocated = 593.00;
	// out of scope, the transfer, the top-up and the unapproved expense are not in it.
	eq(t, "box 7", b.Box7, "593.00")

	// Drill-down: std 2, red 2, zero 1, exempt 1, oos 1, foreign 1, blocked 1, rc 3, refund 2,
	// legacy 2, fee 1, unallocated 1 = 18 lines.
	if len(r.Items) != 18 {
		t.Errorf("%d items, want 18", len(r.Items))
	}
	byKey := map[string]Item{}
	for _, it := range r.Items {
		byKey[it.EntryID+" "+it.LineKey] = it
	}
	checks := []struct {
		key, box, treatment, net, vat string
		derived                       bool
	}{
		{"rc transaction/rc/0/net", "6, 7", transform.VATReverseCharge, "250.00", "0", false},
		{"rc transaction/rc/0/vat", "4", transform.VATReverseCharge, "0", "50.00", false},
		{"rc transaction/rc/0/output_vat", "1", transform.VATReverseCharge, "0", "50.00", false},
		{"blocked transaction/blocked/0/net", "7", transform.VATBlocked, "50.00", "0", false},
		{"oos transaction/oos/0/net", "", transform.VATOutOfScope, "0", "0", false},
		{"fee transaction/fee/0/fee", "7", transform.VATExempt, "0.66", "0", true},
		{"unalloc transaction/unalloc/0/balancing", "7", Unallocated, "12.34", "0", true},
		{"legacy transaction/legacy/0/net", "7", transform.VATStandard, "25.00", "0", true},
	}
	for _, c := range checks {
		it, ok := byKey[c.key]
		if !ok {
			t.Errorf("%s not in the drill-down", c.key)
			continue
		}
		if it.Box != c.box || it.Treatment != c.treatment || it.Derived != c.derived || !it.Net.Equal(d(c.net)) || !it.VAT.Equal(d(c.vat)) {
			t.Errorf("%s: box %q treatment %q derived %v net %s VAT %s; want %q %q %v %s %s",
				c.key, it.Box, it.Treatment, it.Derived, it.Net, it.VAT, c.box, c.treatment, c.derived, c.net, c.vat)
		}
	}

	// Not converted: EUR, 3 RC lines + 1 foreign: box 1 20, box 4 20, box 6 100, box 7 100 + 55.
	if len(r.NotConverted) != 4 || len(r.NotConvertedTotals) != 1 {
		t.Fatalf("not converted: %d items, totals %+v", len(r.NotConverted), r.NotConvertedTotals)
	}
	eur := r.NotConvertedTotals[0]
	if eur.Currency != "EUR" || eur.Lines != 4 {
		t.Errorf("EUR totals %+v", eur)
	}
	eq(t, "EUR box 1", eur.Box1, "20.00")
	eq(t, "EUR box 4", eur.Box4, "20.00")
	eq(t, "EUR box 6", eur.Box6, "100.00")
	eq(t, "EUR box 7", eur.Box7, "155.00")

	// Unapproved: the two lines of the expense awaiting review, listed, not counted.
	if len(r.Unapproved) != 2 || r.UnapprovedIncluded || !r.Unapproved[0].Unapproved {
		t.Errorf("unapproved: %+v", r.Unapproved)
	}

	// Per-rate summary: the blocked 20% split hid 60 × 20/120 = 10.00 of VAT, the foreign
	// 10% one 110 × 10/110 = 10.00; neither was reclaimed (VAT 0).
	found := 0
	for _, row := range r.Rates {
		switch {
		case row.Currency == "GBP" && row.Treatment == transform.VATBlocked:
			found++
			eq(t, "blocked irrecoverable", row.Irrecoverable, "10.00")
			eq(t, "blocked VAT", row.VAT, "0")
			eq(t, "blocked gross", row.Gross, "60.00")
		case row.Currency == "GBP" && row.Treatment == transform.VATForeign:
			found++
			eq(t, "foreign irrecoverable", row.Irrecoverable, "10.00")
		case row.Currency == "GBP" && row.Treatment == transform.VATStandard && row.RateName == "Standard 20%":
			found++
			// 100 + (−40) + 50 awaiting review: the summary is of what was booked.
			eq(t, "standard net", row.Net, "110.00")
			eq(t, "standard VAT", row.VAT, "22.00")
			if row.Splits != 3 {
				t.Errorf("standard splits %d, want 3", row.Splits)
			}
		}
	}
	if found != 3 {
		t.Errorf("found %d of the 3 rate rows checked: %+v", found, r.Rates)
	}
	if r.Rates[0].Currency != "EUR" || r.Rates[len(r.Rates)-1].Currency != "GBP" {
		t.Errorf("rates not sorted by currency: %+v", r.Rates)
	}
}

func TestReturnIncludeUnapproved(t *testing.T) {
	r := Compute(testLedger(), Options{IncludeUnapproved: true})
	// The expense awaiting review adds 50.00 to box 7 and 10.00 to box 4.
	eq(t, "box 4", r.Boxes.Box4, "77.50")  // 67.50 + 10.00
	eq(t, "box 5", r.Boxes.Box5, "-27.50") // 50.00 − 77.50
	eq(t, "box 7", r.Boxes.Box7, "643.00") // 593.00 + 50.00
	if len(r.Items) != 20 || len(r.Unapproved) != 2 || !r.UnapprovedIncluded {
		t.Errorf("items %d, unapproved %d, included %v", len(r.Items), len(r.Unapproved), r.UnapprovedIncluded)
	}
}

// TestReturnReversal: a reversing entry takes back exactly what its original counted.
func TestReturnReversal(t *testing.T) {
	var g ledger
	g.split("p", "GBP", transform.VATReverseCharge, "Reverse charge 20%", "20", "7520", "80.00", "80.00", "16.00", "96.00",
		vat("16.00"), [3]string{transform.RoleOutputVAT, "2202", "-16.00"})
	n := len(g.lines)
	for _, l := range g.lines[:n] {
		r := l
		r.EntryID += ":reversal"
		r.Key.Role += transform.ReversalSuffix
		r.Amount = l.Amount.Neg()
		g.lines = append(g.lines, r)
	}
	r := Compute(g.lines, Options{})
	for name, v := range map[string]decimal.Decimal{"1": r.Boxes.Box1, "4": r.Boxes.Box4, "6": r.Boxes.Box6, "7": r.Boxes.Box7} {
		if !v.IsZero() {
			t.Errorf("box %s = %s after the reversal, want 0", name, v)
		}
	}
	if len(r.Items) != 6 {
		t.Errorf("%d items, want 6 (3 lines and their reversals)", len(r.Items))
	}
}

// TestReturnUnallocatedRefundAndRejected: an unallocated card payment of 12.34 on suspense
// counts in box 7, and its card refund (the mirrored line, −12.34, naming the original) takes
// it back: box 7 = 12.34 − 12.34 + 30.00 = 30.00, where 30.00 is a card payment whose expense
// was rejected, booked to suspense: an unallocated purchase, counted now, not waiting for an
// approval that will not come. A card refund matched to no purchase is on no box.
func TestReturnUnallocatedRefundAndRejected(t *testing.T) {
	var g ledger
	g.plain("unalloc", transform.RoleBalancing, "card_payment", "9999", "12.34")
	g.plain("refund", transform.RoleBalancing, "card_refund", "9999", "-12.34")
	g.lines[len(g.lines)-1].RelatedTransactionID = "unalloc"
	g.plain("rejected", transform.RoleBalancing, "card_payment", "9999", "30.00")
	g.lines[len(g.lines)-1].ExpenseID, g.lines[len(g.lines)-1].ExpenseState = "x-rejected", "rejected"
	g.plain("stray", transform.RoleBalancing, "card_refund", "1296", "-5.00")
	r := Compute(g.lines, Options{})
	eq(t, "box 7", r.Boxes.Box7, "30.00")
	if len(r.Unapproved) != 0 {
		t.Errorf("%d lines held back as unapproved, want 0", len(r.Unapproved))
	}
}

// setBase gives the line of entry with role a base amount at rate, as the booker does once a
// rate is found.
func setBase(lines []transform.Line, entry, role, base, rate string) {
	for i := range lines {
		if lines[i].EntryID == entry && lines[i].Key.Role == role {
			lines[i].BaseAmount, lines[i].BaseRate = decimal.NewNullDecimal(d(base)), decimal.NewNullDecimal(d(rate))
		}
	}
}

// Lines in other currencies count at their base amounts (GBP); only a line without one is
// left out, listed as not converted. Figures by hand, on top of TestReturnBoxes' GBP lines:
//
//	rc-eur (EUR at 0.85): net 100.00 → 85.00 (boxes 6, 7), VAT 20.00 → 17.00 (box 4),
//	                      output VAT −20.00 → −17.00 (box 1: 17.00)
//	foreign-eur: 55.00 → 46.75 (box 7, the whole amount)
//	std-usd (USD at 0.79): net 12.00 → 9.48 (box 7), VAT 2.40 → 1.896 → 1.90 (box 4)
//	blocked-eur: 60.00 → 51.00; box 7 excludes the VAT it contains: 51.00 − round(51.00 ×
//	             20/120 = 8.50) = 42.50
//	foreign-jpy: ¥1,500, no rate: not converted (JPY box 7: 1500)
//
//	box 1 = 50.00 + 17.00 = 67.00; box 4 = 67.50 + 17.00 + 1.90 = 86.40;
//	box 5 = 67.00 − 86.40 = −19.40; box 6 = 250.00 + 85.00 = 335.00;
//	box 7 = 593.00 + 85.00 + 46.75 + 9.48 + 42.50 = 776.73
func TestReturnConvertsForeignLines(t *testing.T) {
	g := ledger{lines: testLedger()}
	g.split("std-usd", "USD", transform.VATStandard, "Standard 20%", "20", "7500", "12.00", "12.00", "2.40", "14.40", vat("2.40"))
	g.split("blocked-eur", "EUR", transform.VATBlocked, "Standard 20%", "20", "7600", "60.00", "60.00", "0.00", "60.00")
	g.split("foreign-jpy", "JPY", transform.VATForeign, "Japan 10%", "10", "7400", "1500", "1500", "0", "1500")
	lines := g.lines
	setBase(lines, "rc-eur", transform.RoleNet, "85.00", "0.85")
	setBase(lines, "rc-eur", transform.RoleVAT, "17.00", "0.85")
	setBase(lines, "rc-eur", transform.RoleOutputVAT, "-17.00", "0.85")
	setBase(lines, "foreign-eur", transform.RoleNet, "46.75", "0.85")
	setBase(lines, "std-usd", transform.RoleNet, "9.48", "0.79")
	setBase(lines, "std-usd", transform.RoleVAT, "1.90", "0.79")
	setBase(lines, "blocked-eur", transform.RoleNet, "51.00", "0.85")

	r := Compute(lines, Options{})
	b := r.Boxes
	eq(t, "box 1", b.Box1, "67.00")
	eq(t, "box 3", b.Box3, "67.00")
	eq(t, "box 4", b.Box4, "86.40")
	eq(t, "box 5", b.Box5, "-19.40")
	eq(t, "box 6", b.Box6, "335.00")
	eq(t, "box 7", b.Box7, "776.73")

	if len(r.NotConverted) != 1 || len(r.NotConvertedTotals) != 1 || r.NotConvertedTotals[0].Currency != "JPY" {
		t.Fatalf("not converted: %+v / %+v", r.NotConverted, r.NotConvertedTotals)
	}
	eq(t, "JPY box 7", r.NotConvertedTotals[0].Box7, "1500")
	if it := r.NotConverted[0]; it.Converted || it.Rate.Valid || !it.Amount.Equal(d("1500")) {
		t.Errorf("unconverted item %+v", it)
	}

	// The drill-down keeps the line's own amount, currency and rate beside its GBP value.
	var found int
	for _, it := range r.Items {
		switch it.EntryID + " " + it.LineKey[strings.LastIndex(it.LineKey, "/")+1:] {
		case "foreign-eur net":
			found++
			if it.Currency != "EUR" || !it.Amount.Equal(d("55.00")) || !it.Rate.Decimal.Equal(d("0.85")) ||
				!it.Net.Equal(d("46.75")) || !it.Converted || it.Box != "7" {
				t.Errorf("foreign-eur: %+v", it)
			}
		case "std-usd vat":
			found++
			if it.Currency != "USD" || !it.Amount.Equal(d("2.40")) || !it.VAT.Equal(d("1.90")) || it.Box != "4" {
				t.Errorf("std-usd VAT: %+v", it)
			}
		case "std net":
			found++
			if !it.Rate.Decimal.Equal(d("1")) || !it.Net.Equal(d("100.00")) {
				t.Errorf("GBP line: %+v", it)
			}
		}
	}
	if found != 3 {
		t.Errorf("found %d of 3 drill-down items", found)
	}
}
