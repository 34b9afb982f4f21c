package handoff

import (
	"context"
	"errors"
	"slices"
	"testing"
)

// TestConsumerFailureStopsProducer: the consumer's failure is Run's error, and the producer's
// put fails at once instead of preparing more work.
func TestConsumerFailureStopsProducer(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	var produced, consumed []int
	err := Run(t.Context(), func(ctx context.Context, put func(int) error) error {
		for i := range 1000 {
			if err := put(i); err != nil {
				return err
			}
			produced = append(produced, i)
		}
		return nil
	}, func(ctx context.Context, i int) error {
		if i == 3 {
			return boom
		}
		consumed = append(consumed, i)
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the consumer's failure", err)
	}
	if !slices.Equal(consumed, []int{0, 1, 2}) {
		t.Errorf("consumed %v, want 0, 1, 2 in order", consumed)
	}
	// Item 3 failed; at most one more can have been queued (4) before put saw the failure.
	if len(produced) > 5 {
		t.Errorf("producer went on to %d items after the failure", len(produced))
	}
}

// TestProducerFailureStillConsumesHandedOver: what the producer handed over before failing is
// consumed, and the producer's error is Run's.
func TestProducerFailureStillConsumesHandedOver(t *testing.T) {
	t.Parallel()
	boom := errors.New("pager failed")
	var consumed []int
	err := Run(t.Context(), func(ctx context.Context, put func(int) error) error {
		for i := range 3 {
			if err := put(i); err != nil {
				return err
			}
		}
		return boom
	}, func(ctx context.Context, i int) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		consumed = append(consumed, i)
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Run = %v, want the producer's failure", err)
	}
	if !slices.Equal(consumed, []int{0, 1, 2}) {
		t.Errorf("consumed %v, want every item handed over", consumed)
	}
}

// TestFanGivesEveryItemToEveryConsumer: each consumer sees the whole stream, in order.
func TestFanGivesEveryItemToEveryConsumer(t *testing.T) {
	t.Parallel()
	var a, b []int
	err := Fan(t.Context(), func(ctx context.Context, put func(int) error) error {
		for i := range 100 {
			if err := put(i); err != nil {
				return err
			}
		}
		return nil
	}, func(_ context.Context, i int) error {
		a = append(a, i)
		return nil
	}, func(_ context.Context, i int) error {
		b = append(b, i*10)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 100 || len(b) != 100 || a[99] != 99 || b[99] != 990 || !slices.IsSorted(a) || !slices.IsSorted(b) {
		t.Errorf("consumers saw %d and %d items (%v, %v), want 0..99 each in order", len(a), len(b), a, b)
	}
}

// TestFanConsumerFailureStopsTheOthers: one consumer's failure is Fan's error; the producer
// stops at once and the other consumer gets at most the items already queued for it (one
// waiting, one being put), not the rest of the stream.
func TestFanConsumerFailureStopsTheOthers(t *testing.T) {
	t.Parallel()
	boom := errors.New("workbook failed")
	produced, other := 0, 0
	err := Fan(t.Context(), func(ctx context.Context, put func(int) error) error {
		for i := range 1000 {
			if err := put(i); err != nil {
				return err
			}
			produced++
		}
		return nil
	}, func(_ context.Context, i int) error {
		if i == 3 {
			return boom
		}
		return nil
	}, func(_ context.Context, i int) error {
		other++
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Fan = %v, want the consumer's failure", err)
	}
	if produced > 6 || other > 7 {
		t.Errorf("after the failure at item 3: %d items produced, %d consumed by the other consumer; want the stream stopped", produced, other)
	}
}
