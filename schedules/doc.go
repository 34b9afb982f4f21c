// Package schedules is the cron daemon behind `revledger schedule`: cron entries that start
// runs, overlap prevention, one runner across replicas, health and metrics endpoints.
package schedules
