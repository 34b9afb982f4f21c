// Package csv writes a period's ledger lines as the CSV files accountants and bookkeeping
// software import: the canonical journal, a bank statement per Revolut account (Xero's
// statement import shape), a Xero manual journal and a QuickBooks Online journal.
//
// Every file is RFC 4180 with CRLF line ends (what the RFC specifies and what Excel, Xero and
// QuickBooks all read), UTF-8, with fields quoted only when needed. The canonical journal
// starts with a UTF-8 byte-order mark so Excel shows accents and currency signs right when
// the file is double-clicked; the import formats carry no BOM because import wizards read it
// as part of the first header name. Output depends only on the lines: no timestamps, no
// run ids, so the same data gives byte-identical files.
//
// Amounts are printed with exactly the currency's ISO 4217 minor-unit decimals, '.' as the
// decimal separator and no thousands separator. Text that would start a formula gets a
// leading apostrophe (OWASP's advice against CSV formula injection): text starting with '=',
// '+', '-', '@', a tab, CR or LF, their fullwidth forms, or one of those after leading spaces
// or invisible characters (see Neutralize); amount columns are never altered, so "-12.50"
// stays a number. A carriage return inside a value is written as a line break (CR LF), since
// encoding/csv would drop a lone one.
package csv
