package xlsx_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"

	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/vatreturn"
	"github.com/revledger/revledger/exporters/xlsx"
	"github.com/revledger/revledger/transform"
)

// vatLines are four purchases of March 2024, by hand: a standard GBP one (120.00 = 100.00 +
// 20.00 VAT), a GBP reverse charge of 250.00 (VAT 50.00 both ways), a foreign EUR one of
// 55.00 without a rate, a foreign EUR one of 20.00 at 0.85 (17.00), and a GBP one awaiting
// review (60.00 = 50.00 + 10.00).
func vatLines() []transform.Line {
	var out []transform.Line
	day := time.Date(2024, 3, 5, 0, 0, 0, 0, time.UTC)
	add := func(entry, cur, treatment, state, role, code, amount, net, tax, gross string) {
		l := transform.Line{
			EntryID: entry, Key: transform.LineKey{SourceType: "transaction", SourceID: entry, Role: role},
			BookingDate: day, OccurredAt: day, Period: "2024-03", AccountCode: code, AccountName: "Account " + code,
			Amount: decimal.RequireFromString(amount), Currency: cur, VATTreatment: treatment,
			ExpenseID: "x-" + entry, ExpenseState: state, TransactionType: "card_payment", Merchant: "Shop " + entry,
		}
		if role != transform.RoleBank {
			l.Net = decimal.NewNullDecimal(decimal.RequireFromString(net))
			l.Tax = decimal.NewNullDecimal(decimal.RequireFromString(tax))
			l.Gross = decimal.NewNullDecimal(decimal.RequireFromString(gross))
			l.TaxRateName, l.TaxRatePercent = "Standard 20%", decimal.NewNullDecimal(decimal.NewFromInt(20))
		} else {
			l.VATTreatment, l.RevolutAccountID = "", "acc-"+cur
		}
		out = append(out, l)
	}
	add("std", "GBP", transform.VATStandard, "approved", "bank", "1200", "-120.00", "", "", "")
	add("std", "GBP", transform.VATStandard, "approved", "net", "7500", "100.00", "100.00", "20.00", "120.00")
	add("std", "GBP", transform.VATStandard, "approved", "vat", "2201", "20.00", "100.00", "20.00", "120.00")
	add("rc", "GBP", transform.VATReverseCharge, "approved", "bank", "1200", "-250.00", "", "", "")
	add("rc", "GBP", transform.VATReverseCharge, "approved", "net", "7520", "250.00", "250.00", "50.00", "300.00")
	add("rc", "GBP", transform.VATReverseCharge, "approved", "output_vat", "2202", "-50.00", "250.00", "50.00", "300.00")
	add("rc", "GBP", transform.VATReverseCharge, "approved", "vat", "2201", "50.00", "250.00", "50.00", "300.00")
	add("eur", "EUR", transform.VATForeign, "approved", "bank", "1201", "-55.00", "", "", "")
	add("eur", "EUR", transform.VATForeign, "approved", "net", "7400", "55.00", "55.00", "0.00", "55.00")
	// A foreign EUR purchase of 20.00 with a rate (0.85): 17.00 in box 7.
	add("eur2", "EUR", transform.VATForeign, "approved", "bank", "1201", "-20.00", "", "", "")
	add("eur2", "EUR", transform.VATForeign, "approved", "net", "7400", "20.00", "20.00", "0.00", "20.00")
	for i := len(out) - 2; i < len(out); i++ {
		out[i].BaseAmount = decimal.NewNullDecimal(out[i].Amount.Mul(decimal.RequireFromString("0.85")))
		out[i].BaseRate = decimal.NewNullDecimal(decimal.RequireFromString("0.85"))
	}
	add("rev", "GBP", transform.VATStandard, "awaiting_review", "bank", "1200", "-60.00", "", "", "")
	add("rev", "GBP", transform.VATStandard, "awaiting_review", "net", "7500", "50.00", "50.00", "10.00", "60.00")
	add("rev", "GBP", transform.VATStandard, "awaiting_review", "vat", "2201", "10.00", "50.00", "10.00", "60.00")
	return out
}

