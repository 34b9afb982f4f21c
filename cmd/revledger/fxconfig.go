package main

import (
	"fmt"
	"net/url"
	"os"
	"strings"

	"github.com/revledger/revledger/extract/rates"
)

// FXConfig is where the exchange rates of foreign-currency lines come from (config key fx).
// A transaction's own amounts come first (an exchange's base-currency leg, a card payment's
// bill amount in the base currency); the source answers the rest, and its rates are stored
// in the database and fetched once.
type FXConfig struct {
	// Source is hmrc (HMRC's monthly rates, the UK default for VAT), ecb (the ECB's daily
	// euro reference rates), file (RatesFile) or none (no reference rates: such lines are
	// booked without base values, as missing_fx_rate exceptions). Default hmrc when
	// export.base_currency is GBP, else ecb.
	Source string `yaml:"source"`
	// RatesFile is the CSV of rates for source file (extract/rates: date, from, to, rate).
	RatesFile string `yaml:"rates_file"`
	// ECBURL and HMRCURL are the folders the publishers' files are read from; default their
	// real addresses (rates.DefaultECBURL, rates.DefaultHMRCURL).
	ECBURL  string `yaml:"ecb_url"`
	HMRCURL string `yaml:"hmrc_url"`
	// Revalue books, for every complete month, the month-end revaluation of each foreign-
	// currency bank account at the source's rate for the month's last day, on the chart's
	// fx_unrealised account (pipeline.Config.RevalueMonthEnd). Default false.
	Revalue bool `yaml:"revalue"`
}

// The fx.source values.
const (
	fxHMRC = "hmrc"
	fxECB  = "ecb"
	fxFile = "file"
	fxNone = "none"
)

func defaultFXConfig() FXConfig {
	return FXConfig{ECBURL: rates.DefaultECBURL, HMRCURL: rates.DefaultHMRCURL}
}

// source is the configured source name, the default applied for baseCurrency.
func (f FXConfig) source(baseCurrency string) string {
	if s := strings.ToLower(strings.TrimSpace(f.Source)); s != "" {
		return s
	}
	if strings.EqualFold(baseCurrency, "GBP") {
		return fxHMRC
	}
	return fxECB
}

// validate reports every problem of the fx section.
func (f FXConfig) validate(baseCurrency string) []error {
	var errs []error
	switch s := f.source(baseCurrency); s {
	case fxHMRC, fxECB, fxNone:
		if f.RatesFile != "" {
			errs = append(errs, fmt.Errorf("fx.rates_file is only read with fx.source: file (fx.source is %s)", s))
		}
		if s == fxNone && f.Revalue {
			// Every month end would be a missing-rate exception.
			errs = append(errs, fmt.Errorf("fx.revalue needs the reference rates of an fx.source (hmrc, ecb or file), not none"))
		}
	case fxFile:
		if f.RatesFile == "" {
			errs = append(errs, fmt.Errorf("fx.source file needs fx.rates_file, the CSV of rates"))
		} else if st, err := os.Stat(f.RatesFile); err != nil || st.IsDir() {
			errs = append(errs, fmt.Errorf("fx.rates_file %q is not a readable file", f.RatesFile))
		}
	default:
		errs = append(errs, fmt.Errorf("fx.source %q: use hmrc, ecb, file or none", f.Source))
	}
	for _, u := range []struct{ key, v string }{{"fx.ecb_url", f.ECBURL}, {"fx.hmrc_url", f.HMRCURL}} {
		if p, err := url.Parse(u.v); err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q is not an http(s) URL", u.key, u.v))
		}
	}
	return errs
}

// rateSource builds the configured source; nil for none. The file is read here, so a file
// that does not parse stops the command before it touches any state.
func (f FXConfig) rateSource(baseCurrency string) (rates.Source, error) {
	switch f.source(baseCurrency) {
	case fxHMRC:
		return rates.NewHMRC(rates.HMRCOptions{BaseURL: f.HMRCURL}), nil
	case fxECB:
		return rates.NewECB(rates.ECBOptions{BaseURL: f.ECBURL}), nil
	case fxFile:
		src, err := rates.LoadFile(f.RatesFile, rates.FileOptions{})
		if err != nil {
			return nil, usageError{fmt.Errorf("fx.rates_file: %w", err)}
		}
		return src, nil
	}
	return nil, nil
}
