// Command sampleworkbook writes a workbook of the exporters' hand-computed test ledgers, for
// a person (or LibreOffice) to open and look at:
//
//	go run ./exporters/internal/sampleworkbook -o sample.xlsx          # ledgertest.Sample, March 2024
//	go run ./exporters/internal/sampleworkbook -cards -o cards.xlsx    # ledgertest.CardSample, April 2024
//	go run ./exporters/internal/sampleworkbook -adjustments -o adj.xlsx # ledgertest.AdjustmentSample, November 2026
//	go run ./exporters/internal/sampleworkbook -trial -o trial.xlsx     # ledgertest.TrialSample, March 2024 with February's openings
//
// It writes them the way the exporter does (opening balances, lines, bank rows, card spend,
// the VAT return, exceptions, then WriteTo), with the same company, run id and clock as the xlsx tests, so what it shows is
// what those tests check.
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/vatreturn"
	"github.com/revledger/revledger/exporters/xlsx"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/transform"
)

func main() {
	out := flag.String("o", "sample.xlsx", "where to write the workbook")
	cards := flag.Bool("cards", false, "write the card sample (April 2024) instead of the general sample (March 2024)")
	adjustments := flag.Bool("adjustments", false, "write the adjustment sample (November 2026, after October was closed)")
	trial := flag.Bool("trial", false, "write the trial-balance sample (March 2024, openings from February, a JPY line without a rate)")
	flag.Parse()
	if err := run(*out, *cards, *adjustments, *trial); err != nil {
		fmt.Fprintln(os.Stderr, "sampleworkbook:", err)
		os.Exit(1)
	}
}

func run(out string, cards, adjustments, trial bool) error {
	led, p, opts := ledgertest.Sample(), period.Month(2024, 3), xlsx.Options{
		ReceiptLink: func(e, r string) string { return "../receipts/" + e + "/" + r + ".pdf" },
	}
	info := xlsx.Info{Company: "Acme Ltd", RunID: "run-1", GeneratedAt: time.Date(2024, 4, 1, 2, 0, 0, 0, time.UTC)}
	var cardList []transform.CardInfo
	if cards {
		cl := ledgertest.CardSample()
		led, cardList, p, opts = &cl.Ledger, cl.CardList, period.Month(2024, 4), xlsx.Options{}
		info.RunID, info.GeneratedAt = "run-7", time.Date(2024, 5, 1, 2, 0, 0, 0, time.UTC)
	}
	if adjustments {
		led, p, opts = ledgertest.AdjustmentSample(), period.Month(2026, 11), xlsx.Options{}
		info.RunID, info.GeneratedAt = "run-11", time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	}
	if trial {
		led, opts = ledgertest.TrialSample(), xlsx.Options{}
	}
	info.Period = p
	b, err := build(led, cardList, p, opts, info)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, b, 0o666); err != nil {
		return err
	}
	fmt.Println(out)
	return nil
}

// build writes led's lines of period p as the exporter does; with a card list (the card
// sample) the Cards sheets come from it, as the xlsx card tests write them, else the
// exceptions are written, as the xlsx tests of the general sample do.
func build(led *ledgertest.Ledger, cardList []transform.CardInfo, p period.Period, opts xlsx.Options, info xlsx.Info) ([]byte, error) {
	ctx := context.Background()
	w, err := xlsx.New(opts)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	agg := report.NewAggregator()
	o, err := led.OpeningBalances(ctx, p.From)
	if err != nil {
		return nil, err
	}
	agg.SetOpening(o)
	spend := report.NewCardSpend(p)
	vat := vatreturn.New(vatreturn.Options{})
	for l, err := range led.LedgerLines(ctx, p.From, p.To) {
		if err != nil {
			return nil, err
		}
		spend.Add(&l)
		vat.Add(&l)
		bank, split := agg.Add(&l)
		if err := w.Bank(bank); err != nil {
			return nil, err
		}
		if err := w.Line(&l, split); err != nil {
			return nil, err
		}
	}
	bank, sum := agg.Finish()
	if err := w.Bank(bank); err != nil {
		return nil, err
	}
	if err := w.VATReturn(vat.Finish()); err != nil {
		return nil, err
	}
	if cardList != nil {
		rows, refs := spend.Finish(cardList)
		if err := w.Cards(rows, refs); err != nil {
			return nil, err
		}
	} else {
		for e, err := range led.Exceptions(ctx, p.From, p.To) {
			if err != nil {
				return nil, err
			}
			if err := w.Exception(&e); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, info, sum); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
