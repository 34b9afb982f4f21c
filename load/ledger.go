package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/revledger/revledger/transform"
)

// SourceBooking is what the booker produced for one source record: the lines of every entry
// it books (possibly none, e.g. a declined transaction) and its exceptions.
type SourceBooking struct {
	SourceType string // transform.SourceTransaction, SourceExpense or SourceRevaluation (an account's month-end revaluations)
	SourceID   string
	Lines      []transform.Line
	Exceptions []transform.Exception
}

// WriteStats counts what WriteBookings did, per journal entry.
type WriteStats struct {
	EntriesNew       int // first version of an entry
	EntriesChanged   int // a new version because the entry's lines differ (or it came back)
	EntriesUnchanged int // identical lines: nothing written
	Tombstones       int // the source no longer produces the entry
	LinesWritten     int
	// ExceptionsReplaced counts sources whose set of current exceptions changed.
	ExceptionsReplaced int
}

// WriteBookings writes the bookings of a set of sources in one transaction.
//
// The current heads of the written entries and of every entry of the sources are read in one
// query; then only the lines, versions and heads of new, changed or gone entries are COPYed
// (lines straight into ledger_rows with their new version). For each entry, the hash of its
// lines (every Line field but Version, in line-key order) is compared with the current
// version's: a new or different entry is written as version + 1 with
// all its lines and the previous version is closed (valid_to, superseded_by_run) but kept; an
// identical one is not touched. An entry the source produced before but not now gets a
// tombstone version. Then needs_booking is cleared for exactly these sources (and, for a
// transaction, for the expenses linked to it, whose own standalone entries are tombstoned:
// they are booked with the transaction now), and their current exceptions are replaced if
// they differ. The database checks at commit that every written entry balances per currency
// (ErrUnbalanced).
func (w *Writer) WriteBookings(ctx context.Context, run RunID, bookings []SourceBooking) (WriteStats, error) {
	if run == 0 {
		return WriteStats{}, fmt.Errorf("load: write bookings: a run id is required")
	}
	prep, err := prepareBookings(bookings)
	if err != nil {
		return WriteStats{}, fmt.Errorf("load: write bookings: %w", err)
	}
	var st WriteStats
	err = w.inTx(ctx, func(tx pgx.Tx) error {
		var err error
		st, err = writeBookings(ctx, tx, run, prep)
		return err
	})
	if err != nil {
		return WriteStats{}, fmt.Errorf("load: write bookings of %d sources: %w", len(bookings), err)
	}
	return st, nil
}

// inClosedPeriod is true for an exceptions row x of a closed period.
const inClosedPeriod = `EXISTS (SELECT 1 FROM periods c WHERE c.period = x.period AND c.state = 'closed')`

type preparedBookings struct {
	sources    [][]any // source type, source id
	entries    []stagedEntry
	lines      []*transform.Line
	exceptions [][]any
}

// stagedEntry is one entry a booking produced, with the hash of its lines.
type stagedEntry struct {
	id, sourceType, sourceID, period string
	hash                             []byte
	lines                            []*transform.Line
}

