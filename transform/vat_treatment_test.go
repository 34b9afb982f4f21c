package transform

import (
	"strings"
	"testing"

	"github.com/revledger/revledger/extract/revolut"
)

func TestClassifyVAT(t *testing.T) {
	rules := VATRules{Treatments: map[string]string{
		"tr-config": VATExempt,        // by id
		"Hotel 10%": VATReverseCharge, // by name, matched case-insensitively below
	}}.WithDefaults()
	cases := []struct {
		name string
		in   VATInput
		want string
	}{
		{"20% GBP", VATInput{RateName: "Standard 20%", Percent: ndec("20"), Currency: "GBP"}, VATStandard},
		{"5% GBP", VATInput{RateName: "Reduced 5%", Percent: ndec("5"), Currency: "GBP"}, VATReduced},
		{"0% by percentage", VATInput{RateName: "Nil", Percent: ndec("0"), Currency: "GBP"}, VATZero},
		{"zero by name", VATInput{RateName: "Zero rated", Currency: "GBP"}, VATZero},
		{"exempt by name", VATInput{RateName: "Exempt", Percent: ndec("0"), Currency: "GBP"}, VATExempt},
		{"out of scope by name", VATInput{RateName: "Out of scope", Currency: "GBP"}, VATOutOfScope},
		{"no vat by name", VATInput{RateName: "No VAT", Currency: "GBP"}, VATOutOfScope},
		{"reverse by name", VATInput{RateName: "Reverse Charge Expenses (20%)", Percent: ndec("20"), Currency: "EUR"}, VATReverseCharge},
		{"no rate at all", VATInput{Currency: "GBP"}, VATOutOfScope},
		{"10% is foreign", VATInput{RateName: "VAT 10%", Percent: ndec("10"), Currency: "GBP"}, VATForeign},
		{"20% on JPY, merchant JPN", VATInput{RateName: "Standard 20%", Percent: ndec("20"), Currency: "JPY", MerchantCountry: "JPN"}, VATForeign},
		{"20% on EUR, no merchant", VATInput{RateName: "Standard 20%", Percent: ndec("20"), Currency: "EUR"}, VATForeign},
		{"20% on USD, UK merchant (alpha-2)", VATInput{RateName: "Standard 20%", Percent: ndec("20"), Currency: "USD", MerchantCountry: "GB"}, VATStandard},
		{"20% on USD, UK merchant (alpha-3)", VATInput{RateName: "Standard 20%", Percent: ndec("20"), Currency: "USD", MerchantCountry: "gbr"}, VATStandard},
		{"zero on JPY stays zero", VATInput{RateName: "Zero rated", Percent: ndec("0"), Currency: "JPY"}, VATZero},
		{"configured by id", VATInput{RateID: "tr-config", RateName: "Standard 20%", Percent: ndec("20"), Currency: "GBP"}, VATExempt},
		{"configured by name wins over foreign", VATInput{RateName: "hotel 10%", Percent: ndec("10"), Currency: "JPY"}, VATReverseCharge},
		{"entertainment blocked", VATInput{RateName: "Standard 20%", Percent: ndec("20"), Currency: "GBP", CategoryCode: "7600"}, VATBlocked},
		{"entertainment zero-rated stays zero", VATInput{RateName: "Zero rated", Percent: ndec("0"), Currency: "GBP", CategoryCode: "7600"}, VATZero},
		{"entertainment abroad is foreign", VATInput{RateName: "Standard 20%", Percent: ndec("20"), Currency: "EUR", CategoryCode: "7600"}, VATForeign},
	}
	for _, c := range cases {
		if got := rules.Classify(c.in); got != c.want {
			t.Errorf("%s: Classify = %q, want %q", c.name, got, c.want)
		}
	}

	// An empty, non-nil list blocks nothing; a base currency of EUR makes EUR at home.
	none := VATRules{BlockedCategories: []string{}, BaseCurrency: "eur"}.WithDefaults()
	if got := none.Classify(VATInput{RateName: "Standard 20%", Percent: ndec("20"), Currency: "EUR", CategoryCode: "7600"}); got != VATStandard {
		t.Errorf("no blocked categories, EUR books: %q, want standard", got)
	}
	if err := (VATRules{Treatments: map[string]string{"x": "half"}}).Validate(); err == nil ||
		!strings.Contains(err.Error(), `vat.treatments.x: "half"`) {
		t.Errorf("Validate of a bad treatment = %v", err)
	}
}

