package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"sort"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
)

// The last verified point of the log is the tree size and root in the
// header of the read model's snapshot: a snapshot is saved only by a read
// that checked the log first (--no-verify saves none), at the position it
// folded to. Anyone who can write the file can change it; it only says
// where the cheap check starts (its root must still be the tree's), and
// the pinned signed checkpoint (GRANTLEDGER_VERIFIER_KEY with
// GRANTLEDGER_CHECKPOINT_DIR) is checked whatever it says.

func (a *app) noVerifyFlag(fs *flag.FlagSet) {
	fs.BoolVar(&a.noVerify, "no-verify", false, "do not check the Merkle log before reading (forensic reading of a ledger that fails verify; the output says so)")
}

// pinnedCheckpoints returns the newest checkpoint in
// $GRANTLEDGER_CHECKPOINT_DIR whose signature $GRANTLEDGER_VERIFIER_KEY
// accepts, when both are set.
func (a *app) pinnedCheckpoints() ([]merkle.Checkpoint, error) {
	dir, vk := a.getenv("GRANTLEDGER_CHECKPOINT_DIR"), a.getenv("GRANTLEDGER_VERIFIER_KEY")
	if dir == "" || vk == "" {
		return nil, nil
	}
	v, err := verifierKey(vk)
	if err != nil {
		return nil, err
	}
	names, err := filepath.Glob(filepath.Join(dir, "checkpoint-*.txt"))
	if err != nil {
		return nil, err
	}
	sort.Sort(sort.Reverse(sort.StringSlice(names)))
	for _, n := range names {
		if c, _, err := readCheckpointFile(n, v); err == nil {
			return []merkle.Checkpoint{c}, nil
		}
	}
	return nil, nil
}

// checkReads checks the log before a read (report, reconcile, history,
// audit, summaries, indicators) from the last verified point, or from the
// start when full, and returns the state the read is computed from. A
// break is exit 3. With --no-verify it only says, on stderr, that nothing
// was checked.
//
// from is where the check starts: nil to take the header of the saved
// snapshot (checked against the tree first), a zero Verified for every
// leaf, or a point already checked (the header of the snapshot the read
// model was restored from).
func (a *app) checkReads(ctx context.Context, store port.Store, from *merkle.Verified) (*merkle.Checkpoint, error) {
	l := store // every store keeps the Merkle log (EventStoreDB in a local cache)
	if a.noVerify {
		if !a.warnedNoVerify {
			fmt.Fprintln(a.stderr, tr(a.lang, "grantledger: --no-verify: the Merkle log was NOT checked; what follows may show a tampered ledger (forensic reading only)"))
			a.warnedNoVerify = true
		}
		n, err := l.TreeSize(ctx)
		if err != nil {
			return nil, err
		}
		root, err := merkle.Root(ctx, l, n)
		if err != nil {
			return nil, err
		}
		return &merkle.Checkpoint{Size: n, Root: root}, nil
	}
	pinned, err := a.pinnedCheckpoints()
	if err != nil {
		return nil, err
	}
	var last merkle.Verified
	if from != nil {
		last = *from
	} else {
		size, root, ok, err := readmodel.SnapshotTree(ctx, store, "")
		if err != nil {
			return nil, errorf("check the Merkle log: %w", err)
		}
		if ok {
			// A header whose root is not the tree's is a snapshot that the
			// read model will refuse (with a warning) and rebuild: it is no
			// verified point, so every leaf is checked.
			if n, err := l.TreeSize(ctx); err == nil && size <= n {
				if r, err := merkle.Root(ctx, l, size); err == nil && r == root {
					last = merkle.Verified{Size: size, Root: root}
				}
			}
		}
	}
	a.checkedFrom = last.Size
	return a.logChecked(merkle.CheckFrom(ctx, store, l, last, pinned))
}

// checkLeaves checks that each event (of a store that keeps the tree and
// numbers positions from 1 in leaf order) hashes to its stored leaf.
func (a *app) checkLeaves(ctx context.Context, store port.Store, evs []domain.RecordedEvent) error {
	l := store
	if a.noVerify || len(evs) == 0 {
		return nil
	}
	n, err := l.TreeSize(ctx)
	if err != nil {
		return err
	}
	idx := make([]int64, len(evs))
	for i, e := range evs {
		// The leaves at or before the event's position (its leaf index
		// + 1 where positions count events from 1; EventStoreDB maps its
		// $all position); the event must be the last of them.
		k, err := l.TreeSizeAt(ctx, e.Position)
		if err != nil {
			return err
		}
		{
			if k > 0 {
				if at, err := l.LeafPosition(ctx, k-1); err != nil || at != e.Position {
					k = 0
				}
			}
		}
		if k == 0 || k > n {
			return exitf(exitTampered, "event %s (stream %s revision %d) is at position %s, outside the Merkle tree of %d leaves: it was added without its tree rows; nothing was shown. --no-verify reads it anyway", e.ID, e.Stream, e.Revision, e.Position, n)
		}
		idx[i] = tlog.StoredHashIndex(0, k-1)
	}
	stored, err := l.ReadTreeHashes(ctx, idx)
	if err != nil {
		return err
	}
	for i, e := range evs {
		if merkle.LeafHash(e) != stored[i] {
			return exitf(exitTampered, "event %s (stream %s revision %d, position %s) does not hash to the leaf stored when it was appended: it was edited or moved; nothing was shown. Run 'grantledger verify'; --no-verify reads it anyway", e.ID, e.Stream, e.Revision, e.Position)
		}
	}
	return nil
}
