package merkle

import (
	"context"
	"crypto/sha256"
	"fmt"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/domain"
)

// LeafHasher computes leaf hashes (LeafHash) into one buffer it keeps, so
// that hashing many events allocates nothing per event. Not safe for
// concurrent use.
type LeafHasher struct {
	buf []byte
}

// Hash is LeafHash(e): SHA-256 over 0x00 and LeafBytes(e).
func (h *LeafHasher) Hash(e *domain.RecordedEvent) Hash {
	h.buf = appendLeaf(append(h.buf[:0], 0x00), e)
	return sha256.Sum256(h.buf)
}

// RowReader reads a tree kept as one row per
// leaf holding every stored hash that leaf completes, 32 bytes each, level
// 0 (the leaf hash) first (the embedded store): ReadTreeRows calls fn with
// the rows of leaves first to end-1 in order, stopping early when the
// table ends there. fn's row is valid only during the call. A LeafCheck
// then compares every stored hash of the range, not only the leaves'.
type RowReader interface {
	ReadTreeRows(ctx context.Context, first, end int64, fn func(leaf int64, row []byte) error) error
}

// LeafCheck is CheckFrom for a reader who reads the events anyway (the
// read model's catch-up): it is given the events after the last verified
// point batch by batch, in global order, and hashes them as they pass, so
// the log check costs hashing and a read of the stored hashes, not a second
// read of the events. The check is CheckFrom's:
//
//   - at the start (NewLeafCheck), the stored tree's root at the last
//     verified point and at each pinned checkpoint is the one recorded;
//   - every event after the last verified point hashes to the leaf stored
//     when it was appended (with a RowReader: every stored hash that leaf
//     completed is the one recomputed from the leaves), and there are
//     exactly as many events as leaves;
//   - at the end (Done), the root recomputed from the leaves (the stored
//     subtrees of the verified point, then every new leaf) is the stored
//     tree's root.
//
// A break comes back as a *Bad, after which the check stops: the caller
// must not use what it read from the bad batch on.
type LeafCheck struct {
	ctx  context.Context
	l    Log
	rows RowReader // nil when the store offers none (domain.Offers.TreeRows)

	n    int64 // the stored tree's size as last read
	i    int64 // the index of the next leaf
	bad  *Bad
	hash LeafHasher

	// stack holds the roots of the complete subtrees of the first i
	// leaves, largest first (the compact range of [0, i)).
	stack []stackNode

	leaves []Hash  // this batch's recomputed leaf hashes
	idx    []int64 // stored-hash indexes asked for (without RowReader)
	row    []Hash  // the hashes a leaf completes, recomputed
}

type stackNode struct {
	level int
	hash  Hash
}

