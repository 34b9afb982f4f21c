package revoluttest

import (
	"bytes"
	"cmp"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Hostile stands in front of a fake's handler and changes what it serves, one record or one
// receipt at a time, the way an adversarial proxy (or a broken upstream) would: an expense
// with a NUL in a receipt id, a receipt whose content is an HTML page, a receipt that fails
// until told otherwise. Every request still goes through the fake first, so authentication,
// the rate limit, the injected Faults and the statistics behave as without it; only a
// successful answer is changed. Safe for concurrent use, including while serving.
type Hostile struct {
	next http.Handler

	mu       sync.Mutex
	expenses map[string]func(rec map[string]any)
	receipts map[string]HostileReceipt
}

// HostileReceipt is the answer served for a receipt's content instead of the fake's.
type HostileReceipt struct {
	Status      int // default 200
	ContentType string
	Body        []byte
}

// NewHostile wraps the fake's handler.
func NewHostile(s *Server) *Hostile {
	return &Hostile{next: s.Handler(), expenses: map[string]func(map[string]any){}, receipts: map[string]HostileReceipt{}}
}

// NewHostileTestServer serves s behind a Hostile on its own httptest.Server, closed in
// tb.Cleanup, and returns the Hostile and the base URL (with /api/1.0) to point a client at.
func NewHostileTestServer(tb testing.TB, s *Server) (*Hostile, string) {
	tb.Helper()
	h := NewHostile(s)
	ts := httptest.NewServer(h)
	tb.Cleanup(ts.Close)
	return h, ts.URL + basePath
}

// RewriteExpense makes every answer that carries expense id (GET /expenses and
// GET /expenses/{id}) serve it as edit leaves it. edit gets the record as decoded JSON, numbers
// as json.Number; e.g. rec["receipt_ids"] = []any{"a\x00b"} serves "receipt_ids":["a\u0000b"].
// A nil edit removes the rewrite.
func (h *Hostile) RewriteExpense(id string, edit func(rec map[string]any)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if edit == nil {
		delete(h.expenses, id)
		return
	}
	h.expenses[id] = edit
}

// SetReceipt makes GET /expenses/{expense_id}/receipts/{receiptID}/content answer rep, for
// any expense, until ClearReceipt.
func (h *Hostile) SetReceipt(receiptID string, rep HostileReceipt) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.receipts[receiptID] = rep
}

// ClearReceipt serves the receipt as the fake does again.
func (h *Hostile) ClearReceipt(receiptID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.receipts, receiptID)
}

// ServeHTTP passes the request to the fake and changes a successful answer as configured.
func (h *Hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, r)
	res := rec.Result()
	body := rec.Body.Bytes()
	status, ctype := res.StatusCode, res.Header.Get("Content-Type")
	if r.Method == http.MethodGet {
		status, ctype, body = h.rewrite(r.URL.Path, status, ctype, body)
	}
	for k, v := range res.Header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func (h *Hostile) rewrite(path string, status int, ctype string, body []byte) (int, string, []byte) {
	rest, ok := strings.CutPrefix(path, basePath+"/expenses")
	if !ok {
		return status, ctype, body
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	switch {
	case len(parts) == 4 && parts[1] == "receipts" && parts[3] == "content":
		// Past authentication and the rate limit: the fake answered 200, or 400/404 for an id
		// it does not know.
		rep, ok := h.receipts[parts[2]]
		if !ok || status == http.StatusUnauthorized || status == http.StatusTooManyRequests {
			return status, ctype, body
		}
		return cmp.Or(rep.Status, http.StatusOK), rep.ContentType, rep.Body
	case status != http.StatusOK || len(h.expenses) == 0:
		return status, ctype, body
	case rest == "":
		var list []json.RawMessage
		if json.Unmarshal(body, &list) != nil {
			return status, ctype, body
		}
		var b bytes.Buffer
		b.WriteByte('[')
		for i, raw := range list {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(h.rewriteExpense(raw))
		}
		b.WriteByte(']')
		return status, ctype, b.Bytes()
	case len(parts) == 1:
		return status, ctype, h.rewriteExpense(body)
	}
	return status, ctype, body
}

// rewriteExpense applies the rewrite of the record's id, if there is one.
func (h *Hostile) rewriteExpense(raw []byte) []byte {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &head) != nil {
		return raw
	}
	edit, ok := h.expenses[head.ID]
	if !ok {
		return raw
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var rec map[string]any
	if d.Decode(&rec) != nil {
		return raw
	}
	edit(rec)
	out, err := json.Marshal(rec)
	if err != nil {
		return raw
	}
	return out
}
