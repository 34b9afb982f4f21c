package migrations

import "embed"

// FS holds the numbered migrations, NNNN_name.sql, applied in order of NNNN by load.Store.Migrate.
// An applied file must never change: its checksum is recorded and a mismatch stops Migrate.
//
//go:embed *.sql
var FS embed.FS
