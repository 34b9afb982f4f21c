package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/transform"
)

// rateBook is the transform.RateBook of one booking stage: the reference rates to the base
// currency, by currency and booking day, that booking may ask for. It is filled before each
// batch is booked (prefetch), so the booker stays pure and asks nothing of the network or the
// database itself: the rates stored in fx_rates are read in one query when booking starts,
// and only the rates a batch needs that are not stored yet are fetched from the publisher
// (through load.FXRateCache, which stores them).
//
// A rate the publisher does not have (rates.ErrNoRate), or has only provisionally (a day it
// may still publish for), is missing: the entry is booked without base values, with a
// missing_fx_rate exception, and booked again on a later run. A publisher that fails (an
// outage, a malformed file) does not fail the run: it is logged once and not asked again
// during this booking, and its rates are missing too.
//
// It is used by the reading side of booking only (bookPending), one goroutine.
type rateBook struct {
	base  string
	src   rates.Source // the cache around the publisher; nil: no publisher
	name  string
	log   *slog.Logger
	known map[rateKey]rateAnswer
	down  error // the publisher's failure, once it failed
}

type rateKey struct {
	currency string
	day      time.Time
}

type rateAnswer struct {
	value decimal.Decimal
	ok    bool
}

// RateStore is the part of the warehouse the rates of booking go through. *load.Store
// satisfies it.
type RateStore interface {
	load.FXRateStore
	FXRatesTo(ctx context.Context, source, to string) (map[string]map[time.Time]rates.Rate, error)
}

// newRateBook reads the stored rates of src into base (none when src is nil).
func newRateBook(ctx context.Context, store RateStore, src rates.Source, base string, log *slog.Logger) (*rateBook, error) {
	rb := &rateBook{base: base, log: log, known: map[rateKey]rateAnswer{}}
	if src == nil {
		return rb, nil
	}
	rb.name = src.Name()
	rb.src = load.NewFXRateCache(store, src)
	stored, err := store.FXRatesTo(ctx, rb.name, base)
	if err != nil {
		return nil, fmt.Errorf("read stored exchange rates: %w", err)
	}
	for cur, days := range stored {
		for day, r := range days {
			rb.known[rateKey{cur, day}] = rateAnswer{value: r.Value, ok: true}
		}
	}
	return rb, nil
}

// Name names the source in missing_fx_rate exceptions.
func (rb *rateBook) Name() string {
	if rb.src == nil {
		return "no rate source (none is configured)"
	}
	return rb.name
}

// BaseRate answers from what prefetch found.
func (rb *rateBook) BaseRate(currency string, day time.Time) (decimal.Decimal, string, bool) {
	a := rb.known[rateKey{currency, day}]
	return a.value, rb.name, a.ok
}

// prefetch makes sure every rate of needs is known (found, or known to be missing). It fails
// only when ctx is done.
func (rb *rateBook) prefetch(ctx context.Context, needs []transform.RateNeed) error {
	for _, n := range needs {
		k := rateKey{n.Currency, n.Day}
		if _, ok := rb.known[k]; ok {
			continue
		}
		if rb.src == nil || rb.down != nil {
			rb.known[k] = rateAnswer{}
			continue
		}
		r, err := rb.src.Rate(ctx, n.Currency, rb.base, n.Day)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, rates.ErrNoRate):
			rb.known[k] = rateAnswer{}
		case err != nil:
			rb.down = err
			rb.known[k] = rateAnswer{}
			rb.log.WarnContext(ctx, "exchange-rate source failed; entries that need its rates are booked without base-currency values and booked again on a later run",
				slog.String("source", rb.name), slog.String("currency", n.Currency), slog.String("day", n.Day.Format(time.DateOnly)),
				slog.String("error", err.Error()))
		case r.Provisional:
			// Not yet the rate of its day: booked once the publisher has published for it.
			rb.known[k] = rateAnswer{}
		default:
			rb.known[k] = rateAnswer{value: r.Value, ok: true}
		}
	}
	return nil
}
