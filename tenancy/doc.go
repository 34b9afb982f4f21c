// Package tenancy is multi-business mode's control plane: the registry of businesses (one row
// each in revledger.businesses), their credentials encrypted at rest, and the warehouse of
// each business, which is the ordinary warehouse (load, migrations/) in a PostgreSQL schema of
// its own, biz_<slug with - as _>.
//
// Schema per business rather than a business_id column on every table: every warehouse
// query, constraint and trigger works unchanged, so no query can forget a WHERE business_id
// and read another business's books; one business is deleted with DROP SCHEMA ... CASCADE
// and exported with pg_dump -n. docs/MULTI-BUSINESS.md has the measurements.
//
// Secrets (the API private key and the refresh token) are sealed with AES-256-GCM by a
// Keyring (REVLEDGER_SECRET_KEY or a key file) before they reach the database, and never
// appear in an error, a log or fmt output of Credentials.
package tenancy
