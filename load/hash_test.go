package load

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/extract/revolut"
	"github.com/revledger/revledger/transform"
)

func TestEntryHash(t *testing.T) {
	t.Parallel()
	ptrs := func(ls []transform.Line) []*transform.Line {
		out := make([]*transform.Line, len(ls))
		for i := range ls {
			out[i] = &ls[i]
		}
		return out
	}
	base := entryLines("tx-1", "12.00")
	reordered := []transform.Line{base[1], base[0]}
	trailingZero := entryLines("tx-1", "12.0")
	changed := entryLines("tx-1", "12.00")
	changed[1].Labels = map[string]string{"Department": "Ops"}
	version := entryLines("tx-1", "12.00")
	version[0].Version, version[1].Version = 7, 7

	h := string(entryHash(ptrs(base)))
	tests := []struct {
		name  string
		lines []transform.Line
		same  bool
	}{
		{"line order does not matter", reordered, true},
		{"amount compared by value (12.0 = 12.00)", trailingZero, true},
		{"Version is not content", version, true},
		{"a label is content", changed, false},
		{"a missing line is content", base[:1], false},
	}
	for _, tc := range tests {
		if got := string(entryHash(ptrs(tc.lines))) == h; got != tc.same {
			t.Errorf("%s: same hash = %v, want %v", tc.name, got, tc.same)
		}
	}
}

// raw_source_hash (migrations/0003) is what revledger binaries before internal/jsonb hashed
// with, and one may still be running during an upgrade; the hashes stored first were made by
// raw_hash (0001). The two must agree, or every stored record would look changed.
func TestRawSourceHashIsRawHash(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	docs := []string{
		`{}`, `[]`, `null`, `"x"`, `1.50`, `-0`, `1e2`,
		`{"b": 1, "a": [1, 2.0, "é", "\u00e9", "\ud83d\ude00"], "a ": {"z": null, "y": true}}`,
		`{"k": "tab\tquote\"back\\slash\/", "k": "last wins", "n": 12345678901234567890.000}`,
		`{"amount": "-12.00", "legs": [{"currency": "GBP", "amount": -12.00}], "merchant": {"name": "Café ☕"}}`,
	}
	var differ int
	if err := s.pool.QueryRow(context.Background(), `SELECT count(*) FROM unnest($1::jsonb[]) AS d (raw)
		WHERE raw_source_hash(raw) IS DISTINCT FROM raw_hash(raw) OR raw_source_hash(raw) IS NULL`, docs).Scan(&differ); err != nil {
		t.Fatal(err)
	}
	if differ != 0 {
		t.Fatalf("raw_source_hash differs from raw_hash for %d of %d documents", differ, len(docs))
	}
}

// LoadBatch hashes records in Go (internal/jsonb); the hashes already stored were made by the
// database's raw_hash. They must agree for every record, or a record loaded before the change
// would look changed (and be rewritten and re-booked) after it. And the same content sent with
// other key order, spacing and escapes is unchanged.
func TestSourceHashIsRawHash(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	if _, err := lock.LoadBatch(ctx, fullBatch(run, time.Date(2025, 1, 11, 0, 0, 0, 0, time.UTC))); err != nil {
		t.Fatal(err)
	}
	odd := txn("tx-odd", revolut.TransactionCompleted, "-1.50")
	odd.Raw = json.RawMessage(`{"state":"completed","id":"tx-odd","legs":[{"amount":-1.50E0,"currency":"GBP"}],
		"merchant":{"name":"Caf\u00e9 \"Bleu\""},"type":"card_payment","state":"completed"}`)
	st, err := lock.LoadBatch(ctx, Batch{Stream: "transactions", RunID: run, Transactions: []revolut.Transaction{odd}})
	if err != nil || st.Inserted != 1 {
		t.Fatalf("LoadBatch: %+v %v", st, err)
	}
	for _, tbl := range []string{"accounts", "transactions", "expenses", "accounting_categories", "tax_rates",
		"label_groups", "labels", "cards", "team_members", "counterparties"} {
		var rows, differ int
		if err := s.pool.QueryRow(ctx, fmt.Sprintf("SELECT count(*), count(*) FILTER (WHERE source_hash <> raw_hash(raw)) FROM %s", tbl)).
			Scan(&rows, &differ); err != nil {
			t.Fatal(err)
		}
		if rows == 0 || differ != 0 {
			t.Errorf("%s: %d of %d rows have a source_hash other than raw_hash(raw)", tbl, differ, rows)
		}
	}
	same := odd
	same.Raw = json.RawMessage(`{ "id" : "tx-odd", "type": "card_payment", "state": "completed",
		"merchant": {"name": "Café \u0022Bleu\u0022"}, "legs": [ {"currency": "GBP", "amount": -15.0e-1} ] }`)
	st, err = lock.LoadBatch(ctx, Batch{Stream: "transactions", RunID: run, Transactions: []revolut.Transaction{same}})
	if err != nil || st != (BatchStats{Unchanged: 1}) {
		t.Fatalf("same content in another form: %+v %v, want 1 unchanged", st, err)
	}
}

