package load

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/rates"
)

// FXRate returns the stored rate of source for from → to on day, and false when none is
// stored. It reads only and needs no run lock.
func (s *Store) FXRate(ctx context.Context, source, from, to string, day time.Time) (rates.Rate, bool, error) {
	var r rates.Rate
	var d, published time.Time
	var value decimal.Decimal
	err := s.pool.QueryRow(ctx, `SELECT day, rate, published_at FROM fx_rates
		WHERE source = $1 AND base_currency = $2 AND quote_currency = $3 AND day = $4`,
		source, from, to, dateOnly(day)).Scan(&d, &value, &published)
	if err == pgx.ErrNoRows {
		return rates.Rate{}, false, nil
	}
	if err != nil {
		return rates.Rate{}, false, fmt.Errorf("load: read %s rate %s→%s of %s: %w", source, from, to, day.Format(time.DateOnly), interpret(err))
	}
	r = rates.Rate{From: from, To: to, Day: d.UTC(), Value: value, Source: source, Published: published.UTC()}
	return r, true, nil
}

// SaveFXRate stores r, fetched at fetchedAt, unless a rate for its source, pair and day is
// already stored: a stored rate is never rewritten (exports may have used it). It returns
// the rate stored, which is r or the one kept. It is idempotent and needs no run lock.
// Provisional rates are refused: they are not yet the rate of their day.
func (s *Store) SaveFXRate(ctx context.Context, r rates.Rate, fetchedAt time.Time) (rates.Rate, error) {
	if r.Provisional {
		return rates.Rate{}, fmt.Errorf("load: store %s rate %s→%s of %s: %w: provisional rates are not stored", r.Source, r.From, r.To, r.Day.Format(time.DateOnly), ErrConstraint)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO fx_rates (source, base_currency, quote_currency, day, rate, published_at, fetched_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (source, base_currency, quote_currency, day) DO NOTHING`,
		r.Source, r.From, r.To, dateOnly(r.Day), r.Value, dateOnly(r.Published), fetchedAt); err != nil {
		return rates.Rate{}, fmt.Errorf("load: store %s rate %s→%s of %s: %w", r.Source, r.From, r.To, r.Day.Format(time.DateOnly), interpret(err))
	}
	stored, ok, err := s.FXRate(ctx, r.Source, r.From, r.To, r.Day)
	if err != nil {
		return rates.Rate{}, err
	}
	if !ok {
		return rates.Rate{}, fmt.Errorf("load: store %s rate %s→%s of %s: not found after insert", r.Source, r.From, r.To, r.Day.Format(time.DateOnly))
	}
	return stored, nil
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// FXRateCache is a rates.Source that answers from the fx_rates table first and asks the
// publisher (the wrapped source) only for a rate not stored yet, storing what it got. Within
// one FXRateCache each (pair, day) is also remembered in memory, so booking can ask per line
// without a query per line. Provisional rates are returned but not stored (and not
// remembered), and errors, ErrNoRate included, are never stored: a missing rate stays an
// exception until the publisher has it.
type FXRateCache struct {
	store FXRateStore
	src   rates.Source
	now   func() time.Time

	mu   sync.Mutex
	seen map[fxKey]rates.Rate
}

type fxKey struct {
	from, to string
	day      time.Time
}

// FXRateStore is where an FXRateCache keeps its rates. *Store satisfies it.
type FXRateStore interface {
	FXRate(ctx context.Context, source, from, to string, day time.Time) (rates.Rate, bool, error)
	SaveFXRate(ctx context.Context, r rates.Rate, fetchedAt time.Time) (rates.Rate, error)
}

// NewFXRateCache wraps src with the store.
func NewFXRateCache(s FXRateStore, src rates.Source) *FXRateCache {
	return &FXRateCache{store: s, src: src, now: time.Now, seen: map[fxKey]rates.Rate{}}
}

// Name is the wrapped source's name: stored rates are keyed by it.
func (c *FXRateCache) Name() string { return c.src.Name() }

// Rate returns from → to for day: from memory, else from the table, else from the source
// (then stored).
func (c *FXRateCache) Rate(ctx context.Context, from, to string, day time.Time) (rates.Rate, error) {
	from, to = strings.ToUpper(strings.TrimSpace(from)), strings.ToUpper(strings.TrimSpace(to))
	if from == to {
		return c.src.Rate(ctx, from, to, day) // 1, nothing worth storing
	}
	k := fxKey{from: from, to: to, day: dateOnly(day)}
	c.mu.Lock()
	r, ok := c.seen[k]
	c.mu.Unlock()
	if ok {
		return r, nil
	}
	r, ok, err := c.store.FXRate(ctx, c.src.Name(), from, to, k.day)
	if err != nil {
		return rates.Rate{}, err
	}
	if !ok {
		r, err = c.src.Rate(ctx, from, to, k.day)
		if err != nil {
			return rates.Rate{}, err
		}
		if r.Provisional {
			return r, nil
		}
		if r, err = c.store.SaveFXRate(ctx, r, c.now()); err != nil {
			return rates.Rate{}, err
		}
	}
	c.mu.Lock()
	c.seen[k] = r
	c.mu.Unlock()
	return r, nil
}

// FXRatesTo reads every stored rate of source into to (the base currency), by from currency
// and day, in one query: booking preloads them so that it asks the table (and the publisher)
// only for the rates not stored yet.
func (s *Store) FXRatesTo(ctx context.Context, source, to string) (map[string]map[time.Time]rates.Rate, error) {
	rows, err := s.pool.Query(ctx, `SELECT base_currency, day, rate, published_at FROM fx_rates
		WHERE source = $1 AND quote_currency = $2`, source, to)
	if err != nil {
		return nil, fmt.Errorf("load: read %s rates to %s: %w", source, to, interpret(err))
	}
	defer rows.Close()
	out := map[string]map[time.Time]rates.Rate{}
	for rows.Next() {
		var from string
		var day, published time.Time
		var value decimal.Decimal
		if err := rows.Scan(&from, &day, &value, &published); err != nil {
			return nil, fmt.Errorf("load: read %s rates to %s: %w", source, to, interpret(err))
		}
		from = strings.TrimSpace(from)
		if out[from] == nil {
			out[from] = map[time.Time]rates.Rate{}
		}
		d := dateOnly(day)
		out[from][d] = rates.Rate{From: from, To: to, Day: d, Value: value, Source: source, Published: published.UTC()}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load: read %s rates to %s: %w", source, to, interpret(err))
	}
	return out, nil
}
