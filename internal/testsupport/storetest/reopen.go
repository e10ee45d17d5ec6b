package storetest

import (
	"testing"

	"github.com/grantledger/grantledger/domain"
)

func testReopen(t *testing.T, h *harness) {
	if h.f.Reopen == nil {
		t.Fatal("the store is not durable (Factory.Reopen is nil); Run registers this case only for durable stores")
	}
	a, b := h.stream("a"), h.stream("b")
	evA := events("a", 3)
	evB := events("b", 2)
	h.mustAppend(t, a, domain.NoStream, evA)
	resB := h.mustAppend(t, b, domain.NoStream, evB)
	before := h.readAllOurs(t, domain.Position{})

	h.store = h.f.Reopen(t, h.store)

	after := h.readAllOurs(t, domain.Position{})
	if len(after) != len(before) {
		t.Fatalf("after reopen: got %d events, want %d", len(after), len(before))
	}
	for i := range before {
		g, w := after[i], before[i]
		if g.Stream != w.Stream || g.Revision != w.Revision || g.Position != w.Position || g.ID != w.ID || g.Type != w.Type ||
			string(g.Data) != string(w.Data) || string(g.Metadata) != string(w.Metadata) || !g.Created.Equal(w.Created) {
			t.Errorf("after reopen, event %d: got %+v, want %+v", i, g, w)
		}
	}
	checkSame(t, "stream a after reopen", h.readStream(t, a), evA)

	// The store goes on where it stopped: revisions, positions, retries.
	more := events("more", 1)
	res := h.mustAppend(t, a, domain.Exact(2), more)
	if res.NextRevision != 3 {
		t.Errorf("append after reopen: NextRevision got %d, want 3", res.NextRevision)
	}
	if !before[len(before)-1].Position.Less(res.Position) {
		t.Errorf("append after reopen at %v does not come after %v", res.Position, before[len(before)-1].Position)
	}
	again, err := h.store.Append(h.ctx, b, domain.NoStream, evB)
	if err != nil {
		t.Fatalf("retried append after reopen: %v", err)
	}
	if !again.SameAppend(resB) {
		t.Errorf("retried append after reopen: got %+v, want %+v", again, resB)
	}
	_, err = h.store.Append(h.ctx, a, domain.Exact(2), events("stale", 1))
	wantConcurrency(t, err, a, domain.Exact(2), 3)
}
