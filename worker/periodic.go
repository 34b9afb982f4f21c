package worker

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"
)

// Business is what the worker needs to know of a business to schedule it and report on it.
type Business struct {
	Slug string
	// State is "active" for a business whose jobs run; any other state has no periodic job.
	State string
	// Schedule is a standard five-field cron expression (e.g. "0 2 * * *"), read in TimeZone.
	// Empty means no periodic sync.
	Schedule string
	TimeZone string
}

// Active is the business state whose periodic syncs run.
const Active = "active"

// cronSchedule is a cron expression read in a business's time zone: River asks it for the
// next run after an instant.
type cronSchedule struct {
	s   cron.Schedule
	loc *time.Location
}

func (c cronSchedule) Next(t time.Time) time.Time { return c.s.Next(t.In(c.loc)) }

// ParseSchedule reads a five-field cron expression in the IANA time zone tz.
func ParseSchedule(spec, tz string) (river.PeriodicSchedule, error) {
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("time zone %q: %w", tz, err)
	}
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, fmt.Errorf("schedule %q: %w", spec, err)
	}
	return cronSchedule{s: s, loc: loc}, nil
}

// NextRun is the next scheduled sync of b after now; ok is false when b has none.
func NextRun(b Business, now time.Time) (time.Time, bool) {
	if b.State != Active || b.Schedule == "" {
		return time.Time{}, false
	}
	s, err := ParseSchedule(b.Schedule, b.TimeZone)
	if err != nil {
		return time.Time{}, false
	}
	return s.Next(now), true
}

// periodicID names a business's periodic job (River allows letters, digits and "_-.:+"
// in an ID). It includes a hash of the schedule and the time zone, so that changing either
// replaces the job.
func periodicID(b Business) string {
	h := fnv.New32a()
	h.Write([]byte(b.Schedule + "\x00" + b.TimeZone))
	return fmt.Sprintf("sync:%s:%08x", b.Slug, h.Sum32())
}

// reloadPeriodic makes the client's periodic jobs one sync per active business with a
// schedule: new ones are added, those of removed, paused or rescheduled businesses removed.
// A business whose schedule does not parse is logged and left out; the others go on.
func (w *Worker) reloadPeriodic(ctx context.Context) error {
	list, err := w.cfg.Businesses(ctx)
	if err != nil {
		return fmt.Errorf("worker: list businesses: %w", err)
	}
	w.metrics.setBusinesses(list)
	want := make(map[string]Business, len(list))
	for _, b := range list {
		if b.State == Active && b.Schedule != "" {
			want[periodicID(b)] = b
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id, h := range w.periodic {
		if _, ok := want[id]; !ok {
			w.client.PeriodicJobs().Remove(h)
			delete(w.periodic, id)
			w.log.InfoContext(ctx, "periodic sync removed", "id", id)
		}
	}
	for id, b := range want {
		if _, ok := w.periodic[id]; ok {
			continue
		}
		sched, err := ParseSchedule(b.Schedule, b.TimeZone)
		if err != nil {
			w.log.WarnContext(ctx, "business has a schedule that does not parse; no periodic sync", "business", b.Slug, "error", err)
			continue
		}
		slug := b.Slug
		var h rivertype.PeriodicJobHandle
		h, err = w.client.PeriodicJobs().AddSafely(river.NewPeriodicJob(sched, func() (river.JobArgs, *river.InsertOpts) {
			return SyncArgs{Business: slug}, nil
		}, &river.PeriodicJobOpts{ID: id}))
		if err != nil {
			w.log.WarnContext(ctx, "add periodic sync", "business", b.Slug, "error", err)
			continue
		}
		w.periodic[id] = h
		w.log.InfoContext(ctx, "periodic sync added", "business", b.Slug, "schedule", b.Schedule, "time_zone", b.TimeZone)
	}
	return nil
}
