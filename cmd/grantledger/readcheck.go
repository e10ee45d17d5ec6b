package main

import (
	"context"
	"errors"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
)

// errLogBroken stops a catch-up whose log check found a break; the break
// itself is the LeafCheck's.
var errLogBroken = errors.New("the Merkle log is broken")

// foldAndCheck brings the read model r up to date and checks the log over
// the events it folds, from the verified point from (the header of the
// snapshot r was restored from, or the zero point when r folds every
// event), in one pass: each event is read once, hashed by a check stage one
// batch ahead of the fold, and compared with its stored leaf
// (merkle.LeafCheck, the check merkle.CheckFrom makes, plus the root and,
// on the embedded store, every stored hash recomputed from the leaves). A
// break stops the fold before the batch that holds it and is exit 3, as in
// checkReads; nothing is shown and nothing saved. With --no-verify, or a
// store without the log, it only folds and lets checkReads say so.
func (a *app) foldAndCheck(ctx context.Context, store port.Store, r *readmodel.Runner, from merkle.Verified) (*merkle.Checkpoint, error) {
	l := store
	twoPasses := a.noVerify
	if !twoPasses {
		// One pass needs the fold to start at the check's first leaf; it
		// does whenever the snapshot's header was checked against its
		// position as it loaded. Otherwise fold, then check as before.
		at, err := merkle.PositionOf(ctx, l, from.Size)
		if err != nil {
			return nil, errorf("check the Merkle log: %w", err)
		}
		twoPasses = at != r.Checkpoint()
	}
	if twoPasses {
		if _, err := r.CatchUp(ctx); err != nil {
			return nil, errorf("bring the read model up to date: %w", err)
		}
		return a.checkReads(ctx, store, &from)
	}
	pinned, err := a.pinnedCheckpoints()
	if err != nil {
		return nil, err
	}
	a.checkedFrom = from.Size
	chk, bad, err := merkle.NewLeafCheck(ctx, l, from, pinned)
	if err != nil {
		return nil, errorf("check the Merkle log: %w", err)
	}
	if bad != nil {
		return nil, brokenLog(bad)
	}
	_, err = r.CatchUpChecked(ctx, func(evs []domain.RecordedEvent) error {
		bad, err := chk.Check(evs)
		if err != nil {
			return errorf("check the Merkle log: %w", err)
		}
		if bad != nil {
			return errLogBroken
		}
		return nil
	})
	if bad := chk.Bad(); bad != nil {
		return nil, brokenLog(bad)
	}
	if err != nil {
		return nil, errorf("bring the read model up to date: %w", err)
	}
	return a.logChecked(chk.Done())
}

// logChecked ends a read's log check: exit 3 on a break, else the point
// now verified becomes the read's state.
func (a *app) logChecked(now merkle.Verified, bad *merkle.Bad, err error) (*merkle.Checkpoint, error) {
	if err != nil {
		return nil, errorf("check the Merkle log: %w", err)
	}
	if bad != nil {
		return nil, brokenLog(bad)
	}
	a.verifiedAt = now
	return &merkle.Checkpoint{Size: now.Size, Root: now.Root}, nil
}

// brokenLog is the exit-3 refusal of a read whose log check found bad.
func brokenLog(bad *merkle.Bad) error {
	return exitf(exitTampered, "the ledger's Merkle log is broken at leaf %d (position %s): %s; nothing was read. Run 'grantledger verify'; --no-verify reads it anyway", bad.Index, bad.Position, bad.Problem)
}
