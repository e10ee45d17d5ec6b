package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/grantledger/grantledger/domain"
)

// subscribe opens a subscription the case closes at its end.
func (h *harness) subscribe(t *testing.T, from domain.Position, prefix string) domain.Subscription {
	t.Helper()
	sub, err := h.store.Subscribe(h.ctx, from, prefix)
	if err != nil {
		t.Fatalf("Subscribe(from %v, prefix %q): %v", from, prefix, err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

// next reads n events from sub; the case's deadline bounds the wait.
func (h *harness) next(t *testing.T, sub domain.Subscription, n int) []domain.RecordedEvent {
	t.Helper()
	out := make([]domain.RecordedEvent, 0, n)
	for range n {
		e, err := sub.Next(h.ctx)
		if err != nil {
			t.Fatalf("Next after %d of %d events: %v", len(out), n, err)
		}
		out = append(out, e)
	}
	return out
}

func testSubscribeExistingThenLive(t *testing.T, h *harness) {
	s := h.stream("sub")
	existing := events("existing", 3)
	h.mustAppend(t, s, domain.NoStream, existing)
	sub := h.subscribe(t, domain.Position{}, h.prefix)
	checkSame(t, "existing events", h.next(t, sub, 3), existing)

	// The subscription is now waiting for new events.
	type result struct {
		evs []domain.RecordedEvent
		err error
	}
	done := make(chan result, 1)
	go func() {
		var r result
		for range 3 {
			e, err := sub.Next(h.ctx)
			if err != nil {
				r.err = err
				break
			}
			r.evs = append(r.evs, e)
		}
		done <- r
	}()
	time.Sleep(20 * time.Millisecond) // let Next block; correctness does not depend on it
	live := events("live", 2)
	h.mustAppend(t, s, domain.Exact(2), live)
	more := events("more", 1)
	h.mustAppend(t, h.stream("sub2"), domain.NoStream, more)
	r := <-done
	if r.err != nil {
		t.Fatalf("Next on live events after %d: %v", len(r.evs), r.err)
	}
	checkSame(t, "live events", r.evs, append(live, more...))
	if r.evs[0].Revision != 3 || r.evs[2].Revision != 0 {
		t.Errorf("live revisions: got %d and %d, want 3 and 0", r.evs[0].Revision, r.evs[2].Revision)
	}
}

func testSubscribePrefix(t *testing.T, h *harness) {
	want := events("want", 2)
	h.mustAppend(t, h.stream("other-1"), domain.NoStream, events("skip", 2))
	h.mustAppend(t, h.stream("agreement-1"), domain.NoStream, want[:1])
	h.mustAppend(t, h.stream("other-2"), domain.NoStream, events("skip", 1))
	h.mustAppend(t, h.stream("agreement-2"), domain.NoStream, want[1:])
	sub := h.subscribe(t, domain.Position{}, h.stream("agreement-"))
	got := h.next(t, sub, 2)
	checkSame(t, "prefix-filtered events", got, want)
	// A later matching event comes next, after skipped ones.
	h.mustAppend(t, h.stream("other-3"), domain.NoStream, events("skip", 3))
	last := events("last", 1)
	h.mustAppend(t, h.stream("agreement-1"), domain.Exact(0), last)
	checkSame(t, "next matching event", h.next(t, sub, 1), last)
}

func testSubscribeResume(t *testing.T, h *harness) {
	s := h.stream("resume")
	evs := events("a", 5)
	h.mustAppend(t, s, domain.NoStream, evs)
	all := h.readAllOurs(t, domain.Position{})
	if len(all) != 5 {
		t.Fatalf("ReadAll: got %d events, want 5", len(all))
	}
	sub := h.subscribe(t, all[1].Position, h.prefix)
	checkSame(t, "events after the resume position", h.next(t, sub, 3), evs[2:])
	if err := sub.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	// Resuming from the last event delivers only what comes later.
	sub2 := h.subscribe(t, all[4].Position, h.prefix)
	later := events("later", 1)
	h.mustAppend(t, s, domain.Exact(4), later)
	checkSame(t, "events after the last position", h.next(t, sub2, 1), later)
}

func testSubscribeCancel(t *testing.T, h *harness) {
	h.mustAppend(t, h.stream("x"), domain.NoStream, events("a", 1))
	sub := h.subscribe(t, domain.Position{}, h.stream("nothing-matches-"))
	ctx, cancel := context.WithCancel(h.ctx)
	errc := make(chan error, 1)
	go func() {
		e, err := sub.Next(ctx)
		if err == nil {
			err = errors.New("Next returned event " + e.ID.String() + " of stream " + e.Stream + " that does not match the prefix")
		}
		errc <- err
	}()
	time.Sleep(20 * time.Millisecond) // let Next block; correctness does not depend on it
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Next after cancel: got %v, want an error matching context.Canceled", err)
		}
	case <-h.ctx.Done():
		t.Fatal("Next did not return after its context was cancelled")
	}
	// A Next on a context that is already done returns at once.
	done, cancel2 := context.WithCancel(h.ctx)
	cancel2()
	if _, err := sub.Next(done); !errors.Is(err, context.Canceled) {
		t.Errorf("Next on a cancelled context: got %v, want context.Canceled", err)
	}
}
