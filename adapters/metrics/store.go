package metrics

import (
	"context"
	"time"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// Store measures an event store: append and read latency, and events
// appended. It implements the whole port explicitly (a method added to
// the port cannot escape it), passing every call on to the store it
// wraps. It offers batches and guards exactly when that store does, so
// group commit still works through it, and no snapshots or lent memory
// (the read paths that use them take the store itself); the Merkle log
// and the other answers are the wrapped store's.
type Store struct {
	inner port.Store
	m     *Metrics
}

var _ port.Store = (*Store)(nil)

// WrapStore returns store measured by m.
func WrapStore(store port.Store, m *Metrics) *Store {
	return &Store{inner: store, m: m}
}

// Offers implements port.Store: the wrapped store's batches, guards and
// snapshots.
func (s *Store) Offers() domain.Offers {
	o := s.inner.Offers()
	return domain.Offers{Batch: o.Batch, Guards: o.Guards, Snapshots: o.Snapshots, LendsSnapshots: o.LendsSnapshots, SnapshotBatches: o.SnapshotBatches}
}

// AppendGuarded measures a guarded batch as the batch it is.
func (s *Store) AppendGuarded(ctx context.Context, reqs []domain.AppendRequest, g domain.AppendGuard) ([]domain.AppendOutcome, error) {
	if !s.inner.Offers().Guards {
		return nil, domain.NotOffered("the measured store", "AppendGuarded")
	}
	return s.appendGuarded(ctx, s.inner, reqs, g)
}

// Unwrap returns the store being measured.
func (s *Store) Unwrap() port.Store { return s.inner }

func (s *Store) observe(op string, start time.Time) {
	s.m.storeObserver(op).Observe(time.Since(start).Seconds())
}

// Append implements domain.EventStore.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	defer s.observe("append", time.Now())
	res, err := s.inner.Append(ctx, stream, expected, events)
	if err == nil {
		s.m.eventsAppended.Add(float64(len(events)))
		s.m.noteHead(res.Position.Commit)
	}
	return res, err
}

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir domain.Direction, max int) ([]domain.RecordedEvent, error) {
	defer s.observe("read_stream", time.Now())
	return s.inner.ReadStream(ctx, stream, from, dir, max)
}

// ReadAll implements domain.EventStore.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	defer s.observe("read_all", time.Now())
	evs, err := s.inner.ReadAll(ctx, from, max)
	if len(evs) > 0 {
		s.m.noteHead(evs[len(evs)-1].Position.Commit)
	}
	return evs, err
}

// Subscribe implements domain.EventStore (not measured).
func (s *Store) Subscribe(ctx context.Context, from domain.Position, streamPrefix string) (domain.Subscription, error) {
	return s.inner.Subscribe(ctx, from, streamPrefix)
}

// Close implements domain.EventStore.
func (s *Store) Close() error { return s.inner.Close() }

// AppendBatch implements domain.BatchAppender.
func (s *Store) AppendBatch(ctx context.Context, reqs []domain.AppendRequest) ([]domain.AppendOutcome, error) {
	if !s.inner.Offers().Batch {
		return nil, domain.NotOffered("the measured store", "AppendBatch")
	}
	defer s.observe("append_batch", time.Now())
	outs, err := s.inner.AppendBatch(ctx, reqs)
	if err != nil {
		return outs, err
	}
	n := 0
	for i, o := range outs {
		if o.Err == nil {
			n += len(reqs[i].Events)
			s.m.noteHead(o.Result.Position.Commit)
		}
	}
	s.m.eventsAppended.Add(float64(n))
	return outs, nil
}

func (s *Store) appendGuarded(ctx context.Context, ga port.Store, reqs []domain.AppendRequest, g domain.AppendGuard) ([]domain.AppendOutcome, error) {
	// One command's append is measured as an append, a batch as a batch,
	// as without the guard.
	op := "append_batch"
	if len(reqs) == 1 {
		op = "append"
	}
	defer s.observe(op, time.Now())
	outs, err := ga.AppendGuarded(ctx, reqs, g)
	if err != nil {
		return outs, err
	}
	n := 0
	for i, o := range outs {
		if o.Err == nil && !o.Result.Existing {
			n += len(reqs[i].Events)
			s.m.noteHead(o.Result.Position.Commit)
		}
	}
	s.m.eventsAppended.Add(float64(n))
	return outs, nil
}

