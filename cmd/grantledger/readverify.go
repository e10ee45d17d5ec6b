package main

import (
	"context"
	"flag"
	"fmt"
	"path/filepath"
	"sort"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/adapters/merkle"
	"github.com/grantledger/grantledger/adapters/projector"
	"github.com/grantledger/grantledger/domain"
)

// verifiedName is the snapshot-table name under which the last verified
// point of the Merkle log is kept (size and root). Anyone who can write
// the file can change it; it only says where the cheap check starts, and
// the pinned signed checkpoint (GRANTLEDGER_VERIFIER_KEY with
// GRANTLEDGER_CHECKPOINT_DIR) is checked whatever it says.
const verifiedName = "merkle.verified"

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
func (a *app) checkReads(ctx context.Context, store domain.EventStore, full bool) (*merkle.Checkpoint, error) {
	l, ok := store.(merkle.Log)
	if !ok {
		return nil, nil // EventStoreDB: no stored tree yet (docs/PROOFS.md)
	}
	if a.noVerify {
		if !a.warnedNoVerify {
			fmt.Fprintln(a.stderr, "grantledger: --no-verify: the Merkle log was NOT checked; what follows may show a tampered ledger (forensic reading only)")
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
	snaps, _ := store.(projector.SnapshotStore)
	var last merkle.Verified
	if snaps != nil && !full {
		if _, b, ok, err := snaps.LoadSnapshot(ctx, verifiedName); err == nil && ok {
			last, _ = merkle.ParseVerified(b)
		}
	}
	a.checkedFrom = last.Size
	now, bad, err := merkle.CheckFrom(ctx, store, l, last, pinned)
	if err != nil {
		return nil, fmt.Errorf("check the Merkle log: %w", err)
	}
	if bad != nil {
		return nil, exitError{code: exitTampered, msg: fmt.Sprintf("the ledger's Merkle log is broken at leaf %d (position %s): %s; nothing was read. Run 'grantledger verify'; --no-verify reads it anyway", bad.Index, bad.Position, bad.Problem)}
	}
	if snaps != nil && now != last {
		if ro, ok := store.(interface{ ReadOnlyReason() string }); !ok || ro.ReadOnlyReason() == "" {
			if err := snaps.SaveSnapshot(ctx, verifiedName, domain.Position{Commit: uint64(now.Size), Prepare: uint64(now.Size)}, now.MarshalBinary()); err != nil {
				return nil, fmt.Errorf("record the verified point: %w", err)
			}
		}
	}
	a.verifiedAt = now
	return &merkle.Checkpoint{Size: now.Size, Root: now.Root}, nil
}

// checkLeaves checks that each event (of a store that keeps the tree and
// numbers positions from 1 in leaf order) hashes to its stored leaf.
func (a *app) checkLeaves(ctx context.Context, store domain.EventStore, evs []domain.RecordedEvent) error {
	l, ok := store.(merkle.Log)
	if !ok || a.noVerify || len(evs) == 0 {
		return nil
	}
	n, err := l.TreeSize(ctx)
	if err != nil {
		return err
	}
	idx := make([]int64, len(evs))
	for i, e := range evs {
		if e.Position.Commit == 0 || int64(e.Position.Commit) > n {
			return exitError{code: exitTampered, msg: fmt.Sprintf("event %s (stream %s revision %d) is at position %s, outside the Merkle tree of %d leaves: it was added without its tree rows; nothing was shown. --no-verify reads it anyway", e.ID, e.Stream, e.Revision, e.Position, n)}
		}
		idx[i] = tlog.StoredHashIndex(0, int64(e.Position.Commit)-1)
	}
	stored, err := l.ReadTreeHashes(ctx, idx)
	if err != nil {
		return err
	}
	for i, e := range evs {
		if merkle.LeafHash(e) != stored[i] {
			return exitError{code: exitTampered, msg: fmt.Sprintf("event %s (stream %s revision %d, position %s) does not hash to the leaf stored when it was appended: it was edited or moved; nothing was shown. Run 'grantledger verify'; --no-verify reads it anyway", e.ID, e.Stream, e.Revision, e.Position)}
		}
	}
	return nil
}
