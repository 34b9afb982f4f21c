package exporters_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/sink"
)

// Example exports March 2024 to a folder, the way the pipeline does after loading: store the
// receipts it downloaded, then export the period.
func Example() {
	ctx := context.Background()
	root, _ := os.MkdirTemp("", "revledger-example-*")
	defer os.RemoveAll(root)

	s, err := sink.Open(ctx, sink.Config{URL: "file://" + root})
	if err != nil {
		panic(err)
	}
	// A receipt, stored under receipts/e-1/r-1.pdf and linked from the workbook.
	if _, err := sink.PutReceipt(ctx, s, "e-1", "r-1", bytes.NewReader([]byte("%PDF-1.4\n%%EOF\n"))); err != nil {
		panic(err)
	}

	ledger := ledgertest.Sample() // the pipeline passes its *load.Store
	e := exporters.New(ledger, s, exporters.Config{
		Company: "Acme Ltd",
		Now:     func() time.Time { return time.Date(2024, 4, 1, 2, 0, 0, 0, time.UTC) },
	})
	res, err := e.Export(ctx, period.Month(2024, 3), "run-42")
	if err != nil {
		panic(err)
	}
	for _, f := range res.Manifest.Files {
		fmt.Printf("2024-03/%s: %d rows\n", f.Name, f.Rows)
	}
	for _, t := range res.Manifest.Totals {
		fmt.Printf("%s debit %s credit %s\n", t.Currency, t.Debit, t.Credit)
	}
	// Output:
	// 2024-03/adjustments_2024-03.csv: 0 rows
	// 2024-03/cards_2024-03.csv: 0 rows
	// 2024-03/journal_2024-03.csv: 14 rows
	// 2024-03/quickbooks_journal_2024-03.csv: 12 rows
	// 2024-03/revledger_2024-03.xlsx: 14 rows
	// 2024-03/xero_journal_2024-03.csv: 0 rows
	// 2024-03/xero_statement_revolut-eur_2024-03.csv: 1 rows
	// 2024-03/xero_statement_revolut-gbp_2024-03.csv: 4 rows
	// 2024-03/xero_statement_revolut-jpy_2024-03.csv: 1 rows
	// EUR debit 500.00 credit 500.00
	// GBP debit 42.50 credit 42.50
	// JPY debit 1500 credit 1500
}
