// Package xlsx writes the period workbook revledger_{YYYY-MM}.xlsx that accountants open:
// Summary, Journal, Bank transactions, Expenses, Cards, Card references, VAT return (when the
// exporter passes one: package vatreturn), VAT summary, Trial balance (in the base currency,
// Options.BaseCurrency), Bank reconciliation and Exceptions.
//
// The big sheets are written with excelize's StreamWriter, one per sheet and all open at
// once (each spools its own XML to a temporary file past 16 MiB), so memory stays flat as
// rows grow; the ledger is read in a single pass. Expense rows are spooled to a temporary
// file and written at the end, because the Expenses sheet has one column per label group and
// the groups are only known once every line has been seen. The small sheets (Summary, VAT,
// trial balance) come from the aggregates of package report.
//
// Cells are typed: dates are numbers with a date format, amounts are numbers rounded to the
// currency's minor units with a matching number format, codes and every piece of text are
// text cells. A text cell never becomes a formula, whatever it starts with; the only formulas
// are the ones this package builds (the totals rows, VAT boxes 3 and 5, the reconciliation's
// closing and difference), each written with its computed value cached. Receipts are linked
// with cell hyperlinks, which hold a URL of any length (a presigned one passes the 255
// characters of a HYPERLINK formula). A sheet that would pass Excel's 1,048,576 rows continues on
// "Name (2)", "Name (3)"...
package xlsx