func prepareBookings(bookings []SourceBooking) (*preparedBookings, error) {
	p := &preparedBookings{}
	seenSource := map[[2]string]bool{}
	entryIndex := map[string]int{} // entry id → its index in p.entries
	for bi := range bookings {
		b := &bookings[bi]
		if b.SourceType != transform.SourceTransaction && b.SourceType != transform.SourceExpense && b.SourceType != transform.SourceRevaluation {
			return nil, fmt.Errorf("booking %d: unknown source type %q", bi, b.SourceType)
		}
		if b.SourceID == "" {
			return nil, fmt.Errorf("booking %d: empty source id", bi)
		}
		key := [2]string{b.SourceType, b.SourceID}
		if seenSource[key] {
			return nil, fmt.Errorf("source %s/%s is booked twice in one write", b.SourceType, b.SourceID)
		}
		seenSource[key] = true
		p.sources = append(p.sources, []any{b.SourceType, b.SourceID})

		first := len(p.entries) // this booking's entries are p.entries[first:]
		for i := range b.Lines {
			l := &b.Lines[i]
			if l.EntryID == "" {
				return nil, fmt.Errorf("source %s/%s: line %s has no entry id", b.SourceType, b.SourceID, l.Key)
			}
			e, ok := entryIndex[l.EntryID]
			switch {
			case ok && e < first:
				return nil, fmt.Errorf("entry %s is produced by two sources in one write", l.EntryID)
			case !ok:
				period := l.Period
				if period == "" {
					period = l.BookingDate.Format("2006-01")
				}
				e = len(p.entries)
				entryIndex[l.EntryID] = e
				p.entries = append(p.entries, stagedEntry{id: l.EntryID, sourceType: b.SourceType, sourceID: b.SourceID, period: period})
			}
			p.entries[e].lines = append(p.entries[e].lines, l)
			p.lines = append(p.lines, l)
		}
		for _, e := range b.Exceptions {
			st, sid := e.SourceType, e.SourceID
			if st == "" {
				st, sid = b.SourceType, b.SourceID
			}
			p.exceptions = append(p.exceptions, []any{b.SourceType, b.SourceID, st, sid, nullString(e.EntryID),
				e.Period, nullTime(e.OccurredAt), e.Kind, StoredText(e.Reason)})
		}
	}
	// Hashing every line of every entry is the CPU-heavy part of a write: on every core, each
	// worker on its own range of entries.
	workers := min(runtime.GOMAXPROCS(0), 1+len(p.entries)/1024)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var h hasher
			for k := w * len(p.entries) / workers; k < (w+1)*len(p.entries)/workers; k++ {
				p.entries[k].hash = h.entry(p.entries[k].lines)
			}
		})
	}
	wg.Wait()
	return p, nil
}

// ledgerCols are the ledger_rows columns that come from a Line (all but version and run_id),
// in the order lineRow fills them.
var ledgerCols = []string{
	"entry_id", "line_key", "source_type", "source_id", "line_index", "role", "booking_date", "occurred_at", "period",
	"account_code", "account_name", "amount", "currency", "original_amount", "original_currency",
	"net", "tax", "gross", "tax_rate_id", "tax_rate_name", "tax_rate_percent",
	"category_id", "category_code", "category_name", "labels",
	"counterparty", "merchant", "description", "reference",
	"transaction_id", "transaction_type", "transaction_state", "related_transaction_id", "expense_id", "expense_state",
	"receipt_ids", "revolut_account_id", "bank_balance", "card_id", "card_last_digits", "card_holder", "card_references",
	"card_label", "vat_treatment",
	// 0010: the closed entry version an adjustment line adjusts (NULL on ordinary lines).
	"adjusts_entry_id", "adjusts_version", "adjusts_period", "adjustment_reason",
	// 0011: the line's value in the base currency, its rate and the rate's source (NULL
	// when no rate was found).
	"base_amount", "base_rate", "rate_source",
}

var ledgerColTypes = []string{
	"text", "text", "text", "text", "integer", "text", "date", "timestamptz", "text",
	"text", "text", "numeric", "text", "numeric", "text",
	"numeric", "numeric", "numeric", "text", "text", "numeric",
	"text", "text", "text", "jsonb",
	"text", "text", "text", "text",
	"text", "text", "text", "text", "text", "text",
	"text[]", "text", "numeric", "text", "text", "text", "jsonb",
	"text", "text",
	"text", "integer", "text", "text",
	"numeric", "numeric", "text",
}

type cardRefJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

