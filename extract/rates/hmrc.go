package rates

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// DefaultHMRCURL is where HMRC's exchange rates are published, on the UK Online Trade Tariff.
const DefaultHMRCURL = "https://www.trade-tariff.service.gov.uk/api/v2/exchange_rates/files/"

// HMRCOptions configures an HMRC source.
type HMRCOptions struct {
	// BaseURL is the folder of the monthly files; empty means DefaultHMRCURL.
	BaseURL string
	// Client makes the requests; nil means a client with a one-minute timeout.
	Client *http.Client
}

// HMRC answers from HMRC's monthly exchange rates, the rates HMRC sets for customs and VAT
// (the UK default for converting a foreign-currency invoice for VAT): for each calendar
// month, units of currency per £1. Other pairs are cross rates through GBP (see
// CrossDigits). A rate applies to every day of its month, so Published is the month's first
// day and a rate is never provisional; a month HMRC has not published (before 2021 on this
// service, or not yet) is ErrNoRate.
//
// The format, confirmed against the publisher's own code (github.com/trade-tariff/
// trade-tariff-backend: app/services/exchange_rates/create_xml_service.rb builds the file,
// app/models/exchange_rate_file.rb names it "#{type}_#{year}-#{month}.#{format}" under
// /api/v2/exchange_rates/files/, the month not zero-padded), is one file per month,
// monthly_xml_2024-1.xml:
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<exchangeRateMonthList Period="01/Feb/2020 to 29/Feb/2020">
//	  <exchangeRate>
//	    <countryName>United States</countryName>
//	    <countryCode>US</countryCode>
//	    <currencyName>Dollar</currencyName>
//	    <currencyCode>USD</currencyCode>
//	    <rateNew>4.8012</rateNew>
//	  </exchangeRate>
//	  ...
//
// one <exchangeRate> per country, so a currency used by several countries appears several
// times (with the same rate). The same data is published as monthly_csv_2024-1.csv with the
// columns Country/Territories, Currency, Currency Code, Currency Units per £1, Start date,
// End date (create_csv_service.rb); the XML is used here because it states its period once
// and needs no parsing of a territory list that itself contains commas. Files are published
// on the penultimate Thursday of the month before (HMRC's notice of 9 November 2023, "HMRC
// Exchange Rate Service has moved to the Online Trade Tariff").
type HMRC struct {
	base   string
	client *http.Client

	mu     sync.Mutex
	months map[string]*hmrcMonth // "2024-1" → parsed file, or nil when not published
}

type hmrcMonth struct {
	pub      publication
	from, to time.Time
}

// NewHMRC returns an HMRC source.
func NewHMRC(opts HMRCOptions) *HMRC {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultHMRCURL
	}
	if !strings.HasSuffix(opts.BaseURL, "/") {
		opts.BaseURL += "/"
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: time.Minute}
	}
	return &HMRC{base: opts.BaseURL, client: opts.Client, months: map[string]*hmrcMonth{}}
}

// Name is "hmrc".
func (h *HMRC) Name() string { return "hmrc" }

// Rate returns from → to for day from the file of day's month; see HMRC.
func (h *HMRC) Rate(ctx context.Context, from, to string, day time.Time) (Rate, error) {
	from, to, day, err := normalise(h.Name(), from, to, day)
	if err != nil {
		return Rate{}, err
	}
	if from == to {
		return identity(h.Name(), from, day), nil
	}
	m, err := h.month(ctx, day.Year(), day.Month())
	if err != nil {
		return Rate{}, err
	}
	if m == nil {
		return Rate{}, &NoRateError{Source: h.Name(), From: from, To: to, Day: day,
			Reason: fmt.Sprintf("HMRC has not published the rates of %s", day.Format("January 2006"))}
	}
	if day.Before(m.from) || day.After(m.to) {
		return Rate{}, fmt.Errorf("rates: hmrc: %w: the file for %s covers %s to %s", ErrBadFile, day.Format("January 2006"),
			m.from.Format(time.DateOnly), m.to.Format(time.DateOnly))
	}
	return m.pub.rate(h.Name(), from, to, day)
}

