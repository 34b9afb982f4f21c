// Package handoff overlaps a producer with the consumers of what it produces: a pager or the
// pending-bookings cursor prepares the next batch while PostgreSQL commits the previous one,
// and an export reads the next ledger lines while the workbook and the CSV files take these.
package handoff

import (
	"context"

	"golang.org/x/sync/errgroup"
)

// Run runs produce and consume on their own goroutines (an errgroup). produce hands items to
// put; consume gets them one at a time, in order. At most one item waits, so memory is bounded
// by two items whatever the length of the stream.
//
// A failed consume stops the consumer and cancels the context produce runs with, so that the
// producer stops at once (put returns the cancellation) instead of preparing work that will
// never be done; Run returns that failure. consume runs with ctx itself, not the group's
// context: when produce fails, the item already handed over is still consumed (a chunk
// already read is still committed), as it was before the failure. Each side owns whatever it
// counts; the caller merges the counts after Run returns.
func Run[T any](ctx context.Context, produce func(ctx context.Context, put func(T) error) error, consume func(ctx context.Context, item T) error) error {
	return Fan(ctx, produce, consume)
}

// Fan is Run with several consumers, each on a goroutine of its own: every item goes to every
// consumer, which gets them in order, and put returns once each has taken the item (at most
// one item waits per consumer). The consumers share the items: they must only read them. The
// first failure, of the producer or of any consumer, is Fan's error; it stops the producer at
// once, and each other consumer after at most the item it was given.
func Fan[T any](ctx context.Context, produce func(ctx context.Context, put func(T) error) error, consumers ...func(ctx context.Context, item T) error) error {
	g, gctx := errgroup.WithContext(ctx)
	queues := make([]chan T, len(consumers))
	for i := range queues {
		queues[i] = make(chan T, 1)
	}
	g.Go(func() error {
		defer func() {
			for _, q := range queues {
				close(q)
			}
		}()
		return produce(gctx, func(it T) error {
			for _, q := range queues {
				select {
				case q <- it:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	})
	for i, consume := range consumers {
		g.Go(func() error {
			for it := range queues[i] {
				if err := consume(ctx, it); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}
