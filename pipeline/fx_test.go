package pipeline_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/rates/ratesfake"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/transform"
)

// TestMissingRateBookedAgainOnceItExists runs the pipeline against the fake Revolut API and
// a fake HMRC publisher over HTTP that has not published February 2026 yet: February's
// foreign-currency entries valued by HMRC are booked without base values, with a
// missing_fx_rate exception, and the others are valued. Once HMRC publishes February, the
// next run books those entries again (their source did not change) with base values, and the
// run after that writes nothing.
func TestMissingRateBookedAgainOnceItExists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, revoluttest.Options{Seed: 7, Transactions: 600, Span: 60 * 24 * time.Hour})
	pub := ratesfake.New(ratesfake.Options{To: start})
	pub.Withhold(2026, time.February)
	srv := httptest.NewServer(pub.Handler())
	t.Cleanup(srv.Close)
	withHMRC := func(c *pipeline.Config) { c.Rates = rates.NewHMRC(rates.HMRCOptions{BaseURL: srv.URL + "/hmrc/"}) }

	// The fake's HMRC EUR rates (ratesfake.HMRCRate: the level 1.1698 per £1 moved by the
	// month, (year × 12 + month) mod 7 − 3 per mille):
	//   February 2026: 24314 mod 7 = 3 → × 1.000 → 1.1698 → EUR→GBP 1 / 1.1698 = 0.854846982390… → 0.8548469824
	//   March 2026:    24315 mod 7 = 4 → × 1.001 → 1.1709698 → 1.1710 → 1 / 1.1710 = 0.853970964987… → 0.8539709650
	feb, mar := decimal.RequireFromString("0.8548469824"), decimal.RequireFromString("0.8539709650")

	if _, err := h.pipeline(withHMRC).Backfill(ctx, start.Add(-60*24*time.Hour), start); err != nil {
		t.Fatalf("first backfill: %v", err)
	}
	missing := map[string]bool{} // entries of February valued by HMRC
	var marchEUR int
	for _, l := range h.ledger() {
		if l.Currency != "EUR" || l.Key.Role == transform.RoleFXRounding {
			continue
		}
		switch {
		case l.Period == "2026-02" && !l.BaseAmount.Valid:
			if l.BaseRate.Valid || l.RateSource != "" {
				t.Errorf("%s: no base amount but rate %v source %q", l.Key, l.BaseRate, l.RateSource)
			}
			missing[l.EntryID] = true
		case l.Period == "2026-02" && l.RateSource == transform.RateHMRC:
			t.Errorf("%s: valued at an HMRC rate of February, which HMRC has not published", l.Key)
		case l.Period == "2026-03" && l.RateSource == transform.RateHMRC:
			marchEUR++
			if !l.BaseRate.Decimal.Equal(mar) || !l.BaseAmount.Decimal.Equal(transform.Round(l.Amount.Mul(mar), "GBP")) {
				t.Errorf("%s: %s EUR = %s GBP at %s, want the rate %s", l.Key, l.Amount, l.BaseAmount.Decimal, l.BaseRate.Decimal, mar)
			}
		}
	}
	if len(missing) == 0 || marchEUR == 0 {
		t.Fatalf("the fake's data gave %d February EUR entries without a rate and %d March EUR lines at HMRC's rate; the test needs both", len(missing), marchEUR)
	}
	t.Logf("first run: %d February entries without a rate, %d March EUR lines at HMRC's rate", len(missing), marchEUR)
	for id := range missing {
		if !hasException(t, h, id[len("txn:"):], transform.KindMissingFXRate) {
			t.Errorf("entry %s booked without base values has no %s exception", id, transform.KindMissingFXRate)
		}
	}

	// HMRC publishes February; nothing changes at Revolut.
	pub.Publish(2026, time.February)
	sum, err := h.pipeline(withHMRC).Sync(ctx)
	if err != nil {
		t.Fatalf("sync after February was published: %v", err)
	}
	if sum.EntriesChanged < int64(len(missing)) {
		t.Errorf("sync changed %d entries, want at least the %d booked without a rate", sum.EntriesChanged, len(missing))
	}
	t.Logf("second run: %d entries changed, %d lines written", sum.EntriesChanged, sum.LinesWritten)
	for _, l := range h.ledger() {
		if !missing[l.EntryID] {
			continue
		}
		if l.Version < 2 || !l.BaseAmount.Valid {
			t.Errorf("%s: version %d, base %v: not valued after the rate arrived", l.Key, l.Version, l.BaseAmount)
			continue
		}
		if l.Currency == "EUR" && l.Key.Role != transform.RoleFXRounding &&
			(l.RateSource != transform.RateHMRC || !l.BaseRate.Decimal.Equal(feb) || !l.BaseAmount.Decimal.Equal(transform.Round(l.Amount.Mul(feb), "GBP"))) {
			t.Errorf("%s: %s EUR = %s GBP at %s (%s), want HMRC's February rate %s", l.Key, l.Amount, l.BaseAmount.Decimal, l.BaseRate.Decimal, l.RateSource, feb)
		}
	}
	for id := range missing {
		if hasException(t, h, id[len("txn:"):], transform.KindMissingFXRate) {
			t.Errorf("entry %s still has its %s exception", id, transform.KindMissingFXRate)
		}
	}

	sum, err = h.pipeline(withHMRC).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sum.LinesWritten != 0 {
		t.Errorf("a third run wrote %d lines, want 0", sum.LinesWritten)
	}
}

// TestRatePublisherOutageDoesNotFailTheRun: HMRC answers 503 to everything. The run
// completes; the foreign-currency entries it could not value are booked without base values,
// with missing_fx_rate exceptions, and the base-currency ones are valued.
func TestRatePublisherOutageDoesNotFailTheRun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newHarness(t, revoluttest.Options{Seed: 8, Transactions: 200, Span: 30 * 24 * time.Hour})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	p := h.pipeline(func(c *pipeline.Config) { c.Rates = rates.NewHMRC(rates.HMRCOptions{BaseURL: srv.URL + "/hmrc/"}) })
	if _, err := p.Backfill(ctx, start.Add(-30*24*time.Hour), start); err != nil {
		t.Fatalf("backfill with the publisher down: %v", err)
	}
	var gbp, unvalued int
	for _, l := range h.ledger() {
		switch {
		case l.Currency == "GBP" && (!l.BaseAmount.Valid || !l.BaseAmount.Decimal.Equal(l.Amount)) && missingRate(t, h, l):
			// a GBP line of an entry that also has a foreign line without a rate
		case l.Currency == "GBP":
			gbp++
			if !l.BaseAmount.Valid || !l.BaseAmount.Decimal.Equal(l.Amount) || l.RateSource != transform.RateBase {
				t.Errorf("%s: GBP line %s valued %v (%s)", l.Key, l.Amount, l.BaseAmount, l.RateSource)
			}
		case !l.BaseAmount.Valid:
			unvalued++
			if !missingRate(t, h, l) {
				t.Errorf("%s: no base value and no %s exception", l.Key, transform.KindMissingFXRate)
			}
		}
	}
	if gbp == 0 || unvalued == 0 {
		t.Fatalf("%d GBP lines and %d foreign lines without a rate; the test needs both", gbp, unvalued)
	}
}

func missingRate(t *testing.T, h *harness, l transform.Line) bool {
	t.Helper()
	return hasException(t, h, l.Key.SourceID, transform.KindMissingFXRate)
}
