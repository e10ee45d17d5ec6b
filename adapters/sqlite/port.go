package sqlite

import (
	"context"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// The embedded store has the whole port and offers every optional
// capability.
var _ port.Store = (*Store)(nil)

// Offers implements port.Store: everything.
func (s *Store) Offers() domain.Offers {
	return domain.Offers{Batch: true, Guards: true, Snapshots: true, LendsSnapshots: true, SnapshotBatches: true,
		LendsPages: true, TreeRange: true, TreeRows: true, Backup: true}
}

// GuardsUnderLock is true: AppendGuarded checks the guard inside the
// write transaction, so across processes.
func (s *Store) GuardsUnderLock() bool { return true }

// KeepsLedgerRules is false: the rules are kept by guards under the write
// lock, not by the store on its own.
func (s *Store) KeepsLedgerRules() bool { return false }

// TreeSizeAt implements merkle.Positioner: positions count events from 1.
func (s *Store) TreeSizeAt(_ context.Context, position domain.Position) (int64, error) {
	return merkle.CountedSizeAt(position), nil
}

// LeafPosition implements merkle.Positioner: leaf i is at position i+1.
func (s *Store) LeafPosition(_ context.Context, i int64) (domain.Position, error) {
	return merkle.CountedPosition(i), nil
}

// MaxAppendBytes is 0: the embedded store takes appends of any size.
func (s *Store) MaxAppendBytes() int { return 0 }
