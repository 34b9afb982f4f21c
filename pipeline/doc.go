// Package pipeline runs one job: it plans the windows of a sync or backfill, drives extract →
// transform → load with each stream's checkpoint committed alongside its data, then exports
// the periods that changed and records the run.
package pipeline
