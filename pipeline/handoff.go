package pipeline

import "context"

// handoff runs work on its own goroutine, one item at a time and in the order they were
// handed over, so that a producer (a pager, the pending-bookings cursor) can prepare the
// next item while PostgreSQL commits the previous one. At most one item waits, so memory is
// bounded by two items whatever the length of the stream.
//
// A failed item stops the worker and cancels the context the producer reads with, so that it
// stops at once instead of preparing work that will never be done; wait returns that failure.
type handoff[T any] struct {
	items chan T
	done  chan struct{}
	err   error // set by the worker before done is closed
}

// startHandoff starts the worker. cancel is called when an item fails.
func startHandoff[T any](cancel context.CancelFunc, work func(T) error) *handoff[T] {
	h := &handoff[T]{items: make(chan T, 1), done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for it := range h.items {
			if err := work(it); err != nil {
				h.err = err
				cancel()
				return
			}
		}
	}()
	return h
}

// put hands an item over, waiting while the previous one is still queued. Once an item has
// failed the worker is gone and put returns context.Canceled (wait returns the failure).
func (h *handoff[T]) put(it T) error {
	select {
	case h.items <- it:
		return nil
	case <-h.done:
		return context.Canceled
	}
}

// wait waits until every item handed over is done and returns the first failure.
func (h *handoff[T]) wait() error {
	close(h.items)
	<-h.done
	return h.err
}

// finish waits for the worker and returns the error that explains the stop: the worker's
// failure if there was one (the producer then saw only the cancellation it caused), else
// the producer's own error.
func (h *handoff[T]) finish(produceErr error) error {
	if err := h.wait(); err != nil {
		return err
	}
	return produceErr
}
