package revolut

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"log/slog"
	"sync/atomic"
	"time"
)

// kind tells the generic decoder and pagers how to handle one record type.
type kind[T any] struct {
	stream string
	setRaw func(*T, json.RawMessage)
	id     func(*T) string
	// at is the time the list is ordered and paged by (created_at, expense_date); nil for
	// lists paged by token.
	at func(*T) time.Time
}

// decode decodes one record and keeps its exact JSON. A record without an id, or without the
// timestamp its list is paged by, is an error: it could be neither upserted nor placed.
func (k kind[T]) decode(raw json.RawMessage) (T, error) {
	var rec T
	recordErr := func(err error) (T, error) {
		var zero T
		return zero, &RecordError{Stream: k.stream, ID: recordID(raw), Raw: raw, Err: err}
	}
	if err := json.Unmarshal(raw, &rec); err != nil {
		return recordErr(err)
	}
	if k.id(&rec) == "" {
		return recordErr(errors.New("record has no id"))
	}
	if k.at != nil && k.at(&rec).IsZero() {
		return recordErr(errors.New("record has no timestamp to order it by"))
	}
	k.setRaw(&rec, raw)
	return rec, nil
}

// rawList is a JSON array of records kept undecoded. Unlike []json.RawMessage it refuses
// null or a missing value, so that a malformed page is retried instead of read as empty.
type rawList []json.RawMessage

// UnmarshalJSON accepts only a JSON array.
func (l *rawList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '[' {
		return fmt.Errorf("want a JSON array of records, got %.20q", b)
	}
	var list []json.RawMessage
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	*l = list
	return nil
}

// recordID reads the id of a record that failed to decode, if it can.
func recordID(raw json.RawMessage) string {
	var r struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &r) != nil || len(r.ID) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(r.ID, &s) == nil {
		return s
	}
	return string(r.ID)
}

// fetchCursorPage asks for the newest count records in [from, before); a zero from is open,
// a zero before is the API's default, now.
type fetchCursorPage func(ctx context.Context, from, before time.Time, count int) ([]json.RawMessage, error)

// cursorPager pages a list that is ordered newest first by a timestamp and filtered by an
// exclusive upper bound (to, created_before). It is how /transactions, /expenses, /cards,
// /team-members and /counterparties are read.
//
// The API has no tie-breaker below the timestamp, so asking for the next page with the last
// timestamp as the bound would skip the records that share it but did not fit on the page.
// The pager instead sets the bound one millisecond above the oldest timestamp of the page, so
// that the next page starts with the boundary millisecond again, and drops the records of that
// millisecond it has already yielded (only their ids need remembering).
//
// A page shorter than the count asked for is not taken as the last one unless the server has
// been seen to fill pages of that size: a server that clamps count (serving 500 when 1,000
// was asked) would otherwise lose the rest of the list silently. After a short page the pager
// asks once more below it; a page that brings nothing new (only the boundary millisecond's
// records again) ends the list, and one that brings new records proves the clamp, whose size
// then counts as a full page. That confirming request is the one extra request per list this
// costs, and only until the client has seen the server fill a page of the size it asks for.
//
// If a full page lies entirely inside the last millisecond of the window (a bulk payout of
// more than a page of rows sharing one created_at), moving the bound would either repeat the
// page or skip rows. The pager then asks once more with the largest page size; if that is
// full too, it reads that one millisecond through the partitions (for transactions: one
// request per account, whose union is every transaction) and moves the bound below it. Only
// when a partition is full as well does it stop, with *TieOverflowError: that is the limit
// of what the API can page. It never loops forever: every request either moves the bound down
// by at least a millisecond, or is one of a bounded number of retries of the same
// millisecond.
//
// A record the server returns outside the window asked for is not yielded: it is logged,
// counted (Stats.OutsideWindow) and does not move the bound, so a record dated in 1970 or
// 9999 can neither end the list early nor make it loop.
type cursorPager[T any] struct {
	kind     kind[T]
	from, to time.Time // the caller's window: from inclusive, to exclusive; zero = open
	count    int
	maxCount int
	fetch    fetchCursorPage
	// partitions, if set, returns fetchers whose union covers every record of the list.
	partitions func(ctx context.Context) ([]partition, error)

	// log receives the records dropped for lying outside the window. Nil: discarded.
	log *slog.Logger
	// outside, if set, is called once per record (by id) returned outside the window.
	outside func()
	// honoured, if set, holds the largest page size the server has been seen to fill for
	// this stream, shared by every list of one client.
	honoured *atomic.Int64
}

// minClampedPage is the shortest page taken for a clamped one when it lies inside a single
// millisecond and asking again cannot tell: no server is expected to serve pages shorter than
// the API's default page size (100), so a shorter such page is the end of the list.
const minClampedPage = 100

