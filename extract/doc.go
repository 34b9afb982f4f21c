// Package extract holds the extraction policies of a run: which window of each
// time-filtered Revolut stream to read (Policy: transactions from the checkpoint minus a
// look-back, expenses over a wide refresh window), how to cut it for storage (Window.Chunks:
// one commit and checkpoint per chunk), and how its records arrive for loading (Batches:
// bounded batches that end every chunk, undecodable records set apart for quarantine).
//
// It sits between the API client (package revolut) and the pipeline, and knows nothing of
// the warehouse: the pipeline stores each batch, and the chunk's checkpoint with its last
// one. Streams read in full every run (settings, accounts, cards, team members) and receipts
// (downloaded once each) need no window and are read by the pipeline directly.
package extract