func lineRow(l *transform.Line, row []any) {
	var labels, refs any
	if len(l.Labels) > 0 {
		b, _ := json.Marshal(l.Labels) // map[string]string cannot fail
		labels = json.RawMessage(b)
	}
	if len(l.CardReferences) > 0 {
		rs := make([]cardRefJSON, len(l.CardReferences))
		for i, r := range l.CardReferences {
			rs[i] = cardRefJSON(r)
		}
		b, _ := json.Marshal(rs)
		refs = json.RawMessage(b)
	}
	var receipts any
	if len(l.ReceiptIDs) > 0 {
		receipts = l.ReceiptIDs
	}
	fillRow(row,
		l.EntryID, l.Key.String(), l.Key.SourceType, l.Key.SourceID, l.Key.Index, l.Key.Role,
		l.BookingDate, l.OccurredAt.UTC(), l.Period,
		l.AccountCode, nullString(l.AccountName), l.Amount, l.Currency, l.OriginalAmount, nullString(l.OriginalCurrency),
		l.Net, l.Tax, l.Gross, nullString(l.TaxRateID), nullString(l.TaxRateName), l.TaxRatePercent,
		nullString(l.CategoryID), nullString(l.CategoryCode), nullString(l.CategoryName), labels,
		nullString(l.Counterparty), nullString(l.Merchant), nullString(l.Description), nullString(l.Reference),
		nullString(l.TransactionID), nullString(l.TransactionType), nullString(l.TransactionState),
		nullString(l.RelatedTransactionID), nullString(l.ExpenseID), nullString(l.ExpenseState),
		receipts, nullString(l.RevolutAccountID), l.BankBalance, nullString(l.CardID), nullString(l.CardLastDigits),
		nullString(l.CardHolder), refs, nullString(l.CardLabel), nullString(l.VATTreatment),
		nullString(l.AdjustsEntryID), nullInt(l.AdjustsVersion), nullString(l.AdjustsPeriod), nullString(l.AdjustmentReason),
		l.BaseAmount, l.BaseRate, nullString(l.RateSource))
}

// nullInt is NULL for 0 (an ordinary line adjusts no version).
func nullInt(v int) any {
	if v == 0 {
		return nil
	}
	return v
}

// entryHash is the identity of an entry's content: sha256 over every Line field except
// Version, lines in key order, each field length-prefixed so that no two different line sets
// share an encoding. Amounts are hashed by value (1.5 and 1.50 are the same amount). It runs
// for every line of every booking, so it avoids fmt and hashes one buffer per entry.
func entryHash(lines []*transform.Line) []byte {
	var h hasher
	return h.entry(lines)
}

