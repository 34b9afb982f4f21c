package load

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/internal/jsonb"
)

// Batch is one page-sized unit of extraction for one stream, loaded in one transaction: the
// records, the quarantined ones, and the checkpoint they cover. Any slice may be empty.
type Batch struct {
	Stream string // names the stream for the checkpoint and is the default stream of Quarantine
	RunID  RunID

	Accounts       []revolut.Account
	Transactions   []revolut.Transaction
	Expenses       []revolut.Expense
	Categories     []revolut.AccountingCategory
	TaxRates       []revolut.TaxRate
	LabelGroups    []revolut.LabelGroup
	Labels         []revolut.Label
	Cards          []revolut.Card
	TeamMembers    []revolut.TeamMember
	Counterparties []revolut.Counterparty
	Receipts       []ReceiptMeta
	Quarantine     []Quarantined

	// Checkpoint, when not nil, is stored as the stream's checkpoint in the same transaction
	// as the records; nil leaves it where it is. WindowFrom/WindowTo describe the window the
	// batch came from (optional, kept for operators).
	Checkpoint *time.Time
	WindowFrom time.Time
	WindowTo   time.Time
	// ForwardOnly keeps the stored checkpoint when it is later than Checkpoint (the nightly
	// transactions checkpoint: a backfill or a rerun must not move it back). The comparison is
	// made in the statement that writes it (GREATEST), so no reader of the old value can race
	// with the write.
	ForwardOnly bool

	// CardsListedAt, when not zero, says that Cards (with the quarantined cards) is the API's
	// complete card listing, made then: cards it no longer lists are marked missing in the
	// same transaction as the cards are stored (see MarkMissingCards).
	CardsListedAt time.Time
}

// Quarantined is a record that could not be parsed or stored, kept with its raw bytes and the
// reason. The same bytes quarantined again are counted, not duplicated.
type Quarantined struct {
	Stream   string // defaults to Batch.Stream
	SourceID string // Revolut id if it could be read
	Reason   string
	Raw      []byte
}

// ReceiptMeta describes a receipt file stored in the object store (the bytes are not kept in
// the database).
type ReceiptMeta struct {
	ExpenseID   string
	ReceiptID   string
	ContentType string
	Size        int64
	SHA256      string // hex of the file's SHA-256
	ObjectKey   string
	StoredAt    time.Time // zero: now
}

// BatchStats counts what a LoadBatch did. A record whose canonical JSON is unchanged is
// Unchanged and is not rewritten at all.
type BatchStats struct {
	Inserted    int
	Updated     int
	Unchanged   int
	Quarantined int
}

func (b *BatchStats) add(o BatchStats) {
	b.Inserted += o.Inserted
	b.Updated += o.Updated
	b.Unchanged += o.Unchanged
	b.Quarantined += o.Quarantined
}

