package exporters_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/sink"
	"github.com/xuri/excelize/v2"
)

// On S3, receipt links follow export.receipt_links: presigned URLs that fetch the receipt
// with nothing but the URL (the workbook downloaded alone), or relative links for a whole
// downloaded export. The manifest lists the period's receipts either way, and not those of
// other periods.
func TestReceiptLinksOnS3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testenv.S3(t)
	for _, mode := range []string{exporters.ReceiptLinksPresigned, exporters.ReceiptLinksRelative} {
		s, err := sink.NewS3(ctx, sink.S3Options{Bucket: srv.Bucket, Prefix: mode, Client: srv.Client(), PresignTTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]string{{"e-1", "r-1"}, {"e-2", "r-3"}, {"e-9", "r-9"}} {
			if _, err := sink.PutReceipt(ctx, s, r[0], r[1], bytes.NewReader(pdf)); err != nil {
				t.Fatal(err)
			}
		}
		res, err := exporters.New(ledgertest.Sample(), s, exporters.Config{Now: clock, ReceiptLinks: mode}).Export(ctx, march, "run-"+mode)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, r := range res.Manifest.Receipts {
			keys = append(keys, r.Key)
			if r.Size != int64(len(pdf)) {
				t.Errorf("%s: receipt %s size %d, want %d", mode, r.Key, r.Size, len(pdf))
			}
		}
		if got := strings.Join(keys, " "); got != "receipts/e-1/r-1.pdf receipts/e-2/r-3.pdf" {
			t.Errorf("%s: manifest receipts %q", mode, got)
		}

		rc, err := s.Get(ctx, "2024-03/revledger_2024-03.xlsx")
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		formula, _ := f.GetCellFormula("Expenses", "P2")
		value, _ := f.GetCellValue("Expenses", "P2")
		linked, link, _ := f.GetCellHyperLink("Expenses", "P2")
		f.Close()
		// The cell shows the receipt id, linked by a cell hyperlink: never a formula, which
		// could not hold a presigned URL (longer than HYPERLINK's 255 characters).
		if value != "r-1" || formula != "" || !linked {
			t.Errorf("%s: P2 = %q, formula %q, linked %v", mode, value, formula, linked)
		}
		switch mode {
		case exporters.ReceiptLinksRelative:
			if link != "../receipts/e-1/r-1.pdf" {
				t.Errorf("relative: P2 link %q", link)
			}
		case exporters.ReceiptLinksPresigned:
			// The link opens the receipt with nothing but the URL.
			if !strings.Contains(link, "X-Amz-Signature=") || len(link) <= 255 {
				t.Fatalf("presigned: P2 link %q (%d characters)", link, len(link))
			}
			resp, err := http.Get(link)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Equal(body, pdf) {
				t.Errorf("presigned link: %s, %d bytes", resp.Status, len(body))
			}
		}
	}
}