// entry is entryHash with h's buffers, which a worker reuses from entry to entry.
func (h *hasher) entry(lines []*transform.Line) []byte {
	h.buf, h.sorted = h.buf[:0], h.sorted[:0]
	for _, l := range lines {
		h.sorted = append(h.sorted, keyedLine{l.Key.String(), l})
	}
	sorted := h.sorted
	if len(sorted) > 1 {
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].key < sorted[j].key })
	}
	for _, k := range sorted {
		l := k.line
		h.str(k.key)
		h.str(l.EntryID)
		h.time(l.BookingDate)
		h.time(l.OccurredAt)
		h.str(l.Period)
		h.str(l.AccountCode)
		h.str(l.AccountName)
		h.dec(decimal.NullDecimal{Decimal: l.Amount, Valid: true})
		h.str(l.Currency)
		h.dec(l.OriginalAmount)
		h.str(l.OriginalCurrency)
		h.dec(l.Net)
		h.dec(l.Tax)
		h.dec(l.Gross)
		h.str(l.TaxRateID)
		h.str(l.TaxRateName)
		h.dec(l.TaxRatePercent)
		h.str(l.CategoryID)
		h.str(l.CategoryCode)
		h.str(l.CategoryName)
		groups := h.groups[:0]
		for g := range l.Labels {
			groups = append(groups, g)
		}
		sort.Strings(groups)
		h.groups = groups
		h.n(len(groups))
		for _, g := range groups {
			h.str(g)
			h.str(l.Labels[g])
		}
		h.str(l.Counterparty)
		h.str(l.Merchant)
		h.str(l.Description)
		h.str(l.Reference)
		h.str(l.TransactionID)
		h.str(l.TransactionType)
		h.str(l.TransactionState)
		h.str(l.RelatedTransactionID)
		h.str(l.ExpenseID)
		h.str(l.ExpenseState)
		h.n(len(l.ReceiptIDs))
		for _, r := range l.ReceiptIDs {
			h.str(r)
		}
		h.str(l.RevolutAccountID)
		h.dec(l.BankBalance)
		h.str(l.CardID)
		h.str(l.CardLastDigits)
		h.str(l.CardHolder)
		h.str(l.CardLabel)
		h.n(len(l.CardReferences))
		for _, r := range l.CardReferences {
			h.str(r.Name)
			h.str(r.Value)
		}
		if l.VATTreatment != "" { // only then: lines without one keep the hash they had
			h.str("\x00vat")
			h.str(l.VATTreatment)
		}
		// Only an adjustment line hashes its adjustment fields, so that the hash of every
		// ordinary entry stays what it was before they existed (no re-versioning on upgrade).
		if l.AdjustsEntryID != "" {
			h.str("\x00adj")
			h.str(l.AdjustsEntryID)
			h.n(l.AdjustsVersion)
			h.str(l.AdjustsPeriod)
			h.str(l.AdjustmentReason)
		}
		// Only a line with a base value hashes it, so that a line without one keeps the hash
		// it had before base values existed, and a rate arriving later (a missing_fx_rate
		// entry valued on a later run) makes a new version.
		if l.BaseAmount.Valid || l.RateSource != "" {
			h.str("\x00base")
			h.dec(l.BaseAmount)
			h.dec(l.BaseRate)
			h.str(l.RateSource)
		}
	}
	sum := sha256.Sum256(h.buf)
	return sum[:]
}

// hasher accumulates the length-prefixed encoding of an entry.
type hasher struct {
	buf    []byte
	sorted []keyedLine
	groups []string
}

type keyedLine struct {
	key  string
	line *transform.Line
}

func (h *hasher) n(v int) { h.buf = binary.BigEndian.AppendUint64(h.buf, uint64(v)) }

func (h *hasher) str(s string) {
	h.n(len(s))
	h.buf = append(h.buf, s...)
}

func (h *hasher) dec(d decimal.NullDecimal) {
	if !d.Valid {
		h.n(-1)
		return
	}
	h.str(d.Decimal.String())
}

// time hashes the instant (not its zone): zero is -1, else Unix nanoseconds.
func (h *hasher) time(t time.Time) {
	if t.IsZero() {
		h.n(-1)
		return
	}
	h.n(int(t.UnixNano()))
}

// head is an entry's current state in entries.
type head struct {
	entryID, sourceType, sourceID, period string
	version                               int
	hash                                  []byte // lines_hash: nil (NULL) for a tombstone
	tombstone                             bool
}

// entryWrite is a new version of an entry: its first, a change, or a tombstone (no lines).
type entryWrite struct {
	entry *stagedEntry // nil for a tombstone
	head  head         // the entry as it will be: version is the new version
	isNew bool
}

