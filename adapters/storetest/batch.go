package storetest

import (
	"errors"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// batcher returns the store as a domain.BatchAppender or skips the case.
func (h *harness) batcher(t *testing.T) domain.BatchAppender {
	t.Helper()
	b, ok := h.store.(domain.BatchAppender)
	if !ok {
		t.Skipf("%T does not implement domain.BatchAppender", h.store)
	}
	return b
}

func testBatchAtomic(t *testing.T, h *harness) {
	b := h.batcher(t)
	a, c := h.stream("a"), h.stream("c")
	evA, evC := events("a", 3), events("c", 2)
	out, err := b.AppendBatch(h.ctx, []domain.AppendRequest{
		{Stream: a, Expected: domain.NoStream, Events: evA},
		{Stream: c, Expected: domain.Any, Events: evC},
	})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	if len(out) != 2 {
		t.Fatalf("AppendBatch: got %d outcomes, want 2", len(out))
	}
	for i, o := range out {
		if o.Err != nil {
			t.Fatalf("outcome %d: %v", i, o.Err)
		}
	}
	if out[0].Result.NextRevision != 2 || out[1].Result.NextRevision != 1 {
		t.Errorf("NextRevision: got %d and %d, want 2 and 1", out[0].Result.NextRevision, out[1].Result.NextRevision)
	}
	if !out[0].Result.Position.Less(out[1].Result.Position) {
		t.Errorf("positions: second request at %v does not come after first at %v", out[1].Result.Position, out[0].Result.Position)
	}
	checkSame(t, "stream a", h.readStream(t, a), evA)
	checkSame(t, "stream c", h.readStream(t, c), evC)
	checkSame(t, "ReadAll", h.readAllOurs(t, domain.Position{}), append(append([]domain.EventData(nil), evA...), evC...))

	// Retrying the whole batch writes nothing new and returns the same
	// results.
	again, err := b.AppendBatch(h.ctx, []domain.AppendRequest{
		{Stream: a, Expected: domain.NoStream, Events: evA},
		{Stream: c, Expected: domain.Any, Events: evC},
	})
	if err != nil {
		t.Fatalf("retried AppendBatch: %v", err)
	}
	for i := range out {
		if again[i].Err != nil || again[i].Result != out[i].Result {
			t.Errorf("retried outcome %d: got %+v, want %+v", i, again[i], out[i])
		}
	}
	if n := len(h.readAllOurs(t, domain.Position{})); n != 5 {
		t.Errorf("after the retried batch: got %d events, want 5", n)
	}
}

func testBatchFailingRequest(t *testing.T, h *harness) {
	b := h.batcher(t)
	ok1, bad, ok2 := h.stream("ok1"), h.stream("bad"), h.stream("ok2")
	existing := events("existing", 2)
	h.mustAppend(t, bad, domain.NoStream, existing)
	evOK1, evBad, evOK2 := events("ok1", 2), events("bad", 3), events("ok2", 1)
	missing := h.stream("missing")
	out, err := b.AppendBatch(h.ctx, []domain.AppendRequest{
		{Stream: ok1, Expected: domain.NoStream, Events: evOK1},
		{Stream: bad, Expected: domain.Exact(0), Events: evBad},
		{Stream: missing, Expected: domain.StreamExists, Events: events("missing", 2)},
		{Stream: ok2, Expected: domain.Any, Events: evOK2},
	})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	if len(out) != 4 {
		t.Fatalf("AppendBatch: got %d outcomes, want 4", len(out))
	}
	if out[0].Err != nil || out[3].Err != nil {
		t.Fatalf("good requests: got errors %v and %v, want none", out[0].Err, out[3].Err)
	}
	wantConcurrency(t, out[1].Err, bad, domain.Exact(0), 1)
	wantConcurrency(t, out[2].Err, missing, domain.StreamExists, -1)
	checkSame(t, "stream ok1", h.readStream(t, ok1), evOK1)
	checkSame(t, "stream ok2", h.readStream(t, ok2), evOK2)
	checkSame(t, "refused stream", h.readStream(t, bad), existing)
	if _, err := h.store.ReadStream(h.ctx, missing, 0, domain.Forwards, 10); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("refused new stream: got %v, want ErrNotFound", err)
	}
	if out[3].Result.NextRevision != 0 {
		t.Errorf("ok2 NextRevision: got %d, want 0", out[3].Result.NextRevision)
	}
}

// testBatchSameStreamTwice checks that a request sees the requests before
// it in the same batch.
func testBatchSameStreamTwice(t *testing.T, h *harness) {
	b := h.batcher(t)
	s := h.stream("twice")
	first, second, stale := events("first", 2), events("second", 1), events("stale", 1)
	out, err := b.AppendBatch(h.ctx, []domain.AppendRequest{
		{Stream: s, Expected: domain.NoStream, Events: first},
		{Stream: s, Expected: domain.NoStream, Events: stale},
		{Stream: s, Expected: domain.Exact(1), Events: second},
	})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	if out[0].Err != nil || out[2].Err != nil {
		t.Fatalf("requests 0 and 2: got errors %v and %v, want none", out[0].Err, out[2].Err)
	}
	wantConcurrency(t, out[1].Err, s, domain.NoStream, 1)
	if out[2].Result.NextRevision != 2 {
		t.Errorf("request 2: NextRevision got %d, want 2", out[2].Result.NextRevision)
	}
	got := h.readStream(t, s)
	checkSame(t, "stream", got, append(append([]domain.EventData(nil), first...), second...))
	checkRevisions(t, "stream", got, 0)
}
