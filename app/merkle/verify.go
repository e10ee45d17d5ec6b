package merkle

import (
	"context"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/domain"
)

// Tree is the Merkle log a store keeps over its events, as this package
// reads it. Every store has all of it (app/port.Store embeds it); the
// optional parts (RangeReader, RowReader) answer a *domain.NotOfferedError
// when Offers says the store lacks them, and this package then reads the
// stored hashes through Log instead.
type Tree interface {
	Log
	Positioner
	Sealer
	Indexer
	RangeReader
	RowReader
	Offers() domain.Offers
}

// Store is an event store with its tree: what Verify and LogOf read.
type Store interface {
	domain.EventStore
	Tree
}

// RangeReader streams the stored hashes in index order (the embedded
// store offers it: domain.Offers.TreeRange); Verify then compares every
// stored hash, not only the leaves'.
type RangeReader interface {
	ReadTreeRange(ctx context.Context, from int64, fn func(idx int64, h Hash) bool) error
}

// Sealer says how many events a store had when it got its tree (the
// embedded store's older files); 0 for a store that had it from the first
// event.
type Sealer interface {
	Sealed(ctx context.Context) (int64, error)
}

// Indexer finds an event's leaf index without reading the whole log.
type Indexer interface {
	LeafIndex(ctx context.Context, id [16]byte) (int64, error)
}

// Bad names the first leaf that is not what it should be.
type Bad struct {
	Index    int64           `json:"leaf_index"`
	Position domain.Position `json:"position"`
	Stream   string          `json:"stream,omitempty"`
	Revision uint64          `json:"revision"`
	EventID  string          `json:"event_id,omitempty"`
	Problem  string          `json:"problem"`
}

// CheckpointResult is what Verify found for one checkpoint.
type CheckpointResult struct {
	Checkpoint Checkpoint `json:"checkpoint"`
	OK         bool       `json:"ok"`
	Problem    string     `json:"problem,omitempty"`
}

// Result of Verify.
type Result struct {
	Events      int64              `json:"events"`
	Root        Hash               `json:"root_hash"`
	StoredTree  bool               `json:"stored_tree_checked"`
	Sealed      int64              `json:"sealed_from,omitempty"`
	FirstBad    *Bad               `json:"first_bad,omitempty"`
	Checkpoints []CheckpointResult `json:"checkpoints,omitempty"`
	OK          bool               `json:"ok"`
}

