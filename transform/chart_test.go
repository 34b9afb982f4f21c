package transform

import (
	"reflect"
	"strings"
	"testing"
)

func TestDefaultChartIsValid(t *testing.T) {
	t.Parallel()
	if err := DefaultChart().Validate(); err != nil {
		t.Fatal(err)
	}
	c := DefaultChart()
	// Every code the default chart books to has a name, so the demo's journal reads well.
	codes := []string{c.BankDefault, c.InputVAT, c.BankFees, c.FXClearing, c.Suspense, c.EmployeeReimbursements}
	for _, code := range c.BankByCurrency {
		codes = append(codes, code)
	}
	for _, code := range c.ByTransactionType {
		codes = append(codes, code)
	}
	for _, code := range codes {
		if c.Names[code] == "" {
			t.Errorf("default chart has no name for %s", code)
		}
	}
}

func TestChartWithDefaults(t *testing.T) {
	t.Parallel()
	if got := (Chart{}).WithDefaults(); !reflect.DeepEqual(got, withEmptyAccountMap(DefaultChart())) {
		t.Errorf("empty chart with defaults = %+v, want the default chart", got)
	}
	c := Chart{
		Suspense:          "0999",
		BankByCurrency:    map[string]string{"EUR": "1250"},
		ByTransactionType: map[string]string{"topup": "3000"},
	}.WithDefaults()
	if c.Suspense != "0999" || c.BankByCurrency["EUR"] != "1250" || c.BankByCurrency["GBP"] != "1200" ||
		c.ByTransactionType["topup"] != "3000" || c.ByTransactionType["fee"] != "7901" || c.InputVAT != "2201" {
		t.Errorf("partial chart with defaults lost an override or a default: %+v", c)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("partial chart with defaults: %v", err)
	}
}

func withEmptyAccountMap(c Chart) Chart {
	c.BankByAccount = map[string]string{}
	return c
}

func TestChartValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		modify func(*Chart)
		want   []string // fragments of the error, one per problem
	}{
		{"empty input VAT", func(c *Chart) { c.InputVAT = "" }, []string{"input_vat: account code is empty"}},
		{"padded code", func(c *Chart) { c.BankFees = " 7901" }, []string{`bank_fees: account code " 7901" has leading or trailing spaces`}},
		{"suspense shared with FX clearing", func(c *Chart) { c.Suspense = c.FXClearing },
			[]string{`fx_clearing and suspense share account "1290"`}},
		{"bank account doubles as input VAT", func(c *Chart) { c.BankByCurrency["USD"] = "2201" },
			[]string{`bank_by_currency.USD: account "2201" is also input_vat`}},
		{"lower-case currency", func(c *Chart) { c.BankByCurrency["gbp"] = "1200" },
			[]string{`bank_by_currency: "gbp" is not an ISO 4217 currency code`}},
		{"type default on a bank account", func(c *Chart) { c.ByTransactionType["topup"] = "1200" },
			[]string{`by_transaction_type.topup: account "1200" is the bank account of`}},
		{"category on a bank account", func(c *Chart) { c.ByCategoryCode["461"] = "1201" },
			[]string{`by_category_code.461: account "1201" is the bank account of bank_by_currency.EUR`}},
		{"empty override", func(c *Chart) { c.ByCategoryCode["461"] = "" }, []string{"by_category_code.461: account code is empty"}},
		{"empty account id", func(c *Chart) { c.BankByAccount = map[string]string{"": "1210"} }, []string{"bank_by_account: empty Revolut account id"}},
		{"several problems at once", func(c *Chart) { c.Suspense, c.EmployeeReimbursements = "", "" },
			[]string{"suspense: account code is empty", "employee_reimbursements: account code is empty"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := DefaultChart()
			tt.modify(&c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate() = nil, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to say %q", err, w)
				}
			}
		})
	}
}

func TestChartSharedBankCodeIsAllowed(t *testing.T) {
	t.Parallel()
	// One multi-currency bank account for several currencies is a normal set-up: lines carry
	// their currency.
	c := DefaultChart()
	c.BankByCurrency["USD"] = "1200"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
}
