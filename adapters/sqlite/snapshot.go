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
// written in one statement, so after a crash both are the old ones or both
// the new ones; the write is durable when SaveSnapshot returns nil.
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
	if _, err := s.wst.saveSnap.ExecContext(ctx, name, int64(position.Commit), int64(position.Prepare), blob, s.now().UTC().UnixNano()); err != nil {
		return fmt.Errorf("save snapshot %s: %w", name, classify(err))
	}
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
