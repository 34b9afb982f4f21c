package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract"
	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/load"
)

// Stream names: the keys of sync_state and of the run summary.
const (
	streamSettings     = "settings"
	streamTransactions = "transactions"
	streamExpenses     = "expenses"
	streamReceipts     = "receipts"
)

// Window is a half-open time range [From, To) in UTC, like the API's from/to filters.
type Window = extract.Window

// Summary is what one run did, for the one-screen summary and the run history.
type Summary struct {
	RunID    load.RunID
	Kind     load.RunKind // sync, backfill, export
	Window   Window
	Started  time.Time
	Finished time.Time

	// Records counts records received per stream (settings lists, transactions, expenses).
	Records map[string]int64
	// Changed counts records that were new or changed.
	Changed int64
	// Quarantined counts records that could not be decoded, kept with their raw JSON.
	Quarantined int64

	ReceiptsStored  int64
	ReceiptsSkipped int64 // already stored
	ReceiptsFailed  int64 // left for the next run

	SourcesBooked   int64
	EntriesNew      int64
	EntriesChanged  int64
	EntriesRemoved  int64 // tombstones: entries a source no longer produces
	LinesWritten    int64
	Exceptions      int64
	NotBooked       int64 // pending, declined, failed: reported, not booked
	Exports         []ExportedPeriod
	APIRequests     int64
	APIRateLimited  int64
	APIRetries      int64
	TokenRefreshes  int64
	ReceiptFailures []string // "expense/receipt: reason", capped
}

func (s *Summary) counts() map[string]int64 {
	m := map[string]int64{
		"changed": s.Changed, "quarantined": s.Quarantined,
		"receipts_stored": s.ReceiptsStored, "receipts_skipped": s.ReceiptsSkipped, "receipts_failed": s.ReceiptsFailed,
		"sources_booked": s.SourcesBooked, "entries_new": s.EntriesNew, "entries_changed": s.EntriesChanged,
		"entries_removed": s.EntriesRemoved, "lines_written": s.LinesWritten, "exceptions": s.Exceptions,
		"not_booked": s.NotBooked, "periods_exported": int64(len(s.Exports)),
		"api_rate_limited": s.APIRateLimited, "api_retries": s.APIRetries,
	}
	for k, v := range s.Records {
		m["records_"+k] = v
	}
	return m
}

// run holds the state of one run.
type run struct {
	p    *Pipeline
	w    Writer // holds the run lock; every write of the run goes through it
	sum  *Summary
	log  *slog.Logger
	base revolut.Stats // client stats at the start, so a long-lived client reports per run
}

// Sync is the nightly incremental run: settings in full, transactions from the checkpoint
// minus the look-back, expenses over the wide window, every receipt not stored yet, then
// booking and the export of every period that changed.
func (p *Pipeline) Sync(ctx context.Context) (*Summary, error) {
	now := p.cfg.Now().UTC()
	return p.execute(ctx, load.RunSync, Window{From: now.Add(-p.cfg.InitialHistory), To: now}, func(ctx context.Context, r *run) error {
		if err := r.extractSettings(ctx); err != nil {
			return err
		}
		cp, ok, err := p.wh.Checkpoint(ctx, streamTransactions)
		if err != nil {
			return err
		}
		txw, expw := p.cfg.policy().Nightly(now, cp, ok)
		expw, fullRefresh, err := r.expenseWindow(ctx, now, expw)
		if err != nil {
			return err
		}
		r.sum.Window = Window{From: minTime(txw.From, expw.From), To: now}
		if err := r.extractTransactions(ctx, txw, streamTransactions); err != nil {
			return err
		}
		if err := r.recheckTransactions(ctx, now, txw); err != nil {
			return err
		}
		if err := r.extractExpenses(ctx, expw, streamExpenses); err != nil {
			return err
		}
		if err := r.recordFullRefresh(ctx, now, fullRefresh); err != nil {
			return err
		}
		if err := r.storeReceipts(ctx); err != nil {
			return err
		}
		if err := r.book(ctx); err != nil {
			return err
		}
		return r.exportChanged(ctx)
	})
}