// partition is one slice of a list, named for errors (e.g. "account 1234...").
type partition struct {
	name  string
	fetch fetchCursorPage
}

// withClient connects a pager to its client's log, counters and knowledge of page sizes.
func withClient[T any](c *Client, p cursorPager[T]) cursorPager[T] {
	p.log = c.cfg.Logger
	p.outside = func() { c.stats.outsideWindow.Add(1) }
	v, _ := c.pageHonoured.LoadOrStore(p.kind.stream, new(atomic.Int64))
	p.honoured = v.(*atomic.Int64)
	return p
}

func (p cursorPager[T]) seq(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		before := ceilMillisecond(p.to)
		// The bounds the server is asked for: the API's filters take milliseconds. A record
		// between them and the caller's window (inside the rounding) is expected and left
		// for the neighbouring window; one beyond them should not have been returned at all.
		queryFrom, queryTo := p.from.Truncate(time.Millisecond), before
		count := p.count
		limit := count   // the size of a full page: count, or the server's clamp once seen
		clamped := false // the server was seen to serve fewer than count with more to come
		prevShort := 0   // length of the previous page when it was short, else 0
		// seen holds the ids yielded in the boundary millisecond, by their millisecond.
		seen := map[string]time.Time{}
		// bad holds the hashes of undecodable records already reported: they carry no
		// usable timestamp, so the overlap may bring them back.
		bad := map[[32]byte]bool{}
		outside := map[string]bool{}

		// emit yields the new records of one page and returns the oldest timestamp on it
		// inside the query's bounds (zero if none), how many records it yielded or reported
		// for the first time, and false if the consumer stopped.
		emit := func(raws []json.RawMessage) (time.Time, int, bool) {
			var oldest time.Time
			fresh := 0
			for _, raw := range raws {
				rec, err := p.kind.decode(raw)
				if err != nil {
					h := sha256.Sum256(raw)
					if bad[h] {
						continue
					}
					bad[h] = true
					fresh++
					if !yield(zero, err) {
						return oldest, fresh, false
					}
					continue
				}
				at := p.kind.at(&rec)
				id := p.kind.id(&rec)
				if (!queryFrom.IsZero() && at.Before(queryFrom)) || (!queryTo.IsZero() && !at.Before(queryTo)) {
					if !outside[id] {
						outside[id] = true
						p.reportOutside(ctx, id, at)
					}
					continue
				}
				if oldest.IsZero() || at.Before(oldest) {
					oldest = at
				}
				// Inside the rounding of a bound: the neighbouring window's record.
				if (!p.from.IsZero() && at.Before(p.from)) || (!p.to.IsZero() && !at.Before(p.to)) {
					continue
				}
				if _, dup := seen[id]; dup {
					continue
				}
				seen[id] = at.Truncate(time.Millisecond)
				fresh++
				if !yield(rec, nil) {
					return oldest, fresh, false
				}
			}
			return oldest, fresh, true
		}

		for {
			if err := ctx.Err(); err != nil {
				yield(zero, fmt.Errorf("revolut: list %s: %w", p.kind.stream, err))
				return
			}
			if !before.IsZero() && !p.from.IsZero() && !before.After(p.from) {
				return // the window [from, before) is empty: nothing left to ask for
			}
			raws, err := p.fetch(ctx, p.from, before, count)
			if err != nil {
				yield(zero, fmt.Errorf("revolut: list %s before %s: %w", p.kind.stream, bound(before), err))
				return
			}
			oldest, fresh, more := emit(raws)
			if !more {
				return
			}
			n := len(raws)
			if n == 0 {
				return // an empty page is the end of the list
			}
			if n >= count {
				p.noteHonoured(count)
			}
			if prevShort > 0 && fresh > 0 && !clamped {
				// The page after a short one brought new records: the server clamps count.
				clamped, limit = true, prevShort
				p.logger().InfoContext(ctx, "revolut list pages are shorter than asked; paging on with the server's page size",
					slog.String("stream", p.kind.stream), slog.Int("asked", count), slog.Int("served", prevShort))
			}
			prevShort = 0
			if n < limit {
				if clamped || p.knownHonoured(count) || oldest.IsZero() {
					return // shorter than a page the server is known to fill: the last one
				}
				boundary := oldest.Truncate(time.Millisecond)
				next := boundary.Add(time.Millisecond)
				if before.IsZero() || next.Before(before) {
					// Ask once more below this page, in case the server clamped it.
					prevShort = n
					before = next
					forgetBefore(seen, boundary)
					continue
				}
				// The short page lies in the last millisecond asked for: asking again would
				// be the same request. A page this short is the end; a long one is taken for
				// a clamped page inside one millisecond and read as such below.
				if n < minClampedPage {
					return
				}
				clamped, limit = true, n
			}
			if oldest.IsZero() {
				yield(zero, fmt.Errorf("revolut: list %s before %s: a full page of undecodable records leaves no timestamp to page by",
					p.kind.stream, bound(before)))
				return
			}
			boundary := oldest.Truncate(time.Millisecond)
			next := boundary.Add(time.Millisecond)
			if before.IsZero() || next.Before(before) {
				before = next
				forgetBefore(seen, boundary)
				continue
			}
			// The whole page is inside one millisecond, the last one of the window.
			if count < p.maxCount {
				count = p.maxCount
				if !clamped {
					limit = count
				}
				continue
			}
			if p.partitions == nil {
				yield(zero, &TieOverflowError{Stream: p.kind.stream, At: boundary, Count: limit})
				return
			}
			parts, err := p.partitions(ctx)
			if err != nil {
				yield(zero, fmt.Errorf("revolut: list %s: split the millisecond %s: %w", p.kind.stream, Time{boundary}, err))
				return
			}
			for _, part := range parts {
				raws, err := part.fetch(ctx, boundary, next, p.maxCount)
				if err != nil {
					yield(zero, fmt.Errorf("revolut: list %s at %s, %s: %w", p.kind.stream, Time{boundary}, part.name, err))
					return
				}
				if len(raws) >= limit {
					yield(zero, &TieOverflowError{Stream: p.kind.stream + " (" + part.name + ")", At: boundary, Count: limit})
					return
				}
				if _, _, more := emit(raws); !more {
					return
				}
			}
			// Every record of the boundary millisecond has been read: page on below it.
			before = boundary
			clear(seen)
		}
	}
}