func writeBookings(ctx context.Context, tx pgx.Tx, run RunID, p *preparedBookings) (WriteStats, error) {
	var st WriteStats
	// The balance trigger keeps the rows a statement inserted (a transition table) and sums
	// them per entry version: at the default work_mem (4MB) a 100k-line COPY spills both to
	// temporary files. The memory is taken only by writes that large, for this transaction.
	// JIT is off as in LoadBatch: estimates over staging tables have no statistics behind them.
	// The staging tables need no keys (an index insertion per row): prepareBookings refuses a
	// source twice or an entry of two sources, and the primary keys of entries and
	// entry_versions refuse an entry written twice.
	// A closed period's exceptions are as final as its entries: a new exception dated in one
	// is listed in the first open period instead (with the adjustment, if the change makes one),
	// and the exceptions already listed in closed periods are neither compared nor cleared
	// below, so re-exporting a closed period gives the same files.
	closed, err := closedPeriods(ctx, tx)
	if err != nil {
		return st, err
	}
	for _, x := range p.exceptions {
		if period, _ := x[5].(string); closed[period] {
			x[5] = firstOpen(period, closed)
		}
	}
	ddl := `SET LOCAL work_mem = '128MB'; SET LOCAL jit = off;
		CREATE TEMP TABLE stage_sources (source_type text, source_id text) ON COMMIT DROP;
		CREATE TEMP TABLE stage_exceptions (owner_type text, owner_id text, source_type text, source_id text, entry_id text,
			period text, occurred_at timestamptz, kind text, reason text) ON COMMIT DROP`
	if _, err := tx.Exec(ctx, ddl); err != nil {
		return st, fmt.Errorf("create staging: %w", interpret(err))
	}
	copies := []struct {
		table string
		cols  []string
		src   pgx.CopyFromSource
	}{
		{"stage_sources", []string{"source_type", "source_id"}, pgx.CopyFromRows(p.sources)},
		{"stage_exceptions", []string{"owner_type", "owner_id", "source_type", "source_id", "entry_id", "period",
			"occurred_at", "kind", "reason"}, pgx.CopyFromRows(p.exceptions)},
	}
	for _, c := range copies {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.table}, c.cols, c.src); err != nil {
			return st, fmt.Errorf("copy into %s: %w", c.table, interpret(err))
		}
	}
	// A booked transaction books its linked expenses with it: they are sources of this write
	// too (their standalone entries become tombstones, their needs_booking is cleared).
	if _, err := tx.Exec(ctx, `INSERT INTO stage_sources
		SELECT DISTINCT 'expense', e.id FROM expenses e JOIN stage_sources s ON s.source_type = 'transaction' AND e.transaction_id = s.source_id
		WHERE NOT EXISTS (SELECT 1 FROM stage_sources x WHERE x.source_type = 'expense' AND x.source_id = e.id)`); err != nil {
		return st, fmt.Errorf("add expenses linked to booked transactions: %w", interpret(err))
	}

	writes, err := decideEntries(ctx, tx, p, closed)
	if err != nil {
		return st, err
	}
	for _, w := range writes {
		switch {
		case w.isNew:
			st.EntriesNew++
		case w.head.tombstone:
			st.Tombstones++
		default:
			st.EntriesChanged++
		}
	}
	st.EntriesUnchanged = len(p.entries) - st.EntriesNew - st.EntriesChanged
	if len(writes) > 0 {
		// The lines go in before the entry versions they belong to (the check that they do runs
		// at commit): the versions written last are still in shared buffers when the commit
		// check looks up any it must.
		if st.LinesWritten, err = copyLines(ctx, tx, run, writes); err != nil {
			return st, fmt.Errorf("write ledger lines: %w", err)
		}
		if err := writeHeads(ctx, tx, run, writes); err != nil {
			return st, err
		}
	}

	steps := []struct {
		what string
		sql  string
		n    *int
	}{
		{"clear needs_booking of transactions", `UPDATE transactions t SET needs_booking = false
			FROM stage_sources s WHERE s.source_type = 'transaction' AND t.id = s.source_id AND t.needs_booking`, nil},
		{"clear needs_booking of expenses", `UPDATE expenses e SET needs_booking = false
			FROM stage_sources s WHERE s.source_type = 'expense' AND e.id = s.source_id AND e.needs_booking`, nil},
		// Exceptions are replaced per owning source only when the set differs, so booking the
		// same thing twice writes nothing and ChangedPeriods stays empty.
		{"compare exceptions", `CREATE TEMP TABLE exception_owners ON COMMIT DROP AS
			SELECT DISTINCT owner_type, owner_id FROM (
				(SELECT x.owner_type, x.owner_id, x.source_type, x.source_id, x.entry_id, x.period, x.occurred_at, x.kind, x.reason
				 FROM exceptions x JOIN stage_sources s ON s.source_type = x.owner_type AND s.source_id = x.owner_id
				 WHERE x.cleared_by_run IS NULL AND NOT ` + inClosedPeriod + `
				 EXCEPT ALL
				 SELECT owner_type, owner_id, source_type, source_id, entry_id, period, occurred_at, kind, reason FROM stage_exceptions)
				UNION ALL
				(SELECT owner_type, owner_id, source_type, source_id, entry_id, period, occurred_at, kind, reason FROM stage_exceptions
				 EXCEPT ALL
				 SELECT x.owner_type, x.owner_id, x.source_type, x.source_id, x.entry_id, x.period, x.occurred_at, x.kind, x.reason
				 FROM exceptions x JOIN stage_sources s ON s.source_type = x.owner_type AND s.source_id = x.owner_id
				 WHERE x.cleared_by_run IS NULL AND NOT ` + inClosedPeriod + `)
			) d`, &st.ExceptionsReplaced},
		{"clear replaced exceptions", `UPDATE exceptions x SET cleared_by_run = $1
			FROM exception_owners o WHERE x.cleared_by_run IS NULL AND x.owner_type = o.owner_type AND x.owner_id = o.owner_id
				AND NOT ` + inClosedPeriod, nil},
		{"write exceptions", `INSERT INTO exceptions (run_id, owner_type, owner_id, source_type, source_id, entry_id, period, occurred_at, kind, reason)
			SELECT $1, s.owner_type, s.owner_id, s.source_type, s.source_id, s.entry_id, s.period, s.occurred_at, s.kind, s.reason
			FROM stage_exceptions s JOIN exception_owners o ON o.owner_type = s.owner_type AND o.owner_id = s.owner_id`, nil},
	}
	for _, step := range steps {
		var args []any
		if strings.Contains(step.sql, "$1") {
			args = []any{run}
		}
		tag, err := tx.Exec(ctx, step.sql, args...)
		if err != nil {
			return st, fmt.Errorf("%s: %w", step.what, interpret(err))
		}
		if step.n != nil {
			*step.n = int(tag.RowsAffected())
		}
	}
	return st, nil
}

