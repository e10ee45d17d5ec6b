package memstore

import (
	"context"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// memstore has the whole port; of the optional capabilities it offers
// none (Offers is empty): it appends one request at a time, checks no
// guards, keeps no snapshots and lends no memory.
var _ port.Store = (*Store)(nil)

const name = "memstore"

// Offers implements port.Store: nothing optional.
func (s *Store) Offers() domain.Offers { return domain.Offers{} }

// AppendBatch is not offered.
func (s *Store) AppendBatch(context.Context, []domain.AppendRequest) ([]domain.AppendOutcome, error) {
	return nil, domain.NotOffered(name, "AppendBatch")
}

// AppendGuarded is not offered.
func (s *Store) AppendGuarded(context.Context, []domain.AppendRequest, domain.AppendGuard) ([]domain.AppendOutcome, error) {
	return nil, domain.NotOffered(name, "AppendGuarded")
}

// GuardsUnderLock is false: memstore checks no guards.
func (s *Store) GuardsUnderLock() bool { return false }

// KeepsLedgerRules is false: memstore keeps no rule across writers.
func (s *Store) KeepsLedgerRules() bool { return false }

// TreeSizeAt implements merkle.Positioner: positions count events from 1.
func (s *Store) TreeSizeAt(_ context.Context, position domain.Position) (int64, error) {
	return merkle.CountedSizeAt(position), nil
}

// LeafPosition implements merkle.Positioner: leaf i is at position i+1.
func (s *Store) LeafPosition(_ context.Context, i int64) (domain.Position, error) {
	return merkle.CountedPosition(i), nil
}

// Sealed is 0: memstore has its tree from the first event.
func (s *Store) Sealed(context.Context) (int64, error) { return 0, nil }

// ReadTreeRange is not offered.
func (s *Store) ReadTreeRange(context.Context, int64, func(int64, merkle.Hash) bool) error {
	return domain.NotOffered(name, "ReadTreeRange")
}

// ReadTreeRows is not offered.
func (s *Store) ReadTreeRows(context.Context, int64, int64, func(int64, []byte) error) error {
	return domain.NotOffered(name, "ReadTreeRows")
}

// SaveSnapshot is not offered.
func (s *Store) SaveSnapshot(context.Context, string, domain.Position, []byte) error {
	return domain.NotOffered(name, "SaveSnapshot")
}

// SaveSnapshots is not offered.
func (s *Store) SaveSnapshots(context.Context, []port.NamedSnapshot) error {
	return domain.NotOffered(name, "SaveSnapshots")
}

// LoadSnapshot is not offered.
func (s *Store) LoadSnapshot(context.Context, string) (domain.Position, []byte, bool, error) {
	return domain.Position{}, nil, false, domain.NotOffered(name, "LoadSnapshot")
}

// ReadSnapshot is not offered.
func (s *Store) ReadSnapshot(context.Context, string, func(domain.Position, []byte) error) (bool, error) {
	return false, domain.NotOffered(name, "ReadSnapshot")
}

// ReadOnlyReason is "": memstore can always be written.
func (s *Store) ReadOnlyReason() string { return "" }

// ReadOnlyError is nil: memstore can always be written.
func (s *Store) ReadOnlyError() error { return nil }

// ReadAllInto is not offered.
func (s *Store) ReadAllInto(_ context.Context, _ domain.Position, _ int, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error) {
	return evs, buf, domain.NotOffered(name, "ReadAllInto")
}

// MaxAppendBytes is 0: no limit.
func (s *Store) MaxAppendBytes() int { return 0 }

// Backup is not offered.
func (s *Store) Backup(context.Context, string) error { return domain.NotOffered(name, "Backup") }
