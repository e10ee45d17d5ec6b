package esdb

import (
	"context"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// The EventStoreDB store has the whole port. It offers guards (kept by
// reservation streams, without a write lock) and snapshots (files beside
// the tree cache); it has no multi-stream transaction, so *Store does not
// offer batches (Concurrent does), and it lends no memory.
var (
	_ port.Store = (*Store)(nil)
	_ port.Store = Concurrent{}
)

const name = "the EventStoreDB store"

// Offers implements port.Store.
func (s *Store) Offers() domain.Offers { return domain.Offers{Guards: true, Snapshots: true} }

// Offers implements port.Store: the store's, and batches.
func (c Concurrent) Offers() domain.Offers {
	o := c.Store.Offers()
	o.Batch = true
	return o
}

// AppendBatch is not offered by *Store (see Concurrent).
func (s *Store) AppendBatch(context.Context, []domain.AppendRequest) ([]domain.AppendOutcome, error) {
	return nil, domain.NotOffered(name, "AppendBatch")
}

// SaveSnapshots is not offered: each snapshot is a file of its own,
// replaced by a rename, and files give no commit over many.
func (s *Store) SaveSnapshots(context.Context, []port.NamedSnapshot) error {
	return domain.NotOffered(name, "SaveSnapshots")
}

// Sealed is 0: the tree cache covers every event from the first.
func (s *Store) Sealed(context.Context) (int64, error) { return 0, nil }

// ReadTreeRange is not offered.
func (s *Store) ReadTreeRange(context.Context, int64, func(int64, merkle.Hash) bool) error {
	return domain.NotOffered(name, "ReadTreeRange")
}

// ReadTreeRows is not offered.
func (s *Store) ReadTreeRows(context.Context, int64, int64, func(int64, []byte) error) error {
	return domain.NotOffered(name, "ReadTreeRows")
}

// ReadSnapshot is not offered: LoadSnapshot returns a copy.
func (s *Store) ReadSnapshot(context.Context, string, func(domain.Position, []byte) error) (bool, error) {
	return false, domain.NotOffered(name, "ReadSnapshot")
}

// ReadAllInto is not offered.
func (s *Store) ReadAllInto(_ context.Context, _ domain.Position, _ int, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error) {
	return evs, buf, domain.NotOffered(name, "ReadAllInto")
}

// ReadOnlyError is nil: appends go to the server, which answers for
// itself.
func (s *Store) ReadOnlyError() error { return nil }

// Backup is not offered: back the server up with its own tools
// (docs/EVENTSTOREDB.md).
func (s *Store) Backup(context.Context, string) error { return domain.NotOffered(name, "Backup") }
