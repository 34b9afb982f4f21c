package load

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/transform"
)

// frozenEntry is an entry whose booked version lies in a closed period: it is final, and a
// change to it is booked as an adjustment entry in the first open period.
type frozenEntry struct {
	id, sourceType, sourceID string
	version                  int    // the closed version (0: none was booked, the entry is new in a closed period)
	period                   string // that version's period (or the new entry's)
	live                     bool   // the closed version has lines
	hash                     []byte
	staged                   *stagedEntry // what the source books now (nil: nothing)
	dateFrom                 *stagedEntry // the staged entry whose date the adjustment takes (staged, or a reversing entry)
}

// planAdjustments turns the write's changes to entries of closed periods into adjustment
// entries. It reads the adjustment heads of the write's sources (into
// heads, so that an open adjustment that is no longer needed is tombstoned like any entry), takes
// the frozen entries out of p.entries (they are never written again) and stages instead, per
// frozen entry that changed, the adjustment AdjustmentEntryID(entry, version, n): the reversal
// of what is booked for it across closed periods plus the new booking (transform.Adjust).
// closed is the set of closed periods (closedPeriods), whose heads decideEntries must not
// tombstone either.
func planAdjustments(ctx context.Context, tx pgx.Tx, p *preparedBookings, heads map[string]head, closed map[string]bool) error {
	if len(closed) == 0 {
		return nil
	}
	rows, _ := tx.Query(ctx, `SELECT e.entry_id, e.source_type, e.source_id, e.period, e.current_version, e.lines_hash, e.tombstone
		FROM entries e JOIN stage_sources s ON s.source_type = e.source_type AND s.source_id = e.source_id
		WHERE e.entry_id LIKE 'adj:%'`)
	adjs := map[string][]head{} // adjusted "entry:vN" prefix → its adjustments
	var h head
	if _, err := pgx.ForEachRow(rows, []any{&h.entryID, &h.sourceType, &h.sourceID, &h.period, &h.version, &h.hash, &h.tombstone},
		func() error {
			heads[h.entryID] = h
			if i := strings.LastIndexByte(h.entryID, ':'); i > 0 {
				adjs[h.entryID[:i+1]] = append(adjs[h.entryID[:i+1]], h)
			}
			return nil
		}); err != nil {
		return fmt.Errorf("read adjustment entries: %w", interpret(err))
	}

	// The frozen entries: staged entries whose head, or whose own period, is closed, and live
	// entries of the sources in closed periods that the sources no longer produce.
	staged := map[string]*stagedEntry{}
	for i := range p.entries {
		staged[p.entries[i].id] = &p.entries[i]
	}
	var frozen []*frozenEntry
	isFrozen := map[string]bool{}
	for i := range p.entries {
		e := &p.entries[i]
		cur, found := heads[e.id]
		switch {
		case found && closed[cur.period]:
			frozen = append(frozen, &frozenEntry{id: e.id, sourceType: e.sourceType, sourceID: e.sourceID, version: cur.version,
				period: cur.period, live: !cur.tombstone, hash: cur.hash, staged: e, dateFrom: e})
		case found && !cur.tombstone && !closed[cur.period] && closed[e.period]:
			// Booked in an open period, now dated into a closed one (a completion time that
			// arrived late, a corrected expense date): it stays open, in the first open period
			// from there, and is versioned there like any entry; the closed period is untouched.
			redate(e, firstOpen(e.period, closed))
			continue
		case (!found || cur.tombstone) && closed[e.period]:
			frozen = append(frozen, &frozenEntry{id: e.id, sourceType: e.sourceType, sourceID: e.sourceID, version: cur.version,
				period: e.period, staged: e, dateFrom: e})
		default:
			continue
		}
		isFrozen[e.id] = true
	}
	for _, cur := range heads {
		if !isFrozen[cur.entryID] && staged[cur.entryID] == nil && !cur.tombstone && closed[cur.period] &&
			!strings.HasPrefix(cur.entryID, transform.AdjustmentEntryPrefix) {
			frozen = append(frozen, &frozenEntry{id: cur.entryID, sourceType: cur.sourceType, sourceID: cur.sourceID,
				version: cur.version, period: cur.period, live: true, hash: cur.hash})
			isFrozen[cur.entryID] = true
		}
	}
	if len(frozen) == 0 {
		return nil
	}
	sort.Slice(frozen, func(i, j int) bool { return frozen[i].id < frozen[j].id })
	// A reversing entry of a frozen entry (a payment reverted after its period closed) is not
	// written: the adjustment reverses the booked lines itself, dated as the reversal is.
	consumed := map[string]bool{}
	for _, f := range frozen {
		if r := staged[f.id+transform.ReversalSuffix]; r != nil && f.live && !isFrozen[r.id] {
			f.staged, f.dateFrom = nil, r
			consumed[r.id] = true
		}
	}

	// The stored lines needed: every live frozen version, and the latest live adjustment of
	// each in a closed period (its new booking is what is booked now).
	type want struct {
		f    *frozenEntry
		base head // latest live closed adjustment (entryID "" if none)
		next int  // n of the adjustment to write
	}
	var wants []want
	var readIDs []string
	var readVersions []int32
	for _, f := range frozen {
		w := want{f: f}
		prefix := strings.TrimSuffix(transform.AdjustmentEntryID(f.id, f.version, 0), "0")
		maxN, baseN := 0, 0
		var maxHead head
		for _, a := range adjs[prefix] {
			n, _ := strconv.Atoi(a.entryID[len(prefix):])
			if n > maxN {
				maxN, maxHead = n, a
			}
			if closed[a.period] && !a.tombstone && n > baseN {
				baseN, w.base = n, a
			}
		}
		if w.base.entryID == "" && f.live && f.staged != nil && equalHash(f.hash, f.staged.hash) {
			// Unchanged since the closed version, and no closed adjustment moved it: an open
			// adjustment of it, if any, is tombstoned as no longer produced. (With a closed
			// adjustment, going back to the closed version's figures is itself a change.)
			continue
		}
		w.next = maxN + 1
		if maxN > 0 && !closed[maxHead.period] {
			w.next = maxN
		}
		if w.base.entryID != "" {
			readIDs, readVersions = append(readIDs, w.base.entryID), append(readVersions, int32(w.base.version))
		} else if f.live {
			readIDs, readVersions = append(readIDs, f.id), append(readVersions, int32(f.version))
		}
		wants = append(wants, w)
	}
	stored, err := storedLines(ctx, tx, readIDs, readVersions)
	if err != nil {
		return err
	}

	// Staged entries that are not frozen stay; the adjustments are added.
	kept := p.entries[:0:0]
	for i := range p.entries {
		if !isFrozen[p.entries[i].id] && !consumed[p.entries[i].id] {
			kept = append(kept, p.entries[i])
		}
	}
	for _, w := range wants {
		f := w.f
		var booked []transform.Line
		if w.base.entryID != "" {
			for _, l := range stored[w.base.entryID] {
				if !transform.IsAdjustmentReversal(l) {
					booked = append(booked, l)
				}
			}
		} else {
			booked = stored[f.id]
		}
		var rebooked []transform.Line
		if f.staged != nil {
			for _, l := range f.staged.lines {
				rebooked = append(rebooked, *l)
			}
		}
		if sameFigures(booked, rebooked) {
			// Only provenance (a description, a state that does not change what a VAT return
			// counts) changed since what is booked now (the closed version, or the new booking
			// of its latest closed adjustment): that stands.
			continue
		}
		start := f.period
		var dated time.Time
		if f.dateFrom != nil && len(f.dateFrom.lines) > 0 {
			dated = f.dateFrom.lines[0].BookingDate
			start = max(start, f.dateFrom.period)
		}
		open := firstOpen(start, closed)
		date, _ := time.Parse("2006-01", open)
		if !dated.IsZero() && dated.Format("2006-01") == open {
			date = dated
		}
		lines := transform.Adjust(booked, rebooked, transform.Adjustment{
			EntryID: transform.AdjustmentEntryID(f.id, f.version, w.next), Date: date,
			AdjustsEntryID: f.id, AdjustsVersion: f.version, AdjustsPeriod: f.period,
			Reason: transform.AdjustmentReasonFor(booked, rebooked),
		})
		if len(lines) == 0 {
			continue
		}
		e := stagedEntry{id: lines[0].EntryID, sourceType: f.sourceType, sourceID: f.sourceID, period: open}
		for i := range lines {
			e.lines = append(e.lines, &lines[i])
		}
		e.hash = entryHash(e.lines)
		kept = append(kept, e)
	}
	p.entries = kept
	return nil
}

