// Package revoluttest is a stateful fake of the Revolut Business API served over real HTTP,
// with seeded deterministic data, scripted changes over time and fault injection. Tests,
// benchmarks, `revledger fake-api` and `revledger demo` run against it.
package revoluttest