// Backfill extracts and books [from, to), chunk by chunk. Each chunk commits with the
// backfill's own checkpoint, so running the same backfill again resumes after the last
// committed chunk. The nightly checkpoint only ever moves forward.
func (p *Pipeline) Backfill(ctx context.Context, from, to time.Time) (*Summary, error) {
	w := Window{From: from.UTC(), To: to.UTC()}
	if w.Empty() {
		return nil, fmt.Errorf("backfill: empty range %s", w)
	}
	if now := p.cfg.Now(); w.To.After(now) {
		w.To = now.UTC()
	}
	return p.execute(ctx, load.RunBackfill, w, func(ctx context.Context, r *run) error {
		if err := r.extractSettings(ctx); err != nil {
			return err
		}
		progressKey := fmt.Sprintf("backfill %s..%s", w.From.Format(time.RFC3339), w.To.Format(time.RFC3339))
		resume, ok, err := p.wh.Checkpoint(ctx, progressKey)
		if err != nil {
			return err
		}
		// An interrupted backfill resumes after its last committed chunk; one that finished
		// runs again in full (it changes nothing unless Revolut's data changed).
		rest := w
		if ok && resume.After(w.From) && resume.Before(w.To) {
			rest.From = resume
			r.log.InfoContext(ctx, "resuming backfill", slog.Time("from", resume))
		}
		if err := r.extractTransactions(ctx, rest, progressKey); err != nil {
			return err
		}
		if err := r.extractExpenses(ctx, p.cfg.policy().BackfillExpenses(w, p.cfg.Now()), streamExpenses); err != nil {
			return err
		}
		if err := r.storeReceipts(ctx); err != nil {
			return err
		}
		if err := r.advanceNightly(ctx, w.To); err != nil {
			return err
		}
		if err := r.book(ctx); err != nil {
			return err
		}
		return r.exportChanged(ctx)
	})
}

// Export writes the given periods from the warehouse alone.
func (p *Pipeline) Export(ctx context.Context, periods []Period) (*Summary, error) {
	if len(periods) == 0 {
		return nil, errors.New("export: no period")
	}
	from, to := periods[0].From, periods[len(periods)-1].To
	return p.execute(ctx, load.RunExport, Window{From: from, To: to}, func(ctx context.Context, r *run) error {
		seq := p.exporter.Sequence()
		for _, period := range periods {
			if err := r.export(ctx, seq, period); err != nil {
				return err
			}
		}
		return nil
	})
}

// execute takes the run lock, records the run, runs body and records the outcome. The run
// history is written even when body fails or ctx was cancelled.
func (p *Pipeline) execute(ctx context.Context, kind load.RunKind, w Window, body func(context.Context, *run) error) (*Summary, error) {
	var base revolut.Stats
	if p.api != nil && kind != load.RunExport {
		base = p.api.Stats()
		// Prove the credentials before any state is touched: a revoked refresh token must
		// stop the run here, with every checkpoint as it was.
		if _, err := p.api.Authenticate(ctx); err != nil {
			return nil, fmt.Errorf("authenticate with Revolut: %w", err)
		}
	}
	lw, err := p.wh.AcquireRunLock(ctx, p.cfg.WaitForLock)
	if errors.Is(err, load.ErrLocked) {
		return nil, err // ErrLocked, as it is
	}
	if err != nil {
		return nil, fmt.Errorf("take the run lock: %w", err)
	}
	var lock Writer = lw
	if p.wrapWriter != nil {
		lock = p.wrapWriter(lock)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := lock.Release(ctx); err != nil {
			p.cfg.Logger.Warn("release run lock", slog.String("error", err.Error()))
		}
	}()
	sum := &Summary{Kind: kind, Window: w, Started: p.cfg.Now(), Records: map[string]int64{}}
	id, err := p.wh.StartRun(ctx, kind, w.From, w.To)
	if err != nil {
		return nil, fmt.Errorf("record run start: %w", err)
	}
	sum.RunID = id
	r := &run{p: p, w: lock, sum: sum, base: base, log: p.cfg.Logger.With(slog.Int64("run_id", id), slog.String("kind", string(kind)))}
	r.log.InfoContext(ctx, "run started", slog.String("window", w.String()))
	if n, err := lock.AbandonStaleRuns(ctx, id); err != nil {
		r.log.WarnContext(ctx, "could not mark earlier runs abandoned", slog.String("error", err.Error()))
	} else if n > 0 {
		r.log.WarnContext(ctx, "earlier runs ended without an outcome (killed?); marked abandoned", slog.Int("runs", n))
	}

	runErr := body(ctx, r)

	sum.Finished = p.cfg.Now()
	if p.api != nil {
		st := p.api.Stats()
		sum.APIRequests = st.Requests - r.base.Requests
		sum.APIRateLimited = st.RateLimited - r.base.RateLimited
		sum.APIRetries = st.Retries - r.base.Retries
		sum.TokenRefreshes = st.TokenRefreshes - r.base.TokenRefreshes
	}
	outcome := load.Outcome{Status: load.RunSucceeded, Counts: sum.counts(), APIRequests: sum.APIRequests}
	if runErr != nil {
		outcome.Status, outcome.Error = load.RunFailed, runErr.Error()
		if errors.Is(runErr, context.Canceled) {
			outcome.Status = load.RunCancelled
		}
	}
	finishCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	// A run that failed because its database connections were killed finds the first pooled
	// connection dead too; pgxpool drops it on failure, so another try reaches a live one.
	var finishErr error
	for range 3 {
		finishErr = p.wh.FinishRun(finishCtx, id, outcome)
		if finishErr == nil || finishCtx.Err() != nil {
			break
		}
	}
	if finishErr != nil {
		r.log.Warn("record run outcome", slog.String("error", finishErr.Error()))
	}
	if runErr != nil {
		r.log.ErrorContext(ctx, "run failed", slog.String("error", runErr.Error()))
		return sum, runErr
	}
	r.log.InfoContext(ctx, "run finished", slog.Float64("duration_seconds", sum.Finished.Sub(sum.Started).Seconds()),
		slog.Int64("lines_written", sum.LinesWritten), slog.Int64("api_requests", sum.APIRequests))
	return sum, nil
}

