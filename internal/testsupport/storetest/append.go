package storetest

import (
	"bytes"
	"errors"
	"math"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

func testAppendAny(t *testing.T, h *harness) {
	s := h.stream("any")
	first := events("a", 2)
	res := h.mustAppend(t, s, domain.Any, first)
	if res.NextRevision != 1 {
		t.Errorf("first append: NextRevision got %d, want 1", res.NextRevision)
	}
	second := events("b", 1)
	res2 := h.mustAppend(t, s, domain.Any, second)
	if res2.NextRevision != 2 {
		t.Errorf("second append: NextRevision got %d, want 2", res2.NextRevision)
	}
	if !res.Position.Less(res2.Position) {
		t.Errorf("positions: second append at %v does not come after first at %v", res2.Position, res.Position)
	}
	got := h.readStream(t, s)
	checkSame(t, "stream", got, append(first, second...))
	checkRevisions(t, "stream", got, 0)
	if got[2].Position != res2.Position {
		t.Errorf("last event position: got %v, want the append's %v", got[2].Position, res2.Position)
	}
}

func testAppendNoStream(t *testing.T, h *harness) {
	s := h.stream("nostream")
	evs := events("a", 3)
	res := h.mustAppend(t, s, domain.NoStream, evs)
	if res.NextRevision != 2 {
		t.Errorf("NextRevision: got %d, want 2", res.NextRevision)
	}
	_, err := h.store.Append(h.ctx, s, domain.NoStream, events("b", 1))
	wantConcurrency(t, err, s, domain.NoStream, 2)
	checkSame(t, "stream after refused append", h.readStream(t, s), evs)
}

func testAppendStreamExists(t *testing.T, h *harness) {
	s := h.stream("exists")
	_, err := h.store.Append(h.ctx, s, domain.StreamExists, events("a", 1))
	wantConcurrency(t, err, s, domain.StreamExists, -1)
	if _, err := h.store.ReadStream(h.ctx, s, 0, domain.Forwards, 10); !errors.Is(err, domain.ErrNotFound) {
		t.Fatalf("ReadStream after refused append: got %v, want ErrNotFound", err)
	}
	first := events("b", 1)
	h.mustAppend(t, s, domain.NoStream, first)
	second := events("c", 2)
	res := h.mustAppend(t, s, domain.StreamExists, second)
	if res.NextRevision != 2 {
		t.Errorf("NextRevision: got %d, want 2", res.NextRevision)
	}
	checkSame(t, "stream", h.readStream(t, s), append(first, second...))
}

func testAppendExact(t *testing.T, h *harness) {
	s := h.stream("exact")
	_, err := h.store.Append(h.ctx, s, domain.Exact(0), events("x", 1))
	wantConcurrency(t, err, s, domain.Exact(0), -1)

	var want []domain.EventData
	first := events("a", 3)
	h.mustAppend(t, s, domain.NoStream, first)
	want = append(want, first...)
	for i := range 3 {
		exp := domain.Exact(uint64(2 + i))
		evs := events("b", 1)
		res := h.mustAppend(t, s, exp, evs)
		if res.NextRevision != uint64(3+i) {
			t.Errorf("append %d: NextRevision got %d, want %d", i, res.NextRevision, 3+i)
		}
		want = append(want, evs...)
	}
	for _, exp := range []domain.ExpectedRevision{domain.Exact(4), domain.Exact(6), domain.Exact(100)} {
		_, err := h.store.Append(h.ctx, s, exp, events("late", 2))
		wantConcurrency(t, err, s, exp, 5)
	}
	got := h.readStream(t, s)
	checkSame(t, "stream", got, want)
	checkRevisions(t, "stream", got, 0)
}

func testRevisionsFromZero(t *testing.T, h *harness) {
	s := h.stream("revs")
	res := h.mustAppend(t, s, domain.NoStream, events("a", 1))
	if res.NextRevision != 0 {
		t.Errorf("one event: NextRevision got %d, want 0", res.NextRevision)
	}
	res = h.mustAppend(t, s, domain.Exact(0), events("b", 4))
	if res.NextRevision != 4 {
		t.Errorf("five events: NextRevision got %d, want 4", res.NextRevision)
	}
	got := h.readStream(t, s)
	checkRevisions(t, "stream", got, 0)
	var prev domain.Position
	for i, e := range got {
		if e.Stream != s {
			t.Errorf("event %d: Stream got %q, want %q", i, e.Stream, s)
		}
		if i > 0 && !prev.Less(e.Position) {
			t.Errorf("event %d: position %v does not come after %v", i, e.Position, prev)
		}
		if e.Created.IsZero() {
			t.Errorf("event %d: Created is zero", i)
		}
		prev = e.Position
	}
}

func testMismatchWritesNothing(t *testing.T, h *harness) {
	s := h.stream("mismatch")
	other := h.stream("other")
	base := events("a", 2)
	h.mustAppend(t, s, domain.NoStream, base)
	before := h.readAllOurs(t, domain.Position{})
	for _, exp := range []domain.ExpectedRevision{domain.NoStream, domain.Exact(0), domain.Exact(7)} {
		_, err := h.store.Append(h.ctx, s, exp, events("refused", 3))
		wantConcurrency(t, err, s, exp, 1)
	}
	for _, exp := range []domain.ExpectedRevision{domain.StreamExists, domain.Exact(0)} {
		_, err := h.store.Append(h.ctx, other, exp, events("refused", 2))
		wantConcurrency(t, err, other, exp, -1)
	}
	checkSame(t, "stream after refused appends", h.readStream(t, s), base)
	if _, err := h.store.ReadStream(h.ctx, other, 0, domain.Forwards, 10); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("ReadStream(%s) after refused appends: got %v, want ErrNotFound", other, err)
	}
	after := h.readAllOurs(t, domain.Position{})
	if len(after) != len(before) {
		t.Errorf("ReadAll after refused appends: got %d events of this case, want %d", len(after), len(before))
	}
	// The stream still accepts the right expectation.
	res := h.mustAppend(t, s, domain.Exact(1), events("ok", 1))
	if res.NextRevision != 2 {
		t.Errorf("append after refusals: NextRevision got %d, want 2", res.NextRevision)
	}
}

