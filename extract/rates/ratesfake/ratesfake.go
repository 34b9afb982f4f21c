// Package ratesfake is a local stand-in for the exchange-rate publishers, served over real
// HTTP, for the demo and for tests that need rates for any date: it generates, for any
// range of dates, HMRC's monthly XML files (monthly_xml_YYYY-M.xml, units per £1) and the
// ECB's three reference-rate files (eurofxref-daily.xml, eurofxref-hist-90d.xml,
// eurofxref-hist.zip), in the formats extract/rates parses. The figures are illustrative and
// deterministic: the same month or day always gives the same rate, so a demo run twice books
// the same base values. ratestest, by contrast, serves fixed samples of the real files.
package ratesfake

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/shopspring/decimal"
)

// Options shapes the publisher. Zero values take the defaults.
type Options struct {
	// Currencies quoted (besides GBP for HMRC and EUR for the ECB); default DefaultCurrencies.
	Currencies []string
	// From and To bound the ECB's reference days (To also the last HMRC month published);
	// default the five years up to today.
	From, To time.Time
}

// DefaultCurrencies are the currencies the demo's fake Revolut accounts and purchases use,
// and a few more.
var DefaultCurrencies = []string{"EUR", "USD", "JPY", "CHF", "PLN", "SEK", "NOK", "DKK", "AED", "CAD", "AUD"}

// perPound is the level each currency's rate moves around, in units per £1 (illustrative).
var perPound = map[string]string{
	"EUR": "1.1698", "USD": "1.2663", "JPY": "189.39", "CHF": "1.1401", "PLN": "5.0512",
	"SEK": "13.2031", "NOK": "13.4511", "DKK": "8.7224", "AED": "4.6501", "CAD": "1.7154", "AUD": "1.9402",
}

// Publisher serves the generated files. Its handler is safe for concurrent use.
type Publisher struct {
	currencies []string
	from, to   time.Time

	mu       sync.Mutex
	down     map[string]bool // HMRC months ("2024-3") that answer 404, as not yet published
	requests int
	cache    map[string][]byte
}

// New returns a publisher for opts.
func New(opts Options) *Publisher {
	if len(opts.Currencies) == 0 {
		opts.Currencies = DefaultCurrencies
	}
	if opts.To.IsZero() {
		opts.To = time.Now().UTC()
	}
	if opts.From.IsZero() {
		opts.From = opts.To.AddDate(-5, 0, 0)
	}
	return &Publisher{currencies: slices.Clone(opts.Currencies), from: day(opts.From), to: day(opts.To),
		down: map[string]bool{}, cache: map[string][]byte{}}
}

func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Withhold makes HMRC's file of month (e.g. 2024, time.March) answer 404, as before HMRC
// publishes it; Publish undoes it.
func (p *Publisher) Withhold(year int, month time.Month) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down[fmt.Sprintf("%d-%d", year, int(month))] = true
}

// Publish serves month's HMRC file again.
func (p *Publisher) Publish(year int, month time.Month) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.down, fmt.Sprintf("%d-%d", year, int(month)))
}

// Requests is how many requests the publisher answered.
func (p *Publisher) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// HMRCRate is the generated HMRC rate of cur for the month of t, in units per £1: the
// currency's level moved by -3‰ to +3‰ with the month, rounded to 4 significant digits
// after the point's position of the level (as HMRC quotes).
func HMRCRate(cur string, t time.Time) (decimal.Decimal, bool) {
	lvl, ok := perPound[cur]
	if !ok {
		return decimal.Decimal{}, false
	}
	l := decimal.RequireFromString(lvl)
	n := (t.Year()*12 + int(t.Month())) % 7 // 0..6
	f := decimal.New(int64(1000+n-3), -3)   // 0.997 .. 1.003
	return l.Mul(f).Round(-l.Exponent()), true
}

// ECBRate is the generated ECB reference rate of cur (or GBP) for day, in units per 1 EUR:
// the HMRC month's cross rate through GBP moved by -2‰ to +2‰ with the day, to 5
// significant digits as the ECB quotes.
func ECBRate(cur string, t time.Time) (decimal.Decimal, bool) {
	eur, _ := HMRCRate("EUR", t)
	var perGBP decimal.Decimal
	if cur == "GBP" {
		perGBP = decimal.NewFromInt(1)
	} else {
		v, ok := HMRCRate(cur, t)
		if !ok {
			return decimal.Decimal{}, false
		}
		perGBP = v
	}
	n := t.YearDay() % 5 // 0..4
	v := perGBP.DivRound(eur, 20).Mul(decimal.New(int64(1000+n-2), -3))
	digits := v.NumDigits() + int(v.Exponent())
	return v.Round(int32(5 - digits)), true
}

// Handler serves /hmrc/monthly_xml_YYYY-M.xml and /ecb/{eurofxref-daily.xml,
// eurofxref-hist-90d.xml, eurofxref-hist.zip}; anything else is 404.
func (p *Publisher) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, ok := p.file(r.URL.Path)
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(body)
	})
}