// decideEntries reads the current heads of the staged entries and of every entry of the
// write's sources, and returns the versions to write: a staged entry with no head is new
// (version 1); one whose head is a tombstone or has other lines gets the next version; one
// with the same lines is left alone; and an entry of a source that no longer produces it gets
// a tombstone version. The decision needs only the heads, so it is made here, and the new
// heads and versions go in by COPY rather than through staging.
func decideEntries(ctx context.Context, tx pgx.Tx, p *preparedBookings, closed map[string]bool) ([]entryWrite, error) {
	ids := make([]string, len(p.entries))
	for i := range p.entries {
		ids[i] = p.entries[i].id
	}
	// UNION, not UNION ALL: an entry can be found both ways.
	rows, _ := tx.Query(ctx, `SELECT e.entry_id, e.source_type, e.source_id, e.period, e.current_version, e.lines_hash, e.tombstone
		FROM entries e JOIN unnest($1::text[]) AS u (entry_id) ON e.entry_id = u.entry_id
		UNION
		SELECT e.entry_id, e.source_type, e.source_id, e.period, e.current_version, e.lines_hash, e.tombstone
		FROM entries e JOIN stage_sources s ON s.source_type = e.source_type AND s.source_id = e.source_id
		WHERE NOT e.tombstone`, ids)
	heads := map[string]head{}
	var h head
	if _, err := pgx.ForEachRow(rows, []any{&h.entryID, &h.sourceType, &h.sourceID, &h.period, &h.version, &h.hash, &h.tombstone},
		func() error { heads[h.entryID] = h; return nil }); err != nil {
		return nil, fmt.Errorf("read current entries: %w", interpret(err))
	}
	// Entries of closed periods are final: their changes become adjustment entries (adjust.go).
	if err := planAdjustments(ctx, tx, p, heads, closed); err != nil {
		return nil, err
	}

	var writes []entryWrite
	for i := range p.entries {
		e := &p.entries[i]
		cur, found := heads[e.id]
		if found && !cur.tombstone && bytes.Equal(cur.hash, e.hash) {
			delete(heads, e.id)
			continue
		}
		delete(heads, e.id)
		writes = append(writes, entryWrite{entry: e, isNew: !found,
			head: head{entryID: e.id, sourceType: e.sourceType, sourceID: e.sourceID, period: e.period,
				version: cur.version + 1, hash: e.hash}})
	}
	// What is left are live entries of the write's sources that the sources no longer produce
	// (in entry order, so that the same write always writes the same rows in the same order).
	gone := make([]head, 0, len(heads))
	for _, cur := range heads {
		if !cur.tombstone && !closed[cur.period] {
			gone = append(gone, cur)
		}
	}
	sort.Slice(gone, func(i, j int) bool { return gone[i].entryID < gone[j].entryID })
	for _, cur := range gone {
		cur.version++
		cur.hash, cur.tombstone = nil, true
		writes = append(writes, entryWrite{head: cur})
	}
	return writes, nil
}

