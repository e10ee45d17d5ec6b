// Package memstore is an in-memory event store for tests and throw-away
// runs. It follows the same contract as the durable stores (see
// internal/testsupport/storetest) but keeps nothing when the process ends.
package memstore

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// Store is an in-memory domain.EventStore.
type Store struct {
	mu      sync.Mutex
	all     []domain.RecordedEvent
	streams map[string][]int                // stream -> indexes into all
	ids     map[string]map[uuid.UUID]uint64 // stream -> event id -> revision
	changed chan struct{}                   // closed and replaced on every append
	closed  bool
	now     func() time.Time
	hashes  []merkle.Hash // the Merkle tree's stored hashes (see package merkle)
	tree    *merkle.Builder
}

var (
	_ domain.EventStore = (*Store)(nil)
	_ merkle.Log        = (*Store)(nil)
)

// New returns an empty store.
func New() *Store {
	return &Store{streams: map[string][]int{}, ids: map[string]map[uuid.UUID]uint64{}, changed: make(chan struct{}), now: time.Now, tree: merkle.NewBuilder(0, nil)}
}

// Append implements domain.EventStore.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return domain.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return domain.AppendResult{}, domain.Errorf(domain.EUnavailable, "store is closed")
	}
	idx := s.streams[stream]
	actual := int64(len(idx)) - 1
	// Idempotent retry: every event id already in the stream, in order.
	if len(events) > 0 && len(idx) > 0 {
		if res, ok := s.retried(idx, events); ok {
			return res, nil
		}
	}
	if !expected.Allows(actual) {
		return domain.AppendResult{}, &domain.ConcurrencyError{Stream: stream, Expected: expected, Actual: actual}
	}
	if len(events) == 0 {
		return domain.AppendResult{NextRevision: uint64(actual), Position: s.lastPos()}, nil
	}
	// An id already in the stream, other than in an identical retry, is
	// refused: no event id appears twice in a stream.
	seen := make(map[uuid.UUID]struct{}, len(events))
	for _, e := range events {
		if rev, ok := s.ids[stream][e.ID]; ok {
			return domain.AppendResult{}, fmt.Errorf("append %s: event %s is already in the stream at revision %d and this append is not an identical retry: %w", stream, e.ID, rev, domain.ErrDuplicate)
		}
		if _, ok := seen[e.ID]; ok {
			return domain.AppendResult{}, fmt.Errorf("append %s: event %s appears twice in one append: %w", stream, e.ID, domain.ErrDuplicate)
		}
		seen[e.ID] = struct{}{}
	}
	if s.ids[stream] == nil {
		s.ids[stream] = map[uuid.UUID]uint64{}
	}
	now := s.now().UTC()
	for _, e := range events {
		pos := uint64(len(s.all) + 1)
		s.all = append(s.all, domain.RecordedEvent{
			Stream: stream, Revision: uint64(len(s.streams[stream])),
			Position: domain.Position{Commit: pos, Prepare: pos},
			ID:       e.ID, Type: e.Type,
			Data: append([]byte(nil), e.Data...), Metadata: append([]byte(nil), e.Metadata...),
			Created: now,
		})
		s.ids[stream][e.ID] = uint64(len(s.streams[stream]))
		s.streams[stream] = append(s.streams[stream], len(s.all)-1)
		hs, err := s.tree.Add(merkle.LeafHash(s.all[len(s.all)-1]))
		if err != nil {
			panic(err) // the builder saw every leaf: it never needs to read
		}
		s.hashes = append(s.hashes, hs...)
	}
	close(s.changed)
	s.changed = make(chan struct{})
	last := s.all[len(s.all)-1]
	return domain.AppendResult{NextRevision: last.Revision, Position: last.Position}, nil
}

func (s *Store) retried(idx []int, events []domain.EventData) (domain.AppendResult, bool) {
	for start := range idx {
		if s.all[idx[start]].ID != events[0].ID {
			continue
		}
		if start+len(events) > len(idx) {
			return domain.AppendResult{}, false
		}
		for i, e := range events {
			if s.all[idx[start+i]].ID != e.ID {
				return domain.AppendResult{}, false
			}
		}
		last := s.all[idx[start+len(events)-1]]
		return domain.AppendResult{NextRevision: last.Revision, Position: last.Position, Existing: true}, true
	}
	return domain.AppendResult{}, false
}

