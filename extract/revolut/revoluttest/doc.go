// Package revoluttest is a stateful fake of the Revolut Business API served over real HTTP,
// with seeded deterministic data, scripted changes over time and fault injection. Tests,
// benchmarks, `revledger fake-api` and `revledger demo` run against it.
//
// # Use
//
//	srv := revoluttest.NewTestServer(t, revoluttest.Options{Seed: 7, Transactions: 5000})
//	cr := srv.Credentials()     // client id, issuer, PKCS#8 key, refresh token, auth code
//	base := srv.URL()           // http://127.0.0.1:port/api/1.0
//	truth := srv.Truth()        // what a correct client must end up with
//	srv.Advance(24 * time.Hour) // pending payments complete, expenses move, new activity
//
// Outside tests, New builds the data and Start (or Serve) listens. Nothing in the fake
// imports the client: it renders the JSON of the official spec itself, and a conformance
// test validates every endpoint against business-openapi.json.
//
// # Behaviour
//
// Authentication follows the API: POST /auth/token takes a form with grant_type
// authorization_code (one-time code, answers a refresh token) or refresh_token, and an RS256
// client assertion (iss = Credentials.Issuer, sub = ClientID, aud = https://revolut.com,
// exp in the future). Failures answer 400 {"error", "error_description"}: unauthorized_client
// for a bad assertion, invalid_grant for a used code or a revoked refresh token. Every other
// route needs a live bearer token (lifetime Options.TokenTTL) and answers 401 {"code": 9001,
// "message"} otherwise.
//
// Lists keep the API's semantics exactly, and do not help a careless client:
//   - GET /transactions: created_at in [from, to), newest first, count 1..1000 (default 100),
//     filters account, type and state. Rows sharing one created_at are normal (bulk payouts
//     of 5 to 1200 rows). Paging with to = last created_at skips the rows of that instant
//     that did not fit; an instant with more rows than a page can only be read by splitting it
//     with the account filter (each account's share of a cluster stays under 1000).
//   - GET /expenses: the same on expense_date, count 1..500; filters state, transaction_type.
//     expense_date moves to the transaction's completion time when it completes.
//   - Settings (accounting categories, tax rates, label groups, labels): limit 1..500
//     (default 100) with page_token / next_page_token (base64 of created_at and id).
//   - Cards (limit 1..100), team members and counterparties (limit 1..1000): newest first,
//     created_at strictly before created_before (default now).
//
// Out-of-range page sizes and malformed parameters answer 400 {"code": 3000, "message"}
// rather than being clamped; unknown ids answer 404 with code 3006. Settings and team-member
// errors carry an error_id as the spec's ErrorWithId does.
//
// # Data
//
// Five accounts (GBP Main and Savings, EUR, USD, JPY), card payments (some cross-currency with
// bill_amount and fee, on personal and on company cards with references), refunds linked by
// related_transaction_id, exchanges and own-account transfers with two legs, payouts and
// incoming transfers with counterparties, fees, top-ups, ATM withdrawals and tax, in every
// state. Amounts are JSON numbers in the currency's minor units (JPY has none). A leg's
// balance is the account's running balance when its transaction completed; Dataset documents
// the exact invariant. Expenses carry 1 to 3 splits summing to spent_amount (in the purchase
// currency for cross-currency payments), categories with and without codes, tax rates of 20,
// 5, 0 and 10 percent (the 10% one is named in splits without its percentage), labels of up to
// three groups, and 0 to 2 receipts (PDF, JPEG or PNG). External reimbursements and mileage
// claims have no transaction and a user-entered date up to four months back.
//
// # Time
//
// The fake's clock is Options.End when New returns, then moves with Options.Clock, plus
// every Advance. Changes due by that clock are applied before each request, in time order
// and from per-hour random streams, so the data at a given instant does not depend on how the
// time got there.
package revoluttest