// NewLeafCheck starts a check of the log l after the point last, with the
// pinned checkpoints. A break found already (the tree was rewritten below
// the verified point or a checkpoint, or is smaller) comes back as a *Bad
// and no LeafCheck.
func NewLeafCheck(ctx context.Context, l Tree, last Verified, pinned []Checkpoint) (*LeafCheck, *Bad, error) {
	n, err := l.TreeSize(ctx)
	if err != nil {
		return nil, nil, err
	}
	if n < last.Size {
		return nil, &Bad{Index: n, Problem: fmt.Sprintf("the tree has %d leaves, fewer than the %d verified before: events were removed", n, last.Size)}, nil
	}
	r := Reader(ctx, l)
	for _, c := range append([]Checkpoint{{Size: last.Size, Root: last.Root, Origin: "the last verified point"}}, pinned...) {
		if c.Size == 0 {
			continue
		}
		if c.Size > n {
			return nil, &Bad{Index: n, Problem: fmt.Sprintf("the log has %d events, fewer than the %d of %s: events were removed", n, c.Size, c.Origin)}, nil
		}
		root, err := tlog.TreeHash(c.Size, r)
		if err != nil {
			return nil, nil, err
		}
		if root != c.Root {
			return nil, &Bad{Index: c.Size, Problem: fmt.Sprintf("the tree's root at %d events is %s, not the %s of %s: the log was rewritten before that point", c.Size, root, c.Root, c.Origin)}, nil
		}
	}
	c := &LeafCheck{ctx: ctx, l: l, n: n, i: last.Size}
	if l.Offers().TreeRows {
		c.rows = l
	}
	// The compact range of the verified point: its complete subtrees,
	// largest first, whose hashes gave last.Root just above.
	var idx []int64
	var levels []int
	var start int64
	for level := 63; level >= 0; level-- {
		if last.Size&(1<<uint(level)) == 0 {
			continue
		}
		idx = append(idx, tlog.StoredHashIndex(level, start>>uint(level)))
		levels = append(levels, level)
		start += 1 << uint(level)
	}
	if len(idx) > 0 {
		hs, err := l.ReadTreeHashes(ctx, idx)
		if err != nil {
			return nil, nil, err
		}
		if len(hs) != len(idx) {
			return nil, nil, fmt.Errorf("merkle: asked for %d stored hashes, got %d", len(idx), len(hs))
		}
		for k, h := range hs {
			c.stack = append(c.stack, stackNode{level: levels[k], hash: h})
		}
		if got := c.stackRoot(); got != last.Root {
			return nil, &Bad{Index: last.Size, Problem: fmt.Sprintf("the tree's subtrees at %d events hash to %s, not the %s of the last verified point", last.Size, got, last.Root)}, nil
		}
	}
	return c, nil, nil
}

// Next is the index of the leaf the next event must be.
func (c *LeafCheck) Next() int64 { return c.i }

// Bad is the break found, if any.
func (c *LeafCheck) Bad() *Bad { return c.bad }

// stackRoot is the root of the leaves added so far (RFC 6962: the
// complete subtrees folded from the right).
func (c *LeafCheck) stackRoot() Hash {
	if len(c.stack) == 0 {
		h, _ := tlog.TreeHash(0, nil) // the empty tree's hash, as the library gives it
		return h
	}
	h := c.stack[len(c.stack)-1].hash
	for k := len(c.stack) - 2; k >= 0; k-- {
		h = tlog.NodeHash(c.stack[k].hash, h)
	}
	return h
}

// push adds leaf hash h as leaf c.i and sets c.row to the hashes it
// completes (the stored hashes of its tree row: the leaf, then one per
// level it completes).
func (c *LeafCheck) push(h Hash) {
	c.row = append(c.row[:0], h)
	level := 0
	for len(c.stack) > 0 && c.stack[len(c.stack)-1].level == level {
		h = tlog.NodeHash(c.stack[len(c.stack)-1].hash, h)
		c.stack = c.stack[:len(c.stack)-1]
		level++
		c.row = append(c.row, h)
	}
	c.stack = append(c.stack, stackNode{level: level, hash: h})
	c.i++
}