func (p cursorPager[T]) logger() *slog.Logger {
	if p.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.log
}

// reportOutside logs and counts a record returned outside the window asked for.
func (p cursorPager[T]) reportOutside(ctx context.Context, id string, at time.Time) {
	if p.outside != nil {
		p.outside()
	}
	p.logger().WarnContext(ctx, "revolut list returned a record outside the window asked for; not extracted",
		slog.String("stream", p.kind.stream), slog.String("id", id), slog.String("timestamp", Time{at}.String()),
		slog.String("window", fmt.Sprintf("[%s, %s)", Time{p.from}, Time{p.to})))
}

// noteHonoured records that the server filled a page of size n.
func (p cursorPager[T]) noteHonoured(n int) {
	if p.honoured == nil {
		return
	}
	for {
		cur := p.honoured.Load()
		if cur >= int64(n) || p.honoured.CompareAndSwap(cur, int64(n)) {
			return
		}
	}
}

// knownHonoured reports whether the server has been seen to fill a page of size n.
func (p cursorPager[T]) knownHonoured(n int) bool {
	return p.honoured != nil && p.honoured.Load() >= int64(n)
}

// forgetBefore keeps only the ids of the boundary millisecond: the next page's bound excludes
// every later one.
func forgetBefore(seen map[string]time.Time, boundary time.Time) {
	for id, ms := range seen {
		if !ms.Equal(boundary) {
			delete(seen, id)
		}
	}
}

// bound names an upper bound in errors; zero is the API's default.
func bound(t time.Time) string {
	if t.IsZero() {
		return "now"
	}
	return Time{t}.String()
}

// ceilMillisecond rounds t up to a whole millisecond, because the API's filters take
// milliseconds: truncating an exclusive bound would drop the records just below it.
func ceilMillisecond(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	if tr := t.Truncate(time.Millisecond); !tr.Equal(t) {
		return tr.Add(time.Millisecond)
	}
	return t
}

// fetchTokenPage asks for the page at token ("" for the first) and returns its records and
// the next token ("" on the last page).
type fetchTokenPage func(ctx context.Context, token string) ([]json.RawMessage, string, error)

// tokenPager pages a list with page_token / next_page_token (accounting categories, tax
// rates, label groups, labels).
func tokenPager[T any](ctx context.Context, k kind[T], fetch fetchTokenPage) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		token := ""
		used := map[string]bool{}
		for {
			if err := ctx.Err(); err != nil {
				yield(zero, fmt.Errorf("revolut: list %s: %w", k.stream, err))
				return
			}
			raws, next, err := fetch(ctx, token)
			if err != nil {
				yield(zero, fmt.Errorf("revolut: list %s: %w", k.stream, err))
				return
			}
			for _, raw := range raws {
				if !yield(k.decode(raw)) {
					return
				}
			}
			if next == "" {
				return
			}
			if used[next] {
				yield(zero, fmt.Errorf("revolut: list %s: the API returned page token %q twice; stopping instead of looping", k.stream, next))
				return
			}
			used[next] = true
			token = next
		}
	}
}

// records yields every record of an unpaged list, decoded one by one.
func records[T any](k kind[T], raws []json.RawMessage) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, raw := range raws {
			if !yield(k.decode(raw)) {
				return
			}
		}
	}
}

// fail is a sequence that yields one error.
func fail[T any](err error) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		yield(zero, err)
	}
}
