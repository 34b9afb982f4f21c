package load

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/rates/ratestest"
)

// TestFXRateCache: a rate is fetched from the publisher once and stored in fx_rates; a
// second lookup of the same day, even by a new cache with a new source (the next run),
// makes no request to the publisher. Provisional rates and missing rates are not stored.
func TestFXRateCache(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	p := ratestest.New(t)
	now := time.Date(2024, 4, 2, 18, 0, 0, 0, time.UTC)
	newCache := func() *FXRateCache {
		c := NewFXRateCache(s, rates.NewECB(rates.ECBOptions{BaseURL: p.ECBURL(), Now: func() time.Time { return now }}))
		c.now = func() time.Time { return now }
		return c
	}
	easterMonday := time.Date(2024, 4, 1, 0, 0, 0, 0, time.UTC)
	thursday := time.Date(2024, 3, 28, 0, 0, 0, 0, time.UTC)

	c := newCache()
	r, err := c.Rate(ctx, "eur", "GBP", easterMonday.Add(9*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	// Easter Monday is a TARGET closing day: Thursday 28 March's EUR→GBP 0.85424.
	if !r.Value.Equal(dec("0.85424")) || !r.Published.Equal(thursday) || r.Source != "ecb" {
		t.Fatalf("first lookup: %+v", r)
	}
	fetched := p.TotalRequests()
	if fetched == 0 {
		t.Fatal("the first lookup made no request")
	}
	if _, err := c.Rate(ctx, "EUR", "GBP", easterMonday); err != nil {
		t.Fatal(err)
	}
	// The next run: a new source and cache, same database.
	r2, err := newCache().Rate(ctx, "EUR", "GBP", easterMonday)
	if err != nil {
		t.Fatal(err)
	}
	if n := p.TotalRequests(); n != fetched {
		t.Fatalf("the second lookup of the same day made %d more requests to the publisher", n-fetched)
	}
	if !r2.Value.Equal(dec("0.85424")) || !r2.Published.Equal(thursday) || !r2.Day.Equal(easterMonday) || r2.Source != "ecb" {
		t.Fatalf("stored rate read back as %+v", r2)
	}
	var rows int
	var rate, published, fetchedAt string
	if err := s.pool.QueryRow(ctx, `SELECT count(*) OVER (), rate::text, published_at::text, fetched_at::text FROM fx_rates
		WHERE source = 'ecb' AND base_currency = 'EUR' AND quote_currency = 'GBP' AND day = '2024-04-01'`).Scan(&rows, &rate, &published, &fetchedAt); err != nil {
		t.Fatal(err)
	}
	if rate != "0.85424" || published != "2024-03-28" || fetchedAt != "2024-04-02 18:00:00+00" {
		t.Fatalf("stored row: rate %s published %s fetched %s", rate, published, fetchedAt)
	}

	// Wednesday 3 April is not published yet: Tuesday's rate is answered, provisional, and
	// not stored, so a later run asks again.
	wed := time.Date(2024, 4, 3, 0, 0, 0, 0, time.UTC)
	r3, err := newCache().Rate(ctx, "EUR", "USD", wed)
	if err != nil || !r3.Provisional || !r3.Value.Equal(dec("1.0749")) {
		t.Fatalf("provisional: %+v, %v", r3, err)
	}
	if _, ok, err := s.FXRate(ctx, "ecb", "EUR", "USD", wed); err != nil || ok {
		t.Fatalf("a provisional rate was stored (ok=%v, err=%v)", ok, err)
	}
	// A currency the ECB does not quote: ErrNoRate, nothing stored.
	if _, err := newCache().Rate(ctx, "EUR", "XAU", easterMonday); !errors.Is(err, rates.ErrNoRate) {
		t.Fatalf("XAU: err = %v, want ErrNoRate", err)
	}
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM fx_rates`).Scan(&total); err != nil || total != 1 {
		t.Fatalf("fx_rates holds %d rows (err %v), want 1", total, err)
	}

	// Saving is idempotent and never rewrites a stored rate.
	changed := r2
	changed.Value = dec("0.9")
	kept, err := s.SaveFXRate(ctx, changed, now.Add(time.Hour))
	if err != nil || !kept.Value.Equal(dec("0.85424")) {
		t.Fatalf("SaveFXRate over a stored rate: %+v, %v", kept, err)
	}
	r3.Provisional = true
	if _, err := s.SaveFXRate(ctx, r3, now); !errors.Is(err, ErrConstraint) {
		t.Fatalf("SaveFXRate of a provisional rate: err = %v", err)
	}
}
