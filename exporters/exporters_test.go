package exporters_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	stdcsv "encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/csvfmt"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/internal/period"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/sink"
	"github.com/shopspring/decimal"
	"github.com/xuri/excelize/v2"
)

var (
	march = period.Month(2024, 3)
	clock = func() time.Time { return time.Date(2024, 4, 1, 2, 0, 0, 0, time.UTC) }
	pdf   = []byte("%PDF-1.4\n%%EOF\n")
)

var wantFiles = []string{
	"adjustments_2024-03.csv", "cards_2024-03.csv",
	"journal_2024-03.csv", "quickbooks_journal_2024-03.csv",
	"revledger_2024-03.xlsx", "xero_journal_2024-03.csv",
	"xero_statement_revolut-eur_2024-03.csv", "xero_statement_revolut-gbp_2024-03.csv", "xero_statement_revolut-jpy_2024-03.csv",
}

func readManifest(t *testing.T, s sink.Sink, key string) exporters.Manifest {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var m exporters.Manifest
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// verifyObjects reads every file the manifest lists back from the sink and checks its
// SHA-256 and size against the manifest.
func verifyObjects(t *testing.T, s sink.Sink, prefix string, m exporters.Manifest) map[string][]byte {
	t.Helper()
	got := map[string][]byte{}
	for _, f := range m.Files {
		rc, err := s.Get(context.Background(), prefix+f.Name)
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("read %s: %v", f.Name, err)
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != f.SHA256 || int64(len(b)) != f.Size {
			t.Errorf("%s: stored object does not match the manifest", f.Name)
		}
		got[f.Name] = b
	}
	return got
}

func names(m exporters.Manifest) []string {
	var n []string
	for _, f := range m.Files {
		n = append(n, f.Name)
	}
	return n
}

func TestExportToFolder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	root := t.TempDir()
	d, err := sink.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sink.PutReceipt(ctx, d, "e-1", "r-1", bytes.NewReader(pdf)); err != nil {
		t.Fatal(err)
	}
	e := exporters.New(ledgertest.Sample(), d, exporters.Config{Company: "Acme Ltd", Now: clock})
	res, err := e.Export(ctx, march, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, d, "2024-03/manifest.json")
	if !slices.Equal(names(m), wantFiles) {
		t.Fatalf("files = %q, want %q", names(m), wantFiles)
	}
	if m.RunID != "run-1" || !m.GeneratedAt.Equal(clock()) || !m.From.Equal(march.From) || !m.To.Equal(march.To) {
		t.Errorf("manifest header = %+v", m)
	}
	// Hand totals from ledgertest.Sample: 14 lines, 4 entries, 4 splits, 5 bank lines, 2 exceptions.
	if want := (exporters.ManifestCounts{Lines: 14, Entries: 4, Splits: 4, BankLines: 5, Exceptions: 2}); m.Counts != want {
		t.Errorf("counts = %+v, want %+v", m.Counts, want)
	}
	wantTotals := []exporters.ManifestTotal{
		{Currency: "EUR", Debit: "500.00", Credit: "500.00", Lines: 2},
		{Currency: "GBP", Debit: "42.50", Credit: "42.50", Lines: 9},
		{Currency: "JPY", Debit: "1500", Credit: "1500", Lines: 3},
	}
	if !slices.Equal(m.Totals, wantTotals) {
		t.Errorf("totals = %+v, want %+v", m.Totals, wantTotals)
	}
	for _, c := range m.Checks {
		if !c.Passed {
			t.Errorf("check %s failed: %s", c.Name, c.Detail)
		}
	}
	if res.Archived != "" || res.Manifest.ContentSHA256 != m.ContentSHA256 {
		t.Errorf("result = %+v", res)
	}
	files := verifyObjects(t, d, "2024-03/", m)
	// Row counts: journal 14 lines; GBP statement 4 lines (tx-1's movement; tx-2's two splits
	// and its fee).
	for _, f := range m.Files {
		want := map[string]int{"journal_2024-03.csv": 14, "xero_statement_revolut-gbp_2024-03.csv": 4, "revledger_2024-03.xlsx": 14}
		if n, ok := want[f.Name]; ok && f.Rows != n {
			t.Errorf("%s rows = %d, want %d", f.Name, f.Rows, n)
		}
	}
	// The journal is the format's golden file, byte for byte.
	golden, err := os.ReadFile(filepath.Join("csvfmt", "testdata", "journal_2024-03.csv.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["journal_2024-03.csv"], golden) {
		t.Error("journal_2024-03.csv differs from the csv package's golden file")
	}
	// The stored receipt is linked relative to the workbook; the missing ones are plain ids.
	f, err := excelize.OpenFile(filepath.Join(root, "2024-03", "revledger_2024-03.xlsx"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if ok, got, _ := f.GetCellHyperLink("Expenses", "P2"); !ok || got != "../receipts/e-1/r-1.pdf" {
		t.Errorf("receipt link = %v %q", ok, got)
	}
	if ok, got, _ := f.GetCellHyperLink("Expenses", "P3"); ok {
		t.Errorf("unstored receipt has link %q", got)
	}
	if v, _ := f.GetCellValue("Expenses", "P3"); v != "r-2" {
		t.Errorf("unstored receipt cell = %q, want r-2", v)
	}
	if _, err := os.Stat(filepath.Join(root, "2024-03", "receipts")); err == nil {
		t.Error("receipts stored inside the period folder")
	}
}

func TestReexportKeepsHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := sink.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	led := ledgertest.Sample()
	e := exporters.New(led, d, exporters.Config{Now: clock})
	first, err := e.Export(ctx, march, "run-1")
	if err != nil {
		t.Fatal(err)
	}
	// Unchanged data: same CSV bytes, same fingerprint, nothing archived.
	second, err := e.Export(ctx, march, "run-2")
	if err != nil {
		t.Fatal(err)
	}
	if second.Archived != "" || second.Manifest.ContentSHA256 != first.Manifest.ContentSHA256 {
		t.Errorf("unchanged re-export archived %q, fingerprints %s / %s", second.Archived, first.Manifest.ContentSHA256, second.Manifest.ContentSHA256)
	}
	for i, f := range first.Manifest.Files {
		if filepath.Ext(f.Name) == ".csv" && f.SHA256 != second.Manifest.Files[i].SHA256 {
			t.Errorf("%s changed on an unchanged re-export", f.Name)
		}
	}
	if objs, _ := d.List(ctx, "2024-03/history/"); len(objs) != 0 {
		t.Errorf("history written for unchanged data: %v", objs)
	}

	// Changed data: a description edited in Revolut, and the EUR account has no line any more.
	changed := &ledgertest.Ledger{Issues: led.Issues}
	for _, l := range led.Rows {
		if l.Currency == "EUR" {
			continue
		}
		if l.EntryID == "tx-1" {
			l.Description = "Lunch with client (edited)"
		}
		changed.Rows = append(changed.Rows, l)
	}
	third, err := exporters.New(changed, d, exporters.Config{Now: clock}).Export(ctx, march, "run-3")
	if err != nil {
		t.Fatal(err)
	}
	if third.Archived != "2024-03/history/run-2" {
		t.Fatalf("archived = %q, want 2024-03/history/run-2", third.Archived)
	}
	// The previous version is intact in history: every file matches run-2's manifest.
	old := readManifest(t, d, "2024-03/history/run-2/manifest.json")
	if old.RunID != "run-2" {
		t.Errorf("archived manifest is of run %q", old.RunID)
	}
	verifyObjects(t, d, "2024-03/history/run-2/", old)
	// The current folder holds the new version only: the EUR statement is gone.
	cur := readManifest(t, d, "2024-03/manifest.json")
	verifyObjects(t, d, "2024-03/", cur)
	if _, ok, _ := d.Stat(ctx, "2024-03/xero_statement_revolut-eur_2024-03.csv"); ok {
		t.Error("the EUR statement of the previous version is still in the period folder")
	}
}

// TestExportToS3 exports to a real S3-compatible server and reads every object back with
// checksum validation (sink.S3.Get enables ChecksumMode).
func TestExportToS3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testenv.S3(t)
	s, err := sink.NewS3(ctx, sink.S3Options{Bucket: srv.Bucket, Prefix: "acme", Client: srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sink.PutReceipt(ctx, s, "e-1", "r-1", bytes.NewReader(pdf)); err != nil {
		t.Fatal(err)
	}
	res, err := exporters.New(ledgertest.Sample(), s, exporters.Config{Now: clock}).Export(ctx, march, "run-s3")
	if err != nil {
		t.Fatal(err)
	}
	m := readManifest(t, s, "2024-03/manifest.json")
	if m.ContentSHA256 != res.Manifest.ContentSHA256 || !slices.Equal(names(m), wantFiles) {
		t.Fatalf("manifest = %+v", m)
	}
	verifyObjects(t, s, "2024-03/", m)
	for _, f := range m.Files {
		info, ok, err := s.Stat(ctx, "2024-03/"+f.Name)
		if err != nil || !ok || info.SHA256 != f.SHA256 {
			t.Errorf("%s: Stat = %+v %v %v", f.Name, info, ok, err)
		}
	}
}

// listCounter counts the LIST requests an S3 client sends.
type listCounter struct {
	next interface {
		Do(*http.Request) (*http.Response, error)
	}
	lists atomic.Int64
}

func (c *listCounter) Do(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodGet && req.URL.Query().Has("list-type") {
		c.lists.Add(1)
	}
	return c.next.Do(req)
}

// TestExportListsReceiptsOnce links the receipts of several expenses with one listing of the
// receipts folder, counted at the HTTP level against a real S3-compatible server.
func TestExportListsReceiptsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := testenv.S3(t)
	counter := &listCounter{}
	client := s3.New(srv.Client().Options(), func(o *s3.Options) {
		counter.next = o.HTTPClient
		o.HTTPClient = counter
	})
	s, err := sink.NewS3(ctx, sink.S3Options{Bucket: srv.Bucket, Prefix: "acme", Client: client})
	if err != nil {
		t.Fatal(err)
	}
	// e-1 and e-2 are expenses of the period with receipts; e-9 is not in the period.
	for _, r := range [][2]string{{"e-1", "r-1"}, {"e-2", "r-3"}, {"e-9", "r-9"}} {
		if _, err := sink.PutReceipt(ctx, s, r[0], r[1], bytes.NewReader(pdf)); err != nil {
			t.Fatal(err)
		}
	}
	before := counter.lists.Load()
	if _, err := exporters.New(ledgertest.Sample(), s, exporters.Config{Now: clock}).Export(ctx, march, "run-lists"); err != nil {
		t.Fatal(err)
	}
	if n := counter.lists.Load() - before; n != 1 {
		t.Errorf("export sent %d LIST requests, want 1 (the receipts folder)", n)
	}

	rc, err := s.Get(ctx, "2024-03/revledger_2024-03.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	f, err := excelize.OpenReader(rc)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Expenses: row 2 is e-1 (receipt r-1 in P), row 3 is e-2's first split (r-2 in P, r-3 in Q).
	for _, c := range []struct{ cell, want string }{
		{"P2", "/acme/receipts/e-1/r-1.pdf"},
		{"Q3", "/acme/receipts/e-2/r-3.pdf"},
	} {
		_, got, _ := f.GetCellHyperLink("Expenses", c.cell)
		if !strings.HasPrefix(got, srv.Endpoint) || !strings.HasSuffix(got, c.want) {
			t.Errorf("%s link = %q, want a link to %s", c.cell, got, c.want)
		}
	}
	if ok, got, _ := f.GetCellHyperLink("Expenses", "P3"); ok {
		t.Errorf("unstored receipt r-2 has link %q", got)
	}
	if v, _ := f.GetCellValue("Expenses", "P3"); v != "r-2" {
		t.Errorf("unstored receipt cell = %q, want r-2", v)
	}
}

func TestExportFailsOnLedgerError(t *testing.T) {
	t.Parallel()
	d, _ := sink.NewDir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := exporters.New(ledgertest.Sample(), d, exporters.Config{}).Export(ctx, march, "run-x")
	if err == nil {
		t.Fatal("export of a cancelled read succeeded")
	}
	if _, ok, _ := d.Stat(context.Background(), "2024-03/manifest.json"); ok {
		t.Error("a failed export wrote a manifest")
	}
}

// TestImportJournalsInBaseCurrency: Xero manual journals are in the base currency only, so
// the sample's EUR and JPY entries are written at their base amounts in the one journal file
// (journal route); QuickBooks gets each single-currency foreign entry in its currency at its
// rate. Figures by hand (ledgertest.Sample's base amounts):
//
//	Xero: 7 GBP rows (tx-1: bank + net at 20%, its VAT left to Xero; tx-2: bank, fee, fee's
//	bank line, net at 20%, net at 0%) + tx-3: CLR1201 427.50 / 2100 −427.50 (€500.00 at
//	0.855) + tx-4: CLR1202 −7.80 / 6200 7.09 / 2201 0.71 (¥1,500, ¥1,364, ¥136 at 0.0052;
//	Japan's 10% is not a UK rate, so the VAT line stays) = 12 rows, no EUR or JPY figure.
//	QuickBooks: the same 12 lines, tx-3 in EUR at 0.855 (bank debit 500.00, 2100 credit), tx-4 in JPY at
//	0.0052 (1500 / 1364 / 136).
//
// Without a rate for the JPY lines, tx-4 is in neither file and the manifest and the
// workbook's exceptions say so.
func TestImportJournalsInBaseCurrency(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	export := func(t *testing.T, led *ledgertest.Ledger) (exporters.Manifest, map[string][]byte) {
		d, err := sink.NewDir(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := exporters.New(led, d, exporters.Config{Now: clock, Xero: csvfmt.XeroOptions{Route: csvfmt.XeroRouteJournal}}).Export(ctx, march, "run-1"); err != nil {
			t.Fatal(err)
		}
		m := readManifest(t, d, "2024-03/manifest.json")
		return m, verifyObjects(t, d, "2024-03/", m)
	}
	banks := map[string]bool{"1200": true, "1201": true, "1202": true}
	records := func(data []byte) [][]string {
		recs, err := stdcsv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		return recs[1:]
	}

	t.Run("converted", func(t *testing.T) {
		t.Parallel()
		m, files := export(t, ledgertest.Sample())
		for _, f := range m.Files {
			if strings.Contains(f.Name, "_EUR") || strings.Contains(f.Name, "_JPY") {
				t.Errorf("a journal file per currency: %s", f.Name)
			}
		}
		xero := records(files["xero_journal_2024-03.csv"])
		if len(xero) != 12 {
			t.Fatalf("Xero journal has %d rows, want 12", len(xero))
		}
		var foreign []string
		for _, r := range xero {
			if strings.Contains(r[0], "[tx-3]") || strings.Contains(r[0], "[tx-4]") {
				foreign = append(foreign, r[3]+" "+r[5])
			}
			switch r[5] {
			case "500.00", "-500.00", "-1500", "1364", "136":
				t.Errorf("Xero journal carries a foreign amount: %q", r)
			}
		}
		if want := []string{"CLR1201 427.50", "2100 -427.50", "CLR1202 -7.80", "6200 7.09", "2201 0.71"}; !slices.Equal(foreign, want) {
			t.Errorf("foreign entries in the Xero journal %q, want %q", foreign, want)
		}
		if _, err := csvfmt.ValidateXeroJournal(files["xero_journal_2024-03.csv"], csvfmt.XeroOptions{}.TaxPercents(), banks, "GBP"); err != nil {
			t.Error(err)
		}

		qbo := records(files["quickbooks_journal_2024-03.csv"])
		var cols []string
		for _, r := range qbo {
			if r[0] == "tx-3" || r[0] == "tx-4" {
				cols = append(cols, r[3]+"/"+r[4]+" "+r[7]+" "+r[8])
			}
		}
		if want := []string{"500.00/ EUR 0.855", "/500.00 EUR 0.855", "/1500 JPY 0.0052", "1364/ JPY 0.0052", "136/ JPY 0.0052"}; !slices.Equal(cols, want) {
			t.Errorf("QuickBooks foreign rows (debit/credit currency rate) %q, want %q", cols, want)
		}
		if len(qbo) != 12 || len(m.NotExported) != 0 {
			t.Errorf("QuickBooks %d rows, not exported %+v", len(qbo), m.NotExported)
		}
	})

	t.Run("no rate", func(t *testing.T) {
		t.Parallel()
		led := ledgertest.Sample()
		for i := range led.Rows {
			if led.Rows[i].Currency == "JPY" {
				led.Rows[i].BaseAmount, led.Rows[i].BaseRate, led.Rows[i].RateSource = decimal.NullDecimal{}, decimal.NullDecimal{}, ""
			}
		}
		m, files := export(t, led)
		for _, name := range []string{"xero_journal_2024-03.csv", "quickbooks_journal_2024-03.csv"} {
			recs := records(files[name])
			if len(recs) != 9 { // 12 − tx-4's 3 lines
				t.Errorf("%s has %d rows, want 9", name, len(recs))
			}
			for _, r := range recs {
				if strings.Contains(strings.Join(r, ","), "tx-4") {
					t.Errorf("%s holds tx-4 without a rate: %q", name, r)
				}
			}
		}
		var got []string
		for _, n := range m.NotExported {
			got = append(got, n.File+" "+n.EntryID)
			if !strings.Contains(n.Reason, "JPY") {
				t.Errorf("reason %q does not name the currency", n.Reason)
			}
		}
		if want := []string{"xero_journal tx-4", "quickbooks_journal tx-4"}; !slices.Equal(got, want) {
			t.Errorf("not exported %q, want %q", got, want)
		}
		f, err := excelize.OpenReader(bytes.NewReader(files["revledger_2024-03.xlsx"]))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, _ := f.GetRows("Exceptions")
		found := 0
		for _, r := range rows {
			if len(r) > 4 && r[1] == exporters.KindNotExported && r[4] == "tx-4" {
				found++
			}
		}
		if found != 2 {
			t.Errorf("workbook lists %d not-exported rows for tx-4, want 2", found)
		}
	})
}
