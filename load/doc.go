// Package load is the PostgreSQL warehouse: it applies migrations, bulk-loads raw records and
// ledger lines (COPY into staging, set-based merge), keeps sync state, run history, quarantine
// and the run lock, and streams ledger lines back out for the exporters.
//
// A run, as the pipeline drives it:
//
//  1. Extract: LoadBatch per page of a stream. Records are COPYed into ON COMMIT DROP staging
//     tables, then merged per table by one statement that computes source_hash (the sha256 of
//     the canonical jsonb text), UPDATEs the records whose hash differs and INSERTs the new
//     ones. Unchanged records are never rewritten (not even last_seen_at: a rewrite is a new
//     tuple, WAL and index work for nothing, and "loading the same batch twice changes
//     nothing" is then literally true). New or changed transactions and expenses are flagged
//     needs_booking, and their legs or splits are replaced. Quarantine and the stream's
//     checkpoint are written in the same transaction.
//  2. Book: PendingTransactions and PendingExpenses stream what needs booking, decoded from the
//     stored raw JSON; Settings gives the booker its reference data. WriteBookings writes the
//     booked lines and exceptions of a set of sources and clears their flags, in one
//     transaction.
//  3. Export: LedgerLines and Exceptions stream the current ledger for a date range;
//     RecordExport remembers which entry versions went into which files; ChangedPeriods says
//     which months a run touched.
//
// The ledger is append-only and versioned per journal entry: an entry whose lines change gets
// a new version (the old one is kept), an entry a source stops producing gets a tombstone, and
// the view ledger_current shows the latest live version of each entry. The database itself
// refuses an entry version that does not balance per currency (checked at commit), a line with
// net + tax ≠ gross, a malformed currency, and any UPDATE or DELETE of ledger rows.
//
// Every write of warehouse data takes a *RunLock and verifies inside its transaction, just
// before COMMIT, that the advisory lock is still held by the lock's connection; otherwise it
// rolls back with ErrLockLost. Run bookkeeping (StartRun, FinishRun) and RecordExport do not
// need the lock.
package load
