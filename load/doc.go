// Package load is the PostgreSQL warehouse: it applies migrations, bulk-loads raw records and
// ledger lines (a set-based comparison with what is stored, then COPY of only what is new or
// changed), keeps sync state, run history, quarantine and the run lock, and streams ledger
// lines back out for the exporters.
//
// A run, as the pipeline drives it:
//
//  1. Extract: LoadBatch per batch of a stream. Each record's source_hash is the sha256 of its
//     canonical jsonb text, computed in Go (internal/jsonb writes the text PostgreSQL would;
//     TestSourceHashIsRawHash holds it to the database's raw_hash). One query reads the
//     stored hashes of the batch's ids; new records are then COPYed straight into the table
//     (each hashed as it streams), changed ones COPYed into an ON COMMIT DROP staging table
//     and UPDATEd from there, and unchanged ones are neither sent nor rewritten (not even
//     last_seen_at: a rewrite is a new tuple, WAL and index work for nothing, and "loading
//     the same batch twice changes nothing" is then literally true). A record PostgreSQL's jsonb would refuse is
//     quarantined with the reason. New or changed transactions and expenses are flagged
//     needs_booking, and their legs or splits are replaced. Quarantine and the stream's
//     checkpoint are written in the same transaction.
//  2. Book: PendingTransactions and PendingExpenses stream what needs booking, decoded from the
//     stored raw JSON; Settings gives the booker its reference data. WriteBookings writes the
//     booked lines and exceptions of a set of sources and clears their flags, in one
//     transaction: it reads the current heads of the sources' entries, decides which entries
//     are new, changed or gone by comparing hashes of their lines, and COPYs only the lines,
//     heads and versions of those. RevaluationBalances gives the month-end balances of the
//     foreign bank accounts for the month-end revaluation, in one query; FlagUnvaluedForBooking
//     books again, once, what was booked before base values existed.
//  3. Export: LedgerLines and Exceptions stream the current ledger for a date range;
//     OpeningBalances sums what lies before it (balances.go);
//     RecordExport remembers which entry versions went into which files; ChangedPeriods says
//     which months a run touched.
//
// The ledger is append-only and versioned per journal entry: an entry whose lines change gets
// a new version (the old one is kept), an entry a source stops producing gets a tombstone, and
// the view ledger_current shows the latest live version of each entry. The database itself
// refuses an entry version that does not balance per currency (checked at commit), lines for
// an entry version the same transaction did not record (a committed version's lines are
// final), a line with net + tax ≠ gross, a malformed currency, any UPDATE or DELETE of ledger
// rows, and any change to a recorded version but its closing.
//
// Every write of warehouse data is a method of the *Writer that AcquireRunLock returns (the
// holder of the run lock), and verifies inside its transaction, just before COMMIT, that the
// advisory lock is still held by the lock's connection; otherwise it rolls back with
// ErrLockLost. Reads, run bookkeeping (StartRun, FinishRun) and RecordExport are methods of
// *Store and do not need the lock.
package load
