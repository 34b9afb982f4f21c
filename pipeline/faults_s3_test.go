package pipeline_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/sink"
)

// stopMidUpload passes requests through to the real S3 server until the at-th PUT of a
// workbook: once the transport has started sending that body, it kills the server (SIGKILL),
// so the server dies with the upload in flight.
type stopMidUpload struct {
	base    http.RoundTripper
	srv     *testenv.S3Server
	at      int32
	puts    atomic.Int32
	mu      sync.Mutex
	stopped string // the object key whose upload was cut
}

func (s *stopMidUpload) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut && strings.HasSuffix(req.URL.Path, ".xlsx") && req.Body != nil && s.puts.Add(1) == s.at {
		req = req.Clone(req.Context())
		req.Body = &killOnRead{ReadCloser: req.Body, kill: func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.stopped == "" {
				s.stopped = strings.TrimPrefix(req.URL.Path, "/"+s.srv.Bucket+"/")
				s.srv.Stop()
			}
		}}
	}
	return s.base.RoundTrip(req)
}

func (s *stopMidUpload) key() string { s.mu.Lock(); defer s.mu.Unlock(); return s.stopped }

// killOnRead calls kill on the first read of the body: the request line and headers are
// on the wire, the body is not.
type killOnRead struct {
	io.ReadCloser
	once sync.Once
	kill func()
}

func (k *killOnRead) Read(p []byte) (int, error) {
	k.once.Do(k.kill)
	return k.ReadCloser.Read(p)
}

// TestFaultS3StoppedMidUpload: the S3 server is killed while a workbook upload is in
// flight. The run fails with an error naming the object, records the run as failed, leaves
// no object and no unfinished multipart upload behind for the cut file and no manifest for
// its period; once the server is back, the next run uploads every period in full: every
// manifest's files are there with the SHA-256 the manifest records, nothing else is.
func TestFaultS3StoppedMidUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 55, Transactions: 300, Span: 70 * day})
	srv := testenv.S3(t)
	truth := h.fake.Truth()

	newPipeline := func(client *s3.Client) *pipeline.Pipeline {
		store, err := sink.NewS3(ctx, sink.S3Options{Bucket: srv.Bucket, Prefix: "books", Client: client})
		if err != nil {
			t.Fatal(err)
		}
		exp := exporters.New(h.store, store, exporters.Config{Company: "Test Ltd"})
		p, err := pipeline.New(pipeline.Config{Now: h.now, Location: time.UTC, FlushRecords: 400, BookBatch: 300}, h.client, h.store, store, exp)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	// The second workbook: the first period is complete, the second is cut mid-upload.
	cut := &stopMidUpload{base: http.DefaultTransport, srv: srv, at: 2}
	faulty := s3.New(srv.Client().Options(), func(o *s3.Options) { o.HTTPClient = &http.Client{Transport: cut} })

	rctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	_, runErr := newPipeline(faulty).Sync(rctx)
	cancel()
	key := cut.key()
	if key == "" {
		t.Fatalf("no workbook upload was cut (%d workbook PUTs); run error: %v", cut.puts.Load(), runErr)
	}
	if runErr == nil {
		t.Fatalf("the sync succeeded although the S3 server was killed while uploading %s", key)
	}
	if errors.Is(runErr, context.DeadlineExceeded) {
		t.Fatalf("the sync hung until the deadline: %v", runErr)
	}
	if !strings.Contains(runErr.Error(), "s3://"+srv.Bucket+"/"+key) {
		t.Errorf("run error does not name the object being uploaded (s3://%s/%s): %v", srv.Bucket, key, runErr)
	}
	c := h.conn()
	if s := queryString(t, c, "SELECT status FROM runs ORDER BY id DESC LIMIT 1"); s != "failed" {
		t.Errorf("the failed run is recorded as %q, want \"failed\"", s)
	}

	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	admin := srv.Client()
	objects := func(prefix string) map[string]int64 {
		out := map[string]int64{}
		p := s3.NewListObjectsV2Paginator(admin, &s3.ListObjectsV2Input{Bucket: aws.String(srv.Bucket), Prefix: aws.String(prefix)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				out[aws.ToString(o.Key)] = aws.ToInt64(o.Size)
			}
		}
		return out
	}
	cutPeriod := path.Dir(key)
	after := objects(cutPeriod + "/")
	if _, ok := after[key]; ok {
		t.Errorf("%s exists after its upload was cut", key)
	}
	if _, ok := after[cutPeriod+"/manifest.json"]; ok {
		t.Errorf("%s has a manifest although its workbook never arrived", cutPeriod)
	}
	ups, err := admin.ListMultipartUploads(ctx, &s3.ListMultipartUploadsInput{Bucket: aws.String(srv.Bucket)})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups.Uploads) != 0 {
		t.Errorf("%d unfinished multipart uploads left behind", len(ups.Uploads))
	}

	sum, err := newPipeline(admin).Sync(ctx)
	if err != nil {
		t.Fatalf("the run after the server came back: %v", err)
	}
	booked, _, _ := checkAgainstTruth(t, truth, h.ledger())

	// Every period with ledger lines: a manifest counting its lines, each of its files
	// present with the manifest's size and SHA-256, and no other object beside them.
	perPeriod := map[string]int{}
	for _, l := range h.ledger() {
		perPeriod[l.Period]++
	}
	var files int
	for period, lines := range perPeriod {
		prefix := "books/" + period + "/"
		var m exporters.Manifest
		if err := json.Unmarshal(getObject(t, admin, srv.Bucket, prefix+"manifest.json"), &m); err != nil {
			t.Fatalf("%s manifest: %v", period, err)
		}
		if m.Counts.Lines != lines {
			t.Errorf("%s: manifest counts %d lines, the warehouse holds %d", period, m.Counts.Lines, lines)
		}
		want := map[string]bool{prefix + "manifest.json": true}
		for _, f := range m.Files {
			want[prefix+f.Name] = true
			data := getObject(t, admin, srv.Bucket, prefix+f.Name)
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != f.SHA256 || int64(len(data)) != f.Size {
				t.Errorf("%s%s: %d bytes, SHA-256 %s; manifest says %d bytes, %s", prefix, f.Name, len(data), got, f.Size, f.SHA256)
			}
			files++
		}
		for k := range objects(prefix) {
			if !want[k] && !strings.HasPrefix(k, prefix+"history/") {
				t.Errorf("%s is in the bucket but not in the %s manifest", k, period)
			}
		}
	}
	receipts := objects("books/receipts/")
	if len(receipts) == 0 {
		t.Error("no receipt was stored")
	}
	t.Logf("S3 killed while uploading %s: run failed (%v); after restart: no partial object, no manifest for %s, %d unfinished uploads; next run: %d periods, %d files verified by SHA-256, %d receipts, %d transactions booked, %d lines written",
		key, runErr, cutPeriod, len(ups.Uploads), len(perPeriod), files, len(receipts), booked, sum.LinesWritten)
}

func getObject(t *testing.T, c *s3.Client, bucket, key string) []byte {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return data
}
