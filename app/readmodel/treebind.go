package readmodel

import (
	"context"
	"encoding/binary"
	"fmt"
	"reflect"
	"time"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// A snapshot of a store that keeps the Merkle log starts with the size and
// root of the tree it was folded at:
//
//	"GLTREE1\n" | tree size (8 bytes, big-endian) | root hash (32 bytes) | read model
//
// The tree size is the number of leaves up to the snapshot position
// (merkle.SizeAt): its Commit in the stores that number positions from 1
// in leaf order (the embedded store, memstore), the leaves at or before it
// in $all on EventStoreDB. Loading checks both against the log and refuses a snapshot folded
// from other events (see Load).
const treeTag = "GLTREE1\n"

const treeHeader = len(treeTag) + 8 + 32

// bindTree writes the tree's size and root at pos into the first
// treeHeader bytes of blob, which hold no read model (the first part of
// codec.EncodeParts(l, treeHeader)): the snapshot is not copied behind its
// header.
func bindTree(ctx context.Context, store port.Store, pos domain.Position, blob []byte) error {
	if len(blob) < treeHeader {
		return fmt.Errorf("a snapshot of %d bytes has no room for its tree header of %d", len(blob), treeHeader)
	}
	size, root, err := merkle.FoldedAt(ctx, store, pos)
	if err != nil {
		return err
	}
	copy(blob, treeTag)
	binary.BigEndian.PutUint64(blob[len(treeTag):], uint64(size))
	copy(blob[len(treeTag)+8:treeHeader], root[:])
	return nil
}

// checkTree returns the read model of a snapshot saved at pos, after
// checking, when the store keeps the log, that the snapshot was folded
// from this log: problem says why not (then the snapshot must not be
// used).
func checkTree(ctx context.Context, store port.Store, pos domain.Position, blob []byte) (inner []byte, problem string, err error) {
	var l merkle.Tree = store // every store keeps the log
	hasHeader := len(blob) >= treeHeader && string(blob[:len(treeTag)]) == treeTag
	if !hasHeader {
		return nil, "it records no Merkle tree size and root (saved before the ledger kept the log, or written by hand)", nil
	}
	size := int64(binary.BigEndian.Uint64(blob[len(treeTag):]))
	var root merkle.Hash
	copy(root[:], blob[len(treeTag)+8:treeHeader])
	if problem, err := merkle.CheckFoldedAt(ctx, l, pos, size, root); problem != "" || err != nil {
		return nil, problem, err
	}
	return blob[treeHeader:], "", nil
}

// CheckSnapshot looks at the read model saved under name (default
// DefaultSnapshotName) in store, when store keeps snapshots and the
// Merkle log: saved says whether there is one, problem why it would be
// refused (not folded from this log), and legacy that it only lacks the
// tree header (saved before the ledger kept the log; it will be rebuilt,
// which is no sign of tampering).
func CheckSnapshot(ctx context.Context, store port.Store, name string) (saved bool, problem string, legacy bool, err error) {
	snaps := store
	if !store.Offers().Snapshots {
		return false, "", false, nil
	}
	if name == "" {
		name = DefaultSnapshotName
	}
	pos, blob, ok, err := snaps.LoadSnapshot(ctx, name)
	if err != nil || !ok {
		return false, "", false, err
	}
	inner, problem, err := checkTree(ctx, store, pos, blob)
	legacy = problem != "" && (len(blob) < treeHeader || string(blob[:len(treeTag)]) != treeTag)
	if err == nil && problem == "" {
		problem, err = checkFold(ctx, store, pos, inner)
	}
	return true, problem, legacy, err
}

// checkFold refolds the events up to pos and compares the read model with
// the snapshot's: a forger who writes this log's own size and root into the
// header of a snapshot folded from other events passes checkTree, not this
// (docs/PROOFS.md, threat model). It reads every event up to pos, which is
// why only verify runs it, not every read. A snapshot this program cannot
// decode is no problem here: Load ignores it and rebuilds.
func checkFold(ctx context.Context, store domain.EventStore, pos domain.Position, inner []byte) (string, error) {
	saved, err := codec.Restore(inner)
	if err != nil || saved.Position() != pos {
		return "", nil
	}
	fresh := projections.NewLedger(time.Time{})
	dec := codec.NewDecoder(nil)
	from := domain.Position{}
	for done := false; !done; {
		evs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return "", fmt.Errorf("refold the snapshot's events: %w", err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			if pos.Less(e.Position) {
				done = true
				break
			}
			pe, err := dec.Decode(e)
			if err != nil {
				return "", fmt.Errorf("refold the snapshot's events: %w", err)
			}
			fresh.Apply(pe)
		}
		from = evs[len(evs)-1].Position
	}
	// The fold goes through the same encoding and decoding as a snapshot,
	// so both read models are built alike; then what they hold must be
	// equal: every agreement view (aggregate, rows, counts), the audit
	// trail, the counters (maps compared as sets: the encoding's order of
	// map entries is not fixed). Not the internal encoding of the audit
	// trail, which depends on how often the read model was saved.
	b, err := codec.Encode(fresh)
	if err != nil {
		return "", err
	}
	want, err := codec.Restore(b)
	if err != nil {
		return "", fmt.Errorf("refold the snapshot's events: %w", err)
	}
	if saved.Position() != want.Position() || saved.Applied() != want.Applied() || !saved.AsOf().Equal(want.AsOf()) ||
		!reflect.DeepEqual(saved.Agreements(), want.Agreements()) || !reflect.DeepEqual(saved.AuditRows(), want.AuditRows()) {
		return fmt.Sprintf("its read model is not the one the events up to position %s fold into (its header names this log's root, but its figures were folded from other events)", pos), nil
	}
	return "", nil
}

// SnapshotTree returns the tree size and root recorded in the header of
// the snapshot saved under name (default DefaultSnapshotName), without
// copying the read model; ok is false when there is no snapshot or it has
// no header. The caller checks the root against the log (it is what the
// read model was folded from, and where a check of the log can resume).
func SnapshotTree(ctx context.Context, store port.Store, name string) (size int64, root merkle.Hash, ok bool, err error) {
	if name == "" {
		name = DefaultSnapshotName
	}
	peek := func(blob []byte) {
		if len(blob) >= treeHeader && string(blob[:len(treeTag)]) == treeTag {
			size = int64(binary.BigEndian.Uint64(blob[len(treeTag):]))
			copy(root[:], blob[len(treeTag)+8:treeHeader])
			ok = true
		}
	}
	if store.Offers().LendsSnapshots {
		_, err = store.ReadSnapshot(ctx, name, func(_ domain.Position, blob []byte) error { peek(blob); return nil })
		return size, root, ok, err
	}
	snaps, has := store, store.Offers().Snapshots
	if !has {
		return 0, root, false, nil
	}
	_, blob, found, err := snaps.LoadSnapshot(ctx, name)
	if err != nil || !found {
		return 0, root, false, err
	}
	peek(blob)
	return size, root, ok, nil
}

// treeAt is a tree size and root.
type treeAt struct {
	size int64
	root merkle.Hash
}
