// Package rates extracts exchange rates from the institutions that publish them, so that
// booking can give every ledger line a value in the business's base currency. Rates are
// extracted data like Revolut's records: this package fetches and parses, load stores
// (load.FXRateCache keeps every rate it was given in the fx_rates table and asks the
// publisher only once), and booking reads through the Source interface.
//
// Three sources implement Source, each with its publisher's real format:
//
//   - ECB: the European Central Bank's euro foreign exchange reference rates (daily XML,
//     90-day XML, full-history CSV in a zip), cross rates through EUR, a weekend or TARGET
//     holiday answered with the last reference day before it;
//   - HMRC: HMRC's monthly exchange rates for customs and VAT (monthly XML on the Online
//     Trade Tariff), cross rates through GBP, the UK default for VAT;
//   - File: a CSV file the user supplies, for setups that cannot reach either.
//
// Every value is an exact decimal; a rate a publisher quotes is kept as published, a
// derived one (inverse or cross) is rounded to CrossDigits significant digits. A rate the
// source does not have is an error wrapping ErrNoRate, never a zero; an unreadable file is
// an error wrapping ErrBadFile.
//
// How booking uses it (issue 17), in the order of truth:
//
//  1. an exchange transaction's own legs give the exact rate (amount of one leg over the
//     other); no source is asked;
//  2. a card payment whose bill_amount/bill_currency is in the base currency gives the rate
//     of that payment; no source is asked;
//  3. otherwise Rate(ctx, lineCurrency, baseCurrency, bookingDay) on the configured source
//     (HMRC by default for a GBP business, for VAT), wrapped in load's cache. The pipeline
//     asks once per line currency per booking day, before each batch is booked, and keeps
//     the answer for the run; ErrNoRate (or a provisional rate, or a publisher outage) books
//     the entry without base values and with a missing_fx_rate exception, never a zero, and
//     the entry is booked again on a later run (transform/fx.go, pipeline/rates.go).
//
// The Rate returned records its Source and Published day, so a line can say where its rate
// came from ("ECB reference rate of 2024-03-01 for Saturday 2024-03-02").
package rates