func (s *Store) lastPos() domain.Position {
	if len(s.all) == 0 {
		return domain.Position{}
	}
	return s.all[len(s.all)-1].Position
}

// ReadStream implements domain.EventStore.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir domain.Direction, max int) ([]domain.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.streams[stream]
	if len(idx) == 0 {
		return nil, domain.ErrNotFound
	}
	if max <= 0 {
		max = math.MaxInt
	}
	var out []domain.RecordedEvent
	if dir == domain.Forwards {
		for r := from; r < uint64(len(idx)) && len(out) < max; r++ {
			out = append(out, clone(s.all[idx[r]]))
		}
		return out, nil
	}
	start := int64(len(idx)) - 1
	if from < uint64(len(idx)) {
		start = int64(from)
	}
	for r := start; r >= 0 && len(out) < max; r-- {
		out = append(out, clone(s.all[idx[r]]))
	}
	return out, nil
}

// ReadAll implements domain.EventStore.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if max <= 0 {
		max = math.MaxInt
	}
	start := int(from.Commit) // positions are index+1
	if start > len(s.all) {
		return nil, nil
	}
	end := len(s.all)
	if max < end-start { // not start+max, which overflows for max = MaxInt
		end = start + max
	}
	out := make([]domain.RecordedEvent, 0, end-start)
	for _, e := range s.all[start:end] {
		out = append(out, clone(e))
	}
	return out, nil
}

// clone returns e with its own copy of the data and metadata bytes, so that
// a caller changing them does not change the store.
func clone(e domain.RecordedEvent) domain.RecordedEvent {
	e.Data = append([]byte(nil), e.Data...)
	e.Metadata = append([]byte(nil), e.Metadata...)
	return e
}

// Subscribe implements domain.EventStore.
func (s *Store) Subscribe(ctx context.Context, from domain.Position, prefix string) (domain.Subscription, error) {
	return &sub{s: s, next: from, prefix: prefix, done: make(chan struct{})}, nil
}

type sub struct {
	s      *Store
	next   domain.Position
	prefix string
	buf    []domain.RecordedEvent
	done   chan struct{}
	once   sync.Once
}

func (u *sub) Next(ctx context.Context) (domain.RecordedEvent, error) {
	for {
		for len(u.buf) > 0 {
			e := u.buf[0]
			u.buf = u.buf[1:]
			u.next = e.Position
			if strings.HasPrefix(e.Stream, u.prefix) {
				return e, nil
			}
		}
		u.s.mu.Lock()
		wait := u.s.changed
		u.s.mu.Unlock()
		evs, err := u.s.ReadAll(ctx, u.next, 512)
		if err != nil {
			return domain.RecordedEvent{}, err
		}
		if len(evs) > 0 {
			u.buf = evs
			continue
		}
		select {
		case <-ctx.Done():
			return domain.RecordedEvent{}, ctx.Err()
		case <-u.done:
			return domain.RecordedEvent{}, domain.Errorf(domain.EUnavailable, "subscription closed")
		case <-wait:
		}
	}
}

func (u *sub) Close() error {
	u.once.Do(func() { close(u.done) })
	return nil
}

// Close implements domain.EventStore.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

// TreeSize implements merkle.Log.
func (s *Store) TreeSize(ctx context.Context) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tree.Size(), nil
}

// ReadTreeHashes implements merkle.Log.
func (s *Store) ReadTreeHashes(ctx context.Context, indexes []int64) ([]merkle.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]merkle.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s.hashes)) {
			return nil, fmt.Errorf("tree hash %d is missing (the tree has %d stored hashes)", x, len(s.hashes))
		}
		out[i] = s.hashes[x]
	}
	return out, nil
}

// LeafIndex returns the leaf index of the event with the given id.
func (s *Store) LeafIndex(ctx context.Context, id [16]byte) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.all {
		if e.ID == id {
			return int64(i), nil
		}
	}
	return 0, fmt.Errorf("no event with id %x: %w", id, domain.ErrNotFound)
}
