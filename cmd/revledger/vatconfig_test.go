package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/transform"
)

// The vat section reaches the booker (treatments, blocked categories, the books' currency)
// and the exporter (include_unapproved); a treatment that does not exist is refused.
func TestVATConfigFromFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	yaml := `
export:
  base_currency: EUR
vat:
  treatments:
    tr-hotel: foreign
    "Software (EU)": reverse_charge
  blocked_categories: ["7600", "7610"]
  include_unapproved: true
chart:
  output_vat: "2210"
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	if err := loadFile(&cfg, path); err != nil {
		t.Fatal(err)
	}
	cfg.Chart = cfg.Chart.WithDefaults()
	ch := cfg.chart()
	if ch.VAT.Treatments["Software (EU)"] != transform.VATReverseCharge || !slices.Equal(ch.VAT.BlockedCategories, []string{"7600", "7610"}) ||
		ch.VAT.BaseCurrency != "EUR" || ch.OutputVAT != "2210" {
		t.Errorf("chart VAT = %+v, output %q", ch.VAT, ch.OutputVAT)
	}
	// A 20% EUR purchase is at home for EUR books; 7610 is blocked.
	if got := ch.VAT.Classify(transform.VATInput{RateName: "Standard 20%", Percent: decimal20(), Currency: "EUR", CategoryCode: "7610"}); got != transform.VATBlocked {
		t.Errorf("classify = %q, want blocked", got)
	}
	ec, _, err := cfg.exportersConfig()
	if err != nil || !ec.VATIncludeUnapproved {
		t.Errorf("exporter config: include unapproved %v, %v", ec.VATIncludeUnapproved, err)
	}

	def := defaultConfig()
	if got := def.chart().VAT.BlockedCategories; !slices.Equal(got, transform.DefaultBlockedCategories) {
		t.Errorf("default blocked categories %q", got)
	}

	bad := defaultConfig()
	bad.VAT.Treatments = map[string]string{"tr-x": "partly"}
	if err := bad.VAT.validate(); err == nil || !strings.Contains(err.Error(), `vat.treatments.tr-x: "partly" is not a treatment`) {
		t.Errorf("validate bad treatment: %v", err)
	}
}

func decimal20() decimal.NullDecimal { return decimal.NewNullDecimal(decimal.NewFromInt(20)) }
