package load

import "context"

// Held returns nil while the run lock is still held by this lock's session, and ErrLockLost
// once it is not (its connection was terminated, or it was released). It asks the server
// (pg_locks), on a pooled connection, so it sees a lock that PostgreSQL dropped even though
// nothing was written since. The exporters call it before publishing each file, so that a run
// that lost the lock stops writing files another run may be writing too.
func (l *Writer) Held(ctx context.Context) error {
	if l == nil {
		return ErrLockLost
	}
	return l.verify(ctx, l.store.pool)
}
