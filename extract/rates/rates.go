package rates

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Rate is one exchange rate as a source answers it: 1 unit of From is worth Value units of
// To on Day. Published is the day of the publication the value comes from; it is before Day
// when the publisher did not publish on Day (an ECB weekend or TARGET holiday) or publishes
// per period (HMRC: the first day of the month the rate applies to).
type Rate struct {
	From, To  string
	Day       time.Time // the day asked for, midnight UTC
	Value     decimal.Decimal
	Source    string    // the source's Name: "ecb", "hmrc", "file"
	Published time.Time // the publication's day, midnight UTC, never after Day
	// Provisional is true when the value is a fall-back to an earlier publication and the
	// publisher could still publish for Day itself (Day is on or after the latest publication
	// the source has seen). A provisional rate is good for today's run but must not be stored
	// as the rate of Day: tomorrow the answer may be different.
	Provisional bool
}

// Source answers exchange rates for a day. Implementations fetch each publication file at
// most once per value and are safe for concurrent use.
type Source interface {
	// Rate returns the rate from → to (ISO 4217 codes) for day (only its date in UTC
	// counts). A rate the publisher does not have is an error wrapping ErrNoRate, never a zero.
	Rate(ctx context.Context, from, to string, day time.Time) (Rate, error)
	// Name identifies the source in stored rates and in errors.
	Name() string
}

// Errors callers act on.
var (
	// ErrNoRate is wrapped by every error that means "the publisher has no such rate": a
	// currency it does not quote, a day before its first publication, a month not (yet)
	// published. Booking turns it into an exception; it must never become a zero rate.
	ErrNoRate = errors.New("rates: no rate")
	// ErrBadFile is wrapped by every error about a publication that cannot be read as the
	// publisher's format (malformed XML or CSV, a rate that is not a positive decimal, a
	// period that does not parse).
	ErrBadFile = errors.New("rates: unreadable rates file")
)

// NoRateError says which rate is missing and why. It matches ErrNoRate with errors.Is.
type NoRateError struct {
	Source   string
	From, To string
	Day      time.Time
	Reason   string
}

func (e *NoRateError) Error() string {
	return fmt.Sprintf("rates: %s has no %s→%s rate for %s: %s", e.Source, e.From, e.To, e.Day.Format(time.DateOnly), e.Reason)
}

// Is makes errors.Is(err, ErrNoRate) true.
func (e *NoRateError) Is(target error) bool { return target == ErrNoRate }

// CrossDigits is the number of significant digits a derived rate keeps: a cross rate
// (GBP→JPY = EUR→JPY ÷ EUR→GBP) or an inverse (GBP→EUR = 1 ÷ EUR→GBP). The division is
// carried out to 40 decimal places and the quotient rounded half away from zero to 10
// significant digits, e.g. 162.8 ÷ 0.8531 = 190.8334310... → 190.8334310. Ten significant
// digits is more than any publisher quotes (the ECB quotes 5, HMRC up to 6), so the
// rounding never changes a booked amount by more than 1e-10 of it. Rates quoted directly by
// the publisher are kept exactly as published.
const CrossDigits = 10

// roundSignificant rounds d half away from zero to n significant digits.
func roundSignificant(d decimal.Decimal, n int) decimal.Decimal {
	if d.IsZero() {
		return d
	}
	// d = coefficient × 10^exponent; the number of digits before the point of |d| is
	// NumDigits + exponent (possibly ≤ 0 for |d| < 1).
	intDigits := d.NumDigits() + int(d.Exponent())
	return d.Round(int32(n - intDigits))
}

// divide returns a ÷ b to CrossDigits significant digits.
func divide(a, b decimal.Decimal) decimal.Decimal {
	return roundSignificant(a.DivRound(b, 40), CrossDigits)
}

// publication is one day's (or one period's) table of a publisher: 1 Base = quotes[X] X.
type publication struct {
	day    time.Time // the reference day (ECB) or the period's first day (HMRC)
	base   string
	quotes map[string]decimal.Decimal
}

// rate answers from → to out of one publication, directly, as an inverse or as a cross rate
// through the publication's base currency.
func (p publication) rate(source, from, to string, day time.Time) (Rate, error) {
	r := Rate{From: from, To: to, Day: day, Source: source, Published: p.day}
	quote := func(c string) (decimal.Decimal, error) {
		if c == p.base {
			return decimal.NewFromInt(1), nil
		}
		v, ok := p.quotes[c]
		if !ok {
			return decimal.Decimal{}, &NoRateError{Source: source, From: from, To: to, Day: day,
				Reason: fmt.Sprintf("the publication of %s quotes no %s", p.day.Format(time.DateOnly), c)}
		}
		return v, nil
	}
	qf, err := quote(from)
	if err != nil {
		return Rate{}, err
	}
	qt, err := quote(to)
	if err != nil {
		return Rate{}, err
	}
	switch {
	case from == p.base:
		r.Value = qt // published as is
	default:
		// 1 from = (1/qf) base = (qt/qf) to.
		r.Value = divide(qt, qf)
	}
	return r, nil
}

// normalise checks the codes and truncates day to its UTC date.
func normalise(source, from, to string, day time.Time) (string, string, time.Time, error) {
	f, t := strings.ToUpper(strings.TrimSpace(from)), strings.ToUpper(strings.TrimSpace(to))
	if !isCurrency(f) || !isCurrency(t) {
		return "", "", time.Time{}, fmt.Errorf("rates: %s: %q→%q is not a pair of ISO 4217 currency codes", source, from, to)
	}
	return f, t, dateOf(day), nil
}

func dateOf(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func isCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

func identity(source, cur string, day time.Time) Rate {
	return Rate{From: cur, To: cur, Day: day, Value: decimal.NewFromInt(1), Source: source, Published: day}
}

// parseRate reads a published rate: a plain positive decimal.
func parseRate(s string) (decimal.Decimal, error) {
	v, err := decimal.NewFromString(strings.TrimSpace(s))
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("rate %q is not a decimal", s)
	}
	if !v.IsPositive() {
		return decimal.Decimal{}, fmt.Errorf("rate %q is not positive", s)
	}
	return v, nil
}

// maxBody caps a downloaded publication. The ECB's full history (eurofxref-hist.zip) is
// about 0.6 MB zipped and 2 MB unzipped; nothing legitimate comes near this.
const maxBody = 64 << 20

// errNotFound is returned by get for a 404: the publication does not exist (yet).
var errNotFound = errors.New("not published")

// get downloads url; a 404 is errNotFound, any other non-200 an error with the status.
func get(ctx context.Context, client *http.Client, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("build request for %s: %w", url, err)
	}
	req.Header.Set("User-Agent", "revledger (exchange rates)")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, fmt.Errorf("GET %s: %s: %w", url, resp.Status, errNotFound)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read body: %w", url, err)
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("GET %s: body larger than %d bytes", url, maxBody)
	}
	return body, nil
}
