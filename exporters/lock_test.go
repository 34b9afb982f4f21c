package exporters_test

// Losing the run lock mid-export (issue 21 item 9): the export stops before the next file is
// published, against a real PostgreSQL whose lock session is terminated.

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/revledger/revledger/exporters"
	"github.com/revledger/revledger/exporters/internal/ledgertest"
	"github.com/revledger/revledger/internal/testenv"
	"github.com/revledger/revledger/load"
	"github.com/revledger/revledger/sink"
)

// putHook is a folder sink that calls after once its nth Put has stored its object.
type putHook struct {
	*sink.Dir
	puts  atomic.Int32
	n     int32
	after func()
}

func (p *putHook) Put(ctx context.Context, key string, r io.Reader, meta sink.Meta) (sink.ObjectInfo, error) {
	info, err := p.Dir.Put(ctx, key, r, meta)
	if p.puts.Add(1) == p.n {
		p.after()
	}
	return info, err
}

// TestExportStopsWhenLockLost exports March once holding the lock, then again while the
// lock's PostgreSQL session is terminated right after the first file is uploaded: the second
// export fails with load.ErrLockLost before uploading another file, and the manifest is still
// the first export's.
func TestExportStopsWhenLockLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dsn := testenv.Database(t)
	store, err := load.Open(ctx, dsn, load.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	lock, err := store.AcquireRunLock(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = lock.Release(context.Background()) })

	dir, err := sink.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	hook := &putHook{Dir: dir, n: -1}
	e := exporters.New(ledgertest.Sample(), hook, exporters.Config{Now: clock})
	if _, err := e.ExportHolding(ctx, march, "run-1", lock); err != nil {
		t.Fatalf("export holding the lock: %v", err)
	}
	first := hook.puts.Load()
	if first != int32(len(wantFiles)+1) {
		t.Fatalf("first export put %d objects, want %d files and the manifest", first, len(wantFiles)+1)
	}

	admin, err := pgx.Connect(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = admin.Close(context.Background()) })
	hook.puts.Store(0)
	hook.n = 1
	hook.after = func() {
		var ok bool
		// Wait (up to 5 s) until the backend has exited, so its advisory lock is gone.
		if err := admin.QueryRow(ctx, "SELECT pg_terminate_backend($1, 5000)", int32(lock.PID())).Scan(&ok); err != nil || !ok {
			t.Errorf("terminate the lock's session: %v %v", ok, err)
		}
	}
	// A different run id gives a different manifest, so a manifest written anyway would show.
	_, err = e.ExportHolding(ctx, march, "run-2", lock)
	if !errors.Is(err, load.ErrLockLost) {
		t.Fatalf("export after the lock was lost: %v, want ErrLockLost", err)
	}
	if got := hook.puts.Load(); got != 1 {
		t.Errorf("%d objects put after the lock was lost, want only the one before", got-1)
	}
	if m := readManifest(t, dir, "2024-03/"+exporters.ManifestName); m.RunID != "run-1" {
		t.Errorf("manifest of run %q, want run-1's", m.RunID)
	}
}
