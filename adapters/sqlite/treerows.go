package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/grantledger/grantledger/adapters/merkle"
)

var _ merkle.RowReader = (*Store)(nil)

// ReadTreeRows implements merkle.RowReader: it calls fn with the tree row
// of every leaf from first to end-1, in order, in one ordered scan of the
// table (a read's check of the log compares each with the hashes it
// recomputes from the events). It stops at the first row missing or when
// fn returns an error, which it returns as it is. row is the driver's
// memory, valid only during the call.
func (s *Store) ReadTreeRows(ctx context.Context, first, end int64, fn func(leaf int64, row []byte) error) error {
	if !s.hasTree {
		return s.noTreeError()
	}
	if end <= first {
		return nil
	}
	rows, err := s.db.QueryContext(ctx, "SELECT idx, hash FROM tree WHERE idx >= ? AND idx < ? ORDER BY idx", first, end)
	if err != nil {
		return fmt.Errorf("read the tree rows of leaves %d to %d: %w", first, end-1, err)
	}
	defer rows.Close()
	for rows.Next() {
		var leaf int64
		var b sql.RawBytes
		if err := rows.Scan(&leaf, &b); err != nil {
			return fmt.Errorf("read the tree rows of leaves %d to %d: %w", first, end-1, err)
		}
		if err := fn(leaf, b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read the tree rows of leaves %d to %d: %w", first, end-1, err)
	}
	return nil
}
