package rates_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/rates"
)

// TestFileRates: the user's CSV answers a pair from its latest row on or before the day,
// its inverse by division, and refuses what it does not hold.
func TestFileRates(t *testing.T) {
	t.Parallel()
	f, err := rates.LoadFile(filepath.Join("ratestest", "testdata", "rates.csv"), rates.FileOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, c := range []struct {
		from, to, day, value, published string
		provisional                     bool
	}{
		{"EUR", "GBP", "2024-03-01", "0.8556", "2024-03-01", false},
		{"EUR", "GBP", "2024-03-31", "0.8556", "2024-03-01", false}, // a later row exists: final
		{"EUR", "GBP", "2024-04-15", "0.8571", "2024-04-01", true},  // the last row: may be superseded
		// GBP→EUR = 1 ÷ 0.8556 = 1.16877045348... → 1.168770453 (10 significant digits).
		{"GBP", "EUR", "2024-03-20", "1.168770453", "2024-03-01", false},
		{"GBP", "USD", "2024-03-20", "1.2663", "2024-03-01", true},
	} {
		r, err := f.Rate(ctx, c.from, c.to, day(c.day))
		if err != nil {
			t.Fatalf("%s→%s on %s: %v", c.from, c.to, c.day, err)
		}
		wantRate(t, r, c.value, c.published, c.provisional)
	}
	for _, c := range []struct{ from, to, day, want string }{
		{"EUR", "GBP", "2024-02-29", "no row"},          // before the first row
		{"EUR", "USD", "2024-03-20", "no row"},          // no cross rate through GBP
		{"EUR", "GBP", "2024-05-03", "older than 744h"}, // 32 days after the last row
	} {
		_, err := f.Rate(ctx, c.from, c.to, day(c.day))
		if !errors.Is(err, rates.ErrNoRate) || !strings.Contains(err.Error(), c.want) {
			t.Fatalf("%s→%s on %s: err = %v, want ErrNoRate (%s)", c.from, c.to, c.day, err, c.want)
		}
	}
	unlimited, err := rates.LoadFile(filepath.Join("ratestest", "testdata", "rates.csv"), rates.FileOptions{MaxAge: -1})
	if err != nil {
		t.Fatal(err)
	}
	if r, err := unlimited.Rate(ctx, "EUR", "GBP", time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil || !r.Value.Equal(dec("0.8571")) {
		t.Fatalf("MaxAge -1: %v, %v", r, err)
	}
}

func TestFileBadRows(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ name, body, want string }{
		{"header", "day,from,to,rate\n2024-03-01,EUR,GBP,0.8556\n", "header must be date,from,to,rate"},
		{"date", "date,from,to,rate\n01/03/2024,EUR,GBP,0.8556\n", `line 2: date "01/03/2024"`},
		{"currency", "date,from,to,rate\n2024-03-01,EURO,GBP,0.8556\n", "ISO 4217"},
		{"same", "date,from,to,rate\n2024-03-01,GBP,GBP,1\n", "two different"},
		{"rate", "date,from,to,rate\n2024-03-01,EUR,GBP,\"0,8556\"\n", `"0,8556" is not a decimal`},
		{"negative", "date,from,to,rate\n2024-03-01,EUR,GBP,-0.8556\n", "not positive"},
		{"twice", "date,from,to,rate\n2024-03-01,EUR,GBP,0.8556\n2024-03-01,eur,gbp,0.8557\n", "line 3: EUR→GBP is given twice"},
		{"columns", "date,from,to,rate\n2024-03-01,EUR,GBP\n", "wrong number of fields"},
		{"empty", "date,from,to,rate\n", "no rate"},
	} {
		_, err := rates.ParseFile(strings.NewReader(c.body), "rates.csv", rates.FileOptions{})
		if !errors.Is(err, rates.ErrBadFile) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v; want ErrBadFile saying %q", c.name, err, c.want)
		}
	}
}
