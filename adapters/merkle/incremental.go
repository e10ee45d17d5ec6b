package merkle

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

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
// It reads the events after last.Size and about log2(size) stored hashes
// per root, and returns the new verified point. It relies on the store
// numbering positions from 1 in leaf order (the embedded store, memstore),
// or on its Positioner (EventStoreDB).
// A break comes back as a *Bad.
func CheckFrom(ctx context.Context, store domain.EventStore, l Log, last Verified, pinned []Checkpoint) (Verified, *Bad, error) {
	n, err := l.TreeSize(ctx)
	if err != nil {
		return last, nil, err
	}
	if n < last.Size {
		return last, &Bad{Index: n, Problem: fmt.Sprintf("the tree has %d leaves, fewer than the %d verified before: events were removed", n, last.Size)}, nil
	}
	r := Reader(ctx, l)
	for _, c := range append([]Checkpoint{{Size: last.Size, Root: last.Root, Origin: "the last verified point"}}, pinned...) {
		if c.Size == 0 {
			continue
		}
		if c.Size > n {
			return last, &Bad{Index: n, Problem: fmt.Sprintf("the log has %d events, fewer than the %d of %s: events were removed", n, c.Size, c.Origin)}, nil
		}
		root, err := tlog.TreeHash(c.Size, r)
		if err != nil {
			return last, nil, err
		}
		if root != c.Root {
			return last, &Bad{Index: c.Size, Problem: fmt.Sprintf("the tree's root at %d events is %s, not the %s of %s: the log was rewritten before that point", c.Size, root, c.Root, c.Origin)}, nil
		}
	}
	i := last.Size
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
		idx := make([]int64, 0, len(evs))
		for k := range evs {
			if i+int64(k) >= n {
				break
			}
			idx = append(idx, tlog.StoredHashIndex(0, i+int64(k)))
		}
		stored, err := l.ReadTreeHashes(ctx, idx)
		if err != nil {
			return last, nil, err
		}
		for k, e := range evs {
			if k >= len(stored) {
				return last, &Bad{Index: i, Position: e.Position, Stream: e.Stream, Revision: e.Revision, EventID: e.ID.String(),
					Problem: fmt.Sprintf("the log has more events than the %d leaves of the tree: events were added without their tree rows", n)}, nil
			}
			if LeafHash(e) != stored[k] {
				return last, &Bad{Index: i, Position: e.Position, Stream: e.Stream, Revision: e.Revision, EventID: e.ID.String(),
					Problem: fmt.Sprintf("the event's bytes do not hash to leaf %d stored when it was appended: it was edited, moved, or put in another's place", i)}, nil
			}
			i++
		}
		from = evs[len(evs)-1].Position
	}
	if i != n {
		return last, &Bad{Index: i, Problem: fmt.Sprintf("the tree has %d leaves but the log only %d events: events were removed", n, i)}, nil
	}
	root, err := tlog.TreeHash(n, r)
	if err != nil {
		return last, nil, err
	}
	return Verified{Size: n, Root: root}, nil, nil
}

// Positioner is implemented by a store whose positions do not count
// events from 1 in leaf order (EventStoreDB's are $all byte positions): it
// maps positions to tree sizes and back.
type Positioner interface {
	// TreeSizeAt is how many leaves are at or before position.
	TreeSizeAt(ctx context.Context, position domain.Position) (int64, error)
	// LeafPosition is the position of leaf i (counted from 0).
	LeafPosition(ctx context.Context, i int64) (domain.Position, error)
}

// SizeAt is the tree size of the log l up to position: the leaves at or
// before it.
func SizeAt(ctx context.Context, l Log, position domain.Position) (int64, error) {
	if p, ok := l.(Positioner); ok {
		return p.TreeSizeAt(ctx, position)
	}
	return int64(position.Commit), nil // positions count events from 1
}

// PositionOf is the position after which the events of the log l follow
// its first size leaves (the zero position for size 0).
func PositionOf(ctx context.Context, l Log, size int64) (domain.Position, error) {
	if size == 0 {
		return domain.Position{}, nil
	}
	if p, ok := l.(Positioner); ok {
		return p.LeafPosition(ctx, size-1)
	}
	return domain.Position{Commit: uint64(size), Prepare: uint64(size)}, nil
}
