package merkle

import (
	"context"
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// Verified is a point up to which the log was checked: its size and root.
type Verified struct {
	Size int64
	Root Hash
}

// CheckFrom checks the log of a store that keeps its tree, cheaply, from
// the point last where it was last checked:
//
//   - the stored tree still has at least last.Size leaves and its root at
//     last.Size is still last.Root (the tree was not rewritten below it);
//   - the same for each pinned checkpoint (signed, kept elsewhere), whose
//     size the log must reach;
//   - every event after last.Size hashes to the leaf stored when it was
//     appended, and there are exactly as many events as leaves.
//
// It is a LeafCheck over its own read, so it also recomputes the root from
// the leaves and, on the embedded store, compares every stored hash the
// new leaves completed (see LeafCheck). A reader that reads the events
// anyway (the read model's catch-up) uses LeafCheck on them instead of
// calling CheckFrom, which would read them a second time.
//
// It reads the events after last.Size and about log2(size) stored hashes
// per root, and returns the new verified point. It relies on the store
// numbering positions from 1 in leaf order (the embedded store, memstore),
// or on its Positioner (EventStoreDB).
// A break comes back as a *Bad.
func CheckFrom(ctx context.Context, store domain.EventStore, l Tree, last Verified, pinned []Checkpoint) (Verified, *Bad, error) {
	c, bad, err := NewLeafCheck(ctx, l, last, pinned)
	if err != nil || bad != nil {
		return last, bad, err
	}
	from, err := PositionOf(ctx, l, last.Size)
	if err != nil {
		return last, nil, err
	}
	for {
		evs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return last, nil, fmt.Errorf("check the log: read after %s: %w", from, err)
		}
		if len(evs) == 0 {
			break
		}
		if bad, err := c.Check(evs); err != nil || bad != nil {
			return last, bad, err
		}
		from = evs[len(evs)-1].Position
	}
	now, bad, err := c.Done()
	if err != nil || bad != nil {
		return last, bad, err
	}
	return now, nil, nil
}

// Positioner maps a store's positions to tree sizes and back. The
// embedded store and memstore number positions from 1 in leaf order and
// answer by that; EventStoreDB's are $all byte positions, which it maps
// through its tree cache.
type Positioner interface {
	// TreeSizeAt is how many leaves are at or before position.
	TreeSizeAt(ctx context.Context, position domain.Position) (int64, error)
	// LeafPosition is the position of leaf i (counted from 0).
	LeafPosition(ctx context.Context, i int64) (domain.Position, error)
}

// SizeAt is the tree size of the log l up to position: the leaves at or
// before it.
func SizeAt(ctx context.Context, l Tree, position domain.Position) (int64, error) {
	return l.TreeSizeAt(ctx, position)
}

// PositionOf is the position after which the events of the log l follow
// its first size leaves (the zero position for size 0).
func PositionOf(ctx context.Context, l Tree, size int64) (domain.Position, error) {
	if size == 0 {
		return domain.Position{}, nil
	}
	return l.LeafPosition(ctx, size-1)
}

// CountedSizeAt is TreeSizeAt for a store whose positions count events
// from 1 in leaf order (the embedded store, memstore).
func CountedSizeAt(position domain.Position) int64 { return int64(position.Commit) }

// CountedPosition is LeafPosition for such a store: leaf i is at i+1.
func CountedPosition(i int64) domain.Position {
	return domain.Position{Commit: uint64(i + 1), Prepare: uint64(i + 1)}
}
