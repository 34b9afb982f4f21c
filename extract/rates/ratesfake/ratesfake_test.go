package ratesfake_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/rates/ratesfake"
)

func TestFakeFilesParse(t *testing.T) {
	to := time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)
	p := ratesfake.New(ratesfake.Options{From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: to})
	srv := httptest.NewServer(p.Handler())
	defer srv.Close()
	ctx := context.Background()

	// HMRC, March 2024: (2024×12 + 3) % 7 = 24291 % 7 = 1, so EUR = 1.1698 × 0.998 = 1.1674604
	// → 1.1675 per £1; EUR→GBP = 1 / 1.1675 = 0.85653104925... → 0.8565310493 (10 digits).
	h := rates.NewHMRC(rates.HMRCOptions{BaseURL: srv.URL + "/hmrc/"})
	r, err := h.Rate(ctx, "EUR", "GBP", time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if r.Value.String() != "0.8565310493" {
		t.Errorf("HMRC EUR→GBP March 2024 = %s, want 0.8565310493", r.Value)
	}
	p.Withhold(2024, time.April)
	if _, err := h.Rate(ctx, "EUR", "GBP", time.Date(2024, 4, 2, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Errorf("a withheld month answered")
	}

	// ECB from the full history (the day is older than 80 days before its clock), a Saturday
	// answered with Friday's reference day.
	e := rates.NewECB(rates.ECBOptions{BaseURL: srv.URL + "/ecb/", Now: func() time.Time { return to }})
	sat := time.Date(2024, 3, 16, 0, 0, 0, 0, time.UTC)
	r, err = e.Rate(ctx, "USD", "GBP", sat)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Published.Equal(time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)) || !r.Value.IsPositive() {
		t.Errorf("ECB USD→GBP on a Saturday: %+v, want Friday's reference day", r)
	}
	// Recent days come from the daily and 90-day files.
	if _, err := e.Rate(ctx, "JPY", "GBP", to.AddDate(0, 0, -30)); err != nil {
		t.Errorf("ECB 90-day file: %v", err)
	}
	if _, err := e.Rate(ctx, "CHF", "GBP", to); err != nil {
		t.Errorf("ECB daily file: %v", err)
	}
}
