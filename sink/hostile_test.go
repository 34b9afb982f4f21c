package sink_test

// Hostile input (issue 21 items 7 and 9): receipts that are not documents, hostile ids,
// temporary files left by a killed process, and the operator's umask.

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/revledger/revledger/sink"
)

// htmlReceipt is what a hostile or broken upload looks like: a page with a script.
var htmlReceipt = []byte("<!DOCTYPE html><html><body><script>fetch('/?c='+document.cookie)</script></body></html>")

// TestReceiptTypes: only the allow-list keeps its type and extension; anything else is an
// opaque .bin download.
func TestReceiptTypes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, head, wantType, wantExt, wantDisposition string
	}{
		{"pdf", "%PDF-1.7\n", "application/pdf", "pdf", ""},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "image/png", "png", ""},
		{"jpeg", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", "image/jpeg", "jpg", ""},
		{"gif", "GIF89a\x01\x00\x01\x00", "image/gif", "gif", ""},
		{"webp", "RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp", "webp", ""},
		{"heic", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic", "heic", ""},
		{"tiff little-endian", "II*\x00\x08\x00\x00\x00", "image/tiff", "tiff", ""},
		{"tiff big-endian", "MM\x00*\x00\x00\x00\x08", "image/tiff", "tiff", ""},
		{"html", string(htmlReceipt), sink.OpaqueType, "bin", "attachment"},
		{"svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, sink.OpaqueType, "bin", "attachment"},
		{"plain text", "Receipt: coffee 3.20", sink.OpaqueType, "bin", "attachment"},
		{"bmp", "BM\x3e\x00\x00\x00\x00\x00\x00\x00", sink.OpaqueType, "bin", "attachment"},
	} {
		m := sink.ReceiptMeta([]byte(tc.head))
		if m.ContentType != tc.wantType || m.ContentDisposition != tc.wantDisposition {
			t.Errorf("%s: stored as %+v, want %s %q", tc.name, m, tc.wantType, tc.wantDisposition)
		}
		if got := sink.ReceiptKey("e", "r", m.ContentType); got != "receipts/e/r."+tc.wantExt {
			t.Errorf("%s: key %s, want extension .%s", tc.name, got, tc.wantExt)
		}
	}
}

// TestHTMLReceiptFolder: in a folder the HTML receipt becomes r-1.bin, never r-1.html.
func TestHTMLReceiptFolder(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d, err := sink.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	info, err := sink.PutReceipt(context.Background(), d, "e-1", "r-1", bytes.NewReader(htmlReceipt))
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "receipts/e-1/r-1.bin" || info.ContentType != sink.OpaqueType {
		t.Errorf("HTML receipt stored as %+v", info)
	}
	files, _ := filepath.Glob(filepath.Join(root, "receipts", "e-1", "*"))
	if len(files) != 1 || filepath.Base(files[0]) != "r-1.bin" {
		t.Errorf("files in the folder: %v, want only r-1.bin", files)
	}
	readBack(t, d, "receipts/e-1/r-1.bin", htmlReceipt)
}

// TestHTMLReceiptS3 stores the HTML receipt on a real versitygw and reads the object's headers
// back: application/octet-stream, Content-Disposition: attachment, key .bin. A PDF keeps its
// type and gets no disposition.
func TestHTMLReceiptS3(t *testing.T) {
	t.Parallel()
	s, srv := newS3(t, sink.S3Options{Prefix: "books"})
	ctx := context.Background()
	info, err := sink.PutReceipt(ctx, s, "e-1", "r-1", bytes.NewReader(htmlReceipt))
	if err != nil {
		t.Fatal(err)
	}
	if info.Key != "receipts/e-1/r-1.bin" {
		t.Fatalf("HTML receipt stored under %s", info.Key)
	}
	head := func(key string) *s3.HeadObjectOutput {
		out, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("books/" + key)})
		if err != nil {
			t.Fatalf("head %s: %v", key, err)
		}
		return out
	}
	out := head("receipts/e-1/r-1.bin")
	if ct, cd := aws.ToString(out.ContentType), aws.ToString(out.ContentDisposition); ct != "application/octet-stream" || cd != "attachment" {
		t.Errorf("HTML receipt object: Content-Type %q, Content-Disposition %q; want application/octet-stream, attachment", ct, cd)
	}
	if _, err := sink.PutReceipt(ctx, s, "e-1", "r-2", bytes.NewReader(pdf)); err != nil {
		t.Fatal(err)
	}
	out = head("receipts/e-1/r-2.pdf")
	if ct, cd := aws.ToString(out.ContentType), aws.ToString(out.ContentDisposition); ct != "application/pdf" || cd != "" {
		t.Errorf("PDF receipt object: Content-Type %q, Content-Disposition %q", ct, cd)
	}
}

// TestReceiptIDs refuses ids that cannot name a file, before anything is read or stored.
func TestReceiptIDs(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"", ".", "..", "a/b", `a\\b`, "a\x00b", "a\nb", "a\x7fb", "\xff\xfe", strings.Repeat("x", 201), ".revledger-tmp-abc"} {
		if err := sink.CheckReceiptIDs("e-1", id); err == nil {
			t.Errorf("receipt id %q accepted", id)
		}
		if err := sink.CheckReceiptIDs(id, "r-1"); err == nil {
			t.Errorf("expense id %q accepted", id)
		}
	}
	for _, id := range []string{"2b7a3e0c-6f1d-4c55-9a0e-0c1f7d2f5b11", "r-1", "reçu-1"} {
		if err := sink.CheckReceiptIDs("e-1", id); err != nil {
			t.Errorf("receipt id %q refused: %v", id, err)
		}
	}
}

// TestDirRemovesStaleTemp leaves behind the temporary files a SIGKILL would (one two hours
// old in a period folder, one in a receipts folder) and a fresh one (a Put of another process
// in flight): the first Put removes the two stale ones and keeps the fresh one.
func TestDirRemovesStaleTemp(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	old := time.Now().Add(-2 * time.Hour)
	stale := []string{filepath.Join(root, "2024-03", ".revledger-tmp-3k9x1"), filepath.Join(root, "receipts", "e-1", ".revledger-tmp-zz")}
	fresh := filepath.Join(root, "2024-03", ".revledger-tmp-live")
	for _, p := range append(stale, fresh) {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("half a file"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range stale {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	d, err := sink.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(context.Background(), "2024-04/a.csv", strings.NewReader("x"), sink.Meta{}); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("stale %s still there (%v)", p, err)
		}
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file removed: %v", err)
	}
}

// TestDirUmask: with umask 027 a published file is 0640 and a new folder 0750, not the 0644
// the sink used to force. Not parallel: the umask is the process's.
func TestDirUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	root := filepath.Join(t.TempDir(), "exports")
	d, err := sink.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(context.Background(), "2024-03/journal_2024-03.csv", strings.NewReader("a,b\r\n"), sink.Meta{}); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]os.FileMode{
		filepath.Join(root, "2024-03", "journal_2024-03.csv"): 0o640,
		filepath.Join(root, "2024-03"):                        0o750 | os.ModeDir,
	} {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("%s: mode %v, want %v", p, st.Mode(), want)
		}
	}
}
