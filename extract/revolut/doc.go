// Package revolut is a client for the Revolut Business API: authentication with a
// client-assertion JWT and a refresh token, a request rate limiter, bounded retries, typed
// models with exact decimal amounts, and pagers that never lose or repeat a record at a page
// boundary. See docs/REVOLUT-API.md for the API behaviour it is built around.
//
// # Shape
//
// NewClient takes a Config (documented defaults, checked at construction). There is one file
// per API area, as in Revolut's reference: accounts.go, transactions.go, expenses.go (with
// receipt downloads), accounting.go (categories, tax rates), labels.go, cards.go, team.go,
// counterparties.go and auth.go. Every list method returns an iter.Seq2[T, error]:
//
//   - a record that cannot be decoded is yielded as a *RecordError (with its raw JSON) and the
//     list goes on, so one bad record is quarantined rather than stopping a sync;
//   - any other error (authorisation, a 4xx, retries exhausted, a cancelled context) is
//     yielded once and ends the list.
//
// # One layer of resilience
//
// Client.send is the only place that paces, authenticates and retries. Every request, token
// calls included, waits for the limiter (evenly spaced, at 95% of Config.RatePerMinute). 429,
// 5xx, network errors and bodies that are truncated or not JSON are retried with exponential
// backoff and jitter, or after the server's Retry-After, up to Config.MaxAttempts. A 401
// refreshes the access token once. The access token is refreshed ahead of its expiry, once
// for all goroutines. A refused refresh token is an *AuthError wrapping ErrReauthorize whose
// message tells a person how to consent again; credentials never appear in errors or logs.
//
// # Paging
//
// /transactions and /expenses are paged by a time cursor, /cards, /team-members and
// /counterparties by created_before, the settings lists by page token. The time cursor
// overlaps each page boundary by a millisecond and drops the ids it has already yielded, so
// rows sharing a timestamp are neither skipped nor repeated; a millisecond holding more
// transactions than a page is read account by account (see Client.Transactions and
// *TieOverflowError for the limit).
package revolut
