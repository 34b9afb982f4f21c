// Command revledger extracts Revolut Business data, books it as a balanced double-entry ledger
// in PostgreSQL and writes the workbook and CSV files accountants open.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "revledger: the job is not wired up yet; `revledger demo` cannot run the job until it is (see the open issues).")
	os.Exit(2)
}
