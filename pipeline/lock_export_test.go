package pipeline_test

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/extract/revolut/revoluttest"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/pipeline"
	"github.com/revledger/revledger/sink"
)

// killLockOnExport is a folder sink that terminates the run lock's PostgreSQL session once
// the first export file (not a receipt) is stored.
type killLockOnExport struct {
	*sink.Dir
	h     *faultHarness
	fired atomic.Bool
	puts  atomic.Int32 // export files put, after the kill included
}

func (k *killLockOnExport) Put(ctx context.Context, key string, r io.Reader, meta sink.Meta) (sink.ObjectInfo, error) {
	info, err := k.Dir.Put(ctx, key, r, meta)
	if strings.HasPrefix(key, sink.ReceiptsFolder) {
		return info, err
	}
	k.puts.Add(1)
	if k.fired.CompareAndSwap(false, true) {
		c := k.h.conn()
		n := queryInt(k.h.t, c, `SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_locks WHERE locktype = 'advisory' AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)
		if n != 1 {
			k.h.t.Errorf("terminated %d lock sessions, want 1", n)
		}
	}
	return info, err
}

// TestSyncStopsExportWhenLockLost terminates the run lock's session right after a sync
// uploads its first export file: the run fails with the lock lost, no other export file is
// published (no manifest at all), and the run is recorded as failed.
func TestSyncStopsExportWhenLockLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	h := newFaultHarness(t, revoluttest.Options{Seed: 215, Transactions: 200, Span: 20 * day})
	dir, err := sink.NewDir(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	k := &killLockOnExport{Dir: dir, h: h}
	p, err := pipeline.New(pipeline.Config{Now: h.now, Location: time.UTC, FlushRecords: 400, BookBatch: 300},
		h.client, h.store, k, exporters.New(h.store, k, exporters.Config{Company: "Test Ltd"}))
	if err != nil {
		t.Fatal(err)
	}
	sum, err := p.Sync(ctx)
	if !errors.Is(err, load.ErrLockLost) {
		t.Fatalf("sync that lost the lock during its export: %v, want ErrLockLost", err)
	}
	if got := k.puts.Load(); got != 1 {
		t.Errorf("%d export files published, want only the one before the lock was lost", got)
	}
	manifests, _ := filepath.Glob(filepath.Join(h.dir, "*", exporters.ManifestName))
	if len(manifests) != 0 {
		t.Errorf("manifests written after the lock was lost: %v", manifests)
	}
	if n := queryInt(t, h.conn(), `SELECT count(*) FROM runs WHERE id = $1 AND status = 'failed'`, sum.RunID); n != 1 {
		t.Error("the run is not recorded as failed")
	}
}