// copyLines COPYs the lines of every new version straight into ledger_rows, with that version.
// Lines of unchanged entries never travel, and new lines are written once, without a staging
// copy. The statement trigger still queues the balance check of every entry version the COPY
// touched.
func copyLines(ctx context.Context, tx pgx.Tx, run RunID, writes []entryWrite) (int, error) {
	type pos struct{ write, line int }
	var todo []pos
	for w := range writes {
		if e := writes[w].entry; e != nil {
			for l := range e.lines {
				todo = append(todo, pos{w, l})
			}
		}
	}
	if len(todo) == 0 {
		return 0, nil
	}
	cols := append(append([]string(nil), ledgerCols...), "version", "run_id")
	src := &copySource{n: len(todo), row: make([]any, len(cols)), fill: func(i int, row []any) {
		w := &writes[todo[i].write]
		lineRow(w.entry.lines[todo[i].line], row)
		row[len(row)-2], row[len(row)-1] = w.head.version, run
	}}
	n, err := tx.CopyFrom(ctx, pgx.Identifier{"ledger_rows"}, cols, src)
	if err != nil {
		return 0, interpret(err)
	}
	return int(n), nil
}

// writeHeads closes the versions the writes supersede, writes the new versions (COPY), adds
// the heads of new entries (COPY) and moves the heads of the others. Under the run lock
// nobody else writes entries; the primary keys refuse a version or an entry written twice.
func writeHeads(ctx context.Context, tx pgx.Tx, run RunID, writes []entryWrite) error {
	// An entry that is not new has a current version, which its new one supersedes.
	var moved []int
	for i := range writes {
		if !writes[i].isNew {
			moved = append(moved, i)
		}
	}
	if len(moved) > 0 {
		ids, prev := make([]string, len(moved)), make([]int32, len(moved))
		for k, i := range moved {
			ids[k], prev[k] = writes[i].head.entryID, int32(writes[i].head.version-1)
		}
		if _, err := tx.Exec(ctx, `UPDATE entry_versions v SET valid_to = now(), superseded_by_run = $1
			FROM unnest($2::text[], $3::integer[]) AS u (entry_id, version)
			WHERE v.entry_id = u.entry_id AND v.version = u.version`, run, ids, prev); err != nil {
			return fmt.Errorf("close superseded versions: %w", interpret(err))
		}
	}
	versions := &copySource{n: len(writes), row: make([]any, 6), fill: func(i int, row []any) {
		h := &writes[i].head
		fillRow(row, h.entryID, h.version, run, h.hash, h.period, h.tombstone)
	}}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"entry_versions"},
		[]string{"entry_id", "version", "run_id", "lines_hash", "period", "tombstone"}, versions); err != nil {
		return fmt.Errorf("record entry versions: %w", interpret(err))
	}
	if n := len(writes) - len(moved); n > 0 {
		fresh := make([]int, 0, n)
		for i := range writes {
			if writes[i].isNew {
				fresh = append(fresh, i)
			}
		}
		heads := &copySource{n: len(fresh), row: make([]any, 8), fill: func(k int, row []any) {
			h := &writes[fresh[k]].head
			fillRow(row, h.entryID, h.sourceType, h.sourceID, h.version, h.hash, h.tombstone, h.period, run)
		}}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"entries"},
			[]string{"entry_id", "source_type", "source_id", "current_version", "lines_hash", "tombstone", "period", "run_id"}, heads); err != nil {
			return fmt.Errorf("add entry heads: %w", interpret(err))
		}
	}
	if len(moved) > 0 {
		n := len(moved)
		ids, types, sources, periods := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		versions, hashes, tombstones := make([]int32, n), make([][]byte, n), make([]bool, n)
		for k, i := range moved {
			h := &writes[i].head
			ids[k], types[k], sources[k], periods[k] = h.entryID, h.sourceType, h.sourceID, h.period
			versions[k], hashes[k], tombstones[k] = int32(h.version), h.hash, h.tombstone
		}
		if _, err := tx.Exec(ctx, `UPDATE entries e SET source_type = u.source_type, source_id = u.source_id,
				current_version = u.version, lines_hash = u.lines_hash, tombstone = u.tombstone, period = u.period,
				run_id = $1, updated_at = now()
			FROM unnest($2::text[], $3::text[], $4::text[], $5::integer[], $6::bytea[], $7::boolean[], $8::text[])
				AS u (entry_id, source_type, source_id, version, lines_hash, tombstone, period)
			WHERE e.entry_id = u.entry_id`, run, ids, types, sources, versions, hashes, tombstones, periods); err != nil {
			return fmt.Errorf("move entry heads: %w", interpret(err))
		}
	}
	return nil
}

