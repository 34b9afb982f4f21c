package worker

import (
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Job kinds, as River's job table records them.
const (
	KindSync          = "sync"
	KindBackfillChunk = "backfill_chunk"
	KindExportPeriod  = "export_period"
	KindReceipts      = "receipts"
)

// Queue is the one queue revledger's jobs go to.
const Queue = "revledger"

// maxAttempts bounds the retries of a job. River's default backoff is attempt⁴ seconds
// (1 s, 16 s, 81 s, ...): eight attempts span about two and a half hours, after which the
// job is discarded and the business's next scheduled sync tries again.
const maxAttempts = 8

// uniqueWhileActive makes a job unique by its arguments while it waits or runs. Completed,
// cancelled and discarded jobs are left out, so a finished sync never blocks the next one.
func uniqueWhileActive() river.UniqueOpts {
	return river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{
			rivertype.JobStateAvailable,
			rivertype.JobStatePending,
			rivertype.JobStateRetryable,
			rivertype.JobStateRunning,
			rivertype.JobStateScheduled,
		},
	}
}

func insertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: maxAttempts, UniqueOpts: uniqueWhileActive()}
}

// SyncArgs is the nightly incremental run of one business.
type SyncArgs struct {
	Business string `json:"business" river:"unique"`
}

func (SyncArgs) Kind() string                 { return KindSync }
func (SyncArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// BackfillChunkArgs is a backfill of [From, To) of one business: dates YYYY-MM-DD in the
// business's time zone, To exclusive. A backfill is enqueued as one chunk per month
// (MonthChunks).
type BackfillChunkArgs struct {
	Business string `json:"business" river:"unique"`
	From     string `json:"from" river:"unique"`
	To       string `json:"to" river:"unique"`
}

func (BackfillChunkArgs) Kind() string                 { return KindBackfillChunk }
func (BackfillChunkArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// ExportPeriodArgs writes the files of one month (YYYY-MM) of one business.
type ExportPeriodArgs struct {
	Business string `json:"business" river:"unique"`
	Period   string `json:"period" river:"unique"`
}

func (ExportPeriodArgs) Kind() string                 { return KindExportPeriod }
func (ExportPeriodArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// ReceiptsArgs stores the receipts of one business not stored yet.
type ReceiptsArgs struct {
	Business string `json:"business" river:"unique"`
}

func (ReceiptsArgs) Kind() string                 { return KindReceipts }
func (ReceiptsArgs) InsertOpts() river.InsertOpts { return insertOpts() }

// MonthChunks splits the dates [from, to) (YYYY-MM-DD, to exclusive) at the first of each
// month: 2026-01-15..2026-03-10 gives [01-15, 02-01), [02-01, 03-01), [03-01, 03-10). The
// dates are calendar dates; the runner reads them in the business's time zone.
func MonthChunks(business, from, to string) ([]BackfillChunkArgs, error) {
	f, err := time.Parse(time.DateOnly, from)
	if err != nil {
		return nil, fmt.Errorf("backfill from %q: want YYYY-MM-DD", from)
	}
	t, err := time.Parse(time.DateOnly, to)
	if err != nil {
		return nil, fmt.Errorf("backfill to %q: want YYYY-MM-DD", to)
	}
	if !f.Before(t) {
		return nil, errors.New("backfill: from must be before to (to is exclusive)")
	}
	var out []BackfillChunkArgs
	for start := f; start.Before(t); {
		next := time.Date(start.Year(), start.Month()+1, 1, 0, 0, 0, 0, time.UTC)
		if next.After(t) {
			next = t
		}
		out = append(out, BackfillChunkArgs{Business: business, From: start.Format(time.DateOnly), To: next.Format(time.DateOnly)})
		start = next
	}
	return out, nil
}