func TestVATReturnSheet(t *testing.T) {
	t.Parallel()
	lines := vatLines()
	w, err := xlsx.New(xlsx.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	agg := report.NewAggregator()
	for i := range lines {
		bank, split := agg.Add(&lines[i])
		if err := w.Bank(bank); err != nil {
			t.Fatal(err)
		}
		if err := w.Line(&lines[i], split); err != nil {
			t.Fatal(err)
		}
	}
	bank, sum := agg.Finish()
	if err := w.Bank(bank); err != nil {
		t.Fatal(err)
	}
	if err := w.VATReturn(vatreturn.Compute(lines, vatreturn.Options{})); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, xlsx.Info{Period: march}, sum); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	want := []string{"Summary", "Journal", "Adjustments", "Bank transactions", "Expenses", "Cards", "Card references", "VAT return", "VAT summary", "Trial balance", "Bank reconciliation", "Exceptions"}
	if got := f.GetSheetList(); !slices.Equal(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	rows, err := f.GetRows("VAT return", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	// Boxes, rows 5–11: 1 = 50 (RC output); 2 = 0; 3 = 50; 4 = 20 + 50 = 70 (the 10.00 awaiting
	// review excluded); 5 = 50 − 70 = −20; 6 = 250 (RC net); 7 = 100 + 250 + 17 (€20.00 at
	// 0.85) = 367 (the EUR 55 is not converted, the 50 awaiting review excluded).
	wantBoxes := [][2]string{{"1", "50"}, {"2", "0"}, {"3", "50"}, {"4", "70"}, {"5", "-20"}, {"6", "250"}, {"7", "367"}}
	for i, wb := range wantBoxes {
		r := rows[4+i]
		if len(r) < 3 || r[0] != wb[0] || r[2] != wb[1] {
			t.Errorf("row %d = %q, want box %s = %s", 5+i, r, wb[0], wb[1])
		}
	}
	for cell, formula := range map[string]string{"C7": "C5+C6", "C9": "C7-C8"} {
		if got, _ := f.GetCellFormula("VAT return", cell); got != formula {
			t.Errorf("%s formula %q, want %q", cell, got, formula)
		}
	}
	if got, _ := f.GetCellStyle("VAT return", "C11"); got == 0 {
		t.Error("box 7 has no number format")
	}
	// Sections: counted (std net + vat, RC net + output + vat, the converted EUR net = 6), not
	// converted (EUR net), not approved (2 lines). The converted EUR line shows €20.00 at 0.85
	// beside its 17.00; the unconverted one its €55.00 and no GBP figure.
	sections := map[string]int{}
	notConverted := ""
	for _, r := range rows {
		if len(r) >= 17 && r[1] != "" {
			sections[r[16]]++
		}
		if len(r) >= 17 && r[6] == "eur2" {
			if got := []string{r[2], r[9], r[10], r[11]}; !slices.Equal(got, []string{"17", "EUR", "20", "0.85"}) {
				t.Errorf("converted EUR drill-down: net, currency, amount, rate = %q", got)
			}
		}
		if len(r) >= 17 && r[6] == "eur" && (r[2] != "" || r[10] != "55" || r[11] != "") {
			t.Errorf("unconverted EUR drill-down row %q", r)
		}
		if len(r) >= 6 && r[0] == "EUR" {
			notConverted = r[1] + " lines, box 7 " + r[5]
		}
	}
	if sections["counted"] != 6 || sections["not converted"] != 1 || sections["not approved (excluded)"] != 2 {
		t.Errorf("drill-down sections %v", sections)
	}
	if notConverted != "1 lines, box 7 55" {
		t.Errorf("not converted EUR row: %q", notConverted)
	}

	// The VAT summary is per rate and treatment now.
	vs, _ := f.GetRows("VAT summary", excelize.Options{RawCellValue: true})
	if h := vs[0]; !slices.Equal(h, []string{"Currency", "Treatment", "Tax rate name", "Tax rate", "Net", "VAT", "Gross", "Irrecoverable VAT", "Splits"}) {
		t.Errorf("VAT summary header %q", h)
	}
	// EUR foreign first, two splits: 55.00 gross hides 55 × 20/120 = 9.17 of foreign VAT and
	// 20.00 hides 3.33: 75.00 and 12.50 (the summary is per currency, as booked).
	if r := vs[1]; !slices.Equal(r, []string{"EUR", "foreign", "Standard 20%", "0.2", "75", "0", "75", "12.5", "2"}) {
		t.Errorf("EUR foreign row %q", r)
	}
}
