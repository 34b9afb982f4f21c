// Package sink stores the exported files and the receipts: in a local folder (file:///path)
// or in S3 (s3://bucket/prefix), one object per key, each with its SHA-256. It is its own
// package, not part of exporters, because the receipt download stores into it too; ParseURL
// is the one reader of the export URL.
//
// Writes are atomic per object: the folder sink writes a temporary file beside the target
// and renames it over; S3 shows an object only once its upload (single or multipart) has
// completed. Every object carries the SHA-256 of its whole content (S3 user metadata
// "sha256", and S3's own SHA-256 checksum on every request and part, so corruption in transit
// is refused by the server; a multipart object's S3 checksum is composite, which is why the
// whole-file hash is kept too). Stat returns it, so callers can skip an upload whose content
// is already there.
//
// Receipts live under receipts/{expense_id}/{receipt_id}.{ext}, the extension and content
// type taken from the file's first bytes.
package sink
