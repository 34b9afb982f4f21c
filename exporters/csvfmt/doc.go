// Package csvfmt writes a period's ledger lines as the CSV files accountants and bookkeeping
// software import: the canonical journal and card spend (opened in a spreadsheet), and the
// import files: a precoded Xero statement per Revolut account, Xero manual journals and
// QuickBooks Online journals, each split into parts that stay within the importer's limit,
// with a validator per format (validate.go).
// (Named csvfmt, not csv, so that it never shadows encoding/csv beside it.)
//
// Every file is RFC 4180 with CRLF line ends (what the RFC specifies and what Excel, Xero and
// QuickBooks all read), UTF-8, with fields quoted only when needed. The canonical journal
// starts with a UTF-8 byte-order mark so Excel shows accents and currency signs right when
// the file is double-clicked; the import formats carry no BOM because import wizards read it
// as part of the first header name. Output depends only on the lines: no timestamps, no
// run ids, so the same data gives byte-identical files.
//
// Amounts are printed with exactly the currency's ISO 4217 minor-unit decimals, '.' as the
// decimal separator and no thousands separator. In the files meant to be opened in a
// spreadsheet (the canonical journal, cards), text that would start a formula gets a leading
// apostrophe (OWASP's advice against CSV formula injection): text starting with '=', '+', '-',
// '@', a tab, CR or LF, their fullwidth forms, or one of those after leading spaces or
// invisible characters (see Neutralize); amount columns are never altered, so "-12.50" stays a
// number. The import files carry text as it is: Xero and QuickBooks import it as text and
// never evaluate it, and would keep the apostrophe. A carriage return inside a value is
// written as a line break (CR LF), since encoding/csv would drop a lone one.
package csvfmt
