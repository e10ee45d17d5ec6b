package storetest

import (
	"errors"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// batcher returns the store for its batches. Run registers the batch
// cases only for a store whose Offers say Batch.
func (h *harness) batcher(t *testing.T) domain.BatchAppender {
	t.Helper()
	if !h.store.Offers().Batch {
		t.Fatalf("%T does not offer batches", h.store)
	}
	return h.store
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
		if again[i].Err != nil || !again[i].Result.SameAppend(out[i].Result) {
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
// testBatchSameStreamTwice: requests to one stream in one batch form a
// chain (domain.BatchAppender). Once one fails, the later ones to that
// stream fail too, even when their expected revision matches, as it does
// when another writer appended exactly as many events as the failed request
// carried; requests to other streams go on.
func testBatchSameStreamTwice(t *testing.T, h *harness) {
	b := h.batcher(t)
	s, other := h.stream("twice"), h.stream("other")
	first, second, stale := events("first", 2), events("second", 1), events("stale", 1)
	otherEvs := events("other", 1)
	out, err := b.AppendBatch(h.ctx, []domain.AppendRequest{
		{Stream: s, Expected: domain.NoStream, Events: first},
		{Stream: s, Expected: domain.Exact(1), Events: second},
	})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	if out[0].Err != nil || out[1].Err != nil {
		t.Fatalf("a chain of two appends: got errors %v and %v, want none", out[0].Err, out[1].Err)
	}
	if out[1].Result.NextRevision != 2 {
		t.Errorf("request 1: NextRevision got %d, want 2", out[1].Result.NextRevision)
	}
	// The stream is at revision 2. A stale append expecting revision 1
	// fails; the append built on it expects revision 2, which matches, and
	// must fail all the same.
	out, err = b.AppendBatch(h.ctx, []domain.AppendRequest{
		{Stream: s, Expected: domain.Exact(1), Events: stale},
		{Stream: other, Expected: domain.NoStream, Events: otherEvs},
		{Stream: s, Expected: domain.Exact(2), Events: events("built-on-stale", 1)},
	})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	wantConcurrency(t, out[0].Err, s, domain.Exact(1), 2)
	if out[1].Err != nil {
		t.Errorf("request to another stream: %v, want it written", out[1].Err)
	}
	wantConcurrency(t, out[2].Err, s, domain.Exact(2), 2)
	var ce *domain.ConcurrencyError
	if errors.As(out[2].Err, &ce) && !ce.AfterFailed {
		t.Errorf("request after the failed one: AfterFailed is false, want true")
	}
	got := h.readStream(t, s)
	checkSame(t, "stream", got, append(append([]domain.EventData(nil), first...), second...))
	checkRevisions(t, "stream", got, 0)
	checkSame(t, "other stream", h.readStream(t, other), otherEvs)

	// The same after a request answered as a retry: its events are already
	// there, written by an earlier append the caller had not seen, so the
	// request after it was built on events of the caller's own making.
	r := h.stream("retried")
	rEvs := events("r", 2)
	h.mustAppend(t, r, domain.NoStream, rEvs)
	out, err = b.AppendBatch(h.ctx, []domain.AppendRequest{
		{Stream: r, Expected: domain.NoStream, Events: rEvs},
		{Stream: r, Expected: domain.Exact(1), Events: events("built-on-retry", 1)},
	})
	if err != nil {
		t.Fatalf("AppendBatch: %v", err)
	}
	if out[0].Err != nil {
		t.Fatalf("a retry in a batch: %v, want it answered with the earlier result", out[0].Err)
	}
	if out[0].Result.Existing {
		wantConcurrency(t, out[1].Err, r, domain.Exact(1), 1)
		checkSame(t, "stream after a retry in a batch", h.readStream(t, r), rEvs)
	}
}
