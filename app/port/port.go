// Package port is the event store port whole: the one interface every
// store the project ships implements (adapters/sqlite, adapters/esdb,
// adapters/memstore) and every store decorator implements in full
// (adapters/metrics, adapters/groupcommit), each with a compile-time
// assertion. The application floor (app/command, app/readmodel,
// app/merkle, app/migrate) takes it, or the part of it it declares
// (merkle.Store), statically: no capability is found by probing a store's
// type at run time.
//
// A store that lacks an optional capability says so in Offers, and its
// method for it does nothing and returns a *domain.NotOfferedError
// (errors.Is domain.ErrNotOffered). The methods every store can answer
// truthfully have no flag: a store without a write lock answers
// GuardsUnderLock false, one without an append size limit MaxAppendBytes
// 0, one that had its tree from the first event Sealed 0, one that can
// always be written ReadOnlyReason "" and ReadOnlyError nil.
//
// The contract suite (internal/testsupport/storetest) runs against every store, and
// checks that what a store's Offers say matches what its methods do.
package port

import (
	"context"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// Store is the event store port.
type Store interface {
	domain.EventStore

	// AppendBatch: see domain.BatchAppender (Offers.Batch).
	domain.BatchAppender
	// AppendGuarded: see domain.GuardedAppender (Offers.Guards).
	domain.GuardedAppender
	// GuardsUnderLock: see domain.LockedGuards. A caller takes it only
	// with Offers.Guards (a test double that hides guards may pass the
	// answer of the store it wraps through).
	domain.LockedGuards
	// KeepsLedgerRules: see domain.RulesKeeper.
	domain.RulesKeeper

	// The Merkle log over the events, and Offers.
	merkle.Tree

	Snapshots

	// ReadAllInto is ReadAll into memory the caller lends and reuses
	// (Offers.LendsPages): events read so are valid only until their page
	// is lent again.
	ReadAllInto(ctx context.Context, from domain.Position, max int, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error)

	// ReadOnlyError is the error an append would return when the store was
	// opened read-only (nil when it can be written), so that a program
	// that only writes refuses once, before reading its input.
	ReadOnlyError() error

	// MaxAppendBytes is the largest append the store takes in one call
	// (data + metadata + 2 x type length of every event); 0: no limit.
	MaxAppendBytes() int

	// Backup writes a consistent copy of the store to a new file at path
	// (Offers.Backup).
	Backup(ctx context.Context, path string) error
}

// NamedSnapshot is one snapshot of a SaveSnapshots batch: what
// SaveSnapshot takes.
type NamedSnapshot struct {
	Name     string
	Position domain.Position
	Blob     []byte
}

// Snapshots keeps named blobs with the position they were built up to,
// both written in one call (Offers.Snapshots).
type Snapshots interface {
	// SaveSnapshot writes blob under name with position.
	SaveSnapshot(ctx context.Context, name string, position domain.Position, blob []byte) error
	// LoadSnapshot returns what was saved under name; ok is false, with
	// no error, when nothing was.
	LoadSnapshot(ctx context.Context, name string) (position domain.Position, blob []byte, ok bool, err error)
	// ReadSnapshot lends the saved blob to fn for the time of the call
	// instead of copying it (Offers.LendsSnapshots).
	ReadSnapshot(ctx context.Context, name string, fn func(position domain.Position, blob []byte) error) (ok bool, err error)
	// SaveSnapshots writes every snapshot of batch, in order, in one
	// commit (Offers.SnapshotBatches): after a crash all of them are
	// saved or none is, and one durable write serves them all. A name
	// given twice keeps its last blob.
	SaveSnapshots(ctx context.Context, batch []NamedSnapshot) error
	// ReadOnlyReason says why snapshots cannot be saved ("" when they can).
	ReadOnlyReason() string
	// Offers says which of these the store has.
	Offers() domain.Offers
}
