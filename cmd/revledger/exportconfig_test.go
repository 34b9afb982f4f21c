package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters"
)

// The new keys reach the exporter: targets, receipt links (presigned by default on S3, for
// 168 hours), the Xero route, tax names and clearing accounts, QuickBooks' date format.
func TestExportersConfigFromFile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	yaml := `
export:
  url: s3://books/revledger
  targets: [xero, generic]
xero:
  route: journal
  tax_rates:
    tr-std: {expenses: "20% (VAT on Expenses)", income: "20% (VAT on Income)"}
  clearing_accounts: {"1200": "1290A"}
quickbooks:
  date_format: mm/dd/yyyy
  class_group: Department
`
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	if err := loadFile(&cfg, path); err != nil {
		t.Fatal(err)
	}
	ec, presign, err := cfg.exportersConfig()
	if err != nil {
		t.Fatal(err)
	}
	if presign != 168*time.Hour || ec.ReceiptLinks != exporters.ReceiptLinksPresigned {
		t.Errorf("S3 receipt links: %q for %s", ec.ReceiptLinks, presign)
	}
	if strings.Join(ec.Targets, ",") != "xero,generic" || ec.Xero.Route != "journal" ||
		ec.Xero.TaxRates["tr-std"].Income != "20% (VAT on Income)" || ec.Xero.Clearing["1200"] != "1290A" ||
		ec.QuickBooks.DateLayout != "01/02/2006" || ec.QuickBooks.ClassGroup != "Department" {
		t.Errorf("config = %+v", ec)
	}

	folder := defaultConfig()
	ec, presign, err = folder.exportersConfig()
	if err != nil || presign != 0 || ec.ReceiptLinks != exporters.ReceiptLinksRelative {
		t.Errorf("folder: %q %s %v", ec.ReceiptLinks, presign, err)
	}

	bad := defaultConfig()
	bad.Export.Targets = []string{"sage"}
	bad.Export.ReceiptLinks = "cdn"
	bad.Xero.Route = "both"
	bad.QuickBooks.DateFormat = "yyyy-mm"
	_, _, err = bad.exportersConfig()
	for _, want := range []string{`"sage"`, `"cdn"`, `"both"`, `"yyyy-mm"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not name %s", err, want)
		}
	}
}
