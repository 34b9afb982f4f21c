// Package load is the PostgreSQL warehouse: it applies migrations, bulk-loads raw records and
// ledger lines (COPY into staging, set-based merge), keeps sync state, run history, quarantine
// and the run lock, and streams ledger lines back out for the exporters.
package load
