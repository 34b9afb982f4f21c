package sink_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/sink"
)

func hexSum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// pdf is the start of a real PDF file: enough for content sniffing.
var pdf = []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")

// exercise runs the behaviour both sinks share.
func exercise(t *testing.T, s sink.Sink) {
	ctx := context.Background()
	body := []byte("Date,Amount\r\n04/03/2024,-12.00\r\n")

	if _, ok, err := s.Stat(ctx, "2024-03/journal_2024-03.csv"); err != nil || ok {
		t.Fatalf("Stat of a missing object = %v, %v", ok, err)
	}
	if _, err := s.Get(ctx, "2024-03/missing.csv"); !errors.Is(err, sink.ErrNotFound) {
		t.Fatalf("Get of a missing object: %v, want ErrNotFound", err)
	}
	info, err := s.Put(ctx, "2024-03/journal_2024-03.csv", bytes.NewReader(body), sink.Meta{ContentType: "text/csv"})
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != hexSum(body) || info.Size != int64(len(body)) {
		t.Errorf("Put returned %+v, want sha %s size %d", info, hexSum(body), len(body))
	}
	st, ok, err := s.Stat(ctx, "2024-03/journal_2024-03.csv")
	if err != nil || !ok || st.SHA256 != hexSum(body) || st.Size != int64(len(body)) {
		t.Errorf("Stat = %+v %v %v", st, ok, err)
	}
	readBack(t, s, "2024-03/journal_2024-03.csv", body)

	if err := s.Copy(ctx, "2024-03/journal_2024-03.csv", "2024-03/history/run-1/journal_2024-03.csv"); err != nil {
		t.Fatal(err)
	}
	readBack(t, s, "2024-03/history/run-1/journal_2024-03.csv", body)
	if st, _, _ := s.Stat(ctx, "2024-03/history/run-1/journal_2024-03.csv"); st.SHA256 != hexSum(body) {
		t.Errorf("copy lost the SHA-256: %+v", st)
	}

	// Receipts: stored under their sniffed type's extension.
	rinfo, err := sink.PutReceipt(ctx, s, "e-1", "r-1", bytes.NewReader(pdf))
	if err != nil {
		t.Fatal(err)
	}
	if rinfo.Key != "receipts/e-1/r-1.pdf" || rinfo.ContentType != "application/pdf" {
		t.Errorf("receipt stored as %+v", rinfo)
	}
	st, _, _ = s.Stat(ctx, rinfo.Key)
	if st.SHA256 != hexSum(pdf) || st.ContentType != "application/pdf" {
		t.Errorf("receipt Stat = %+v", st)
	}

	list, err := s.List(ctx, "2024-03/")
	if err != nil || len(list) != 2 || list[0].Key != "2024-03/history/run-1/journal_2024-03.csv" {
		t.Errorf("List = %+v, %v", list, err)
	}

	if err := s.Delete(ctx, "2024-03/history/run-1/journal_2024-03.csv"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Stat(ctx, "2024-03/history/run-1/journal_2024-03.csv"); ok {
		t.Error("object still there after Delete")
	}
	if err := s.Delete(ctx, "2024-03/never-there.csv"); err != nil {
		t.Errorf("Delete of a missing object: %v", err)
	}

	for _, bad := range []string{"", "/abs", "../x", "a/../b", `a\b`, "a//b"} {
		if _, err := s.Put(ctx, bad, strings.NewReader("x"), sink.Meta{}); err == nil {
			t.Errorf("Put accepted key %q", bad)
		}
	}
	if _, err := sink.PutReceipt(ctx, s, "../e", "r", bytes.NewReader(pdf)); err == nil {
		t.Error("PutReceipt accepted an expense id with a slash")
	}
}

func readBack(t *testing.T, s sink.Sink, key string, want []byte) {
	t.Helper()
	rc, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	got, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s: read %d bytes, want %d identical ones", key, len(got), len(want))
	}
}

func TestDir(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	d, err := sink.NewDir(root)
	if err != nil {
		t.Fatal(err)
	}
	exercise(t, d)
	if got := d.Link("receipts/e-1/r-1.pdf"); got != "receipts/e-1/r-1.pdf" {
		t.Errorf("Link = %q", got)
	}
	// No temporary file is left behind.
	matches, _ := filepath.Glob(filepath.Join(root, "2024-03", ".revledger-tmp-*"))
	if len(matches) != 0 {
		t.Errorf("temporary files left: %v", matches)
	}
}

func TestOpen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	for _, u := range []string{"file://" + dir, dir} {
		s, err := sink.Open(ctx, sink.Config{URL: u})
		if err != nil {
			t.Fatalf("Open(%q): %v", u, err)
		}
		if d, ok := s.(*sink.Dir); !ok || d.Root() != dir {
			t.Errorf("Open(%q) = %T", u, s)
		}
	}
	for _, u := range []string{"ftp://x/y", "s3://", "s3:///prefix"} {
		if _, err := sink.Open(ctx, sink.Config{URL: u}); err == nil {
			t.Errorf("Open(%q) succeeded", u)
		}
	}
	if _, err := sink.NewS3(ctx, sink.S3Options{Bucket: "b", SSE: "rot13", Client: &s3.Client{}}); err == nil {
		t.Error("NewS3 accepted an unknown SSE")
	}
}