func (r *run) progress(ev Progress) { r.p.cfg.OnProgress(ev) }

// exportChanged exports every period that got new entry versions in this run.
func (r *run) exportChanged(ctx context.Context) error {
	periods, err := r.p.wh.ChangedPeriods(ctx, r.sum.RunID)
	if err != nil {
		return err
	}
	slices.Sort(periods)
	seq := r.p.exporter.Sequence() // booking is over: the ledger stays as it is until the last export
	for _, s := range periods {
		period, err := period.Parse(s)
		if err != nil {
			return err
		}
		if err := r.export(ctx, seq, period); err != nil {
			return err
		}
	}
	return nil
}

// export writes one period, the next of seq, and records in the warehouse which files it wrote.
func (r *run) export(ctx context.Context, seq *exporters.Sequence, period Period) error {
	label := period.String()
	res, err := seq.ExportHolding(ctx, period, strconv.FormatInt(r.sum.RunID, 10), r.w)
	if err != nil {
		return err
	}
	ex := ExportedPeriod{Period: label, Workbook: label + "/" + exporters.WorkbookName(label),
		Lines: int64(res.Manifest.Counts.Lines), Archived: res.Archived}
	files := make([]load.ExportedFile, 0, len(res.Manifest.Files))
	for _, f := range res.Manifest.Files {
		key := label + "/" + f.Name
		ex.Files = append(ex.Files, key)
		files = append(files, load.ExportedFile{Name: key, SHA256: f.SHA256, Size: f.Size, Rows: int64(f.Rows)})
	}
	if err := r.p.wh.RecordExport(ctx, r.sum.RunID, label, files); err != nil {
		return fmt.Errorf("record export of %s: %w", label, err)
	}
	// The first export made after the period's end plus the grace closes it: from then on its
	// files are final and a late change is booked as an adjustment in the first open period.
	if g := r.p.cfg.CloseGraceDays; r.p.cfg.CloseOnExport && !r.p.cfg.Now().Before(period.To.AddDate(0, 0, g)) {
		closed, err := r.w.ClosePeriod(ctx, label, "revledger run "+strconv.FormatInt(r.sum.RunID, 10), load.ClosedByExport, r.sum.RunID)
		if err != nil {
			return fmt.Errorf("close %s after its export: %w", label, err)
		}
		if closed {
			r.log.Info("period closed by its export", "period", label, "grace_days", g)
		}
	}
	r.sum.Exports = append(r.sum.Exports, ex)
	r.progress(Progress{Stage: "export", Stream: "periods", Rows: int64(len(r.sum.Exports))})
	return nil
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
