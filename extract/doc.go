// Package extract holds the per-stream extraction policies of a run: which window of which
// Revolut stream to pull and how (transactions with a look-back, expenses over a wide refresh
// window, receipts only when new, settings, accounts, cards and team members in full).
//
// It sits between the API client (package revolut) and the pipeline.
//
// Status: not written yet; the pipeline calls the client directly until it is.
package extract