// LoadBatch upserts the batch in one transaction. Each record's source_hash (the sha256 of
// its canonical jsonb text, computed here: internal/jsonb) is compared with the stored one,
// read for all the batch's ids by one query before any record is sent: new records are
// COPYed straight into their table, changed ones through an ON COMMIT DROP staging table and
// one UPDATE, and unchanged ones are not sent at all. A record whose JSON PostgreSQL would
// refuse is quarantined with the reason instead. New or changed transactions and expenses get needs_booking, and their legs
// or splits are replaced. Then quarantine, receipts and the checkpoint. If anything fails, or
// the run lock was lost, nothing is written.
func (w *Writer) LoadBatch(ctx context.Context, b Batch) (BatchStats, error) {
	var stats BatchStats
	tables := []staged{
		stageRaw(accountsTable, b.Accounts),
		stageRaw(transactionsTable, b.Transactions),
		stageRaw(expensesTable, b.Expenses),
		stageRaw(categoriesTable, b.Categories),
		stageRaw(taxRatesTable, b.TaxRates),
		stageRaw(labelGroupsTable, b.LabelGroups),
		stageRaw(labelsTable, b.Labels),
		stageRaw(cardsTable, b.Cards),
		stageRaw(teamMembersTable, b.TeamMembers),
		stageRaw(counterpartiesTable, b.Counterparties),
	}
	err := w.inTx(ctx, func(tx pgx.Tx) error {
		stats = BatchStats{}
		// Staging tables have no statistics, so the planner's estimates for the merge can pass
		// the JIT thresholds, and compiling then costs more than the statement itself. The
		// comparison hashes one row per record: 4MB (the default) spills at 100k.
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'"); err != nil {
			return fmt.Errorf("set merge settings: %w", interpret(err))
		}
		// Records whose raw JSON PostgreSQL would refuse as jsonb join the batch's quarantine:
		// sent, one of them would fail the whole batch.
		quarantine := append([]Quarantined(nil), b.Quarantine...)
		for _, st := range tables {
			if st.n == 0 {
				continue
			}
			got, bad, err := mergeRaw(ctx, tx, st, b.RunID)
			if err != nil {
				return err
			}
			stats.add(got)
			for _, u := range bad {
				quarantine = append(quarantine, Quarantined{Stream: st.table.name, SourceID: st.ids[u.k],
					Reason: "raw JSON cannot be stored as jsonb: " + u.why.Error(), Raw: st.raws[u.k]})
			}
		}
		n, err := writeQuarantine(ctx, tx, b.Stream, b.RunID, quarantine)
		if err != nil {
			return err
		}
		stats.Quarantined = n
		if err := writeReceipts(ctx, tx, b.RunID, b.Receipts); err != nil {
			return err
		}
		if !b.CardsListedAt.IsZero() {
			if err := markMissingCards(ctx, tx, ListedCardIDs(b), b.CardsListedAt); err != nil {
				return fmt.Errorf("mark missing cards: %w", err)
			}
		}
		if b.Checkpoint != nil {
			if b.Stream == "" {
				return fmt.Errorf("load: batch has a checkpoint but no stream")
			}
			// A forward-only checkpoint is written only when it moves forward: the statement
			// compares it with the stored one, so the row (window and run included) is left
			// untouched otherwise.
			_, err := tx.Exec(ctx, `INSERT INTO sync_state (stream, checkpoint, window_from, window_to, run_id, updated_at)
				VALUES ($1, $2, $3, $4, $5, now())
				ON CONFLICT (stream) DO UPDATE SET checkpoint = excluded.checkpoint, window_from = excluded.window_from,
					window_to = excluded.window_to, run_id = excluded.run_id, updated_at = excluded.updated_at
				WHERE (sync_state.checkpoint, sync_state.window_from, sync_state.window_to)
					IS DISTINCT FROM (excluded.checkpoint, excluded.window_from, excluded.window_to)
				  AND (NOT $6 OR excluded.checkpoint > sync_state.checkpoint)`,
				b.Stream, b.Checkpoint.UTC(), nullTime(b.WindowFrom), nullTime(b.WindowTo), nullRun(b.RunID), b.ForwardOnly)
			if err != nil {
				return fmt.Errorf("store checkpoint: %w", interpret(err))
			}
		}
		return nil
	})
	if err != nil {
		return BatchStats{}, fmt.Errorf("load: load batch of %s: %w", b.Stream, err)
	}
	return stats, nil
}

// rawTable describes one raw table: its typed columns (after id, before raw) and their
// staging types, its child table if any, and what else a change of it sets in motion.
type rawTable struct {
	name     string
	cols     []string
	types    []string
	bookable bool // has needs_booking
	// child, when set, is replaced wholesale for every new or changed parent.
	child *childTable
	// after runs once the merged ids are in changed_<name> (id, inserted).
	after []string
}

type childTable struct {
	name      string
	parentCol string
	cols      []string // parentCol first
	types     []string
}

// staged is a raw table's records ready to compare and COPY.
type staged struct {
	table    *rawTable
	n        int
	ids      []string
	raws     [][]byte               // the JSON of each record, as received
	fill     func(i int, row []any) // id, typed columns..., raw
	children func(i int) [][]any    // the child rows of record i (legs, splits)
}

type rawRecord interface {
	revolut.Account | revolut.Transaction | revolut.Expense | revolut.AccountingCategory | revolut.TaxRate |
		revolut.LabelGroup | revolut.Label | revolut.Card | revolut.TeamMember | revolut.Counterparty
}

