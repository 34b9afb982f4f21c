package extract

import (
	"context"
	"errors"
	"fmt"
	"iter"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/handoff"
)

// Sink stores the batches of one stream; the pipeline satisfies it with the warehouse. Put
// is called on its own goroutine, one batch at a time and in order, while the pager fetches
// the next records. A batch whose Window is empty comes last and only reports that the
// stream is done (its Chunk, Chunks and Listed are the stream's totals).
type Sink[T any] interface {
	Put(ctx context.Context, b Batch[T]) error
}

// SinkFunc adapts a function to Sink.
type SinkFunc[T any] func(ctx context.Context, b Batch[T]) error

// Put calls f.
func (f SinkFunc[T]) Put(ctx context.Context, b Batch[T]) error { return f(ctx, b) }

// Options shapes the reading of a window.
type Options struct {
	Chunking Chunking
	// Size is how many records go in one batch (see Batches).
	Size int
}

// TransactionLister is the part of the client Transactions reads with.
type TransactionLister interface {
	Transactions(ctx context.Context, opts revolut.TransactionListOptions) iter.Seq2[revolut.Transaction, error]
}

// ExpenseLister is the part of the client Expenses reads with.
type ExpenseLister interface {
	Expenses(ctx context.Context, opts revolut.ExpenseListOptions) iter.Seq2[revolut.Expense, error]
}

// ErrExpensesNotEnabled is returned by Expenses when the business does not have the
// expenses feature (revolut.IsNotEnabled): the caller books transactions without expense
// detail. The batches stored before the answer stay stored.
var ErrExpensesNotEnabled = errors.New("extract: expenses are not enabled for this business")

// Transactions reads the transactions created in w and hands them to sink in batches
// (Batches), the pager fetching the next records while sink stores the previous batch. It
// returns how many records were listed, whatever the outcome.
func Transactions(ctx context.Context, api TransactionLister, w Window, opts Options, sink Sink[revolut.Transaction]) (int64, error) {
	return window(ctx, "transactions", w, opts, func(ctx context.Context, c Window) iter.Seq2[revolut.Transaction, error] {
		return api.Transactions(ctx, revolut.TransactionListOptions{From: c.From, To: c.To})
	}, sink, nil)
}

// Expenses reads the expenses dated in w like Transactions. A business without the expenses
// feature ends the stream with ErrExpensesNotEnabled (and no final, empty batch).
func Expenses(ctx context.Context, api ExpenseLister, w Window, opts Options, sink Sink[revolut.Expense]) (int64, error) {
	return window(ctx, "expenses", w, opts, func(ctx context.Context, c Window) iter.Seq2[revolut.Expense, error] {
		return api.Expenses(ctx, revolut.ExpenseListOptions{From: c.From, To: c.To})
	}, sink, func(err error) error {
		if revolut.IsNotEnabled(err) {
			return ErrExpensesNotEnabled
		}
		return nil
	})
}

// window reads w in the batches Batches cuts and hands them to sink (handoff.Run), then a
// final empty one that reports the stream done. The producer alone counts what it listed;
// sink counts what it stored. quiet, when it returns an error for an API error, ends the
// stream with that error instead of the API's, and without the final batch.
func window[T any](ctx context.Context, name string, w Window, opts Options, list List[T], sink Sink[T], quiet func(error) error) (int64, error) {
	var listed int64
	err := handoff.Run(ctx, func(ctx context.Context, put func(Batch[T]) error) error {
		var last Batch[T]
		for b, err := range Batches(ctx, w, opts.Chunking, opts.Size, list) {
			if err != nil {
				if quiet != nil {
					if q := quiet(err); q != nil {
						return q
					}
				}
				return fmt.Errorf("extract %s %w", name, err)
			}
			listed += int64(len(b.Records))
			if err := put(b); err != nil {
				return err
			}
			last = b
		}
		return put(Batch[T]{Chunk: last.Chunks, Chunks: last.Chunks, Listed: last.Listed})
	}, sink.Put)
	return listed, err
}
