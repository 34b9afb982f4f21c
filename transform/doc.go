// Package transform turns Revolut records into balanced double-entry ledger lines with exact
// VAT arithmetic. It is pure: no I/O, no logging, no clock. The same input always gives the
// same lines, which is what lets the warehouse upsert by line key.
package transform
