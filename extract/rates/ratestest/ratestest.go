// Package ratestest is a local fake of the exchange-rate publishers, served over real HTTP
// (httptest): the ECB's folder of reference-rate files and HMRC's folder of monthly files,
// holding abbreviated samples of their real formats (testdata/README.md). Tests point
// rates.NewECB and rates.NewHMRC at it and count the requests it received.
package ratestest

import (
	"archive/zip"
	"bytes"
	"embed"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"testing"
)

//go:embed testdata
var samples embed.FS

// Sample returns one embedded sample file, e.g. "ecb/eurofxref-daily.xml".
func Sample(name string) []byte {
	b, err := samples.ReadFile(path.Join("testdata", name))
	if err != nil {
		panic("ratestest: no sample " + name)
	}
	return b
}

// Zip returns a zip archive holding one file, as the ECB ships eurofxref-hist.zip.
func Zip(name string, content []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create(name)
	if err != nil {
		panic(err)
	}
	if _, err := w.Write(content); err != nil {
		panic(err)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// Publisher is the fake: files by URL path, 404 for any other path.
type Publisher struct {
	srv *httptest.Server

	mu       sync.Mutex
	files    map[string][]byte
	status   map[string]int
	requests map[string]int
}

// New starts a Publisher serving the samples under /ecb/ (eurofxref-daily.xml,
// eurofxref-hist-90d.xml, eurofxref-hist.zip) and /hmrc/ (monthly_xml_2024-3.xml); it is
// closed when the test ends.
func New(t testing.TB) *Publisher {
	t.Helper()
	p := &Publisher{files: map[string][]byte{
		"/ecb/eurofxref-daily.xml":     Sample("ecb/eurofxref-daily.xml"),
		"/ecb/eurofxref-hist-90d.xml":  Sample("ecb/eurofxref-hist-90d.xml"),
		"/ecb/eurofxref-hist.zip":      Zip("eurofxref-hist.csv", Sample("ecb/eurofxref-hist.csv")),
		"/hmrc/monthly_xml_2024-3.xml": Sample("hmrc/monthly_xml_2024-3.xml"),
	}, status: map[string]int{}, requests: map[string]int{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *Publisher) serve(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests[r.URL.Path]++
	body, ok := p.files[r.URL.Path]
	status := p.status[r.URL.Path]
	p.mu.Unlock()
	switch {
	case status != 0:
		http.Error(w, http.StatusText(status), status)
	case !ok:
		http.NotFound(w, r)
	default:
		_, _ = w.Write(body)
	}
}

// ECBURL is the base URL of the fake ECB folder.
func (p *Publisher) ECBURL() string { return p.srv.URL + "/ecb/" }

// HMRCURL is the base URL of the fake HMRC folder.
func (p *Publisher) HMRCURL() string { return p.srv.URL + "/hmrc/" }

// Set replaces (or adds) the file at urlPath, e.g. "/ecb/eurofxref-daily.xml".
func (p *Publisher) Set(urlPath string, body []byte) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.files[urlPath] = body
}

// Fail makes urlPath answer status (0 serves the file again).
func (p *Publisher) Fail(urlPath string, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.status[urlPath] = status
}

// Requests returns how many requests urlPath received.
func (p *Publisher) Requests(urlPath string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[urlPath]
}

// TotalRequests returns how many requests the publisher received in all.
func (p *Publisher) TotalRequests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.requests {
		n += c
	}
	return n
}