// stageRaw prepares items for the merge: one row per id, the last occurrence winning (the
// API's latest word).
func stageRaw[T rawRecord](t *rawTable, items []T) staged {
	if len(items) == 0 {
		return staged{table: t}
	}
	last := make(map[string]int, len(items))
	for i := range items {
		last[recordID(&items[i])] = i
	}
	keep := make([]int, 0, len(last)) // the last occurrence of each id, in input order
	st := staged{table: t, ids: make([]string, 0, len(last)), raws: make([][]byte, 0, len(last))}
	for i := range items {
		if id := recordID(&items[i]); last[id] == i {
			keep = append(keep, i)
			st.ids = append(st.ids, id)
			st.raws = append(st.raws, recordRaw(&items[i]))
		}
	}
	st.n = len(keep)
	st.fill = func(k int, row []any) {
		rawRow(&items[keep[k]], row)
		row[len(row)-1] = json.RawMessage(st.raws[k])
	}
	if t.child != nil {
		st.children = func(k int) [][]any { return childRows(&items[keep[k]]) }
	}
	return st
}

// sourceHash is a record's source_hash: the sha256 of its canonical jsonb text. The error
// says why PostgreSQL's jsonb would refuse the record.
func sourceHash(raw []byte, text []byte) (sum [sha256.Size]byte, buf []byte, err error) {
	if buf, err = jsonb.Canonical(text[:0], raw); err != nil {
		return sum, buf, err
	}
	return sha256.Sum256(buf), buf, nil
}

// unstorable is a record whose JSON PostgreSQL's jsonb would refuse.
type unstorable struct {
	k   int // index into staged
	why error
}

