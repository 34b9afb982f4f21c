package revoluttest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
)

// Rewriter is a proxy in front of the fake's handler that rewrites single records of its JSON
// answers by id: the hostile-record tests of issue 21 (a currency "GBPX" on one leg, a
// completed_at in year 9999) without changing how the fake generates its world. Records are
// edited as decoded JSON objects (numbers kept as their text); the others pass byte for byte.
type Rewriter struct {
	next  http.Handler
	mu    sync.Mutex
	rules map[string]func(map[string]any)
	hits  map[string]int
}

// NewRewriter wraps next (usually Server.Handler()).
func NewRewriter(next http.Handler) *Rewriter {
	return &Rewriter{next: next, rules: map[string]func(map[string]any){}, hits: map[string]int{}}
}

// Rewrite makes every answer that carries the record with this id pass it through edit first.
func (rw *Rewriter) Rewrite(id string, edit func(record map[string]any)) {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	rw.rules[id] = edit
}

// Hits reports how many times the record with this id was rewritten.
func (rw *Rewriter) Hits(id string) int {
	rw.mu.Lock()
	defer rw.mu.Unlock()
	return rw.hits[id]
}

// ServeHTTP serves r from the wrapped handler and rewrites the records of a JSON array or
// object answer.
func (rw *Rewriter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := httptest.NewRecorder()
	rw.next.ServeHTTP(rec, r)
	body := rec.Body.Bytes()
	if rec.Code == http.StatusOK && len(body) > 0 {
		body = rw.rewrite(body)
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rec.Code)
	_, _ = w.Write(body)
}

func (rw *Rewriter) rewrite(body []byte) []byte {
	trimmed := bytes.TrimSpace(body)
	var list []json.RawMessage
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if json.Unmarshal(trimmed, &list) != nil {
			return body
		}
		changed := false
		for i, raw := range list {
			if out, ok := rw.record(raw); ok {
				list[i], changed = out, true
			}
		}
		if !changed {
			return body
		}
		out, err := json.Marshal(list)
		if err != nil {
			return body
		}
		return out
	}
	if out, ok := rw.record(trimmed); ok {
		return out
	}
	return body
}

func (rw *Rewriter) record(raw json.RawMessage) (json.RawMessage, bool) {
	var head struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(raw, &head) != nil || head.ID == "" {
		return nil, false
	}
	rw.mu.Lock()
	edit, ok := rw.rules[head.ID]
	if ok {
		rw.hits[head.ID]++
	}
	rw.mu.Unlock()
	if !ok {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil, false
	}
	edit(m)
	out, err := json.Marshal(m)
	if err != nil {
		return nil, false
	}
	return out, true
}
