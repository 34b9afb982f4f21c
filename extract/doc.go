// Package extract reads Revolut Business data for a run: the settings in full (Settings),
// the time-filtered streams by window (Transactions, Expenses: chunks cut by Window.Chunks,
// one commit and checkpoint each; bounded Batches, undecodable records set apart for
// quarantine), and the late changes the windows no longer list (RecheckTransactions). Its
// policies say which windows: Policy (transactions from the checkpoint minus a look-back,
// expenses over a wide refresh window) and LateChanges.
//
// It sits between the API client (package revolut) and the warehouse and knows nothing of
// the latter: data flows one way, handed to a small Sink the pipeline satisfies with the
// warehouse, which stores each batch and the chunk's checkpoint with its last one. Each
// function declares the small part of the client it reads with. Receipts (downloaded once
// each into the export location) are the pipeline's receipt step.
package extract
