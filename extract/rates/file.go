package rates

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// FileOptions configures a File source.
type FileOptions struct {
	// MaxAge is how long a row keeps answering after its date when no later row for the
	// pair follows; 0 means 31 days (long enough for a monthly table), a negative value
	// means no limit. A lookup past it is ErrNoRate: a stale rate is not silently used.
	MaxAge time.Duration
}

// File answers from a rates file the user supplies, for setups that cannot reach a
// publisher. The format is CSV, UTF-8, comma-separated:
//
//	# Lines starting with # are comments.
//	date,from,to,rate
//	2024-03-01,EUR,GBP,0.8556
//	2024-03-01,USD,GBP,0.7891
//	2024-04-01,EUR,GBP,0.8571
//
// The header line is required, exactly date,from,to,rate. Each row says 1 <from> = <rate>
// <to> from <date> (YYYY-MM-DD) on, until the next row of the same pair (or its inverse):
// daily, monthly or irregular tables all work. A pair's inverse is derived (1 ÷ rate, see
// CrossDigits) when only the other direction is given; no cross rate through a third
// currency is derived: list the pairs booking needs. A date given twice for the same pair is
// an error, and so is a rate that is not a positive decimal (a dot as decimal separator, no
// thousands separators).
type File struct {
	name   string
	maxAge time.Duration
	pairs  map[[2]string][]fileRow // by (from, to), ascending by day
}

type fileRow struct {
	day   time.Time
	value decimal.Decimal
}

// LoadFile reads the rates file at path.
func LoadFile(path string, opts FileOptions) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("rates: open rates file: %w", err)
	}
	defer f.Close()
	return ParseFile(f, path, opts)
}

// ParseFile reads a rates file from r; name is used in errors.
func ParseFile(r io.Reader, name string, opts FileOptions) (*File, error) {
	if opts.MaxAge == 0 {
		opts.MaxAge = 31 * 24 * time.Hour
	}
	cr := csv.NewReader(r)
	cr.Comment = '#'
	cr.FieldsPerRecord = 4
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("rates: %s: %w: read header: %v", name, ErrBadFile, err)
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff")))
	}
	if strings.Join(header, ",") != "date,from,to,rate" {
		return nil, fmt.Errorf("rates: %s: %w: the header must be date,from,to,rate; got %q", name, ErrBadFile, strings.Join(header, ","))
	}
	out := &File{name: name, maxAge: opts.MaxAge, pairs: map[[2]string][]fileRow{}}
	seen := map[[3]string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("rates: %s: %w: %v", name, ErrBadFile, err)
		}
		line, _ := cr.FieldPos(0)
		bad := func(format string, args ...any) error {
			return fmt.Errorf("rates: %s: %w: line %d: %s", name, ErrBadFile, line, fmt.Sprintf(format, args...))
		}
		day, err := time.Parse(time.DateOnly, strings.TrimSpace(rec[0]))
		if err != nil {
			return nil, bad("date %q is not YYYY-MM-DD", rec[0])
		}
		from, to := strings.ToUpper(strings.TrimSpace(rec[1])), strings.ToUpper(strings.TrimSpace(rec[2]))
		if !isCurrency(from) || !isCurrency(to) || from == to {
			return nil, bad("%q→%q is not a pair of two different ISO 4217 currency codes", rec[1], rec[2])
		}
		v, err := parseRate(rec[3])
		if err != nil {
			return nil, bad("%v", err)
		}
		k := [3]string{rec[0], from, to}
		if seen[k] {
			return nil, bad("%s→%s is given twice for %s", from, to, day.Format(time.DateOnly))
		}
		seen[k] = true
		p := [2]string{from, to}
		out.pairs[p] = append(out.pairs[p], fileRow{day: day, value: v})
	}
	if len(out.pairs) == 0 {
		return nil, fmt.Errorf("rates: %s: %w: no rate in the file", name, ErrBadFile)
	}
	for _, rows := range out.pairs {
		sort.Slice(rows, func(i, j int) bool { return rows[i].day.Before(rows[j].day) })
	}
	return out, nil
}

// Name is "file".
func (f *File) Name() string { return "file" }

// Rate returns from → to for day: the pair's latest row on or before day, else the inverse
// pair's; see File.
func (f *File) Rate(_ context.Context, from, to string, day time.Time) (Rate, error) {
	from, to, day, err := normalise(f.Name(), from, to, day)
	if err != nil {
		return Rate{}, err
	}
	if from == to {
		return identity(f.Name(), from, day), nil
	}
	direct, dn, dok := latest(f.pairs[[2]string{from, to}], day)
	inverse, in, iok := latest(f.pairs[[2]string{to, from}], day)
	var r Rate
	switch {
	case dok && (!iok || !inverse.day.After(direct.day)):
		r = Rate{From: from, To: to, Day: day, Value: direct.value, Source: f.Name(), Published: direct.day,
			Provisional: dn == len(f.pairs[[2]string{from, to}]) && direct.day.Before(day)}
	case iok:
		r = Rate{From: from, To: to, Day: day, Value: divide(decimal.NewFromInt(1), inverse.value), Source: f.Name(), Published: inverse.day,
			Provisional: in == len(f.pairs[[2]string{to, from}]) && inverse.day.Before(day)}
	default:
		return Rate{}, &NoRateError{Source: f.Name(), From: from, To: to, Day: day,
			Reason: fmt.Sprintf("%s has no row for %s→%s or %s→%s on or before that day", f.name, from, to, to, from)}
	}
	if f.maxAge > 0 && day.Sub(r.Published) > f.maxAge {
		return Rate{}, &NoRateError{Source: f.Name(), From: from, To: to, Day: day,
			Reason: fmt.Sprintf("the latest row in %s is of %s, older than %s", f.name, r.Published.Format(time.DateOnly), f.maxAge)}
	}
	return r, nil
}

// latest returns the last row on or before day and its 1-based position.
func latest(rows []fileRow, day time.Time) (fileRow, int, bool) {
	n := sort.Search(len(rows), func(i int) bool { return rows[i].day.After(day) })
	if n == 0 {
		return fileRow{}, 0, false
	}
	return rows[n-1], n, true
}