// GuardsUnderLock implements domain.LockedGuards for the store measured.
func (s *Store) GuardsUnderLock() bool {
	return s.inner.Offers().Guards && s.inner.GuardsUnderLock()
}

// KeepsLedgerRules implements domain.RulesKeeper for the store measured.
func (s *Store) KeepsLedgerRules() bool { return s.inner.KeepsLedgerRules() }

// The Merkle log and the other answers are the measured store's (not
// measured).

// TreeSize implements merkle.Log.
func (s *Store) TreeSize(ctx context.Context) (int64, error) { return s.inner.TreeSize(ctx) }

// ReadTreeHashes implements merkle.Log.
func (s *Store) ReadTreeHashes(ctx context.Context, indexes []int64) ([]merkle.Hash, error) {
	return s.inner.ReadTreeHashes(ctx, indexes)
}

// TreeSizeAt implements merkle.Positioner.
func (s *Store) TreeSizeAt(ctx context.Context, position domain.Position) (int64, error) {
	return s.inner.TreeSizeAt(ctx, position)
}

// LeafPosition implements merkle.Positioner.
func (s *Store) LeafPosition(ctx context.Context, i int64) (domain.Position, error) {
	return s.inner.LeafPosition(ctx, i)
}

// Sealed implements merkle.Sealer.
func (s *Store) Sealed(ctx context.Context) (int64, error) { return s.inner.Sealed(ctx) }

// LeafIndex implements merkle.Indexer.
func (s *Store) LeafIndex(ctx context.Context, id [16]byte) (int64, error) {
	return s.inner.LeafIndex(ctx, id)
}

// ReadTreeRange is not offered through the decorator.
func (s *Store) ReadTreeRange(context.Context, int64, func(int64, merkle.Hash) bool) error {
	return domain.NotOffered("the measured store", "ReadTreeRange")
}

// ReadTreeRows is not offered through the decorator.
func (s *Store) ReadTreeRows(context.Context, int64, int64, func(int64, []byte) error) error {
	return domain.NotOffered("the measured store", "ReadTreeRows")
}

// Snapshots go straight to the measured store, when it keeps them (the
// server's command-id index is saved through here); they are not measured.

// SaveSnapshot implements port.Snapshots.
func (s *Store) SaveSnapshot(ctx context.Context, snap string, pos domain.Position, blob []byte) error {
	if !s.inner.Offers().Snapshots {
		return domain.NotOffered("the measured store", "SaveSnapshot")
	}
	return s.inner.SaveSnapshot(ctx, snap, pos, blob)
}

// SaveSnapshots implements port.Snapshots.
func (s *Store) SaveSnapshots(ctx context.Context, batch []port.NamedSnapshot) error {
	if !s.inner.Offers().SnapshotBatches {
		return domain.NotOffered("the measured store", "SaveSnapshots")
	}
	return s.inner.SaveSnapshots(ctx, batch)
}

// LoadSnapshot implements port.Snapshots.
func (s *Store) LoadSnapshot(ctx context.Context, snap string) (domain.Position, []byte, bool, error) {
	if !s.inner.Offers().Snapshots {
		return domain.Position{}, nil, false, domain.NotOffered("the measured store", "LoadSnapshot")
	}
	return s.inner.LoadSnapshot(ctx, snap)
}

// ReadSnapshot implements port.Snapshots.
func (s *Store) ReadSnapshot(ctx context.Context, snap string, fn func(domain.Position, []byte) error) (bool, error) {
	if !s.inner.Offers().LendsSnapshots {
		return false, domain.NotOffered("the measured store", "ReadSnapshot")
	}
	return s.inner.ReadSnapshot(ctx, snap, fn)
}

// ReadOnlyReason is the measured store's.
func (s *Store) ReadOnlyReason() string { return s.inner.ReadOnlyReason() }

// ReadOnlyError is the measured store's.
func (s *Store) ReadOnlyError() error { return s.inner.ReadOnlyError() }

// ReadAllInto is not offered through the decorator.
func (s *Store) ReadAllInto(_ context.Context, _ domain.Position, _ int, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error) {
	return evs, buf, domain.NotOffered("the measured store", "ReadAllInto")
}

// MaxAppendBytes is the measured store's.
func (s *Store) MaxAppendBytes() int { return s.inner.MaxAppendBytes() }

// Backup is not offered through the decorator.
func (s *Store) Backup(context.Context, string) error {
	return domain.NotOffered("the measured store", "Backup")
}
