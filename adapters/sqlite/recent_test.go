package sqlite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// A guard is given the events after its position. When they are the ones
// this connection has just committed (the server's handlers build their
// guards while the commit before theirs is written), the writer gives
// them from memory instead of reading them back (docs/STORAGE.md, "Schema
// versions and retried appends"). The events must be exactly those
// ReadAll returns.
func TestGuardGivenTheLastCommitWithoutARead(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	reqs := []domain.AppendRequest{
		{Stream: "agreement-a", Expected: domain.NoStream, Events: oneEvent(`{"n":1}`)},
		{Stream: "agreement-b", Expected: domain.NoStream, Events: oneEvent(`{"n":2}`)},
		{Stream: "agreement-c", Expected: domain.NoStream, Events: append(oneEvent(`{"n":3}`), oneEvent(`{"n":4}`)...)},
	}
	out, err := s.AppendBatch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		if o.Err != nil {
			t.Fatalf("append %d: %v", i, o.Err)
		}
	}
	// The caller may reuse its buffers once the append returned.
	for _, r := range reqs {
		for _, e := range r.Events {
			clear(e.Data)
		}
	}
	first := out[0].Result.Position
	for _, after := range []domain.Position{{}, first, out[2].Result.Position} {
		want, err := s.ReadAll(ctx, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		reads := s.guardReads
		var got []domain.RecordedEvent
		_, err = s.AppendGuarded(ctx, []domain.AppendRequest{{Stream: "agreement-d", Expected: domain.Any, Events: oneEvent(`{"n":5}`)}},
			domain.AppendGuard{After: after, Check: func(newer []domain.RecordedEvent) error {
				got = newer
				return domain.ErrGuardRefused // write nothing: the next round sees the same events
			}})
		if !errors.Is(err, domain.ErrGuardRefused) {
			t.Fatalf("after %v: AppendGuarded = %v, want the guard's refusal", after, err)
		}
		if err := sameEvents(got, want); err != nil {
			t.Errorf("after %v: the guard was given %v", after, err)
		}
		if s.guardReads != reads {
			t.Errorf("after %v: the guard read %d times from the file; the events were this connection's last commit", after, s.guardReads-reads)
		}
	}
}

// TestGuardEventsAsReadAll runs random appends (some refused for their
// revision or a repeated event id, some guards refusing the whole batch,
// some written by another connection in between) and checks that every
// guard is given exactly what ReadAll returned just before its append,
// whether from memory or from the file; both ways must be taken.
func TestGuardEventsAsReadAll(t *testing.T) {
	t.Run("bounds as built", testGuardEventsAsReadAll)
	t.Run("bounds of a few events", func(t *testing.T) {
		defer func(n, b int) { recentMaxEvents, recentMaxBytes = n, b }(recentMaxEvents, recentMaxBytes)
		recentMaxEvents, recentMaxBytes = 6, 4<<10
		testGuardEventsAsReadAll(t)
	})
	t.Run("batches of more than 3 not kept", func(t *testing.T) {
		defer func(n int) { recentMaxRequests = n }(recentMaxRequests)
		recentMaxRequests = 3
		testGuardEventsAsReadAll(t)
	})
}

