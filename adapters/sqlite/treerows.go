package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math/bits"

	"github.com/grantledger/grantledger/app/merkle"
)

var _ merkle.RowReader = (*Store)(nil)

// ReadTreeRows implements merkle.RowReader: it calls fn with the tree row
// of every leaf from first to end-1, in order (a read's check of the log
// compares each with the hashes it recomputes from the events). It stops
// at the first row missing or when fn returns an error, which it returns
// as it is. row is valid only during the call.
//
// The rows come in one aggregate per call, their bytes concatenated in
// leaf order (from a subquery in key order, which SQLite does not flatten
// into an aggregate, rule 16 of its query flattener; an ORDER BY inside
// group_concat made it sort the rows again): a row of its own per leaf through database/sql cost about
// 2 µs a leaf, most of a first report's log check. The length of each row
// follows from its leaf (1 + the trailing ones of its index, 32 bytes
// each); when the range is not complete or the lengths do not add up, the
// rows are read one by one, so fn sees each row as it is stored.
func (s *Store) ReadTreeRows(ctx context.Context, first, end int64, fn func(leaf int64, row []byte) error) error {
	if !s.hasTree {
		return s.noTreeError()
	}
	if end <= first {
		return nil
	}
	var n, lo, hi sql.NullInt64
	var all []byte
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*), MIN(idx), MAX(idx), CAST(group_concat(hash, x'') AS BLOB) FROM (SELECT idx, hash FROM tree WHERE idx >= ? AND idx < ? ORDER BY idx)", first, end).
		Scan(&n, &lo, &hi, &all)
	if err != nil {
		return fmt.Errorf("read the tree rows of leaves %d to %d: %w", first, end-1, err)
	}
	want := int64(0)
	for leaf := first; leaf < end; leaf++ {
		want += int64(1+bits.TrailingZeros64(^uint64(leaf))) * merkle.HashSize
	}
	if n.Int64 != end-first || lo.Int64 != first || hi.Int64 != end-1 || int64(len(all)) != want {
		return s.readTreeRowsOneByOne(ctx, first, end, fn)
	}
	for leaf := first; leaf < end; leaf++ {
		k := (1 + bits.TrailingZeros64(^uint64(leaf))) * merkle.HashSize
		if err := fn(leaf, all[:k:k]); err != nil {
			return err
		}
		all = all[k:]
	}
	return nil
}

// readTreeRowsOneByOne is ReadTreeRows with one database row per leaf.
func (s *Store) readTreeRowsOneByOne(ctx context.Context, first, end int64, fn func(leaf int64, row []byte) error) error {
	rows, err := s.db.QueryContext(ctx, "SELECT idx, hash FROM tree WHERE idx >= ? AND idx < ? ORDER BY idx", first, end)
	if err != nil {
		return fmt.Errorf("read the tree rows of leaves %d to %d: %w", first, end-1, err)
	}
	defer rows.Close()
	for next := first; rows.Next(); next++ {
		var leaf int64
		var b sql.RawBytes
		if err := rows.Scan(&leaf, &b); err != nil {
			return fmt.Errorf("read the tree rows of leaves %d to %d: %w", first, end-1, err)
		}
		if leaf != next {
			return nil // the row of leaf next is missing: stop before it
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
