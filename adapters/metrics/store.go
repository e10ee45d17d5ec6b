package metrics

import (
	"context"
	"time"

	"github.com/grantledger/grantledger/domain"
)

// Store measures an event store: append and read latency, and events
// appended. It keeps domain.BatchAppender when the store it wraps has it,
// so group commit still works through the decorator.
type Store struct {
	inner domain.EventStore
	m     *Metrics
}

// batchStore is a Store whose inner store commits batches.
type batchStore struct {
	Store
	ba domain.BatchAppender
}

var (
	_ domain.EventStore      = (*Store)(nil)
	_ domain.BatchAppender   = (*batchStore)(nil)
	_ domain.GuardedAppender = (*guardedStore)(nil)
	_ domain.GuardedAppender = (*guardedBatchStore)(nil)
)

// guardedStore is a Store whose inner store checks append guards.
type guardedStore struct {
	Store
	ga domain.GuardedAppender
}

// guardedBatchStore has both.
type guardedBatchStore struct {
	batchStore
	ga domain.GuardedAppender
}

// WrapStore returns store measured by m. The result implements
// domain.BatchAppender and domain.GuardedAppender exactly when store does.
func WrapStore(store domain.EventStore, m *Metrics) domain.EventStore {
	s := Store{inner: store, m: m}
	ba, isBatch := store.(domain.BatchAppender)
	ga, isGuarded := store.(domain.GuardedAppender)
	switch {
	case isBatch && isGuarded:
		return &guardedBatchStore{batchStore: batchStore{Store: s, ba: ba}, ga: ga}
	case isBatch:
		return &batchStore{Store: s, ba: ba}
	case isGuarded:
		return &guardedStore{Store: s, ga: ga}
	}
	return &s
}

// AppendGuarded measures a guarded batch as the batch it is.
func (s *guardedStore) AppendGuarded(ctx context.Context, reqs []domain.AppendRequest, g domain.AppendGuard) ([]domain.AppendOutcome, error) {
	return s.Store.appendGuarded(ctx, s.ga, reqs, g)
}

// AppendGuarded measures a guarded batch as the batch it is.
func (s *guardedBatchStore) AppendGuarded(ctx context.Context, reqs []domain.AppendRequest, g domain.AppendGuard) ([]domain.AppendOutcome, error) {
	return s.Store.appendGuarded(ctx, s.ga, reqs, g)
}

// Unwrap returns the store being measured.
func (s *Store) Unwrap() domain.EventStore { return s.inner }

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
func (s *batchStore) AppendBatch(ctx context.Context, reqs []domain.AppendRequest) ([]domain.AppendOutcome, error) {
	defer s.observe("append_batch", time.Now())
	outs, err := s.ba.AppendBatch(ctx, reqs)
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

func (s *Store) appendGuarded(ctx context.Context, ga domain.GuardedAppender, reqs []domain.AppendRequest, g domain.AppendGuard) ([]domain.AppendOutcome, error) {
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
func (s *Store) GuardsUnderLock() bool { return domain.GuardsUnderLock(s.inner) }

// KeepsLedgerRules implements domain.RulesKeeper for the store measured.
func (s *Store) KeepsLedgerRules() bool { return domain.KeepsLedgerRules(s.inner) }