// A record whose JSON Go accepts but PostgreSQL's jsonb refuses (here a \u0000 escape and a
// lone surrogate) is quarantined with the reason, byte for byte; the rest of the batch loads.
// Before LoadBatch checked this itself, one such record failed the write of its whole batch.
func TestRecordsJsonbRefusesAreQuarantined(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	lock, run := lockAndRun(t, s)
	ctx := context.Background()
	good := txn("tx-good", revolut.TransactionCompleted, "-2.00")
	nul := txn("tx-nul", revolut.TransactionCompleted, "-3.00")
	nul.Raw = json.RawMessage(`{"id":"tx-nul","description":"a\u0000b"}`)
	surrogate := txn("tx-sur", revolut.TransactionCompleted, "-4.00")
	surrogate.Raw = json.RawMessage(`{"id":"tx-sur","description":"\ud800"}`)
	st, err := lock.LoadBatch(ctx, Batch{Stream: "transactions", RunID: run,
		Transactions: []revolut.Transaction{good, nul, surrogate}})
	if err != nil {
		t.Fatalf("LoadBatch: %v", err)
	}
	if st != (BatchStats{Inserted: 1, Quarantined: 2}) {
		t.Fatalf("stats %+v, want 1 inserted, 2 quarantined", st)
	}
	rows, _ := s.pool.Query(ctx, "SELECT source_id, reason, raw FROM quarantine ORDER BY source_id")
	type q struct{ ID, Reason, Raw string }
	got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[q])
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "tx-nul" || got[1].ID != "tx-sur" {
		t.Fatalf("quarantine = %+v", got)
	}
	for i, want := range []struct{ raw, why string }{{string(nul.Raw), `\u0000`}, {string(surrogate.Raw), "surrogate"}} {
		if got[i].Raw != want.raw || !strings.Contains(got[i].Reason, "cannot be stored as jsonb") || !strings.Contains(got[i].Reason, want.why) {
			t.Errorf("quarantined %s: reason %q, raw %q", got[i].ID, got[i].Reason, got[i].Raw)
		}
		t.Logf("quarantined %s: %s", got[i].ID, got[i].Reason)
	}
	if n := count(t, s, "SELECT count(*) FROM transactions"); n != 1 {
		t.Errorf("transactions has %d rows, want 1", n)
	}

	// A stored record that comes back in a form jsonb refuses is quarantined too, and the
	// stored version stays as it was.
	before := tableDigests(t, s, []string{"transactions", "transaction_legs"})
	later := good
	later.Raw = json.RawMessage(`{"id":"tx-good","state":"completed","description":"\u0000"}`)
	st, err = lock.LoadBatch(ctx, Batch{Stream: "transactions", RunID: run, Transactions: []revolut.Transaction{later}})
	if err != nil || st != (BatchStats{Quarantined: 1}) {
		t.Fatalf("stored record in a refused form: %+v %v, want 1 quarantined", st, err)
	}
	if after := tableDigests(t, s, []string{"transactions", "transaction_legs"}); after["transactions"] != before["transactions"] ||
		after["transaction_legs"] != before["transaction_legs"] {
		t.Errorf("the stored record changed: %v → %v", before, after)
	}
	if n := count(t, s, "SELECT count(*) FROM quarantine WHERE source_id = 'tx-good'"); n != 1 {
		t.Errorf("tx-good quarantined %d times, want 1", n)
	}
}

// prepareBookings refuses what would make a write ambiguous, before any SQL.
func TestPrepareBookingsRefuses(t *testing.T) {
	t.Parallel()
	a := entryLines("tx-a", "1.00")
	stolen := entryLines("tx-b", "2.00")
	for i := range stolen {
		stolen[i].EntryID = a[0].EntryID // tx-b books tx-a's entry
	}
	noEntry := entryLines("tx-c", "3.00")
	noEntry[1].EntryID = ""
	tests := []struct {
		name     string
		bookings []SourceBooking
		want     string
	}{
		{"a source twice", []SourceBooking{{SourceType: "transaction", SourceID: "tx-a", Lines: a},
			{SourceType: "transaction", SourceID: "tx-a"}}, "booked twice"},
		{"an entry of two sources", []SourceBooking{{SourceType: "transaction", SourceID: "tx-a", Lines: a},
			{SourceType: "transaction", SourceID: "tx-b", Lines: stolen}}, "produced by two sources"},
		{"a line without entry", []SourceBooking{{SourceType: "transaction", SourceID: "tx-c", Lines: noEntry}}, "has no entry id"},
		{"an unknown source type", []SourceBooking{{SourceType: "card", SourceID: "c-1"}}, "unknown source type"},
	}
	for _, tc := range tests {
		if _, err := prepareBookings(tc.bookings); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	// Lines of one entry stay together, in order, with one hash per entry.
	p, err := prepareBookings([]SourceBooking{{SourceType: "transaction", SourceID: "tx-a", Lines: a},
		{SourceType: "transaction", SourceID: "tx-b", Lines: entryLines("tx-b", "2.00")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.entries) != 2 || len(p.lines) != 4 || len(p.entries[0].lines) != 2 || p.entries[1].id != "transaction/tx-b" ||
		string(p.entries[0].hash) != string(entryHash([]*transform.Line{&a[0], &a[1]})) {
		t.Fatalf("prepared %d entries, %d lines: %+v", len(p.entries), len(p.lines), p.entries)
	}
}