// Verify reads every event of store in global order, recomputes every
// leaf and the tree over them, and checks:
//
//   - when the store keeps the tree (Log), that every stored hash is the
//     recomputed one and the stored tree has exactly as many leaves as
//     there are events (an edited, removed, inserted or moved event whose
//     tree rows were left alone shows here, at its leaf);
//   - for every checkpoint (already checked for its signature by the
//     caller), that the recomputed root at the checkpoint's size is the
//     checkpoint's root, which holds only if every one of the first Size
//     events is byte for byte what it was when the checkpoint was made
//     and in the same order.
//
// progress, if not nil, is told the number of events read so far.
func Verify(ctx context.Context, store Store, cps []Checkpoint, progress func(int64)) (Result, error) {
	res := Result{}
	for _, c := range cps {
		res.Checkpoints = append(res.Checkpoints, CheckpointResult{Checkpoint: c})
	}
	var log Log = store // every store keeps its tree (EventStoreDB in a local cache)
	var storedN int64 = -1
	if log != nil {
		n, err := log.TreeSize(ctx)
		if err != nil {
			return res, fmt.Errorf("verify: %w", err)
		}
		storedN = n
		res.StoredTree = true
		if res.Sealed, err = store.Sealed(ctx); err != nil {
			return res, fmt.Errorf("verify: %w", err)
		}
	}
	// The stored hashes, streamed in index order beside the events.
	stored := make(chan Hash, 4096)
	streamErr := make(chan error, 1)
	sctx, stop := context.WithCancel(ctx)
	defer stop()
	if log != nil {
		go func() {
			defer close(stored)
			if store.Offers().TreeRange {
				streamErr <- store.ReadTreeRange(sctx, 0, func(_ int64, h Hash) bool {
					select {
					case stored <- h:
						return true
					case <-sctx.Done():
						return false
					}
				})
				return
			}
			count := tlog.StoredHashCount(storedN)
			for from := int64(0); from < count; from += 4096 {
				idx := make([]int64, 0, 4096)
				for x := from; x < count && x < from+4096; x++ {
					idx = append(idx, x)
				}
				hs, err := log.ReadTreeHashes(sctx, idx)
				if err != nil {
					streamErr <- err
					return
				}
				for _, h := range hs {
					select {
					case stored <- h:
					case <-sctx.Done():
						streamErr <- nil
						return
					}
				}
			}
			streamErr <- nil
		}()
	}
	b := NewBuilder(0, nil)
	bad := func(i int64, e domain.RecordedEvent, format string, args ...any) {
		if res.FirstBad == nil {
			res.FirstBad = &Bad{Index: i, Position: e.Position, Stream: e.Stream, Revision: e.Revision, EventID: e.ID.String(), Problem: fmt.Sprintf(format, args...)}
		}
	}
	checkAt := func(n int64) error {
		for i := range res.Checkpoints {
			c := &res.Checkpoints[i]
			if c.Checkpoint.Size != n {
				continue
			}
			root, err := b.Root()
			if err != nil {
				return err
			}
			if root == c.Checkpoint.Root {
				c.OK = true
			} else {
				c.Problem = fmt.Sprintf("the first %d events of the log hash to %s, but the checkpoint signed %s: an event among them was changed, removed, inserted or moved since the checkpoint was made", n, root, c.Checkpoint.Root)
			}
		}
		return nil
	}
	if err := checkAt(0); err != nil {
		return res, err
	}
	storedOpen := log != nil
	var from domain.Position
	for {
		evs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return res, fmt.Errorf("verify: read after %s: %w", from, err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			from = e.Position
			i := b.Size()
			hs, err := b.Add(LeafHash(e))
			if err != nil {
				return res, err
			}
			if storedOpen && res.FirstBad == nil {
				for k, h := range hs {
					s, ok := <-stored
					if !ok {
						storedOpen = false
						bad(i, e, "the stored tree ends before this event: it has %d leaves but the log has more events (events were added without their tree rows)", storedN)
						break
					}
					if s != h {
						if k == 0 {
							bad(i, e, "the event's bytes do not hash to leaf %d stored when it was appended: the event was edited, or another event was put in its place", i)
						} else {
							bad(i, e, "stored tree node %d above leaf %d differs from the one recomputed: the tree table was edited", tlog.StoredHashIndex(k, i>>uint(k)), i)
						}
						break
					}
				}
			}
			if err := checkAt(b.Size()); err != nil {
				return res, err
			}
		}
		res.Events = b.Size()
		if progress != nil {
			progress(res.Events)
		}
	}
	res.Events = b.Size()
	var err error
	if res.Root, err = b.Root(); err != nil {
		return res, err
	}
	if log != nil && res.FirstBad == nil && storedN != res.Events {
		res.FirstBad = &Bad{Index: res.Events, Problem: fmt.Sprintf("the stored tree has %d leaves but the log has %d events: events after leaf %d were removed, or tree rows added", storedN, res.Events, res.Events)}
		if storedN < res.Events {
			res.FirstBad.Index = storedN
			res.FirstBad.Problem = fmt.Sprintf("the stored tree has %d leaves but the log has %d events: events were added without their tree rows", storedN, res.Events)
		}
	}
	stop()
	if log != nil {
		for range stored {
		}
		if err := <-streamErr; err != nil && ctx.Err() == nil && sctx.Err() == nil {
			return res, fmt.Errorf("verify: read the stored tree: %w", err)
		}
	}
	for i := range res.Checkpoints {
		c := &res.Checkpoints[i]
		if c.Checkpoint.Size > res.Events {
			c.OK = false
			c.Problem = fmt.Sprintf("the checkpoint signed %d events but the log has only %d: events the checkpoint covers were removed", c.Checkpoint.Size, res.Events)
		}
	}
	res.OK = res.FirstBad == nil
	for _, c := range res.Checkpoints {
		res.OK = res.OK && c.OK
	}
	return res, nil
}

// LogOf returns the tree of store: every store keeps one (EventStoreDB in
// a local cache it rebuilds from the events when it must).
func LogOf(_ context.Context, store Store) (Tree, error) { return store, nil }