func testIdempotentRetry(t *testing.T, h *harness) {
	s := h.stream("retry")
	evs := events("a", 3)
	first := h.mustAppend(t, s, domain.NoStream, evs)
	if first.Existing {
		t.Errorf("a first append answered as a retry (Existing): %+v", first)
	}
	again, err := h.store.Append(h.ctx, s, domain.NoStream, evs)
	if err != nil {
		t.Fatalf("retried append with NoStream: %v", err)
	}
	if !again.SameAppend(first) {
		t.Errorf("retried append: got result %+v, want the first %+v", again, first)
	}
	anyAgain, err := h.store.Append(h.ctx, s, domain.Any, evs)
	if err != nil {
		t.Fatalf("retried append with Any: %v", err)
	}
	if !anyAgain.SameAppend(first) || !anyAgain.Existing {
		t.Errorf("retried append with Any: got result %+v, want the first %+v marked Existing (the store looked the ids up itself)", anyAgain, first)
	}
	got := h.readStream(t, s)
	checkSame(t, "stream after retries", got, evs)
	if all := h.readAllOurs(t, domain.Position{}); len(all) != len(evs) {
		t.Errorf("ReadAll after retries: got %d events, want %d", len(all), len(evs))
	}
}

func testIdempotentRetryMovedOn(t *testing.T, h *harness) {
	s := h.stream("retry")
	base := events("base", 1)
	h.mustAppend(t, s, domain.NoStream, base)
	evs := events("a", 2)
	first := h.mustAppend(t, s, domain.Exact(0), evs)
	later := events("later", 1)
	h.mustAppend(t, s, domain.Exact(2), later)
	again, err := h.store.Append(h.ctx, s, domain.Exact(0), evs)
	if err != nil {
		t.Fatalf("retried append after the stream moved on: %v", err)
	}
	if !again.SameAppend(first) {
		t.Errorf("retried append: got result %+v, want the first %+v", again, first)
	}
	want := append(append(append([]domain.EventData(nil), base...), evs...), later...)
	checkSame(t, "stream after retry", h.readStream(t, s), want)
}

// testReusedIDNotDuplicated appends events whose ids partly repeat events
// already in the stream. A store may refuse the append or treat it as a
// retry, but no event id may appear twice in the stream.
func testReusedIDNotDuplicated(t *testing.T, h *harness) {
	s := h.stream("reuse")
	evs := events("a", 3)
	h.mustAppend(t, s, domain.NoStream, evs)
	mixed := []domain.EventData{evs[1], events("new", 1)[0]}
	_, _ = h.store.Append(h.ctx, s, domain.Any, mixed)
	mixed2 := []domain.EventData{events("new2", 1)[0], evs[0]}
	_, _ = h.store.Append(h.ctx, s, domain.Any, mixed2)
	seen := map[uuid.UUID]uint64{}
	for _, e := range h.readStream(t, s) {
		if r, ok := seen[e.ID]; ok {
			t.Errorf("event id %s is in the stream twice, at revisions %d and %d", e.ID, r, e.Revision)
		}
		seen[e.ID] = e.Revision
	}
}

