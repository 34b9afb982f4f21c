// Package testenv gives integration tests the real services they run against: a fresh
// PostgreSQL database per test and a real S3-compatible server (versitygw) per test, both
// cleaned up when the test ends.
//
// Where a service cannot be had, a test fails under CI=true and is skipped locally, with a
// message that says how to get the service. Nothing here mocks a service.
package testenv
