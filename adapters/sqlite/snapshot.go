package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// SaveSnapshot stores blob under name with the position it was built up
// to, replacing what name held before. The position and the blob are
// written in one statement, so after a crash both are the old ones or both
// the new ones; the write is durable when SaveSnapshot returns nil.
// Snapshots live in their own table and never touch the events.
//
// On a read-only store (see ReadOnlyReason) SaveSnapshot keeps nothing and
// returns nil. A snapshot only spares the next reader work: the events are
// the record, LoadSnapshot then returns the last snapshot the file holds
// (or none) and the reader folds the events after it. So reports and
// verification work on a store that cannot be written, while every append
// on it is refused.
func (s *Store) SaveSnapshot(ctx context.Context, name string, position domain.Position, blob []byte) error {
	if s.readOnly {
		return nil
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
	if s.isClosed() {
		return position, nil, false, fmt.Errorf("load snapshot %s: %w", name, errClosed())
	}
	var c, p int64
	err = s.rst.loadSnap.QueryRowContext(ctx, name).Scan(&c, &p, &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return position, nil, false, nil
	}
	if err != nil {
		return position, nil, false, fmt.Errorf("load snapshot %s: %w", name, err)
	}
	return domain.Position{Commit: uint64(c), Prepare: uint64(p)}, blob, true, nil
}
