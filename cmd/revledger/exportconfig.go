package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/sink"
)

// XeroConfig is the config file's xero section.
type XeroConfig struct {
	// Route is "statement" (default: a precoded statement per Revolut account) or "journal"
	// (manual journals, the bank side on clearing accounts). Never both: Xero would count the
	// bank twice.
	Route string `yaml:"route"`
	// TaxRates maps a Revolut tax rate (id, name, a word in its name, or its percentage) to
	// Xero tax rate names, {expenses: ..., income: ...}; added to Xero UK's defaults.
	TaxRates csvfmt.TaxMap `yaml:"tax_rates"`
	// NoTaxRate is the organisation's no-tax rate name; default "No VAT".
	NoTaxRate string `yaml:"no_tax_rate"`
	// ClearingAccounts maps a Revolut account id or a bank GL code to the clearing account of
	// the journal route; default ClearingPrefix + bank code.
	ClearingAccounts map[string]string `yaml:"clearing_accounts"`
	ClearingPrefix   string            `yaml:"clearing_prefix"`
}

// QuickBooksConfig is the config file's quickbooks section.
type QuickBooksConfig struct {
	// DateFormat is the company's date format, written with dd, mm and yyyy; default
	// dd/mm/yyyy (UK). A US company uses mm/dd/yyyy.
	DateFormat string `yaml:"date_format"`
	// ClassGroup and LocationGroup name the label groups that fill Class and Location.
	ClassGroup    string `yaml:"class_group"`
	LocationGroup string `yaml:"location_group"`
	// TaxCodes maps a Revolut tax rate to QuickBooks tax codes; added to the UK defaults.
	TaxCodes csvfmt.TaxMap `yaml:"tax_codes"`
}

// defaultPresignHours is how long presigned receipt links last when receipt_links is
// presigned and presign_hours is not set: S3's maximum, 7 days.
const defaultPresignHours = 168

// exportersConfig turns the export, xero and quickbooks settings into the exporter's
// configuration and the S3 sink's presign duration.
func (c Config) exportersConfig() (exporters.Config, time.Duration, error) {
	var errs []error
	for _, t := range c.Export.Targets {
		if !slices.Contains(exporters.DefaultTargets, t) {
			errs = append(errs, fmt.Errorf("export.targets: %q is not one of %s", t, strings.Join(exporters.DefaultTargets, ", ")))
		}
	}
	loc, _ := sink.ParseURL(c.Export.URL) // validate reports a bad URL
	s3 := loc.IsS3()
	mode := c.Export.ReceiptLinks
	if mode == "" {
		mode = exporters.ReceiptLinksRelative
		if s3 {
			mode = exporters.ReceiptLinksPresigned
		}
	}
	var presign time.Duration
	switch mode {
	case exporters.ReceiptLinksRelative, exporters.ReceiptLinksObject:
	case exporters.ReceiptLinksPresigned:
		hours := c.Export.PresignHours
		if hours == 0 {
			hours = defaultPresignHours
		}
		presign = time.Duration(hours) * time.Hour
	default:
		errs = append(errs, fmt.Errorf("export.receipt_links %q: use relative, object or presigned", mode))
	}
	if mode == exporters.ReceiptLinksObject {
		presign = 0 // the object's stable URL, even if presign_hours is set
	}
	switch c.Xero.Route {
	case "", csvfmt.XeroRouteStatement, csvfmt.XeroRouteJournal:
	default:
		errs = append(errs, fmt.Errorf("xero.route %q: use statement or journal", c.Xero.Route))
	}
	layout, err := dateLayout(c.QuickBooks.DateFormat)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return exporters.Config{}, 0, err
	}
	links := mode
	if !s3 && mode != exporters.ReceiptLinksRelative {
		links = "" // a folder has no URLs: its own (relative) links
	}
	return exporters.Config{
		Company: c.Company, BaseCurrency: c.Export.BaseCurrency, Targets: c.Export.Targets, ReceiptLinks: links,
		VATIncludeUnapproved: c.VAT.IncludeUnapproved,
		Xero: csvfmt.XeroOptions{
			Route: c.Xero.Route, TaxRates: c.Xero.TaxRates, NoTaxRate: c.Xero.NoTaxRate,
			Clearing: c.Xero.ClearingAccounts, ClearingPrefix: c.Xero.ClearingPrefix,
		},
		QuickBooks: csvfmt.QuickBooksOptions{
			DateLayout: layout, ClassGroup: c.QuickBooks.ClassGroup, LocationGroup: c.QuickBooks.LocationGroup,
			TaxCodes: c.QuickBooks.TaxCodes,
		},
	}, presign, nil
}

// dateLayout turns "dd/mm/yyyy" into Go's "02/01/2006"; empty stays empty (the default).
func dateLayout(format string) (string, error) {
	if format == "" {
		return "", nil
	}
	f := strings.ToLower(format)
	if strings.Count(f, "dd") != 1 || strings.Count(f, "mm") != 1 || strings.Count(f, "yyyy") != 1 {
		return "", fmt.Errorf("quickbooks.date_format %q: write it with dd, mm and yyyy, e.g. dd/mm/yyyy", format)
	}
	r := strings.NewReplacer("yyyy", "2006", "dd", "02", "mm", "01")
	return r.Replace(f), nil
}
