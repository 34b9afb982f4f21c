// Package exporters writes what accountants open for one period, from the ledger in the
// warehouse to a folder or S3: the workbook revledger_{YYYY-MM}.xlsx, the canonical
// journal_{YYYY-MM}.csv and cards_{YYYY-MM}.csv (card spend against each card's limit) for
// the generic target, the Xero files (a precoded xero_statement_{account}_{YYYY-MM}.csv per
// Revolut account and xero_journal_{YYYY-MM}.csv manual journals) and the QuickBooks Online
// quickbooks_journal_{YYYY-MM}.csv, each split into parts within its importer's limit
// (imports.go), and manifest.json, all under {YYYY-MM}/. Card labels,
// states and limits come from the warehouse when the Ledger is also a CardSource, and the trial
// balance's openings and each bank reconciliation's opening when it is an OpeningSource.
//
// An Exporter reads the period's lines once, in the warehouse's order, through the Ledger
// interface it declares (package load satisfies it), and feeds every format at the same time;
// package report computes totals, checks and running balances on the way. Files are written
// to a private temporary folder, hashed while written, then uploaded through the Sink, the
// manifest last: a reader who finds a manifest finds every file it lists.
//
// History: the manifest's content_sha256 fingerprints the data (the CSVs' hashes and the
// exceptions; the workbook is left out because it names the run). When a re-export finds a
// previous manifest with another fingerprint, the previous files and manifest are first
// copied to {YYYY-MM}/history/{previous run id}/, so the version the accountant may already
// have imported stays retrievable; an unchanged re-export just rewrites the same CSV bytes.
package exporters
