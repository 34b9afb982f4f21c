package rates_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/rates/ratestest"
)

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

// ecbAt returns an ECB source on the fake publisher whose clock reads now.
func ecbAt(p *ratestest.Publisher, now string) *rates.ECB {
	t, err := time.Parse(time.RFC3339, now)
	if err != nil {
		panic(err)
	}
	return rates.NewECB(rates.ECBOptions{BaseURL: p.ECBURL(), Now: func() time.Time { return t }})
}

func wantRate(t *testing.T, got rates.Rate, value, published string, provisional bool) {
	t.Helper()
	if !got.Value.Equal(dec(value)) || !got.Published.Equal(day(published)) || got.Provisional != provisional {
		t.Fatalf("%s→%s on %s = %s published %s provisional %v; want %s published %s provisional %v",
			got.From, got.To, got.Day.Format(time.DateOnly), got.Value, got.Published.Format(time.DateOnly), got.Provisional,
			value, published, provisional)
	}
}

// TestECBDailyAndCrossRates: a day the daily file covers is answered from it alone; rates
// quoted by the ECB are kept as published, inverse and cross rates are derived through EUR.
func TestECBDailyAndCrossRates(t *testing.T) {
	t.Parallel()
	p := ratestest.New(t)
	e := ecbAt(p, "2024-04-02T18:00:00Z")
	ctx := context.Background()
	for _, c := range []struct {
		from, to, value string
	}{
		{"EUR", "USD", "1.0749"},  // as published
		{"EUR", "GBP", "0.85480"}, // as published, trailing zero and all
		// GBP→JPY = EUR→JPY ÷ EUR→GBP = 163.07 ÷ 0.85480 = 190.76977070... → 10 significant
		// digits: 190.7697707 (check: 0.85480 × 190.7697707 = 163.06999999...).
		{"GBP", "JPY", "190.7697707"},
		// USD→EUR = 1 ÷ 1.0749 = 0.93031909945... → 0.9303190995 (10 significant digits).
		{"usd", "eur", "0.9303190995"},
		// USD→GBP = 0.85480 ÷ 1.0749 = 0.79523676621... → 0.7952367662.
		{"USD", "GBP", "0.7952367662"},
		{"JPY", "JPY", "1"},
	} {
		r, err := e.Rate(ctx, c.from, c.to, day("2024-04-02").Add(15*time.Hour))
		if err != nil {
			t.Fatalf("%s→%s: %v", c.from, c.to, err)
		}
		wantRate(t, r, c.value, "2024-04-02", false)
		if r.Source != "ecb" || !r.Day.Equal(day("2024-04-02")) {
			t.Fatalf("%s→%s: source %q day %s", c.from, c.to, r.Source, r.Day)
		}
	}
	if n := p.Requests("/ecb/eurofxref-daily.xml"); n != 1 {
		t.Fatalf("daily file fetched %d times, want once", n)
	}
	if n := p.TotalRequests(); n != 1 {
		t.Fatalf("%d requests in all, want only the daily file's", n)
	}
}

// TestECBHolidayAndWeekendFallback: Good Friday, the Easter weekend and Easter Monday 2024
// (TARGET closing days) take Thursday 28 March's reference rates from the 90-day file; the
// day after the latest publication is answered but marked provisional.
func TestECBHolidayAndWeekendFallback(t *testing.T) {
	t.Parallel()
	p := ratestest.New(t)
	e := ecbAt(p, "2024-04-02T18:00:00Z")
	ctx := context.Background()
	for _, d := range []string{"2024-03-28", "2024-03-29", "2024-03-30", "2024-03-31", "2024-04-01"} {
		r, err := e.Rate(ctx, "EUR", "GBP", day(d))
		if err != nil {
			t.Fatalf("%s: %v", d, err)
		}
		wantRate(t, r, "0.85424", "2024-03-28", false)
	}
	// JPY→GBP on Easter Monday = 0.85424 ÷ 163.45 (both of 28 March) = 0.0052263077386...
	// → 10 significant digits 0.005226307739.
	r, err := e.Rate(ctx, "JPY", "GBP", day("2024-04-01"))
	if err != nil {
		t.Fatal(err)
	}
	wantRate(t, r, "0.005226307739", "2024-03-28", false)
	// Wednesday 3 April is not published yet: Tuesday's rate, provisional.
	r, err = e.Rate(ctx, "EUR", "USD", day("2024-04-03"))
	if err != nil {
		t.Fatal(err)
	}
	wantRate(t, r, "1.0749", "2024-04-02", true)
	if d, n := p.Requests("/ecb/eurofxref-daily.xml"), p.Requests("/ecb/eurofxref-hist-90d.xml"); d != 1 || n != 1 {
		t.Fatalf("daily fetched %d times, 90-day %d times; want once each", d, n)
	}
}