func newS3(t *testing.T, opts sink.S3Options) (*sink.S3, *testenv.S3Server) {
	t.Helper()
	srv := testenv.S3(t)
	opts.Bucket, opts.Client = srv.Bucket, srv.Client()
	s, err := sink.NewS3(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, srv
}

func TestS3(t *testing.T) {
	t.Parallel()
	s, srv := newS3(t, sink.S3Options{Prefix: "books/acme"})
	exercise(t, s)
	if got, want := s.Link("receipts/e-1/r-1.pdf"), srv.Endpoint+"/"+srv.Bucket+"/books/acme/receipts/e-1/r-1.pdf"; got != want {
		t.Errorf("Link = %q, want %q", got, want)
	}
	// The object carries S3's own SHA-256 checksum, returned with ChecksumMode enabled.
	out, err := srv.Client().HeadObject(context.Background(), &s3.HeadObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String("books/acme/receipts/e-1/r-1.pdf"), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	if got := aws.ToString(out.ChecksumSHA256); got != b64(sum[:]) {
		t.Errorf("S3 checksum = %q, want %q", got, b64(sum[:]))
	}
}

// TestS3Multipart uploads 17 MiB in 5 MiB parts: the object is multipart (composite S3
// checksum "…-4"), and it reads back byte for byte with the whole-file SHA-256 in metadata.
func TestS3Multipart(t *testing.T) {
	t.Parallel()
	s, srv := newS3(t, sink.S3Options{PartSize: 5 << 20, SSE: sink.SSEAES256})
	ctx := context.Background()
	data := make([]byte, 17<<20)
	rng := rand.NewChaCha8([32]byte{1})
	_, _ = rng.Read(data)
	// From a file, as the exporter uploads: hashed in place, not copied.
	f, err := os.CreateTemp(t.TempDir(), "big")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	info, err := s.Put(ctx, "2024-03/revledger_2024-03.xlsx", f, sink.Meta{ContentType: "application/octet-stream"})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if info.SHA256 != hexSum(data) {
		t.Errorf("Put SHA-256 = %s, want %s", info.SHA256, hexSum(data))
	}
	st, ok, err := s.Stat(ctx, "2024-03/revledger_2024-03.xlsx")
	if err != nil || !ok || st.SHA256 != hexSum(data) || st.Size != int64(len(data)) {
		t.Errorf("Stat = %+v %v %v", st, ok, err)
	}
	out, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(srv.Bucket), Key: aws.String("2024-03/revledger_2024-03.xlsx"), ChecksumMode: types.ChecksumModeEnabled,
	})
	if err != nil {
		t.Fatal(err)
	}
	if c := aws.ToString(out.ChecksumSHA256); !strings.HasSuffix(c, "-4") {
		t.Errorf("S3 checksum %q: want a composite checksum of 4 parts", c)
	}
	readBack(t, s, "2024-03/revledger_2024-03.xlsx", data)
}

// TestS3Unreachable: a stopped server is an error that says what was being done.
func TestS3Unreachable(t *testing.T) {
	t.Parallel()
	s, srv := newS3(t, sink.S3Options{})
	srv.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 20e9)
	defer cancel()
	_, err := s.Put(ctx, "a.csv", strings.NewReader("x"), sink.Meta{})
	if err == nil || !strings.Contains(err.Error(), "upload s3://") {
		t.Errorf("Put to a stopped server: %v", err)
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// TestS3FromStandardConfig opens the sink the way cmd does in production: from an s3:// URL,
// with credentials, region and endpoint from the standard AWS environment variables. The
// custom endpoint must switch the client to path-style addressing, or versitygw (like MinIO)
// would be asked for a bucket subdomain of 127.0.0.1.
func TestS3FromStandardConfig(t *testing.T) {
	srv := testenv.S3(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_S3":         srv.Endpoint,
		"AWS_REGION":                  srv.Region,
		"AWS_ACCESS_KEY_ID":           srv.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":       srv.SecretAccessKey,
		"AWS_CONFIG_FILE":             filepath.Join(dir, "none"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "none"),
		"AWS_PROFILE":                 "",
	} {
		t.Setenv(k, v)
	}
	ctx := context.Background()
	s, err := sink.Open(ctx, sink.Config{URL: "s3://" + srv.Bucket + "/exports/acme"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("hello")
	if _, err := s.Put(ctx, "2024-03/a.csv", bytes.NewReader(body), sink.Meta{}); err != nil {
		t.Fatal(err)
	}
	readBack(t, s, "2024-03/a.csv", body)
	// The object is where the URL said, seen through the harness's own client.
	if _, err := srv.Client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(srv.Bucket), Key: aws.String("exports/acme/2024-03/a.csv")}); err != nil {
		t.Errorf("object not at exports/acme/2024-03/a.csv: %v", err)
	}
}
