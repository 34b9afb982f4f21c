// Package revolut is a client for the Revolut Business API: authentication with a
// client-assertion JWT and a refresh token, a request rate limiter, bounded retries, typed
// models with exact decimal amounts, and pagers that never lose or repeat a record at a page
// boundary. See shared/revolut/API-NOTES.md for the API behaviour it is built around.
package revolut
