package load

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
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

// LoadBatch upserts the batch in one transaction: for each non-empty slice, COPY into an
// ON COMMIT DROP staging table and one set-based merge statement that updates changed and
// inserts new records, leaving unchanged ones (same source_hash, the sha256 of the canonical
// jsonb text) untouched; new or changed transactions and expenses get needs_booking, and
// their legs or splits are replaced. Then quarantine, receipts and the checkpoint. If
// anything fails, or the run lock was lost, nothing is written.
func (s *Store) LoadBatch(ctx context.Context, lock *RunLock, b Batch) (BatchStats, error) {
	var stats BatchStats
	// Records whose raw JSON is not valid JSON cannot go into jsonb: quarantine them.
	quarantine := append([]Quarantined(nil), b.Quarantine...)
	bad := func(stream, id string, raw []byte) {
		quarantine = append(quarantine, Quarantined{Stream: stream, SourceID: id, Reason: "raw JSON is not valid JSON", Raw: raw})
	}
	tables := []staged{
		stageRaw(accountsTable, b.Accounts, bad),
		stageRaw(transactionsTable, b.Transactions, bad),
		stageRaw(expensesTable, b.Expenses, bad),
		stageRaw(categoriesTable, b.Categories, bad),
		stageRaw(taxRatesTable, b.TaxRates, bad),
		stageRaw(labelGroupsTable, b.LabelGroups, bad),
		stageRaw(labelsTable, b.Labels, bad),
		stageRaw(cardsTable, b.Cards, bad),
		stageRaw(teamMembersTable, b.TeamMembers, bad),
		stageRaw(counterpartiesTable, b.Counterparties, bad),
	}
	err := s.inLockedTx(ctx, lock, func(tx pgx.Tx) error {
		stats = BatchStats{}
		// Staging tables have no statistics, so the planner's estimates for the merge can pass
		// the JIT thresholds, and compiling then costs more than the statement itself. The
		// merge's CTEs hold one row per merged record: 4MB (the default) spills at 100k.
		if _, err := tx.Exec(ctx, "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'"); err != nil {
			return fmt.Errorf("set merge settings: %w", interpret(err))
		}
		for _, st := range tables {
			if st.n == 0 {
				continue
			}
			got, err := mergeRaw(ctx, tx, st, b.RunID)
			if err != nil {
				return err
			}
			stats.add(got)
		}
		n, err := writeQuarantine(ctx, tx, b.Stream, b.RunID, quarantine)
		if err != nil {
			return err
		}
		stats.Quarantined = n
		if err := writeReceipts(ctx, tx, b.RunID, b.Receipts); err != nil {
			return err
		}
		if b.Checkpoint != nil {
			if b.Stream == "" {
				return fmt.Errorf("load: batch has a checkpoint but no stream")
			}
			_, err := tx.Exec(ctx, `INSERT INTO sync_state (stream, checkpoint, window_from, window_to, run_id, updated_at)
				VALUES ($1, $2, $3, $4, $5, now())
				ON CONFLICT (stream) DO UPDATE SET checkpoint = excluded.checkpoint, window_from = excluded.window_from,
					window_to = excluded.window_to, run_id = excluded.run_id, updated_at = excluded.updated_at
				WHERE (sync_state.checkpoint, sync_state.window_from, sync_state.window_to)
					IS DISTINCT FROM (excluded.checkpoint, excluded.window_from, excluded.window_to)`,
				b.Stream, b.Checkpoint.UTC(), nullTime(b.WindowFrom), nullTime(b.WindowTo), nullRun(b.RunID))
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

// staged is a raw table's rows ready to COPY.
type staged struct {
	table    *rawTable
	n        int
	fill     func(i int, row []any) // id, typed columns..., raw
	children [][]any
}

type rawRecord interface {
	revolut.Account | revolut.Transaction | revolut.Expense | revolut.AccountingCategory | revolut.TaxRate |
		revolut.LabelGroup | revolut.Label | revolut.Card | revolut.TeamMember | revolut.Counterparty
}

// stageRaw prepares items for COPY: one row per id (the last occurrence wins, as the API's
// latest word), raw JSON validated (invalid goes to quarantine through bad).
func stageRaw[T rawRecord](t *rawTable, items []T, bad func(stream, id string, raw []byte)) staged {
	if len(items) == 0 {
		return staged{table: t}
	}
	last := make(map[string]int, len(items))
	for i := range items {
		last[recordID(&items[i])] = i
	}
	keep := make([]int, 0, len(last))
	raws := make([][]byte, 0, len(last))
	for i := range items {
		id := recordID(&items[i])
		if last[id] != i {
			continue
		}
		raw := recordRaw(&items[i])
		if !json.Valid(raw) {
			bad(t.name, id, raw)
			continue
		}
		keep = append(keep, i)
		raws = append(raws, raw)
	}
	st := staged{table: t, n: len(keep)}
	st.fill = func(k int, row []any) {
		rawRow(&items[keep[k]], row)
		row[len(row)-1] = json.RawMessage(raws[k])
	}
	if t.child != nil {
		for _, i := range keep {
			st.children = append(st.children, childRows(&items[i])...)
		}
	}
	return st
}

func mergeRaw(ctx context.Context, tx pgx.Tx, st staged, run RunID) (BatchStats, error) {
	t := st.table
	stage, changed := "stage_"+t.name, "changed_"+t.name
	cols := append(append([]string{"id"}, t.cols...), "raw")
	// The staging table has no source_hash column: the merge computes it with
	// raw_source_hash, which the planner inlines (see migrations/0003_bulk_write_cost.sql).
	ddl := fmt.Sprintf("CREATE TEMP TABLE %s (id text NOT NULL, %s, raw jsonb NOT NULL) ON COMMIT DROP",
		stage, columnDefs(t.cols, t.types))
	// The merged ids come back to the client; only the after statements need them in a table.
	result := "SELECT id, inserted FROM upd UNION ALL SELECT id, inserted FROM ins"
	if len(t.after) > 0 {
		ddl += fmt.Sprintf("; CREATE TEMP TABLE %s (id text NOT NULL, inserted boolean NOT NULL) ON COMMIT DROP", changed)
		result = fmt.Sprintf("INSERT INTO %s %s RETURNING id, inserted", changed, result)
	}
	if _, err := tx.Exec(ctx, ddl); err != nil {
		return BatchStats{}, fmt.Errorf("create staging for %s: %w", t.name, interpret(err))
	}
	row := make([]any, len(cols))
	src := &copySource{n: st.n, row: row, fill: st.fill}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{stage}, cols, src); err != nil {
		return BatchStats{}, fmt.Errorf("copy %d %s into staging: %w", st.n, t.name, interpret(err))
	}

	var set []string
	for _, c := range append(append([]string(nil), t.cols...), "raw") {
		set = append(set, c+" = s."+c)
	}
	set = append(set, "source_hash = raw_source_hash(s.raw)", "run_id = $1", "last_seen_at = now()")
	insCols, selCols := strings.Join(cols, ", ")+", source_hash, run_id", "s."+strings.Join(cols, ", s.")+", raw_source_hash(s.raw), $1"
	if t.bookable {
		set = append(set, "needs_booking = true")
		insCols += ", needs_booking"
		selCols += ", true"
	}
	// An UPDATE of the changed records and a plain INSERT of the new ones instead of one
	// INSERT ... ON CONFLICT: speculative insertion costs every new row a second index probe
	// and a speculative token, and a DO UPDATE whose WHERE is false still locks (and so
	// dirties) an unchanged row. d decides, in one join with the table, which staged ids are
	// new and which changed (hashing only records that exist); unchanged records are in
	// neither part, and when nothing changed both parts join an empty d. The parts cannot
	// race: raw tables are written only under the run lock (a concurrent writer would get a
	// unique violation, not a lost update), and staged ids are unique (stageRaw), so no row is
	// touched twice.
	merge := fmt.Sprintf(`WITH d AS MATERIALIZED (
			SELECT s.id, x.id IS NULL AS is_new FROM %[3]s s LEFT JOIN %[1]s x ON x.id = s.id
			WHERE x.id IS NULL OR x.source_hash <> raw_source_hash(s.raw)),
		upd AS (
			UPDATE %[1]s AS t SET %[2]s FROM %[3]s s
			WHERE t.id = s.id AND EXISTS (SELECT 1 FROM d WHERE d.id = s.id AND NOT d.is_new)
			RETURNING t.id, false AS inserted),
		ins AS (
			INSERT INTO %[1]s (%[4]s)
			SELECT %[5]s FROM %[3]s s WHERE EXISTS (SELECT 1 FROM d WHERE d.id = s.id AND d.is_new)
			RETURNING id, true AS inserted)
		%[6]s`,
		t.name, strings.Join(set, ", "), stage, insCols, selCols, result)
	rows, _ := tx.Query(ctx, merge, nullRun(run))
	var stats BatchStats
	var changedIDs map[string]bool
	var updatedIDs []string
	if t.child != nil {
		changedIDs = make(map[string]bool)
	}
	var id string
	var inserted bool
	_, err := pgx.ForEachRow(rows, []any{&id, &inserted}, func() error {
		if inserted {
			stats.Inserted++
		} else {
			stats.Updated++
		}
		if changedIDs != nil {
			changedIDs[id] = true
			if !inserted {
				updatedIDs = append(updatedIDs, id)
			}
		}
		return nil
	})
	if err != nil {
		return BatchStats{}, fmt.Errorf("merge %s: %w", t.name, interpret(err))
	}
	stats.Unchanged = st.n - stats.Inserted - stats.Updated

	if c := t.child; c != nil && stats.Inserted+stats.Updated > 0 {
		if stats.Updated > 0 {
			del := fmt.Sprintf("DELETE FROM %s WHERE %s = ANY ($1::text[])", c.name, c.parentCol)
			if _, err := tx.Exec(ctx, del, updatedIDs); err != nil {
				return BatchStats{}, fmt.Errorf("delete replaced %s: %w", c.name, interpret(err))
			}
		}
		// The children of changed parents go straight into the child table: the decision was
		// made set-based on the staged hashes, so no child staging copy is needed, and the
		// children of unchanged parents never travel.
		todo := make([][]any, 0, len(st.children))
		for _, r := range st.children {
			if changedIDs[r[0].(string)] { // childRows puts the parent id first
				todo = append(todo, r)
			}
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{c.name}, c.cols, pgx.CopyFromRows(todo)); err != nil {
			return BatchStats{}, fmt.Errorf("copy %d %s: %w", len(todo), c.name, interpret(err))
		}
	}
	for _, q := range t.after {
		if _, err := tx.Exec(ctx, q); err != nil {
			return BatchStats{}, fmt.Errorf("after merging %s: %w", t.name, interpret(err))
		}
	}
	return stats, nil
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
		reasons = append(reasons, q.Reason)
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
