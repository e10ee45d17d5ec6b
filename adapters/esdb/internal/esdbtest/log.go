package esdbtest

import (
	"sort"

	"github.com/google/uuid"
)

// firstPosition is the log offset of the first record the server writes.
// A real database starts its transaction log with an epoch record and
// system events, so no event ever sits at position 0/0 (which clients use
// to mean "the start of $all").
const firstPosition = 1024

// recordOverhead is the fixed size, in bytes, the emulated log charges for
// one event record on top of its variable-length fields. It only spaces the
// positions out like byte offsets; nothing depends on its value.
const recordOverhead = 96

// record is one event in the emulated transaction log.
type record struct {
	stream      string
	revision    uint64
	id          uuid.UUID
	typ         string
	contentType string
	data        []byte
	custom      []byte
	created     int64 // 100 ns ticks since the Unix epoch
	commit      uint64
	prepare     uint64
	end         uint64 // log offset right after the record (the next one's)
}

// less orders records, and positions, as $all does: by commit position,
// then prepare position.
func less(c1, p1, c2, p2 uint64) bool {
	if c1 != c2 {
		return c1 < c2
	}
	return p1 < p2
}

// proposed is an event of an append request, already validated.
type proposed struct {
	id          uuid.UUID
	typ         string
	contentType string
	data        []byte
	custom      []byte
}

// appendOutcome is what an append did.
type appendOutcome struct {
	written    bool  // false for an idempotent repeat or a mismatch
	mismatch   bool  // the expected revision did not hold
	current    int64 // stream revision after the append (-1: no stream)
	commit     uint64
	prepare    uint64
	hasPos     bool
	idempotent bool
}

// expectation is an append's expected revision, decoded from the request.
type expectation struct {
	kind     int // expectAny, expectNoStream, expectExists, expectExact
	revision uint64
}

const (
	expectAny = iota
	expectNoStream
	expectExists
	expectExact
)

// appendLocked applies EventStoreDB's write rules to one append. The
// caller holds s.mu.
//
// The rules, as the database documents them for idempotent writes:
//   - exact revision r (and no-stream, which is r = -1): if the stream is
//     at r the events are written. If the stream is further on and the
//     events right after r carry the same ids, in the same order, the
//     append is an idempotent repeat and succeeds without writing. Anything
//     else is a wrong expected version.
//   - any, stream-exists: if the first event's id is already in the stream
//     and every following event matches the events after it, the append is
//     a repeat. If only some match, it is refused as a wrong expected
//     version (a corrupted repeat). Otherwise the events are written
//     (stream-exists first requires the stream to exist).
func (s *Server) appendLocked(stream string, exp expectation, evs []proposed, now int64) appendOutcome {
	idx := s.streams[stream]
	current := int64(len(idx)) - 1
	mismatch := appendOutcome{mismatch: true, current: current}

	switch exp.kind {
	case expectNoStream, expectExact:
		want := int64(-1)
		if exp.kind == expectExact {
			want = int64(exp.revision)
		}
		if current == want {
			break
		}
		if current > want && len(evs) > 0 {
			if out, ok := s.repeatAt(idx, want+1, evs); ok {
				return out
			}
		}
		return mismatch
	case expectAny, expectExists:
		if exp.kind == expectExists && current < 0 {
			return mismatch
		}
		if len(evs) > 0 && current >= 0 {
			if at, found := s.find(idx, evs[0].id); found {
				if out, ok := s.repeatAt(idx, at, evs); ok {
					return out
				}
				return mismatch
			}
		}
	}

	if len(evs) == 0 {
		out := appendOutcome{current: current}
		if current >= 0 {
			last := s.log[idx[current]]
			out.commit, out.prepare, out.hasPos = last.commit, last.prepare, true
		}
		return out
	}
	// gRPC appends on a real server write self-committed prepares (no
	// explicit transaction): every event's commit position is its own
	// prepare position, and the append answers the last event's position.
	for _, e := range evs {
		r := record{
			stream: stream, revision: uint64(len(s.streams[stream])),
			id: e.id, typ: e.typ, contentType: e.contentType,
			data: e.data, custom: e.custom, created: now,
			commit: s.next, prepare: s.next,
		}
		s.next += uint64(recordOverhead + len(stream) + len(e.typ) + len(e.data) + len(e.custom))
		r.end = s.next
		s.log = append(s.log, r)
		s.streams[stream] = append(s.streams[stream], len(s.log)-1)
	}
	last := s.log[len(s.log)-1]
	close(s.changed)
	s.changed = make(chan struct{})
	return appendOutcome{written: true, current: int64(last.revision), commit: last.commit, prepare: last.prepare, hasPos: true}
}

// repeatAt reports whether evs are exactly the events of the stream from
// revision at on, and if so the outcome of an idempotent repeat.
func (s *Server) repeatAt(idx []int, at int64, evs []proposed) (appendOutcome, bool) {
	if at < 0 || at+int64(len(evs)) > int64(len(idx)) {
		return appendOutcome{}, false
	}
	for i, e := range evs {
		if s.log[idx[at+int64(i)]].id != e.id {
			return appendOutcome{}, false
		}
	}
	last := s.log[idx[at+int64(len(evs))-1]]
	return appendOutcome{idempotent: true, current: int64(last.revision), commit: last.commit, prepare: last.prepare, hasPos: true}, true
}

// find returns the revision of the event with id in the stream.
func (s *Server) find(idx []int, id uuid.UUID) (int64, bool) {
	for r, i := range idx {
		if s.log[i].id == id {
			return int64(r), true
		}
	}
	return 0, false
}

// searchLocked returns the index of the first record at or after the
// position (inclusive), or after it (exclusive).
func (s *Server) searchLocked(commit, prepare uint64, inclusive bool) int {
	return sort.Search(len(s.log), func(i int) bool {
		r := s.log[i]
		if inclusive {
			return !less(r.commit, r.prepare, commit, prepare)
		}
		return less(commit, prepare, r.commit, r.prepare)
	})
}