// vatBooker is the test settings with a reverse-charge rate and the UK defaults otherwise.
func vatBooker(t *testing.T) *Booker {
	t.Helper()
	s := testSettings()
	s.Chart.VAT = VATRules{Treatments: map[string]string{"tr-rc-jpy": VATReverseCharge}}
	b, err := NewBooker(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestBookVATTreatments books one card payment per treatment and checks every line, each
// amount worked out by hand in the comments.
func TestBookVATTreatments(t *testing.T) {
	b := vatBooker(t)
	card := func(id, account, amount, cur, country string) revolut.Transaction {
		tx := txn(id, revolut.TypeCardPayment, leg(account, amount, cur))
		tx.Merchant = &revolut.Merchant{Name: "Shop", Country: country}
		return tx
	}
	cases := []struct {
		name      string
		tx        revolut.Transaction
		split     revolut.Split
		treatment string
		want      []string
	}{
		{
			// 120.00 × 20/120 = 20.00 VAT, net 100.00.
			name: "standard", tx: card("s1", "acc-gbp", "-120.00", "GBP", "GB"),
			split:     split("120.00", "GBP", "c", "Office", "7500", "Standard 20%", "20"),
			treatment: VATStandard,
			want: []string{
				"txn:s1 0/bank 1200 -120.00 GBP",
				"txn:s1 0/net 7500 100.00 GBP [gross 120.00 = net 100.00 + tax 20.00 @20%]",
				"txn:s1 0/vat 2201 20.00 GBP [gross 120.00 = net 100.00 + tax 20.00 @20%]",
			},
		},
		{
			// 10.50 × 5/105 = 0.50 VAT, net 10.00.
			name: "reduced", tx: card("s2", "acc-gbp", "-10.50", "GBP", "GBR"),
			split:     split("10.50", "GBP", "c", "Fuel", "7300", "Reduced 5%", "5"),
			treatment: VATReduced,
			want: []string{
				"txn:s2 0/bank 1200 -10.50 GBP",
				"txn:s2 0/net 7300 10.00 GBP [gross 10.50 = net 10.00 + tax 0.50 @5%]",
				"txn:s2 0/vat 2201 0.50 GBP [gross 10.50 = net 10.00 + tax 0.50 @5%]",
			},
		},
		{
			// 0%: no VAT line, the whole 30.00 is net.
			name: "zero", tx: card("s3", "acc-gbp", "-30.00", "GBP", "GB"),
			split:     split("30.00", "GBP", "c", "Books", "461", "Zero rated", "0"),
			treatment: VATZero,
			want: []string{
				"txn:s3 0/bank 1200 -30.00 GBP",
				"txn:s3 0/net 461 30.00 GBP [gross 30.00 = net 30.00 + tax 0.00 @0%]",
			},
		},
		{
			// Exempt (insurance): the whole 45.00 on the expense, no VAT line.
			name: "exempt", tx: card("s4", "acc-gbp", "-45.00", "GBP", "GB"),
			split:     split("45.00", "GBP", "c", "Insurance", "7100", "Exempt", "0"),
			treatment: VATExempt,
			want: []string{
				"txn:s4 0/bank 1200 -45.00 GBP",
				"txn:s4 0/net 7100 45.00 GBP [gross 45.00 = net 45.00 + tax 0.00 @0%]",
			},
		},
		{
			// Out of scope, no percentage: the whole 8.00, no VAT line ("?" = no rate).
			name: "out of scope", tx: card("s5", "acc-gbp", "-8.00", "GBP", "GB"),
			split:     split("8.00", "GBP", "c", "Donations", "7800", "Out of scope", ""),
			treatment: VATOutOfScope,
			want: []string{
				"txn:s5 0/bank 1200 -8.00 GBP",
				"txn:s5 0/net 7800 8.00 GBP [gross 8.00 = net 8.00 + tax 0.00 @?%]",
			},
		},
		{
			// A 20% rate on a JPY hotel bill in Japan: foreign, the whole 18000 on 7410; the
			// 3000 (18000 × 20/120) that would have been VAT is not reclaimed.
			name: "foreign 20% on JPY", tx: card("s6", "acc-jpy", "-18000", "JPY", "JPN"),
			split:     split("18000", "JPY", "c", "Accommodation", "7410", "Standard 20%", "20"),
			treatment: VATForeign,
			want: []string{
				"txn:s6 0/bank 1211 -18000 JPY",
				"txn:s6 0/net 7410 18000 JPY [gross 18000 = net 18000 + tax 0 @20%]",
			},
		},
		{
			// A 10% hotel rate paid from the GBP account: foreign by its percentage.
			name: "foreign 10% on GBP", tx: card("s7", "acc-gbp", "-110.00", "GBP", "FRA"),
			split:     split("110.00", "GBP", "c", "Accommodation", "7410", "Hotel 10%", "10"),
			treatment: VATForeign,
			want: []string{
				"txn:s7 0/bank 1200 -110.00 GBP",
				"txn:s7 0/net 7410 110.00 GBP [gross 110.00 = net 110.00 + tax 0.00 @10%]",
			},
		},
		{
			// Client dinner (7600) at 20%: blocked, the whole 60.00 on 7600, no VAT line.
			name: "blocked entertainment", tx: card("s8", "acc-gbp", "-60.00", "GBP", "GB"),
			split:     split("60.00", "GBP", "c", "Meals & Entertainment", "7600", "Standard 20%", "20"),
			treatment: VATBlocked,
			want: []string{
				"txn:s8 0/bank 1200 -60.00 GBP",
				"txn:s8 0/net 7600 60.00 GBP [gross 60.00 = net 60.00 + tax 0.00 @20%]",
			},
		},
		{
			// Reverse charge (a "Reverse charge" rate on an EU software bill paid in GBP): the
			// supplier charged no VAT, so the 250.00 paid is the net; VAT 250.00 × 20/100 =
			// 50.00 is debited to input VAT and credited to output VAT (2202). Gross 300.00 =
			// 250.00 + 50.00 on every line of the split; the entry balances: −250 + 250 + 50 − 50.
			name: "reverse charge", tx: card("s9", "acc-gbp", "-250.00", "GBP", "IRL"),
			split:     split("250.00", "GBP", "c", "Software", "7520", "Reverse charge 20%", "20"),
			treatment: VATReverseCharge,
			want: []string{
				"txn:s9 0/bank 1200 -250.00 GBP",
				"txn:s9 0/net 7520 250.00 GBP [gross 300.00 = net 250.00 + tax 50.00 @20%]",
				"txn:s9 0/vat 2201 50.00 GBP [gross 300.00 = net 250.00 + tax 50.00 @20%]",
				"txn:s9 0/output_vat 2202 -50.00 GBP [gross 300.00 = net 250.00 + tax 50.00 @20%]",
			},
		},
		{
			// Reverse charge configured by rate id, in JPY (no minor units): 1001 × 20/100 =
			// 200.2 → 200 both ways; gross 1001 + 200 = 1201.
			name: "reverse charge in JPY", tx: card("s10", "acc-jpy", "-1001", "JPY", "JPN"),
			split:     with(split("1001", "JPY", "c", "Software", "7520", "tr-rc-jpy", "20"), func(s *revolut.Split) { s.TaxRate.Name = "Services 20%" }),
			treatment: VATReverseCharge,
			want: []string{
				"txn:s10 0/bank 1211 -1001 JPY",
				"txn:s10 0/net 7520 1001 JPY [gross 1201 = net 1001 + tax 200 @20%]",
				"txn:s10 0/vat 2201 200 JPY [gross 1201 = net 1001 + tax 200 @20%]",
				"txn:s10 0/output_vat 2202 -200 JPY [gross 1201 = net 1001 + tax 200 @20%]",
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := expense("x-"+c.tx.ID, c.tx.ID, revolut.ExpenseApproved, c.split.Amount.Amount.String(), c.split.Amount.Currency, c.split)
			bk := b.BookTransaction(c.tx, []revolut.Expense{x})
			checkInvariants(t, bk)
			checkLines(t, bk, c.want)
			for _, l := range bk.Lines {
				want := c.treatment
				if l.Key.Role == RoleBank {
					want = ""
				}
				if l.VATTreatment != want {
					t.Errorf("%s: treatment %q, want %q", l.Key, l.VATTreatment, want)
				}
				if l.Key.Role == RoleNet && l.TaxRateName == "" {
					t.Errorf("%s lost its tax rate", l.Key)
				}
			}
		})
	}
}

// TestRefundMirrorsTreatment: a refund mirrors the treatment of what it refunds, so a foreign
// purchase refunded gets no VAT line and a reverse charge is unwound both ways.
func TestRefundMirrorsTreatment(t *testing.T) {
	b := vatBooker(t)
	orig := txn("o1", revolut.TypeCardPayment, leg("acc-gbp", "-250.00", "GBP"))
	orig.Merchant = &revolut.Merchant{Name: "SaaS", Country: "IRL"}
	x := expense("xo1", "o1", revolut.ExpenseApproved, "250.00", "GBP",
		split("250.00", "GBP", "c", "Software", "7520", "Reverse charge 20%", "20"))
	refund := txn("r1", revolut.TypeCardRefund, leg("acc-gbp", "100.00", "GBP"))
	refund.RelatedTransactionID = "o1"
	bk := b.BookTransaction(refund, nil, Original{Transaction: orig, Expenses: []revolut.Expense{x}})
	checkInvariants(t, bk)
	// 100.00 back of a 250.00 reverse-charge purchase: net −100.00 on 7520, VAT 100 × 20% =
	// 20.00 unwound: input −20.00, output +20.00; gross −120.00 = −100.00 − 20.00.
	checkLines(t, bk, []string{
		"txn:r1 0/bank 1200 100.00 GBP",
		"txn:r1 0/net 7520 -100.00 GBP [gross -120.00 = net -100.00 + tax -20.00 @20%]",
		"txn:r1 0/vat 2201 -20.00 GBP [gross -120.00 = net -100.00 + tax -20.00 @20%]",
		"txn:r1 0/output_vat 2202 20.00 GBP [gross -120.00 = net -100.00 + tax -20.00 @20%]",
	})

	orig2 := txn("o2", revolut.TypeCardPayment, leg("acc-gbp", "-60.00", "GBP"))
	x2 := expense("xo2", "o2", revolut.ExpenseApproved, "60.00", "GBP",
		split("60.00", "GBP", "c", "Meals & Entertainment", "7600", "Standard 20%", "20"))
	refund2 := txn("r2", revolut.TypeCardRefund, leg("acc-gbp", "60.00", "GBP"))
	refund2.RelatedTransactionID = "o2"
	bk = b.BookTransaction(refund2, nil, Original{Transaction: orig2, Expenses: []revolut.Expense{x2}})
	checkInvariants(t, bk)
	// Blocked: the whole 60.00 back off 7600, no VAT line.
	checkLines(t, bk, []string{
		"txn:r2 0/bank 1200 60.00 GBP",
		"txn:r2 0/net 7600 -60.00 GBP [gross -60.00 = net -60.00 + tax 0.00 @20%]",
	})
	if bk.Lines[1].VATTreatment != VATBlocked {
		t.Errorf("refund treatment %q, want blocked", bk.Lines[1].VATTreatment)
	}
}
