package main

import "github.com/revledger/revledger/transform"

// VATConfig is the config file's vat section: how the tax rate of each expense split counts
// for VAT (transform/vat.go) and what the workbook's VAT return counts.
type VATConfig struct {
	// Treatments maps a Revolut tax rate, by id or by name, to a treatment: standard,
	// reduced, zero, exempt, out_of_scope, reverse_charge, foreign or blocked. Rates not
	// listed are classified by name and percentage (transform.VATRules.Classify).
	Treatments map[string]string `yaml:"treatments"`
	// BlockedCategories are the Revolut category codes whose VAT cannot be reclaimed
	// (business entertainment). Omitted: transform.DefaultBlockedCategories; [] blocks none.
	BlockedCategories []string `yaml:"blocked_categories"`
	// IncludeUnapproved counts the lines of expenses not approved yet in the VAT return; they
	// are listed there either way.
	IncludeUnapproved bool `yaml:"include_unapproved"`
}

// rules are the booker's VAT rules: this section, with the books' base currency.
func (v VATConfig) rules(baseCurrency string) transform.VATRules {
	return transform.VATRules{
		Treatments: v.Treatments, BlockedCategories: v.BlockedCategories, BaseCurrency: baseCurrency,
	}.WithDefaults()
}

// chart is the configured chart with the VAT rules the booker applies.
func (c *Config) chart() transform.Chart {
	ch := c.Chart
	ch.VAT = c.VAT.rules(c.Export.BaseCurrency)
	return ch
}

// validate refuses treatments that do not exist; the errors name the key (vat.treatments.X).
func (v VATConfig) validate() error { return v.rules("GBP").Validate() }