// mergeRaw writes the staged records that are new or changed, and returns those whose JSON
// PostgreSQL would refuse (for quarantine; none of them is written). One query reads the
// stored source_hash of the staged ids that exist. The existing records are hashed (on every
// core) and compared: a changed one is COPYed into staging and UPDATEd from there, an
// unchanged one is neither sent nor locked. The new ones are COPYed straight into the table,
// each hashed as it streams, so that in a backfill (nearly all records new) the hashing runs
// while the server writes. Two writes instead of one INSERT ... ON CONFLICT through staging:
// a new record is written once, without a staging copy or a speculative insertion. They
// cannot race: raw tables are written only under the run lock (a concurrent writer would get
// a unique violation, not a lost update), and staged ids are unique (stageRaw).
func mergeRaw(ctx context.Context, tx pgx.Tx, st staged, run RunID) (BatchStats, []unstorable, error) {
	t := st.table
	rows, _ := tx.Query(ctx, fmt.Sprintf(`SELECT u.n::int, x.source_hash
		FROM unnest($1::text[]) WITH ORDINALITY AS u (id, n) JOIN %s x ON x.id = u.id`, t.name), st.ids)
	stored := make([][]byte, st.n) // the stored source_hash of record k; nil: a new record
	var n int
	var hash []byte
	if _, err := pgx.ForEachRow(rows, []any{&n, &hash}, func() error {
		stored[n-1] = bytes.Clone(hash)
		return nil
	}); err != nil {
		return BatchStats{}, nil, fmt.Errorf("read the stored hashes of %s: %w", t.name, interpret(err))
	}

	var existing, fresh []int
	for k := range st.n {
		if stored[k] != nil { // source_hash is NOT NULL
			existing = append(existing, k)
		} else {
			fresh = append(fresh, k)
		}
	}
	hashes := make([][sha256.Size]byte, st.n)
	errs := make([]error, st.n)
	// Existing records are compared before anything is written: hash them on every core,
	// each worker on its own range.
	workers := min(runtime.GOMAXPROCS(0), 1+len(existing)/1024)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			var text []byte
			for _, k := range existing[w*len(existing)/workers : (w+1)*len(existing)/workers] {
				hashes[k], text, errs[k] = sourceHash(st.raws[k], text)
			}
		})
	}
	wg.Wait()
	var changed []int
	var bad []unstorable
	for _, k := range existing {
		switch {
		case errs[k] != nil:
			bad = append(bad, unstorable{k, errs[k]})
		case !bytes.Equal(hashes[k][:], stored[k]):
			changed = append(changed, k)
		}
	}

	unchanged := len(existing) - len(changed) - len(bad)

	// needs_booking defaults to true, first_seen_at and last_seen_at to now().
	cols := append(append(append([]string{"id"}, t.cols...), "raw"), "source_hash", "run_id")
	var inserted []int
	if len(fresh) > 0 {
		src := &hashingSource{st: &st, todo: fresh, hashes: hashes, row: make([]any, len(cols)), run: run}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, cols, src); err != nil {
			return BatchStats{}, nil, fmt.Errorf("copy %d new %s: %w", len(fresh), t.name, interpret(err))
		}
		// CopyFrom has returned: the goroutine that read src is done (pgx waits for it).
		inserted, bad = src.written, append(bad, src.bad...)
	}
	stats := BatchStats{Inserted: len(inserted), Updated: len(changed), Unchanged: unchanged}
	if len(inserted)+len(changed) == 0 {
		return stats, bad, nil
	}
	rowOf := func(todo []int) *copySource {
		return &copySource{n: len(todo), row: make([]any, len(cols)), fill: func(k int, row []any) {
			i := todo[k]
			st.fill(i, row[:len(cols)-2])
			row[len(cols)-2], row[len(cols)-1] = hashes[i][:], nullRun(run)
		}}
	}
	if len(changed) > 0 {
		stage := "stage_" + t.name
		ddl := fmt.Sprintf("CREATE TEMP TABLE %s (id text NOT NULL, %s, raw jsonb NOT NULL, source_hash bytea NOT NULL, run_id bigint) ON COMMIT DROP",
			stage, columnDefs(t.cols, t.types))
		if _, err := tx.Exec(ctx, ddl); err != nil {
			return BatchStats{}, nil, fmt.Errorf("create staging for %s: %w", t.name, interpret(err))
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, cols, rowOf(changed)); err != nil {
			return BatchStats{}, nil, fmt.Errorf("copy %d changed %s into staging: %w", len(changed), t.name, interpret(err))
		}
		var set []string
		for _, c := range cols[1:] {
			set = append(set, c+" = s."+c)
		}
		set = append(set, "last_seen_at = now()")
		if t.bookable {
			set = append(set, "needs_booking = true")
		}
		update := fmt.Sprintf("UPDATE %s AS t SET %s FROM %s s WHERE t.id = s.id", t.name, strings.Join(set, ", "), stage)
		if _, err := tx.Exec(ctx, update); err != nil {
			return BatchStats{}, nil, fmt.Errorf("update %d changed %s: %w", len(changed), t.name, interpret(err))
		}
	}
	fresh = inserted
	if c := t.child; c != nil {
		if len(changed) > 0 {
			ids := make([]string, len(changed))
			for k, i := range changed {
				ids[k] = st.ids[i]
			}
			del := fmt.Sprintf("DELETE FROM %s WHERE %s = ANY ($1::text[])", c.name, c.parentCol)
			if _, err := tx.Exec(ctx, del, ids); err != nil {
				return BatchStats{}, nil, fmt.Errorf("delete replaced %s: %w", c.name, interpret(err))
			}
		}
		var todo [][]any
		for _, part := range [][]int{fresh, changed} {
			for _, i := range part {
				todo = append(todo, st.children(i)...)
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.name}, c.cols, pgx.CopyFromRows(todo)); err != nil {
			return BatchStats{}, nil, fmt.Errorf("copy %d %s: %w", len(todo), c.name, interpret(err))
		}
	}
	if len(t.after) > 0 {
		ids := make([]string, 0, len(fresh)+len(changed))
		inserted := make([]bool, 0, cap(ids))
		for _, part := range []struct {
			idx []int
			new bool
		}{{fresh, true}, {changed, false}} {
			for _, i := range part.idx {
				ids, inserted = append(ids, st.ids[i]), append(inserted, part.new)
			}
		}
		if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE TEMP TABLE changed_%[1]s ON COMMIT DROP AS
			SELECT id, inserted FROM unnest($1::text[], $2::boolean[]) AS u (id, inserted)`, t.name), ids, inserted); err != nil {
			return BatchStats{}, nil, fmt.Errorf("record changed %s: %w", t.name, interpret(err))
		}
		for _, q := range t.after {
			if _, err := tx.Exec(ctx, q); err != nil {
				return BatchStats{}, nil, fmt.Errorf("after merging %s: %w", t.name, interpret(err))
			}
		}
	}
	return stats, bad, nil
}

func columnDefs(cols, types []string) string {
	defs := make([]string, len(cols))
	for i := range cols {
		defs[i] = cols[i] + " " + types[i]
	}
	return strings.Join(defs, ", ")
}

// copySource feeds CopyFrom from a fill function, reusing one row slice: CopyFrom encodes
// each row before asking for the next, and the staged data is not copied into [][]any.
type copySource struct {
	n, i int
	row  []any
	fill func(i int, row []any)
}

func (c *copySource) Next() bool {
	if c.i >= c.n {
		return false
	}
	c.i++
	return true
}

func (c *copySource) Values() ([]any, error) {
	c.fill(c.i-1, c.row)
	return c.row, nil
}

func (c *copySource) Err() error { return nil }

// hashingSource feeds CopyFrom the new records of st (todo), hashing each as it is read:
// CopyFrom reads the source on its own goroutine while the server writes the rows already
// sent. A record PostgreSQL's jsonb would refuse is skipped and kept in bad; written lists the
// records sent. Both are read once CopyFrom has returned.
type hashingSource struct {
	st      *staged
	todo    []int
	next    int
	hashes  [][sha256.Size]byte
	text    []byte
	row     []any
	run     RunID
	written []int
	bad     []unstorable
}

func (h *hashingSource) Next() bool {
	for h.next < len(h.todo) {
		k := h.todo[h.next]
		h.next++
		var err error
		if h.hashes[k], h.text, err = sourceHash(h.st.raws[k], h.text); err != nil {
			h.bad = append(h.bad, unstorable{k, err})
			continue
		}
		h.written = append(h.written, k)
		return true
	}
	return false
}

func (h *hashingSource) Values() ([]any, error) {
	k := h.written[len(h.written)-1]
	n := len(h.row)
	h.st.fill(k, h.row[:n-2])
	h.row[n-2], h.row[n-1] = h.hashes[k][:], nullRun(h.run)
	return h.row, nil
}

func (h *hashingSource) Err() error { return nil }

func writeQuarantine(ctx context.Context, tx pgx.Tx, stream string, run RunID, items []Quarantined) (int, error) {
	if len(items) == 0 {
		return 0, nil
	}
	var streams, ids, reasons, raws []string
	var hashes [][]byte
	for _, q := range items {
		st := q.Stream
		if st == "" {
			st = stream
		}
		if st == "" {
			return 0, fmt.Errorf("quarantined record %q has no stream", q.SourceID)
		}
		sum := sha256.Sum256(q.Raw)
		streams = append(streams, st)
		ids = append(ids, q.SourceID)
		reasons = append(reasons, StoredText(q.Reason))
		// text cannot hold invalid UTF-8 or NUL; the hash is over the original bytes.
		raws = append(raws, strings.ReplaceAll(strings.ToValidUTF8(string(q.Raw), "\uFFFD"), "\x00", "\uFFFD"))
		hashes = append(hashes, sum[:])
	}
	// DISTINCT ON: the same bytes twice in one batch would make ON CONFLICT touch a row twice.
	_, err := tx.Exec(ctx, `INSERT INTO quarantine AS q (stream, source_id, reason, raw, raw_hash, run_id, last_run_id)
		SELECT DISTINCT ON (stream, raw_hash) stream, NULLIF(source_id, ''), reason, raw, raw_hash, $6, $6
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[]) AS u (stream, source_id, reason, raw, raw_hash)
		ON CONFLICT (stream, raw_hash) DO UPDATE SET reason = excluded.reason, last_run_id = excluded.last_run_id,
			times_seen = q.times_seen + 1, last_seen_at = now()`,
		streams, ids, reasons, raws, hashes, nullRun(run))
	if err != nil {
		return 0, fmt.Errorf("quarantine %d records: %w", len(items), interpret(err))
	}
	return len(items), nil
}

func nullRun(id RunID) any {
	if id == 0 {
		return nil
	}
	return id
}