func testGuardEventsAsReadAll(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	other, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	rng := rand.New(rand.NewPCG(17, 4))
	const streams = 6
	last := make([]int64, streams) // each stream's last revision as the test wrote it
	for i := range last {
		last[i] = -1
	}
	var positions []domain.Position // every position written, to pick guards' positions from
	positions = append(positions, domain.Position{})
	event := func(k int) domain.EventData {
		return domain.EventData{ID: uuid.New(), Type: "Tested", Data: fmt.Appendf(nil, `{"k":%d,"pad":%q}`, k, bytes.Repeat([]byte{'x'}, rng.IntN(300))), Metadata: []byte(`{"m":1}`)}
	}
	request := func(k int) (domain.AppendRequest, int) {
		st := rng.IntN(streams)
		exp := domain.NoStream
		if last[st] >= 0 {
			exp = domain.Exact(uint64(last[st]))
		}
		if rng.IntN(8) == 0 {
			exp = domain.Exact(uint64(last[st] + 5)) // refused: a stale revision
		}
		evs := []domain.EventData{event(k)}
		for range rng.IntN(3) {
			evs = append(evs, event(k))
		}
		if len(evs) > 1 && rng.IntN(8) == 0 {
			evs[len(evs)-1].ID = evs[0].ID // refused: an id twice, after the first was inserted
		}
		return domain.AppendRequest{Stream: fmt.Sprintf("agreement-%d", st), Expected: exp, Events: evs}, st
	}
	record := func(reqs []domain.AppendRequest, sts []int, out []domain.AppendOutcome) {
		for i, o := range out {
			if o.Err == nil && !o.Result.Existing {
				last[sts[i]] = int64(o.Result.NextRevision)
				positions = append(positions, o.Result.Position)
			}
		}
	}
	fromMemory, fromFile := 0, 0
	for k := range 400 {
		switch rng.IntN(10) {
		case 0: // another connection writes
			r, st := request(k)
			r.Expected = domain.Any
			res, err := other.Append(ctx, r.Stream, r.Expected, r.Events)
			if err == nil {
				last[st] = int64(res.NextRevision)
				positions = append(positions, res.Position)
			}
		case 1, 2, 3: // a plain batch
			var reqs []domain.AppendRequest
			var sts []int
			for range 1 + rng.IntN(5) {
				r, st := request(k)
				reqs, sts = append(reqs, r), append(sts, st)
			}
			out, err := s.AppendBatch(ctx, reqs)
			if err != nil {
				t.Fatal(err)
			}
			record(reqs, sts, out)
		default: // a guarded batch
			after := positions[len(positions)-1-rng.IntN(min(len(positions), 6))]
			if rng.IntN(20) == 0 {
				after = positions[rng.IntN(len(positions))]
			}
			want, err := s.ReadAll(ctx, after, 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			var reqs []domain.AppendRequest
			var sts []int
			for range 1 + rng.IntN(5) {
				r, st := request(k)
				reqs, sts = append(reqs, r), append(sts, st)
			}
			refuse := rng.IntN(6) == 0
			var got []domain.RecordedEvent
			called := false
			reads := s.guardReads
			out, err := s.AppendGuarded(ctx, reqs, domain.AppendGuard{After: after, Check: func(newer []domain.RecordedEvent) error {
				got, called = newer, true
				if refuse {
					return domain.ErrGuardRefused
				}
				return nil
			}})
			if !called {
				t.Fatalf("step %d: the guard was not called", k)
			}
			if s.guardReads == reads {
				fromMemory++
			} else {
				fromFile++
			}
			if len(s.recent.evs) > 2*recentMaxEvents || s.recent.bytes > 2*recentMaxBytes {
				t.Fatalf("step %d: %d events of %d bytes kept, over twice the bounds (%d, %d)", k, len(s.recent.evs), s.recent.bytes, recentMaxEvents, recentMaxBytes)
			}
			if err := sameEvents(got, want); err != nil {
				var gp, wp []uint64
				for _, e := range got {
					gp = append(gp, e.Position.Commit)
				}
				for _, e := range want {
					wp = append(wp, e.Position.Commit)
				}
				t.Fatalf("step %d, after %v: the guard was given %v (positions %v, want %v)", k, after, err, gp, wp)
			}
			if refuse {
				if !errors.Is(err, domain.ErrGuardRefused) {
					t.Fatalf("step %d: AppendGuarded = %v, want the guard's refusal", k, err)
				}
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			record(reqs, sts, out)
		}
	}
	if fromMemory == 0 || fromFile == 0 {
		t.Errorf("guards given their events from memory %d times and from the file %d times: both ways must be tested", fromMemory, fromFile)
	}
	t.Logf("guards served from memory %d times, from the file %d times", fromMemory, fromFile)
}

// sameEvents says how got differs from want, field by field, or nil.
func sameEvents(got, want []domain.RecordedEvent) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d events, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Stream != w.Stream || g.Revision != w.Revision || g.Position != w.Position || g.ID != w.ID || g.Type != w.Type ||
			!bytes.Equal(g.Data, w.Data) || !bytes.Equal(g.Metadata, w.Metadata) || !g.Created.Equal(w.Created) || g.Created.Location() != w.Created.Location() {
			return fmt.Errorf("event %d: %+v, want %+v", i, g, w)
		}
	}
	return nil
}