// month fetches one month's file once; a 404 is remembered as "not published" for the
// life of h (one run), other failures are not remembered.
func (h *HMRC) month(ctx context.Context, year int, month time.Month) (*hmrcMonth, error) {
	key := fmt.Sprintf("%d-%d", year, int(month))
	h.mu.Lock()
	defer h.mu.Unlock()
	if m, ok := h.months[key]; ok {
		return m, nil
	}
	name := "monthly_xml_" + key + ".xml"
	body, err := get(ctx, h.client, h.base+name)
	if errors.Is(err, errNotFound) {
		h.months[key] = nil
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rates: hmrc: fetch %s: %w", name, err)
	}
	m, err := parseHMRCXML(body)
	if err != nil {
		return nil, fmt.Errorf("rates: hmrc: %s: %w", h.base+name, err)
	}
	if m.from.Year() != year || m.from.Month() != month {
		return nil, fmt.Errorf("rates: hmrc: %s: %w: its period starts %s, not in %s", name, ErrBadFile,
			m.from.Format(time.DateOnly), time.Date(year, month, 1, 0, 0, 0, 0, time.UTC).Format("January 2006"))
	}
	h.months[key] = m
	return m, nil
}

type hmrcList struct {
	XMLName xml.Name `xml:"exchangeRateMonthList"`
	Period  string   `xml:"Period,attr"`
	Rates   []struct {
		CountryName  string `xml:"countryName"`
		CurrencyCode string `xml:"currencyCode"`
		RateNew      string `xml:"rateNew"`
	} `xml:"exchangeRate"`
}

func parseHMRCXML(body []byte) (*hmrcMonth, error) {
	var l hmrcList
	if err := xml.Unmarshal(body, &l); err != nil {
		return nil, fmt.Errorf("%w: not an exchangeRateMonthList: %v", ErrBadFile, err)
	}
	from, to, err := parseHMRCPeriod(l.Period)
	if err != nil {
		return nil, err
	}
	if len(l.Rates) == 0 {
		return nil, fmt.Errorf("%w: no exchangeRate in the file", ErrBadFile)
	}
	m := &hmrcMonth{from: from, to: to, pub: publication{day: from, base: "GBP", quotes: map[string]decimal.Decimal{}}}
	for i, r := range l.Rates {
		code := strings.TrimSpace(r.CurrencyCode)
		if !isCurrency(code) {
			return nil, fmt.Errorf("%w: exchangeRate %d (%s): currency code %q is not an ISO 4217 code", ErrBadFile, i+1, r.CountryName, r.CurrencyCode)
		}
		v, err := parseRate(r.RateNew)
		if err != nil {
			return nil, fmt.Errorf("%w: exchangeRate %d (%s %s): %v", ErrBadFile, i+1, r.CountryName, code, err)
		}
		if prev, ok := m.pub.quotes[code]; ok && !prev.Equal(v) {
			return nil, fmt.Errorf("%w: %s is given two rates, %s and %s", ErrBadFile, code, prev, v)
		}
		m.pub.quotes[code] = v
	}
	return m, nil
}

// parseHMRCPeriod reads "01/Feb/2020 to 29/Feb/2020" (Ruby's strftime('%d/%b/%Y')).
func parseHMRCPeriod(s string) (time.Time, time.Time, error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), " to ")
	if !ok {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: Period %q is not \"DD/Mon/YYYY to DD/Mon/YYYY\"", ErrBadFile, s)
	}
	from, err1 := time.Parse("02/Jan/2006", strings.TrimSpace(a))
	to, err2 := time.Parse("02/Jan/2006", strings.TrimSpace(b))
	if err1 != nil || err2 != nil || to.Before(from) {
		return time.Time{}, time.Time{}, fmt.Errorf("%w: Period %q is not \"DD/Mon/YYYY to DD/Mon/YYYY\"", ErrBadFile, s)
	}
	return from, to, nil
}
