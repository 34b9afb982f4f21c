package rates_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/revledger/revledger/extract/rates"
	"github.com/revledger/revledger/extract/rates/ratestest"
)

// TestHMRCMonthlyRates: HMRC's rates are units per £1 for a calendar month; every day of the
// month gets them (Published = the 1st), other pairs cross through GBP, and each month's
// file is fetched once.
func TestHMRCMonthlyRates(t *testing.T) {
	t.Parallel()
	p := ratestest.New(t)
	h := rates.NewHMRC(rates.HMRCOptions{BaseURL: p.HMRCURL()})
	ctx := context.Background()
	for _, c := range []struct{ from, to, day, value string }{
		{"GBP", "USD", "2024-03-01", "1.2663"}, // as published (listed for Ecuador and the United States)
		{"GBP", "JPY", "2024-03-31", "189.39"},
		// EUR→GBP = 1 ÷ 1.1698 = 0.85484698239... → 0.8548469824 (10 significant digits).
		{"EUR", "GBP", "2024-03-16", "0.8548469824"},
		// EUR→JPY = 189.39 ÷ 1.1698 = 161.89947000... → 161.8994700 (= 161.89947).
		{"EUR", "JPY", "2024-03-16", "161.89947"},
		// EUR→USD = 1.2663 ÷ 1.1698 = 1.08249273379... → 1.082492734.
		{"EUR", "USD", "2024-03-10", "1.082492734"},
	} {
		r, err := h.Rate(ctx, c.from, c.to, day(c.day))
		if err != nil {
			t.Fatalf("%s→%s on %s: %v", c.from, c.to, c.day, err)
		}
		wantRate(t, r, c.value, "2024-03-01", false)
		if r.Source != "hmrc" {
			t.Fatalf("source %q", r.Source)
		}
	}
	if n := p.Requests("/hmrc/monthly_xml_2024-3.xml"); n != 1 {
		t.Fatalf("March fetched %d times, want once", n)
	}
	// April is not published (404): ErrNoRate, asked once however often it is looked up.
	for i := 0; i < 3; i++ {
		_, err := h.Rate(ctx, "EUR", "GBP", day("2024-04-02"))
		if !errors.Is(err, rates.ErrNoRate) || !strings.Contains(err.Error(), "April 2024") {
			t.Fatalf("April: err = %v, want ErrNoRate", err)
		}
	}
	if n := p.Requests("/hmrc/monthly_xml_2024-4.xml"); n != 1 {
		t.Fatalf("April asked %d times, want once", n)
	}
	_, err := h.Rate(ctx, "GBP", "CHF", day("2024-03-05"))
	if !errors.Is(err, rates.ErrNoRate) || !strings.Contains(err.Error(), "quotes no CHF") {
		t.Fatalf("CHF: err = %v, want ErrNoRate", err)
	}
}

// TestHMRCBadFiles: a malformed period, conflicting rates, a wrong month and malformed XML
// are ErrBadFile and say why.
func TestHMRCBadFiles(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	list := func(period, rows string) []byte {
		return []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<exchangeRateMonthList Period="` + period + `">` + rows + `</exchangeRateMonthList>`)
	}
	row := func(country, code, rate string) string {
		return `<exchangeRate><countryName>` + country + `</countryName><countryCode>XX</countryCode><currencyName>X</currencyName><currencyCode>` +
			code + `</currencyCode><rateNew>` + rate + `</rateNew></exchangeRate>`
	}
	for _, c := range []struct {
		name string
		body []byte
		want string
	}{
		{"period", list("2024-03-01 to 2024-03-31", row("Eurozone", "EUR", "1.17")), "Period"},
		{"conflict", list("01/Mar/2024 to 31/Mar/2024", row("Ecuador", "USD", "1.2663")+row("United States", "USD", "1.2700")), "USD is given two rates"},
		{"other month", list("01/Feb/2024 to 29/Feb/2024", row("Eurozone", "EUR", "1.17")), "not in March 2024"},
		{"rate", list("01/Mar/2024 to 31/Mar/2024", row("Eurozone", "EUR", "")), `(Eurozone EUR): rate "" is not a decimal`},
		{"empty", list("01/Mar/2024 to 31/Mar/2024", ""), "no exchangeRate"},
		{"xml", []byte(`{"data":[]}`), "not an exchangeRateMonthList"},
	} {
		p := ratestest.New(t)
		p.Set("/hmrc/monthly_xml_2024-3.xml", c.body)
		_, err := rates.NewHMRC(rates.HMRCOptions{BaseURL: p.HMRCURL()}).Rate(ctx, "EUR", "GBP", day("2024-03-15"))
		if !errors.Is(err, rates.ErrBadFile) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want ErrBadFile saying %q", c.name, err, c.want)
		}
	}
}
