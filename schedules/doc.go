// Package schedules is the daemon behind `revledger schedule`: cron entries (robfig/cron) that
// start runs in the business's time zone, with panic recovery and skip-if-still-running, a
// graceful shutdown that lets the current run commit or roll back its chunk within a grace
// period, and /healthz and Prometheus /metrics endpoints.
//
// One runner across replicas is not this package's job: every run takes the warehouse's run
// lock, and a run that finds it held reports ErrSkipped, which the daemon counts and logs.
package schedules
