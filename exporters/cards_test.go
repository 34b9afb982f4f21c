package exporters_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/sink"
)

// TestExportCards exports ledgertest.CardSample (whose figures are computed by hand in its
// comment) through the exporter: a ledger that is also a CardSource gets its cards described
// by it (state, holder known only to the warehouse, limits), a plain ledger by its lines.
func TestExportCards(t *testing.T) {
	t.Parallel()
	const header = "\uFEFFcard_id,last_digits,label,holder,state,missing_since,currency,payments,paid,refunds,refunded,net_spend," +
		"limit_period,limit,limit_currency,used_percent,flag,other_limits\r\n"
	led := ledgertest.CardSample()
	tests := []struct {
		name   string
		ledger exporters.Ledger
		want   string
	}{
		{"with the warehouse's cards", led, header +
			"card-a,0042,Travel,Ada Lovelace,active,,EUR,1,100.00,0,0.00,100.00,month,1000.00,GBP,,,single GBP 500.00\r\n" +
			"card-a,0042,Travel,Ada Lovelace,active,,GBP,2,850.00,1,50.00,800.00,month,1000.00,GBP,85.00,near,single GBP 500.00\r\n" +
			"card-c,1111,Old,Alan Turing,active,2024-04-20T06:00:00Z,GBP,1,60.00,0,0.00,60.00,,,,,,day GBP 100.00\r\n" +
			"card-b,9876,Marketing,Grace Hopper,locked,,GBP,2,325.50,0,0.00,325.50,month,300.00,GBP,108.50,over,\r\n"},
		{"from the lines alone", &led.Ledger, header +
			"card-b,9876,Marketing,,,,GBP,2,325.50,0,0.00,325.50,,,,,,\r\n" +
			"card-a,0042,Travel,Ada Lovelace,,,EUR,1,100.00,0,0.00,100.00,,,,,,\r\n" +
			"card-a,0042,Travel,Ada Lovelace,,,GBP,2,850.00,1,50.00,800.00,,,,,,\r\n" +
			"card-c,1111,Old,Alan Turing,,,GBP,1,60.00,0,0.00,60.00,,,,,,\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, err := sink.NewDir(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			e := exporters.New(tc.ledger, d, exporters.Config{Now: func() time.Time { return time.Date(2024, 5, 1, 2, 0, 0, 0, time.UTC) }})
			res, err := e.Export(context.Background(), period.Month(2024, 4), "run-1")
			if err != nil {
				t.Fatal(err)
			}
			name := exporters.CardsName(ledgertest.CardPeriod)
			rows := -1
			for _, f := range res.Manifest.Files {
				if f.Name == name {
					rows = f.Rows
				}
			}
			if rows != 4 {
				t.Errorf("manifest lists %s with %d rows, want 4", name, rows)
			}
			rc, err := d.Get(context.Background(), ledgertest.CardPeriod+"/"+name)
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(b); got != tc.want {
				t.Errorf("%s:\n%s\nwant:\n%s", name, strings.ReplaceAll(got, "\r\n", "\n"), strings.ReplaceAll(tc.want, "\r\n", "\n"))
			}
		})
	}
}
