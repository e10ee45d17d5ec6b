package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// testConcurrentAppenders runs writers that each append one event at a
// time to one stream with an exact expected revision, retrying on
// conflict. Every acknowledged append must be in the stream exactly once,
// at the revision its result named, with no gaps.
func testConcurrentAppenders(t *testing.T, h *harness) {
	writers, per := h.f.ConcurrentWriters, h.f.AppendsPerWriter
	if writers == 0 {
		writers = 20
	}
	if per == 0 {
		per = 50
	}
	s := h.stream("contended")
	type ack struct {
		id  uuid.UUID
		rev uint64
	}
	acks := make([][]ack, writers)
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			expected := int64(-1)
			for i := range per {
				ev := domain.EventData{
					ID: uuid.New(), Type: "Contended",
					Data: fmt.Appendf(nil, `{"writer":%d,"i":%d}`, w, i),
				}
				for attempt := 0; ; attempt++ {
					if attempt > 100_000 {
						errs <- fmt.Errorf("writer %d: append %d still conflicting after %d attempts", w, i, attempt)
						return
					}
					exp := domain.NoStream
					if expected >= 0 {
						exp = domain.Exact(uint64(expected))
					}
					res, err := h.store.Append(h.ctx, s, exp, []domain.EventData{ev})
					var ce *domain.ConcurrencyError
					if errors.As(err, &ce) {
						expected = ce.Actual
						continue
					}
					if err != nil {
						errs <- fmt.Errorf("writer %d: append %d: %w", w, i, err)
						return
					}
					acks[w] = append(acks[w], ack{ev.ID, res.NextRevision})
					expected = int64(res.NextRevision)
					break
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	got := h.readStream(t, s)
	if len(got) != writers*per {
		t.Fatalf("stream holds %d events, want %d", len(got), writers*per)
	}
	checkRevisions(t, "contended stream", got, 0)
	at := map[uuid.UUID]uint64{}
	for _, e := range got {
		if _, dup := at[e.ID]; dup {
			t.Fatalf("event %s is in the stream twice", e.ID)
		}
		at[e.ID] = e.Revision
	}
	for w, list := range acks {
		for _, a := range list {
			rev, ok := at[a.id]
			if !ok {
				t.Fatalf("writer %d: acknowledged event %s is not in the stream", w, a.id)
			}
			if rev != a.rev {
				t.Errorf("writer %d: event %s acknowledged at revision %d, stored at %d", w, a.id, a.rev, rev)
			}
		}
	}
}
