// Package jsonb computes, in Go, the text PostgreSQL's jsonb type prints for a JSON document.
//
// revledger identifies a raw record's content by the SHA-256 of that text (the source_hash
// of every raw table), so that the order of keys or the spacing the API happens to send never
// looks like a change. Computing it in the client instead of the database lets a load compare
// hashes before it sends any record, and send only the records that are new or changed.
// Canonical also refuses, with a reason, every document the database would refuse (a \u0000
// escape, a lone surrogate, invalid UTF-8), which Go's encoding/json lets through: such a
// record is quarantined instead of failing the write of its whole batch.
package jsonb
