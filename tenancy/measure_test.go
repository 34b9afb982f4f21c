package tenancy

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/revledger/revledger/load"
)

// TestMeasureManyBusinessSchemas measures what schema per business costs: creating and
// migrating N business schemas one after another, the catalog and database size they take,
// a no-op Migrate of every one (what opening each business's store costs once they exist),
// and deleting one. Figures go to docs/MULTI-BUSINESS.md. It runs with
// REVLEDGER_MEASURE_SCHEMAS=N (e.g. 100); otherwise with 3 businesses, as a check that the
// measurement itself works.
func TestMeasureManyBusinessSchemas(t *testing.T) {
	t.Parallel()
	n := 3
	if v := os.Getenv("REVLEDGER_MEASURE_SCHEMAS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			t.Fatalf("REVLEDGER_MEASURE_SCHEMAS=%q: want a positive number", v)
		}
	}
	r, pool := newRegistry(t)
	ctx := context.Background()
	size := func() (db int64, classes int64) {
		t.Helper()
		if err := pool.QueryRow(ctx, "SELECT pg_database_size(current_database()), (SELECT count(*) FROM pg_class)").Scan(&db, &classes); err != nil {
			t.Fatal(err)
		}
		return db, classes
	}
	db0, classes0 := size()

	var adds []time.Duration
	businesses := make([]Business, 0, n)
	for i := range n {
		start := time.Now()
		b, err := r.Add(ctx, acme(fmt.Sprintf("biz-%03d", i)), testKeyPEM(t))
		if err != nil {
			t.Fatalf("Add %d: %v", i, err)
		}
		adds = append(adds, time.Since(start))
		businesses = append(businesses, b)
	}
	db1, classes1 := size()

	start := time.Now()
	for _, b := range businesses {
		s, err := r.OpenStore(ctx, b, load.Options{MaxConns: 1})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
	}
	reopen := time.Since(start)

	var catalog int64
	if err := pool.QueryRow(ctx, `SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c
		JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = 'pg_catalog' AND c.relkind = 'r'`).Scan(&catalog); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := r.Delete(ctx, businesses[n-1].Slug); err != nil {
		t.Fatal(err)
	}
	del := time.Since(start)

	sorted := slices.Clone(adds)
	slices.Sort(sorted)
	var total time.Duration
	for _, d := range adds {
		total += d
	}
	perSchemaClasses := (classes1 - classes0) / int64(n)
	// Does a growing catalog slow the next business down? Mean of the first and last tenth.
	tenth := max(n/10, 1)
	mean := func(ds []time.Duration) time.Duration {
		var s time.Duration
		for _, d := range ds {
			s += d
		}
		return s / time.Duration(len(ds))
	}
	t.Logf("mean add of the first %d: %s, of the last %d: %s", tenth, mean(adds[:tenth]).Round(time.Millisecond), tenth, mean(adds[n-tenth:]).Round(time.Millisecond))
	t.Logf("%d businesses: add (create + migrate schema) total %s, mean %s, median %s, max %s; first %s, last %s",
		n, total.Round(time.Millisecond), (total / time.Duration(n)).Round(time.Millisecond), sorted[n/2].Round(time.Millisecond),
		sorted[n-1].Round(time.Millisecond), adds[0].Round(time.Millisecond), adds[n-1].Round(time.Millisecond))
	t.Logf("catalog: %d pg_class rows per business schema (%d → %d); database %d MB → %d MB (%d kB per business); pg_catalog tables now %d MB",
		perSchemaClasses, classes0, classes1, db0>>20, db1>>20, (db1-db0)/int64(n)>>10, catalog>>20)
	t.Logf("open + no-op migrate of all %d stores: %s (%s each); delete one business: %s",
		n, reopen.Round(time.Millisecond), (reopen / time.Duration(n)).Round(time.Millisecond), del.Round(time.Millisecond))
	if perSchemaClasses < 20 {
		t.Fatalf("%d catalog rows per schema: the warehouse was not created", perSchemaClasses)
	}
}