func testBytesIdentical(t *testing.T, h *harness) {
	s := h.stream("bytes")
	// JSON that any re-encoding would change: spacing, key order, escapes,
	// number forms, non-ASCII text and a large payload.
	big := bytes.Repeat([]byte(`{"k": "vērtība ✓", "n": 1.50e2}, `), 2000)
	evs := []domain.EventData{
		{ID: uuid.New(), Type: "Spacing", Data: []byte("{ \"b\" : 1,\n\t\"a\":[ ] }"), Metadata: []byte(`{"z":1,"a":"\u00e9\/x"}`)},
		{ID: uuid.New(), Type: "Numbers", Data: []byte(`{"amount":4778653,"ratio":1.0E+2,"neg":-0.000,"big":123456789012345678901234567890}`), Metadata: []byte(`{}`)},
		{ID: uuid.New(), Type: "Unicode", Data: []byte(`{"name":"Kurzemes NVO centrs — biedrība","emoji":"💶","esc":"\"quoted\" \\ \t"}`), Metadata: []byte(`{"actor":"Līga Ozoliņa"}`)},
		{ID: uuid.New(), Type: "Large", Data: append(append([]byte(`[`), big...), []byte(`{}]`)...), Metadata: []byte(`{"size":"large"}`)},
		{ID: uuid.New(), Type: "NoMetadata", Data: []byte(`{"x":null}`)},
	}
	h.mustAppend(t, s, domain.NoStream, evs)
	checkSame(t, "ReadStream", h.readStream(t, s), evs)
	checkSame(t, "ReadAll", h.readAllOurs(t, domain.Position{}), evs)
	back, err := h.store.ReadStream(h.ctx, s, math.MaxUint64, domain.Backwards, 10)
	if err != nil {
		t.Fatalf("ReadStream backwards: %v", err)
	}
	for i, e := range back {
		w := evs[len(evs)-1-i]
		if !bytes.Equal(e.Data, w.Data) || !bytes.Equal(e.Metadata, w.Metadata) {
			t.Errorf("backwards event %d (%s): bytes differ from what was appended", i, w.Type)
		}
	}
}

// testBuffersNotAliased checks that the store keeps its own copy of the
// bytes it is given and hands out copies: changing either side afterwards
// does not change what is stored.
func testBuffersNotAliased(t *testing.T, h *harness) {
	s := h.stream("alias")
	data := []byte(`{"amount":100}`)
	meta := []byte(`{"actor":"a"}`)
	ev := domain.EventData{ID: uuid.New(), Type: "T", Data: data, Metadata: meta}
	h.mustAppend(t, s, domain.NoStream, []domain.EventData{ev})
	want := domain.EventData{ID: ev.ID, Type: "T", Data: []byte(`{"amount":100}`), Metadata: []byte(`{"actor":"a"}`)}
	copy(data, `{"amount":999}`)
	copy(meta, `{"actor":"b"}`)
	got := h.readStream(t, s)
	checkSame(t, "after changing the appended buffers", got, []domain.EventData{want})
	for i := range got[0].Data {
		got[0].Data[i] = 'X'
	}
	for i := range got[0].Metadata {
		got[0].Metadata[i] = 'X'
	}
	checkSame(t, "after changing a read's buffers", h.readStream(t, s), []domain.EventData{want})
	checkSame(t, "ReadAll after changing a read's buffers", h.readAllOurs(t, domain.Position{}), []domain.EventData{want})
}

func testLargeBatch(t *testing.T, h *harness) {
	n := h.f.LargeBatch
	if n == 0 {
		n = 5000
	}
	s := h.stream("large")
	evs := events("large", n)
	res := h.mustAppend(t, s, domain.NoStream, evs)
	if res.NextRevision != uint64(n-1) {
		t.Errorf("NextRevision: got %d, want %d", res.NextRevision, n-1)
	}
	got := h.readStream(t, s)
	checkSame(t, "stream", got, evs)
	checkRevisions(t, "stream", got, 0)
	if got[n-1].Position != res.Position {
		t.Errorf("last position: got %v, want the append's %v", got[n-1].Position, res.Position)
	}
	all := h.readAllOurs(t, domain.Position{})
	checkSame(t, "ReadAll", all, evs)
}
