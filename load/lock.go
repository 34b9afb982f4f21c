package load

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Writer holds the run lock and owns every write of warehouse data: holding the lock is what
// lets a run write, so the writes are its methods. The lock is the one-runner-at-a-time lock
// across replicas: a PostgreSQL session advisory lock held by a dedicated connection (taken
// out of the pool) for the lifetime of a run. If that connection dies, PostgreSQL releases
// the lock, and every later write through this Writer fails with ErrLockLost.
type Writer struct {
	store *Store
	mu    sync.Mutex
	conn  *pgx.Conn
	pid   uint32
}

// AcquireRunLock takes the run lock and returns the Writer that holds it. With wait false it
// returns ErrLocked at once if another runner holds it; with wait true it blocks until the
// lock is free or ctx ends. ErrLocked is the one error for "another run holds the lock": the
// pipeline and the command pass it on as it is.
func (s *Store) AcquireRunLock(ctx context.Context, wait bool) (*Writer, error) {
	pc, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("load: run lock: acquire connection: %w", interpret(err))
	}
	// Hijacked: the connection leaves the pool, so the lock's lifetime is the connection's and
	// no pooled query can ever run on it.
	conn := pc.Hijack()
	closeConn := func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}
	if wait {
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", s.runKey); err != nil {
			closeConn()
			return nil, fmt.Errorf("load: run lock: wait for lock: %w", interpret(err))
		}
	} else {
		var got bool
		if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", s.runKey).Scan(&got); err != nil {
			closeConn()
			return nil, fmt.Errorf("load: run lock: try lock: %w", interpret(err))
		}
		if !got {
			closeConn()
			return nil, ErrLocked
		}
	}
	l := &Writer{store: s, conn: conn, pid: conn.PgConn().PID()}
	s.log.InfoContext(ctx, "run lock acquired", slog.Int("backend_pid", int(l.pid)))
	return l, nil
}

// Release gives the lock up and closes its connection. Releasing twice is a no-op. If the lock
// had already been lost, Release returns ErrLockLost.
func (l *Writer) Release(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.conn == nil {
		return nil
	}
	conn := l.conn
	l.conn = nil
	var released bool
	err := conn.QueryRow(ctx, "SELECT pg_advisory_unlock($1)", l.store.runKey).Scan(&released)
	cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// Closing the connection releases the lock in any case.
	_ = conn.Close(cctx)
	if err != nil || !released {
		return ErrLockLost
	}
	l.store.log.InfoContext(ctx, "run lock released", slog.Int("backend_pid", int(l.pid)))
	return nil
}

// verify checks, inside the write transaction tx (or on the pool, for Held), that the
// advisory lock is still granted to the lock's backend. Checking pg_locks from tx (not pinging the lock connection) is what
// matters: it is the server's view, and a terminated lock backend has vanished from it.
func (l *Writer) verify(ctx context.Context, tx interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}) error {
	if l == nil {
		return errors.New("load: a write needs the run lock (nil *Writer)")
	}
	l.mu.Lock()
	released := l.conn == nil
	l.mu.Unlock()
	if released {
		return ErrLockLost
	}
	var held bool
	err := tx.QueryRow(ctx, `SELECT EXISTS (
		SELECT 1 FROM pg_locks
		WHERE locktype = 'advisory' AND granted AND pid = $1
		  AND classid = (($2::bigint >> 32) & 4294967295)::oid AND objid = ($2::bigint & 4294967295)::oid AND objsubid = 1)`,
		int32(l.pid), l.store.runKey).Scan(&held)
	if err != nil {
		return fmt.Errorf("load: verify run lock: %w", interpret(err))
	}
	if !held {
		return ErrLockLost
	}
	return nil
}

// PID returns the PostgreSQL backend process id of the lock's connection, for logs and for
// operators who need to find it in pg_stat_activity.
func (l *Writer) PID() uint32 { return l.pid }

// inTx runs fn in a transaction that starts and ends with a check that the run lock is
// still ours. The check just before COMMIT is the one that matters: a lock lost while fn ran
// rolls everything back.
func (w *Writer) inTx(ctx context.Context, fn func(pgx.Tx) error) error {
	if w == nil {
		return errors.New("load: a write needs the run lock (nil *Writer)")
	}
	s := w.store
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return interpret(err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := w.verify(ctx, tx); err != nil {
		return err
	}
	before, err := rowCounts(ctx, tx)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := w.verify(ctx, tx); err != nil {
		return err
	}
	after, err := rowCounts(ctx, tx)
	if err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return interpret(err)
	}
	s.stats.committed(ctx, changes(before, after))
	return nil
}
