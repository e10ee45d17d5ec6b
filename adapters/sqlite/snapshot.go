package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// SaveSnapshot stores blob under name with the position it was built up
// to, replacing what name held before. The position and the blob are
// written in one transaction, so after a crash both are the old ones or
// both the new ones; the write is durable when SaveSnapshot returns nil.
// Snapshots live in their own table and never touch the events.
// On a read-only store (see ReadOnlyReason) it writes nothing and says why,
// as an append does.
func (s *Store) SaveSnapshot(ctx context.Context, name string, position domain.Position, blob []byte) error {
	if s.readOnly {
		return fmt.Errorf("save snapshot %s: %w", name, s.readOnlyError())
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed() {
		return fmt.Errorf("save snapshot %s: %w", name, errClosed())
	}
	if blob == nil {
		blob = []byte{}
	}
	// The old snapshot is deleted before the new one is inserted, in one
	// transaction, so the new one's overflow pages are the old one's,
	// taken back from the free list: an UPSERT of a blob of another size
	// writes the new pages before it frees the old, which left one
	// snapshot's size of free pages in the file after every save (about
	// 100 MB at 670 000 events; issue 17, docs/STORAGE.md).
	if _, err := s.wst.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("save snapshot %s: begin: %w", name, classify(err))
	}
	if _, err := s.w.ExecContext(ctx, "DELETE FROM snapshots WHERE name = ?", name); err != nil {
		s.wst.rollback.ExecContext(context.WithoutCancel(ctx))
		return fmt.Errorf("save snapshot %s: remove the one before: %w; the one before was kept", name, classify(err))
	}
	if _, err := s.wst.saveSnap.ExecContext(ctx, name, int64(position.Commit), int64(position.Prepare), blob, s.now().UTC().UnixNano()); err != nil {
		s.wst.rollback.ExecContext(context.WithoutCancel(ctx))
		return fmt.Errorf("save snapshot %s: %w; the one before was kept", name, classify(err))
	}
	if _, err := s.wst.commit.ExecContext(context.WithoutCancel(ctx)); err != nil {
		s.wst.rollback.ExecContext(context.WithoutCancel(ctx))
		return fmt.Errorf("save snapshot %s: commit: %w; the one before was kept", name, classify(err))
	}
	s.bg.committed()
	return nil
}

// LoadSnapshot returns the position and blob last saved under name; ok is
// false, with no error, when nothing was saved under it.
func (s *Store) LoadSnapshot(ctx context.Context, name string) (position domain.Position, blob []byte, ok bool, err error) {
	ok, err = s.ReadSnapshot(ctx, name, func(pos domain.Position, b []byte) error {
		position, blob = pos, bytes.Clone(b)
		return nil
	})
	return position, blob, ok, err
}

// ReadSnapshot calls fn with the position and blob last saved under name,
// and reports ok true; ok is false, with no error and without a call of fn,
// when nothing was saved under it. The blob is valid only until fn
// returns: fn copies what it keeps. It is the driver's copy of the stored
// bytes, which LoadSnapshot copies once more (database/sql returns a copy
// of the driver's value); a snapshot is read while its read transaction is
// open, so fn should not take long. An error from fn is returned as it is.
func (s *Store) ReadSnapshot(ctx context.Context, name string, fn func(position domain.Position, blob []byte) error) (ok bool, err error) {
	if s.isClosed() {
		return false, fmt.Errorf("load snapshot %s: %w", name, errClosed())
	}
	rows, err := s.rst.loadSnap.QueryContext(ctx, name)
	if err != nil {
		return false, fmt.Errorf("load snapshot %s: %w", name, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return false, fmt.Errorf("load snapshot %s: %w", name, err)
		}
		return false, nil
	}
	var c, p int64
	var blob sql.RawBytes // the driver's memory, valid until Next or Close
	if err := rows.Scan(&c, &p, &blob); err != nil {
		return false, fmt.Errorf("load snapshot %s: %w", name, err)
	}
	if err := fn(domain.Position{Commit: uint64(c), Prepare: uint64(p)}, blob); err != nil {
		return true, err
	}
	if err := rows.Close(); err != nil {
		return true, fmt.Errorf("load snapshot %s: %w", name, err)
	}
	return true, nil
}
