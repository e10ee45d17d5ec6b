package readmodel

import (
	"context"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// Store is everything the read model asks of an event store, declared
// here, by its consumer: the events in global order (domain.EventStore),
// read into lent pages (ReadAllInto); the Merkle log a snapshot is bound
// to (merkle.Log: its size and root at the snapshot's position); and the
// snapshot table (SnapshotStore: left alone when the store is open
// read-only), read without a copy (ReadSnapshot).
//
// The embedded store (sqlite.Store) implements all of it. Until every
// store does (memstore and EventStoreDB lack the lent reads and,
// memstore, the snapshot table; the metrics and group-commit decorators
// forward none of it), New takes a domain.EventStore and finds
// these parts by interface assertions (New, Load, catchUp, bindTree,
// checkTree, CheckSnapshot, SnapshotTree); a store without a part gets the
// documented fallback (no snapshot, pages allocated, no tree header). Once
// the stores' port includes Store, New takes a Store and the assertions go.
type Store interface {
	domain.EventStore
	merkle.Log
	SnapshotStore
	ReadSnapshot(ctx context.Context, name string, fn func(position domain.Position, blob []byte) error) (ok bool, err error)
	ReadAllInto(ctx context.Context, from domain.Position, max int, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error)
}

var (
	_ pageReader     = Store(nil)
	_ snapshotReader = Store(nil)
)
