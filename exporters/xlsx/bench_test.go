package xlsx_test

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/exporters/report"
	"github.com/revledger/revledger/exporters/xlsx"
	"github.com/revledger/revledger/internal/period"
	"github.com/xuri/excelize/v2"
)

// cellsPerLine is how many cells the workbook writes per generated journal line: 18 on the
// Journal; a third of the lines are bank lines (16 cells on Bank transactions) and a third
// start a split (17 cells on Expenses with one label group and one receipt): 18 + 33/3 = 29.
const cellsPerLine = 29

// peakHeap samples the heap in use every few milliseconds until stop is called, and returns
// the peak: how much memory the writer holds, not how much it allocated in total.
func peakHeap() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

var sizes = []int{100_000, 1_000_000}

// BenchmarkWorkbook writes the period workbook of n generated journal lines the way the
// exporter does (aggregator, Journal, Bank transactions, Expenses from the spool, summaries).
func BenchmarkWorkbook(b *testing.B) {
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			gen := &ledgertest.Generator{N: n}
			tmp := b.TempDir()
			var peak uint64
			var size int64
			for b.Loop() {
				stop := peakHeap()
				w, err := xlsx.New(xlsx.Options{TmpDir: tmp})
				if err != nil {
					b.Fatal(err)
				}
				agg := report.NewAggregator()
				for l, err := range gen.LedgerLines(context.Background(), time.Time{}, time.Time{}) {
					if err != nil {
						b.Fatal(err)
					}
					bank, split := agg.Add(&l)
					if err := w.Bank(bank); err != nil {
						b.Fatal(err)
					}
					if err := w.Line(&l, split); err != nil {
						b.Fatal(err)
					}
				}
				bank, sum := agg.Finish()
				if err := w.Bank(bank); err != nil {
					b.Fatal(err)
				}
				if size, err = w.WriteTo(io.Discard, xlsx.Info{Period: period.Month(2024, 3)}, sum); err != nil {
					b.Fatal(err)
				}
				w.Close()
				peak = max(peak, stop())
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(size)/(1<<20), "MiB/workbook")
		})
	}
}

// BenchmarkGenerator measures the test data source alone: its time is inside
// BenchmarkWorkbook's (the lines are made as they are read, to keep memory flat) and can be
// subtracted to see the writer's own speed.
func BenchmarkGenerator(b *testing.B) {
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			gen := &ledgertest.Generator{N: n}
			for b.Loop() {
				for l, err := range gen.LedgerLines(context.Background(), time.Time{}, time.Time{}) {
					if err != nil || l.EntryID == "" {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
		})
	}
}

// BenchmarkBareStreamWriter is the yardstick: excelize's StreamWriter alone writing the same
// number of cells (29 per line, the same mix of one date, six amounts and text) to one sheet,
// with no ledger, no formatting decisions and no aggregation.
func BenchmarkBareStreamWriter(b *testing.B) {
	for _, n := range sizes {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			tmp := b.TempDir()
			var peak uint64
			for b.Loop() {
				stop := peakHeap()
				f := excelize.NewFile(excelize.Options{TmpDir: tmp})
				dateFmt, amountFmt := "dd mmm yyyy", "#,##0.00;[Red]-#,##0.00"
				date, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
				amount, _ := f.NewStyle(&excelize.Style{CustomNumFmt: &amountFmt})
				sw, err := f.NewStreamWriter("Sheet1")
				if err != nil {
					b.Fatal(err)
				}
				row := make([]any, cellsPerLine)
				for i := range n {
					row[0] = excelize.Cell{StyleID: date, Value: 45352.0 + float64(i%31)}
					for c := 1; c <= 6; c++ {
						row[c] = excelize.Cell{StyleID: amount, Value: float64(i%9900) / 100}
					}
					for c := 7; c < cellsPerLine; c++ {
						row[c] = "text " + strconv.Itoa(c)
					}
					if i%3 == 0 {
						row[7] = fmt.Sprintf("tx-%08d", i)
					}
					cell, _ := excelize.CoordinatesToCellName(1, i+1)
					if err := sw.SetRow(cell, row); err != nil {
						b.Fatal(err)
					}
				}
				if err := sw.Flush(); err != nil {
					b.Fatal(err)
				}
				// The same direct-to-destination zip writer as the workbook, so the
				// comparison is of cell writing, not of excelize's whole-file buffer.
				f.SetZipWriter(func(io.Writer) excelize.ZipWriter { return zip.NewWriter(io.Discard) })
				if _, err := f.WriteTo(io.Discard); err != nil {
					b.Fatal(err)
				}
				f.Close()
				peak = max(peak, stop())
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}