// ChangedPeriods returns the periods (YYYY-MM, sorted) that a run changed: periods of entry
// versions it wrote, periods those entries had before (an entry can move to another month),
// and periods whose exceptions it replaced. The pipeline exports only these.
func (s *Store) ChangedPeriods(ctx context.Context, run RunID) ([]string, error) {
	// A period changed when this run, or any run after the period's last export, wrote an
	// entry version or an exception of it: a run that died between booking and exporting
	// leaves its periods for the next run to export. Run ids only grow and the run lock
	// serialises runs, so "after the last export" means "not yet seen by an export".
	rows, _ := s.pool.Query(ctx, `WITH last AS (SELECT period, max(run_id) AS run_id FROM exports GROUP BY period)
		SELECT v.period FROM entry_versions v LEFT JOIN last l ON l.period = v.period
			WHERE v.run_id = $1 OR v.run_id > coalesce(l.run_id, 0)
		UNION SELECT p.period FROM entry_versions v
			JOIN entry_versions p ON p.entry_id = v.entry_id AND p.version = v.version - 1
			LEFT JOIN last l ON l.period = p.period
			WHERE v.run_id = $1 OR v.run_id > coalesce(l.run_id, 0)
		UNION SELECT e.period FROM exceptions e LEFT JOIN last l ON l.period = e.period
			WHERE e.period <> '' AND (e.run_id = $1 OR e.cleared_by_run = $1
				OR e.run_id > coalesce(l.run_id, 0) OR e.cleared_by_run > coalesce(l.run_id, 0))
		ORDER BY 1`, run)
	periods, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("load: changed periods of run %d: %w", run, interpret(err))
	}
	return periods, nil
}
