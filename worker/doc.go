// Package worker runs revledger's jobs for many businesses on River, a job queue kept in
// PostgreSQL: any number of `revledger worker` processes, on any machines, share one database
// and no other server.
//
// A job's arguments carry only a business slug and dates, never a credential: the worker
// looks the business up when it runs the job (Runner, implemented by cmd/revledger). The
// kinds are sync, backfill_chunk, export_period and receipts. A job of one business is unique
// by its arguments while it is available, scheduled, running, retryable or pending, so two
// syncs of one business are never queued or running at once; a completed one does not block
// the next. Jobs of different kinds (a sync, a backfill's monthly chunks) are kept apart
// too: a job that starts while another job of its business is running is snoozed for
// Config.BusySnooze (with jitter) without touching the API. The business's run lock
// (load.Store.AcquireRunLock, an advisory lock per schema) is the second line of defence:
// a job that finds it taken is snoozed the same way, not failed.
//
// River's tables live in the control schema (revledger by default), migrated with
// rivermigrate (Migrate). Periodic syncs come from River's leader-elected periodic jobs, one
// per active business from its cron schedule in its time zone; every worker re-reads the
// businesses every minute (Config.ReloadEvery) and adds or removes the periodic jobs that
// changed, so whichever worker is leader has the current set.
//
// A job runs at most Config.JobTimeout; a job whose worker died (SIGKILL, a lost machine) is
// still "running" in the queue until River's rescuer, run by the leader every 30 seconds,
// finds it older than Config.RescueAfter and makes it retryable. RescueAfter must exceed
// JobTimeout, or a live job could be rescued and run twice.
package worker