// TestECBHistory: an old day comes from eurofxref-hist.zip (CSV with N/A cells and a
// trailing comma); New Year's Day takes 29 December; a currency quoted N/A that day, an
// unknown currency and a day before 4 January 1999 are ErrNoRate.
func TestECBHistory(t *testing.T) {
	t.Parallel()
	p := ratestest.New(t)
	e := ecbAt(p, "2024-04-02T18:00:00Z")
	ctx := context.Background()
	r, err := e.Rate(ctx, "EUR", "GBP", day("2024-01-02"))
	if err != nil {
		t.Fatal(err)
	}
	wantRate(t, r, "0.86725", "2024-01-02", false)
	// GBP→JPY on 2 January = 155.66 ÷ 0.86725 = 179.48688382... → 179.4868838.
	r, err = e.Rate(ctx, "GBP", "JPY", day("2024-01-02"))
	if err != nil {
		t.Fatal(err)
	}
	wantRate(t, r, "179.4868838", "2024-01-02", false)
	r, err = e.Rate(ctx, "EUR", "HUF", day("2024-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	wantRate(t, r, "382.8", "2023-12-29", false)
	// The first reference day: EEK (N/A in 2024) was quoted.
	r, err = e.Rate(ctx, "EUR", "EEK", day("1999-01-04"))
	if err != nil {
		t.Fatal(err)
	}
	wantRate(t, r, "15.6466", "1999-01-04", false)

	for _, c := range []struct{ from, to, day, reason string }{
		{"EUR", "CYP", "2024-01-02", "quotes no CYP"},    // N/A cell
		{"EUR", "BGN", "1999-01-04", "quotes no BGN"},    // N/A cell
		{"GBP", "XAU", "2024-01-02", "quotes no XAU"},    // never quoted
		{"EUR", "USD", "1998-12-31", "before the first"}, // before the first publication
	} {
		_, err := e.Rate(ctx, c.from, c.to, day(c.day))
		var nr *rates.NoRateError
		if !errors.Is(err, rates.ErrNoRate) || !errors.As(err, &nr) || !strings.Contains(err.Error(), c.reason) {
			t.Fatalf("%s→%s on %s: err = %v, want ErrNoRate (%s)", c.from, c.to, c.day, err, c.reason)
		}
	}
	if n := p.Requests("/ecb/eurofxref-hist.zip"); n != 1 {
		t.Fatalf("history fetched %d times, want once", n)
	}
	if n := p.Requests("/ecb/eurofxref-daily.xml") + p.Requests("/ecb/eurofxref-hist-90d.xml"); n != 0 {
		t.Fatalf("old days fetched the recent files %d times", n)
	}
}

// TestECBBadFiles: what is not the ECB's format is ErrBadFile with a message that says
// what is wrong; a server error is neither ErrBadFile nor ErrNoRate.
func TestECBBadFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	envelope := func(cubes string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01" xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<Cube>` + cubes + `</Cube></gesmes:Envelope>`)
	}
	for _, c := range []struct {
		name, path string
		body       []byte
		want       string
	}{
		{"html", "/ecb/eurofxref-daily.xml", []byte("<html><body>Maintenance</body></html>"), "gesmes envelope"},
		{"truncated", "/ecb/eurofxref-daily.xml", ratestest.Sample("ecb/eurofxref-daily.xml")[:300], "gesmes envelope"},
		{"no day", "/ecb/eurofxref-daily.xml", envelope(""), "no <Cube time"},
		{"bad day", "/ecb/eurofxref-daily.xml", envelope(`<Cube time='02/04/2024'><Cube currency='USD' rate='1.07'/></Cube>`), "not YYYY-MM-DD"},
		{"comma rate", "/ecb/eurofxref-daily.xml", envelope(`<Cube time='2024-04-02'><Cube currency='USD' rate='1,0749'/></Cube>`), `"1,0749" is not a decimal`},
		{"zero rate", "/ecb/eurofxref-daily.xml", envelope(`<Cube time='2024-04-02'><Cube currency='USD' rate='0'/></Cube>`), "not positive"},
		{"not a zip", "/ecb/eurofxref-hist.zip", ratestest.Sample("ecb/eurofxref-hist.csv"), "not a zip"},
		{"csv header", "/ecb/eurofxref-hist.zip", ratestest.Zip("eurofxref-hist.csv", []byte("Day,USD,\n2024-01-02,1.09,\n")), "header must start with Date"},
		{"csv rate", "/ecb/eurofxref-hist.zip", ratestest.Zip("eurofxref-hist.csv", []byte("Date,USD,\n2024-01-02,n.a.,\n")), `line 2, USD: rate "n.a." is not a decimal`},
		{"csv no file", "/ecb/eurofxref-hist.zip", ratestest.Zip("readme.txt", []byte("hello")), "no eurofxref-hist.csv"},
	} {
		p := ratestest.New(t)
		p.Set(c.path, c.body)
		d := "2024-04-02"
		if strings.HasSuffix(c.path, ".zip") {
			d = "2024-01-02"
		}
		_, err := ecbAt(p, "2024-04-02T18:00:00Z").Rate(ctx, "EUR", "USD", day(d))
		if !errors.Is(err, rates.ErrBadFile) || errors.Is(err, rates.ErrNoRate) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want ErrBadFile saying %q", c.name, err, c.want)
		}
	}
	p := ratestest.New(t)
	p.Fail("/ecb/eurofxref-daily.xml", http.StatusServiceUnavailable)
	_, err := ecbAt(p, "2024-04-02T18:00:00Z").Rate(ctx, "EUR", "USD", day("2024-04-02"))
	if err == nil || errors.Is(err, rates.ErrNoRate) || errors.Is(err, rates.ErrBadFile) || !strings.Contains(err.Error(), "503") {
		t.Fatalf("server error: err = %v; want an error with the status, neither ErrNoRate nor ErrBadFile", err)
	}
	if _, err := ecbAt(p, "2024-04-02T18:00:00Z").Rate(ctx, "EURO", "USD", day("2024-04-02")); err == nil {
		t.Fatal("a 4-letter currency code was accepted")
	}
}