// Start serves the publisher on addr ("127.0.0.1:0" for any free port) and returns its base
// URL (HMRC under /hmrc/, the ECB under /ecb/) and a stop function.
func (p *Publisher) Start(addr string) (string, func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", nil, fmt.Errorf("ratesfake: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func (p *Publisher) file(path string) ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests++
	if name, ok := strings.CutPrefix(path, "/hmrc/monthly_xml_"); ok {
		ym, ok := strings.CutSuffix(name, ".xml")
		if !ok || p.down[ym] {
			return nil, false
		}
		y, m, ok := strings.Cut(ym, "-")
		year, err1 := strconv.Atoi(y)
		month, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || month < 1 || month > 12 || m != strconv.Itoa(month) {
			return nil, false
		}
		first := time.Date(year, time.Month(month), 1, 0, 0, 0, 0, time.UTC)
		if first.After(p.to) {
			return nil, false
		}
		return p.hmrc(first), true
	}
	if b, ok := p.cache[path]; ok {
		return b, true
	}
	var b []byte
	switch path {
	case "/ecb/eurofxref-daily.xml":
		b = p.ecbXML(p.to, 1)
	case "/ecb/eurofxref-hist-90d.xml":
		b = p.ecbXML(p.to, 90)
	case "/ecb/eurofxref-hist.zip":
		b = p.ecbZip()
	default:
		return nil, false
	}
	p.cache[path] = b
	return b, true
}

// hmrc renders the month's file as HMRC publishes it (see extract/rates/hmrc.go).
func (p *Publisher) hmrc(first time.Time) []byte {
	last := first.AddDate(0, 1, -1)
	var b bytes.Buffer
	fmt.Fprintf(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<exchangeRateMonthList Period=\"%s to %s\">\n",
		first.Format("02/Jan/2006"), last.Format("02/Jan/2006"))
	for _, c := range p.currencies {
		v, ok := HMRCRate(c, first)
		if !ok {
			continue
		}
		fmt.Fprintf(&b, "  <exchangeRate>\n    <countryName>%s</countryName>\n    <countryCode>%s</countryCode>\n    <currencyName>%s</currencyName>\n    <currencyCode>%s</currencyCode>\n    <rateNew>%s</rateNew>\n  </exchangeRate>\n",
			c, c[:2], c, c, v.String())
	}
	b.WriteString("</exchangeRateMonthList>\n")
	return b.Bytes()
}

// workingDays are the ECB reference days (Monday to Friday) from back to t, newest first;
// back 0 means from p.from.
func (p *Publisher) workingDays(t time.Time, days int) []time.Time {
	var out []time.Time
	stop := p.from
	if days > 0 {
		stop = t.AddDate(0, 0, -days+1)
	}
	for d := t; !d.Before(stop); d = d.AddDate(0, 0, -1) {
		if d.Weekday() != time.Saturday && d.Weekday() != time.Sunday {
			out = append(out, d)
			if days == 1 {
				break
			}
		}
		if days == 1 && d.Before(t.AddDate(0, 0, -7)) {
			break
		}
	}
	return out
}

func (p *Publisher) ecbCurrencies() []string {
	out := []string{}
	for _, c := range p.currencies {
		if c != "EUR" {
			out = append(out, c)
		}
	}
	return append(out, "GBP")
}

// ecbXML renders the daily file (days 1: the latest reference day) or the 90-day file.
func (p *Publisher) ecbXML(t time.Time, days int) []byte {
	var b bytes.Buffer
	b.WriteString("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<gesmes:Envelope xmlns:gesmes=\"http://www.gesmes.org/xml/2002-08-01\" xmlns=\"http://www.ecb.int/vocabulary/2002-08-01/eurofxref\">\n\t<gesmes:subject>Reference rates</gesmes:subject>\n\t<gesmes:Sender>\n\t\t<gesmes:name>European Central Bank</gesmes:name>\n\t</gesmes:Sender>\n\t<Cube>\n")
	for _, d := range p.workingDays(t, days) {
		fmt.Fprintf(&b, "\t\t<Cube time='%s'>\n", d.Format(time.DateOnly))
		for _, c := range p.ecbCurrencies() {
			if v, ok := ECBRate(c, d); ok {
				fmt.Fprintf(&b, "\t\t\t<Cube currency='%s' rate='%s'/>\n", c, v.String())
			}
		}
		b.WriteString("\t\t</Cube>\n")
	}
	b.WriteString("\t</Cube>\n</gesmes:Envelope>\n")
	return b.Bytes()
}

// ecbZip renders eurofxref-hist.zip: one CSV, newest day first, a trailing comma per line.
func (p *Publisher) ecbZip() []byte {
	var csv bytes.Buffer
	cs := p.ecbCurrencies()
	csv.WriteString("Date," + strings.Join(cs, ",") + ",\n")
	for _, d := range p.workingDays(p.to, 0) {
		csv.WriteString(d.Format(time.DateOnly))
		for _, c := range cs {
			v, _ := ECBRate(c, d)
			csv.WriteString("," + v.String())
		}
		csv.WriteString(",\n")
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("eurofxref-hist.csv")
	if err == nil {
		_, err = w.Write(csv.Bytes())
	}
	if err == nil {
		err = zw.Close()
	}
	if err != nil {
		return nil // an in-memory zip of a few MB cannot fail
	}
	return buf.Bytes()
}