// Check checks the next events of the log, in global order. A break is
// returned as a *Bad (and kept: Check does nothing more after one).
func (c *LeafCheck) Check(evs []domain.RecordedEvent) (*Bad, error) {
	if c.bad != nil {
		return c.bad, nil
	}
	if len(evs) == 0 {
		return nil, nil
	}
	if c.i+int64(len(evs)) > c.n {
		// Events appended since the size was read have their tree rows
		// too (both commit together); only events beyond the tree now
		// are a break.
		n, err := c.l.TreeSize(c.ctx)
		if err != nil {
			return nil, err
		}
		c.n = n
	}
	c.leaves = c.leaves[:0]
	for k := range evs {
		c.leaves = append(c.leaves, c.hash.Hash(&evs[k]))
	}
	first := c.i
	in := min(int64(len(evs)), max(c.n-first, 0)) // events that have a leaf
	if c.rows != nil {
		k := int64(0)
		err := c.rows.ReadTreeRows(c.ctx, first, first+in, func(leaf int64, row []byte) error {
			if leaf != first+k {
				return errStop
			}
			e := &evs[k]
			c.push(c.leaves[k])
			if len(row) < HashSize || [HashSize]byte(row[:HashSize]) != c.row[0] {
				c.bad = c.leafBad(leaf, e)
				return errStop
			}
			if len(row) != len(c.row)*HashSize {
				c.bad = &Bad{Index: leaf, Position: e.Position, Stream: e.Stream, Revision: e.Revision, EventID: e.ID.String(),
					Problem: fmt.Sprintf("the tree row of leaf %d has %d bytes, not the %d hashes appending that leaf completes: the stored tree was rewritten", leaf, len(row), len(c.row))}
				return errStop
			}
			for j := 1; j < len(c.row); j++ {
				if [HashSize]byte(row[j*HashSize:(j+1)*HashSize]) != c.row[j] {
					c.bad = &Bad{Index: leaf, Position: e.Position, Stream: e.Stream, Revision: e.Revision, EventID: e.ID.String(),
						Problem: fmt.Sprintf("the stored tree's hash at level %d completed by leaf %d is not the one its leaves give: the stored tree was rewritten", j, leaf)}
					return errStop
				}
			}
			k++
			return nil
		})
		if err != nil && err != errStop {
			return nil, err
		}
		if c.bad != nil {
			return c.bad, nil
		}
		if k < in {
			return nil, fmt.Errorf("merkle: the tree has no row for leaf %d (its size is %d): rows were removed", first+k, c.n)
		}
	} else {
		c.idx = c.idx[:0]
		for k := int64(0); k < in; k++ {
			c.idx = append(c.idx, tlog.StoredHashIndex(0, first+k))
		}
		stored, err := c.l.ReadTreeHashes(c.ctx, c.idx)
		if err != nil {
			return nil, err
		}
		if int64(len(stored)) != in {
			return nil, fmt.Errorf("merkle: asked for %d stored hashes, got %d", in, len(stored))
		}
		for k := int64(0); k < in; k++ {
			if c.leaves[k] != stored[k] {
				c.bad = c.leafBad(first+k, &evs[k])
				return c.bad, nil
			}
			c.push(c.leaves[k])
		}
	}
	if in < int64(len(evs)) {
		e := &evs[in]
		c.bad = &Bad{Index: first + in, Position: e.Position, Stream: e.Stream, Revision: e.Revision, EventID: e.ID.String(),
			Problem: fmt.Sprintf("the log has more events than the %d leaves of the tree: events were added without their tree rows", c.n)}
		return c.bad, nil
	}
	return nil, nil
}

func (c *LeafCheck) leafBad(i int64, e *domain.RecordedEvent) *Bad {
	return &Bad{Index: i, Position: e.Position, Stream: e.Stream, Revision: e.Revision, EventID: e.ID.String(),
		Problem: fmt.Sprintf("the event's bytes do not hash to leaf %d stored when it was appended: it was edited, moved, or put in another's place", i)}
}

// Done ends the check once every event was given (the reader saw the end
// of the log): there must be as many events as leaves, and the root
// recomputed from the leaves must be the stored tree's. It returns the
// new verified point.
func (c *LeafCheck) Done() (Verified, *Bad, error) {
	if c.bad != nil {
		return Verified{}, c.bad, nil
	}
	if c.i != c.n {
		c.bad = &Bad{Index: c.i, Problem: fmt.Sprintf("the tree has %d leaves but the log only %d events: events were removed", c.n, c.i)}
		return Verified{}, c.bad, nil
	}
	root := c.stackRoot()
	stored, err := tlog.TreeHash(c.n, Reader(c.ctx, c.l))
	if err != nil {
		return Verified{}, nil, err
	}
	if stored != root {
		c.bad = &Bad{Index: c.n, Problem: fmt.Sprintf("the stored tree's root at %d events is %s, but its leaves, recomputed from the events, give %s: the stored tree was rewritten", c.n, stored, root)}
		return Verified{}, c.bad, nil
	}
	return Verified{Size: c.n, Root: root}, nil, nil
}

// HashSize is the size of a hash in bytes.
const HashSize = tlog.HashSize

type stopError struct{}

func (stopError) Error() string { return "stop" }

var errStop error = stopError{}
