package load

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Two warehouses in two schemas of one database: each migrates, loads and holds its run lock
// while the other does the same; a second store on one of the schemas is excluded; the
// default warehouse (public) is untouched.
func TestSchemasAreSeparateWarehouses(t *testing.T) {
	t.Parallel()
	dsn := newDatabase(t)
	ctx := context.Background()
	open := func(schema string) *Store {
		t.Helper()
		s, err := Open(ctx, dsn, Options{Schema: schema, MaxConns: 3})
		if err != nil {
			t.Fatalf("Open(%q): %v", schema, err)
		}
		t.Cleanup(s.Close)
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate(%q): %v", schema, err)
		}
		return s
	}
	a, b := open("biz_a"), open("biz_b")
	if a.Schema() != "biz_a" {
		t.Fatalf("Schema() = %q", a.Schema())
	}

	// Both run locks at once: different schemas never wait for each other.
	la, err := a.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatalf("lock a: %v", err)
	}
	defer la.Release(ctx)
	lb, err := b.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatalf("lock b while a holds its own: %v", err)
	}
	defer lb.Release(ctx)

	// A second store of schema a is excluded while a's lock is held, with or without waiting.
	a2 := open("biz_a")
	if _, err := a2.AcquireRunLock(ctx, false); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock on biz_a: %v, want ErrLocked", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := a2.AcquireRunLock(wctx, true); err == nil {
		t.Fatal("a waiting lock on biz_a was granted while another store holds it")
	}
	// ... and neither is the default warehouse's lock taken by them.
	def, err := Open(ctx, dsn, Options{MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer def.Close()
	ld, err := def.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatalf("default warehouse lock while biz_a and biz_b hold theirs: %v", err)
	}
	if err := ld.Release(ctx); err != nil {
		t.Fatal(err)
	}

	// Load the same batch into a only; b stays empty; writes verify their own schema's lock.
	runA, err := a.StartRun(ctx, "test", time.Time{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	cp := time.Date(2025, 1, 11, 0, 0, 0, 0, time.UTC)
	if _, err := la.LoadBatch(ctx, fullBatch(runA, cp)); err != nil {
		t.Fatalf("LoadBatch into biz_a: %v", err)
	}
	if got := count(t, a, "SELECT count(*) FROM transactions"); got != 3 {
		t.Fatalf("biz_a transactions = %d, want 3", got)
	}
	if got := count(t, b, "SELECT count(*) FROM transactions"); got != 0 {
		t.Fatalf("biz_b transactions = %d, want 0", got)
	}
	if got := count(t, a, "SELECT count(*) FROM biz_a.transactions"); got != 3 {
		t.Fatalf("biz_a.transactions qualified = %d, want 3", got)
	}
	// The tables were created in the schemas, not in public.
	if got := count(t, a, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"); got != 0 {
		t.Fatalf("%d tables in public, want 0", got)
	}
	if got, want := count(t, a, "SELECT count(*) FROM pg_tables WHERE schemaname = 'biz_a'"),
		count(t, a, "SELECT count(*) FROM pg_tables WHERE schemaname = 'biz_b'"); got != want || got < 20 {
		t.Fatalf("biz_a has %d tables, biz_b %d", got, want)
	}

	// Once a releases, the second store of biz_a gets the lock.
	if err := la.Release(ctx); err != nil {
		t.Fatal(err)
	}
	l2, err := a2.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatalf("lock biz_a after release: %v", err)
	}
	_ = l2.Release(ctx)
}

func TestSchemaNameIsValidated(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"Biz", "biz-a", "pg_catalog", "information_schema", "1biz", `biz"; DROP`, "a234567890123456789012345678901234567890123456789012345678901234"} {
		if _, err := Open(context.Background(), "postgres://127.0.0.1:1/x", Options{Schema: bad}); err == nil {
			t.Errorf("Open accepted schema %q", bad)
		}
	}
	for _, good := range []string{"biz_acme", "_x", "revledger"} {
		if err := ValidSchema(good); err != nil {
			t.Errorf("ValidSchema(%q): %v", good, err)
		}
	}
}

func TestLockKeysPerSchema(t *testing.T) {
	t.Parallel()
	r0, m0 := lockKeys("")
	if r0 != runLockKey || m0 != migrateLockKey {
		t.Fatal("the default warehouse's lock keys changed")
	}
	ra, ma := lockKeys("biz_a")
	rb, _ := lockKeys("biz_b")
	ra2, _ := lockKeys("biz_a")
	if ra == rb || ra == r0 || ra == ma || ra != ra2 {
		t.Fatalf("lock keys: a=%x b=%x default=%x migrate a=%x", ra, rb, r0, ma)
	}
}
