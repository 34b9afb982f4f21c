package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/sink"
)

// maxReceiptFailures caps the failures listed in the summary.
const maxReceiptFailures = 20

// receiptWorkers is how many receipts download at once. The client's one rate limiter paces
// them all, so more workers never exceed the API's allowance; they only keep it used while a
// download or an upload to the export location is slow.
const receiptWorkers = 4

// receiptFlush is how many stored receipts are recorded per transaction, so that a run killed
// during a long first download keeps most of what it stored.
const receiptFlush = 200

// receiptResult is one download's outcome, sent from a worker to the step's goroutine.
type receiptResult struct {
	ref  load.ReceiptRef
	meta load.ReceiptMeta
	err  error
}

// storeReceipts is the receipt step, after the expenses are loaded. One warehouse query lists
// every receipt a stored expense refers to that is not stored where this run exports to,
// whatever the expense's date (a receipt that failed months ago is tried again), and the
// export location is listed once to tell which recorded receipts it still holds (a moved or
// emptied location gets them again). The missing ones are downloaded by receiptWorkers
// workers and recorded in batches by this goroutine, which alone touches the summary. A
// receipt that fails to download or store is counted and left for the next run, which lists
// it again; one whose id cannot name a file is quarantined with the reason and never
// downloaded. Neither stops the books.
func (r *run) storeReceipts(ctx context.Context) error {
	if r.p.receipts == nil || r.p.api == nil {
		return nil
	}
	objs, err := r.p.receipts.List(ctx, sink.ReceiptsFolder)
	if err != nil {
		return fmt.Errorf("list stored receipts: %w", err)
	}
	inSink := make(map[string]string, len(objs))
	for _, o := range objs {
		inSink[o.Key] = o.SHA256
	}
	todo, stored, err := r.p.wh.UnstoredReceipts(ctx, func(key, sum string) bool {
		got, ok := inSink[key]
		return ok && (got == "" || got == sum) // a folder lists no checksum
	})
	if err != nil {
		return err
	}
	inSink = nil
	r.sum.ReceiptsSkipped += int64(stored)

	valid := todo[:0]
	var bad []load.Quarantined
	for _, ref := range todo {
		if err := sink.CheckReceiptIDs(ref.ExpenseID, ref.ReceiptID); err != nil {
			raw, _ := json.Marshal(map[string]string{"expense_id": ref.ExpenseID, "receipt_id": ref.ReceiptID})
			bad = append(bad, load.Quarantined{Stream: streamReceipts, SourceID: ref.ExpenseID, Reason: "receipt not downloaded: " + err.Error(), Raw: raw})
			r.noteReceiptFailure(ref, err)
			r.log.WarnContext(ctx, "receipt id cannot name a file; quarantined", slog.String("expense_id", ref.ExpenseID), slog.String("error", err.Error()))
			continue
		}
		valid = append(valid, ref)
	}
	if len(bad) > 0 {
		stats, err := r.w.LoadBatch(ctx, load.Batch{Stream: streamReceipts, RunID: r.sum.RunID, Quarantine: bad})
		if err != nil {
			return err
		}
		r.tally(stats)
	}
	if len(valid) == 0 {
		return nil
	}
	r.log.InfoContext(ctx, "storing receipts", slog.Int("receipts", len(valid)), slog.Int("already_stored", stored))
	return r.downloadReceipts(ctx, valid)
}

// downloadReceipts downloads and stores refs, at most receiptWorkers at once (an errgroup
// with a limit), and records them in batches of receiptFlush on this goroutine, which alone
// counts. A failure to record stops the step (the run fails); a failed download does not: it
// is a result like a stored receipt, never an error of the group.
func (r *run) downloadReceipts(ctx context.Context, refs []load.ReceiptRef) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan receiptResult)
	var downloads errgroup.Group
	downloads.SetLimit(receiptWorkers)
	go func() {
		defer close(results)
		for _, ref := range refs {
			if ctx.Err() != nil {
				break
			}
			downloads.Go(func() error {
				meta, err := r.storeReceipt(ctx, ref)
				results <- receiptResult{ref: ref, meta: meta, err: err}
				return nil
			})
		}
		_ = downloads.Wait() // downloads report through results, never an error
	}()

	var metas []load.ReceiptMeta
	var stepErr error
	record := func() {
		if len(metas) == 0 || stepErr != nil {
			return
		}
		if _, err := r.w.LoadBatch(ctx, load.Batch{Stream: streamReceipts, RunID: r.sum.RunID, Receipts: metas}); err != nil {
			stepErr = fmt.Errorf("record %d stored receipts: %w", len(metas), err)
			cancel() // stop the downloads; drain what is in flight
			return
		}
		metas = metas[:0]
	}
	for res := range results {
		switch {
		case stepErr != nil || ctx.Err() != nil:
			// Stopping: what is still in flight is downloaded again next run.
		case res.err != nil:
			r.sum.ReceiptsFailed++
			r.noteReceiptFailure(res.ref, res.err)
			r.log.WarnContext(ctx, "receipt not stored; will retry next run", slog.String("expense_id", res.ref.ExpenseID),
				slog.String("receipt_id", res.ref.ReceiptID), slog.String("error", res.err.Error()))
		default:
			metas = append(metas, res.meta)
			r.sum.ReceiptsStored++
			r.progress(Progress{Stage: "receipts", Stream: streamReceipts, Rows: r.sum.ReceiptsStored})
			if len(metas) >= receiptFlush {
				record()
			}
		}
	}
	if stepErr != nil {
		return stepErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	record()
	return stepErr
}

func (r *run) noteReceiptFailure(ref load.ReceiptRef, err error) {
	if len(r.sum.ReceiptFailures) < maxReceiptFailures {
		r.sum.ReceiptFailures = append(r.sum.ReceiptFailures, fmt.Sprintf("%s/%s: %v", ref.ExpenseID, ref.ReceiptID, err))
	}
}

// storeReceipt downloads one receipt and stores it in the export location.
func (r *run) storeReceipt(ctx context.Context, ref load.ReceiptRef) (load.ReceiptMeta, error) {
	rc, err := r.p.api.ReceiptContent(ctx, ref.ExpenseID, ref.ReceiptID)
	if err != nil {
		return load.ReceiptMeta{}, err
	}
	defer rc.Body.Close()
	st, err := sink.PutReceipt(ctx, r.p.receipts, ref.ExpenseID, ref.ReceiptID, rc.Body)
	if err != nil {
		return load.ReceiptMeta{}, err
	}
	return load.ReceiptMeta{ExpenseID: ref.ExpenseID, ReceiptID: ref.ReceiptID, ContentType: st.ContentType,
		Size: st.Size, SHA256: st.SHA256, ObjectKey: st.Key, StoredAt: r.p.cfg.Now().UTC()}, nil
}
