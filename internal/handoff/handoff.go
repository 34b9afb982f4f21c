// Package handoff overlaps a producer with the consumer of what it produces: a pager or the
// pending-bookings cursor prepares the next batch while PostgreSQL commits the previous one.
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
	g, gctx := errgroup.WithContext(ctx)
	items := make(chan T, 1)
	g.Go(func() error {
		defer close(items)
		return produce(gctx, func(it T) error {
			select {
			case items <- it:
				return nil
			case <-gctx.Done():
				return gctx.Err()
			}
		})
	})
	g.Go(func() error {
		for it := range items {
			if err := consume(ctx, it); err != nil {
				return err
			}
		}
		return nil
	})
	return g.Wait()
}