func equalHash(a, b []byte) bool { return string(a) == string(b) }

// redate moves a staged entry to the first day of period (YYYY-MM) and hashes it again.
func redate(e *stagedEntry, period string) {
	day, err := time.Parse("2006-01", period)
	if err != nil {
		return
	}
	for _, l := range e.lines {
		l.Period, l.BookingDate = period, day
	}
	e.period = period
	e.hash = entryHash(e.lines)
}

// closedPeriods reads the closed periods (nil when none is).
func closedPeriods(ctx context.Context, tx pgx.Tx) (map[string]bool, error) {
	rows, _ := tx.Query(ctx, `SELECT period FROM periods WHERE state = 'closed'`)
	list, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("read closed periods: %w", interpret(err))
	}
	if len(list) == 0 {
		return nil, nil
	}
	closed := make(map[string]bool, len(list))
	for _, c := range list {
		closed[c] = true
	}
	return closed, nil
}

// firstOpen is the earliest period ≥ start (YYYY-MM) that is not closed.
func firstOpen(start string, closed map[string]bool) string {
	t, err := time.Parse("2006-01", start)
	if err != nil {
		return start
	}
	for closed[t.Format("2006-01")] {
		t = t.AddDate(0, 1, 0)
	}
	return t.Format("2006-01")
}

