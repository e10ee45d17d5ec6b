package storetest

import (
	"errors"
	"fmt"
	"math"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

func testReadStreamForwards(t *testing.T, h *harness) {
	s := h.stream("fwd")
	evs := events("a", 10)
	h.mustAppend(t, s, domain.NoStream, evs)
	h.mustAppend(t, h.stream("noise"), domain.Any, events("noise", 3))
	cases := []struct {
		name     string
		from     uint64
		max      int
		wantFrom int
		wantN    int
	}{
		{"all", 0, 100, 0, 10},
		{"max limits", 0, 4, 0, 4},
		{"from middle", 3, 100, 3, 7},
		{"from and max", 2, 5, 2, 5},
		{"last", 9, 100, 9, 1},
		{"past the end", 10, 100, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := h.store.ReadStream(h.ctx, s, c.from, domain.Forwards, c.max)
			if err != nil {
				t.Fatalf("ReadStream(from %d, max %d): %v", c.from, c.max, err)
			}
			checkSame(t, "ReadStream", got, evs[c.wantFrom:c.wantFrom+c.wantN])
			checkRevisions(t, "ReadStream", got, uint64(c.wantFrom))
		})
	}
}

func testReadStreamBackwards(t *testing.T, h *harness) {
	s := h.stream("bwd")
	evs := events("a", 10)
	h.mustAppend(t, s, domain.NoStream, evs)
	cases := []struct {
		name    string
		from    uint64
		max     int
		wantRev []uint64
	}{
		{"from the end", math.MaxUint64, 100, []uint64{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{"from the end, max", math.MaxUint64, 3, []uint64{9, 8, 7}},
		{"from last revision", 9, 2, []uint64{9, 8}},
		{"from middle", 4, 100, []uint64{4, 3, 2, 1, 0}},
		{"from middle, max", 6, 2, []uint64{6, 5}},
		{"from first", 0, 100, []uint64{0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := h.store.ReadStream(h.ctx, s, c.from, domain.Backwards, c.max)
			if err != nil {
				t.Fatalf("ReadStream(backwards from %d, max %d): %v", c.from, c.max, err)
			}
			if len(got) != len(c.wantRev) {
				t.Fatalf("got %d events, want %d", len(got), len(c.wantRev))
			}
			for i, e := range got {
				if e.Revision != c.wantRev[i] {
					t.Errorf("event %d: revision got %d, want %d", i, e.Revision, c.wantRev[i])
				}
				if w := evs[c.wantRev[i]]; e.ID != w.ID {
					t.Errorf("event %d: id got %s, want %s", i, e.ID, w.ID)
				}
			}
		})
	}
}

func testReadStreamNotFound(t *testing.T, h *harness) {
	h.mustAppend(t, h.stream("present"), domain.NoStream, events("a", 1))
	for _, dir := range []domain.Direction{domain.Forwards, domain.Backwards} {
		got, err := h.store.ReadStream(h.ctx, h.stream("absent"), 0, dir, 10)
		if !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("ReadStream(absent, direction %d): got %d events and error %v, want ErrNotFound", dir, len(got), err)
		}
	}
	// A stream whose name extends an existing one is a different stream.
	if _, err := h.store.ReadStream(h.ctx, h.stream("present-not"), 0, domain.Forwards, 10); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ReadStream(present-not): got %v, want ErrNotFound", err)
	}
}

func testReadAllFromZero(t *testing.T, h *harness) {
	a := events("a", 4)
	h.mustAppend(t, h.stream("a"), domain.NoStream, a)
	got := h.readAllOurs(t, domain.Position{})
	checkSame(t, "ReadAll from zero", got, a)
	for i, e := range got {
		if e.Stream != h.stream("a") || e.Revision != uint64(i) {
			t.Errorf("event %d: got %s@%d, want %s@%d", i, e.Stream, e.Revision, h.stream("a"), i)
		}
	}
}

func testReadAllFromPosition(t *testing.T, h *harness) {
	s := h.stream("pos")
	var want []domain.EventData
	var positions []domain.Position
	for i := range 5 {
		evs := events("a", 1)
		res := h.mustAppend(t, s, domain.Any, evs)
		if i > 0 && !positions[i-1].Less(res.Position) {
			t.Fatalf("append %d at %v does not come after %v", i, res.Position, positions[i-1])
		}
		positions = append(positions, res.Position)
		want = append(want, evs...)
	}
	for i, p := range positions {
		got := h.readAllOurs(t, p)
		checkSame(t, "ReadAll after the position of event "+string(rune('0'+i)), got, want[i+1:])
	}
}

func testReadAllMax(t *testing.T, h *harness) {
	s := h.stream("max")
	first := h.mustAppend(t, s, domain.NoStream, events("first", 1))
	evs := events("a", 6)
	h.mustAppend(t, s, domain.Exact(0), evs)
	for _, max := range []int{1, 2, 5} {
		got, err := h.store.ReadAll(h.ctx, first.Position, max)
		if err != nil {
			t.Fatalf("ReadAll(max %d): %v", max, err)
		}
		if len(got) != max {
			t.Fatalf("ReadAll(max %d): got %d events, want %d", max, len(got), max)
		}
		// The case's own events come in order; a shared store may put
		// others' events among them.
		var ours []domain.RecordedEvent
		for _, e := range got {
			if e.Stream == s {
				ours = append(ours, e)
			}
		}
		checkSame(t, "ReadAll with max", ours, evs[:len(ours)])
	}
	// No limit (max 0 or less) from a position after the start: every
	// later event.
	for _, max := range []int{0, -1} {
		got, err := h.store.ReadAll(h.ctx, first.Position, max)
		if err != nil {
			t.Fatalf("ReadAll(max %d) from %v: %v", max, first.Position, err)
		}
		var ours []domain.RecordedEvent
		for _, e := range got {
			if e.Stream == s {
				ours = append(ours, e)
			}
		}
		checkSame(t, fmt.Sprintf("ReadAll with max %d", max), ours, evs)
	}
}

func testReadAllGlobalOrder(t *testing.T, h *harness) {
	type want struct {
		stream string
		ev     domain.EventData
	}
	var order []want
	streams := []string{h.stream("x"), h.stream("y"), h.stream("z")}
	for i := range 9 {
		s := streams[(i*2)%3]
		evs := events(s, 1+i%2)
		h.mustAppend(t, s, domain.Any, evs)
		for _, e := range evs {
			order = append(order, want{s, e})
		}
	}
	got := h.readAllOurs(t, domain.Position{})
	if len(got) != len(order) {
		t.Fatalf("ReadAll: got %d events, want %d", len(got), len(order))
	}
	nextRev := map[string]uint64{}
	for i, w := range order {
		g := got[i]
		if g.Stream != w.stream || g.ID != w.ev.ID {
			t.Fatalf("global event %d: got %s %s, want %s %s", i, g.Stream, g.ID, w.stream, w.ev.ID)
		}
		if g.Revision != nextRev[g.Stream] {
			t.Errorf("global event %d: revision got %d, want %d", i, g.Revision, nextRev[g.Stream])
		}
		nextRev[g.Stream]++
	}
}