// sameFigures reports whether two bookings of an entry carry the same figures line by line:
// key, account, amount, currency, VAT, tax rate, category, base-currency value (a rate that
// arrived after the month closed changes what its books say in base currency), and whether its expense is approved
// for VAT (transform.VATApprovedState: an expense approved after its month closed must reach a
// VAT return, so that is a change). A closed entry whose source changed only in provenance (a
// description, a state on the same side of approval) is not adjusted.
func sameFigures(a, b []transform.Line) bool {
	if len(a) != len(b) {
		return false
	}
	fig := func(ls []transform.Line) map[string]string {
		m := make(map[string]string, len(ls))
		for _, l := range ls {
			d := func(n decimal.NullDecimal) string {
				if !n.Valid {
					return "-"
				}
				return n.Decimal.String()
			}
			m[l.Key.String()] = strings.Join([]string{l.AccountCode, l.Amount.String(), l.Currency, d(l.OriginalAmount),
				l.OriginalCurrency, d(l.Net), d(l.Tax), d(l.Gross), l.TaxRateID, d(l.TaxRatePercent), l.CategoryID,
				strconv.FormatBool(l.ExpenseID == "" || transform.VATApprovedState(l.ExpenseState)), d(l.BaseAmount)}, "|")
		}
		return m
	}
	fa, fb := fig(a), fig(b)
	for k, v := range fa {
		if fb[k] != v {
			return false
		}
	}
	return len(fa) == len(fb)
}

// storedLines reads the stored lines of the given entry versions, by entry id.
func storedLines(ctx context.Context, tx pgx.Tx, ids []string, versions []int32) (map[string][]transform.Line, error) {
	out := map[string][]transform.Line{}
	if len(ids) == 0 {
		return out, nil
	}
	cols := make([]string, len(ledgerCols))
	for i, c := range ledgerCols {
		cols[i] = "r." + c
	}
	rows, err := tx.Query(ctx, `SELECT `+strings.Join(cols, ", ")+`, r.version
		FROM ledger_rows r JOIN unnest($1::text[], $2::integer[]) AS u (entry_id, version)
			ON r.entry_id = u.entry_id AND r.version = u.version
		ORDER BY r.entry_id, r.line_key`, ids, versions)
	if err != nil {
		return nil, fmt.Errorf("read booked lines of closed entries: %w", interpret(err))
	}
	defer rows.Close()
	for rows.Next() {
		l, err := scanLine(rows)
		if err != nil {
			return nil, fmt.Errorf("read booked line of a closed entry: %w", err)
		}
		out[l.EntryID] = append(out[l.EntryID], l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read booked lines of closed entries: %w", interpret(err))
	}
	return out, nil
}
