// Package storetest is the contract suite every domain.EventStore passes:
// the in-memory store, the embedded SQLite store and the EventStoreDB
// adapter run the same cases through Run.
//
// The suite is store-agnostic. Every case writes to streams under its own
// random prefix, so a store that is not empty (an EventStoreDB test server
// holds system streams) passes as well as a fresh one; reads of the global
// order are filtered to the case's prefix. Positions are compared only
// through domain.Position.Less, never as dense integers. Reads always pass a
// positive max and page through results. Each case is bounded in time.
//
// A store that is durable sets Factory.Reopen; the suite then checks that
// closing and reopening keeps every event. A store whose Offers say Batch
// is also checked for atomic, independent requests.
// The cases of a capability are registered only for a store that has it
// (none skips), and a store must declare at least what docs/STORAGE.md
// says it offers (Shipped, checkOffers).
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// Factory opens stores for the suite.
type Factory struct {
	// New returns a fresh store. The suite closes it at the end of the case
	// (through the store it last holds, which may be a reopened one).
	New func(t *testing.T) port.Store

	// Reopen closes old and opens the same store again, so that a durable
	// store can show it kept everything. Nil for a store that is not
	// durable; the reopen cases are then skipped.
	Reopen func(t *testing.T, old port.Store) port.Store

	// ConcurrentWriters and AppendsPerWriter size the concurrent-appenders
	// case; zero means 20 writers of 50 appends each.
	ConcurrentWriters, AppendsPerWriter int

	// LargeBatch is the number of events of the large-batch case; zero
	// means 5 000.
	LargeBatch int

	// KeepsTree says the store keeps the Merkle log over its events
	// itself (every store has merkle.Tree's methods); the suite then checks the tree against the
	// library's after every kind of append.
	KeepsTree bool
}

// caseTimeout bounds every case, so that a store that blocks fails the
// case instead of hanging the test binary.
const caseTimeout = 60 * time.Second

// pageSize is the max the suite passes to reads that page.
const pageSize = 500

// Run runs the contract suite against the stores f opens.
func Run(t *testing.T, f Factory) {
	t.Helper()
	if f.New == nil {
		t.Fatal("storetest: Factory.New is nil")
	}
	probe := f.New(t)
	if msg := checkOffers(f, probe); msg != "" {
		probe.Close()
		t.Fatal("storetest: " + msg)
	}
	offers := declared(f, probe)
	if err := probe.Close(); err != nil {
		t.Fatalf("storetest: Close: %v", err)
	}
	const durable, batch, tree, snapBatch = "durable", "batch", "tree", "snapshot batches"
	has := map[string]bool{"": true, durable: offers.Durable, batch: offers.Batch, tree: offers.Tree, snapBatch: probe.Offers().SnapshotBatches}
	cases := []struct {
		name  string
		fn    func(t *testing.T, h *harness)
		needs string // the capability the case checks; "" for every store
	}{
		{"Append/AnyCreatesAndExtends", testAppendAny, ""},
		{"Append/NoStream", testAppendNoStream, ""},
		{"Append/StreamExists", testAppendStreamExists, ""},
		{"Append/Exact", testAppendExact, ""},
		{"Append/RevisionsFromZero", testRevisionsFromZero, ""},
		{"Append/MismatchWritesNothing", testMismatchWritesNothing, ""},
		{"Append/IdempotentRetry", testIdempotentRetry, ""},
		{"Append/IdempotentRetryAfterStreamMovedOn", testIdempotentRetryMovedOn, ""},
		{"Append/ReusedIDNotDuplicated", testReusedIDNotDuplicated, ""},
		{"Append/BytesIdentical", testBytesIdentical, ""},
		{"Append/CallerBuffersNotAliased", testBuffersNotAliased, ""},
		{"Append/LargeBatch", testLargeBatch, ""},
		{"Append/ConcurrentAppenders", testConcurrentAppenders, ""},
		{"ReadStream/Forwards", testReadStreamForwards, ""},
		{"ReadStream/Backwards", testReadStreamBackwards, ""},
		{"ReadStream/NotFound", testReadStreamNotFound, ""},
		{"ReadAll/FromZero", testReadAllFromZero, ""},
		{"ReadAll/FromPosition", testReadAllFromPosition, ""},
		{"ReadAll/Max", testReadAllMax, ""},
		{"ReadAll/GlobalOrderAcrossStreams", testReadAllGlobalOrder, ""},
		{"Subscribe/ExistingThenLive", testSubscribeExistingThenLive, ""},
		{"Subscribe/PrefixFilter", testSubscribePrefix, ""},
		{"Subscribe/ResumeFromPosition", testSubscribeResume, ""},
		{"Subscribe/NextReturnsOnCancel", testSubscribeCancel, ""},
		{"Offers/NotOfferedSaysSo", testNotOfferedSaysSo, ""},
		{"Reopen/KeepsEverything", testReopen, durable},
		{"Batch/EachRequestAtomic", testBatchAtomic, batch},
		{"Batch/FailingRequestDoesNotBlockOthers", testBatchFailingRequest, batch},
		{"Batch/SameStreamTwice", testBatchSameStreamTwice, batch},
		{"Tree/MatchesLibraryOverEveryEvent", testKeepsTree, tree},
		{"Snapshots/BatchSavesEach", testSnapshotBatch, snapBatch},
	}
	for _, c := range cases {
		if !has[c.needs] {
			continue // the store does not offer it: not a case for this store
		}
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), caseTimeout)
			defer cancel()
			h := &harness{f: f, ctx: ctx, prefix: "st" + strings.ReplaceAll(uuid.NewString()[:13], "-", "") + "-"}
			h.store = f.New(t)
			t.Cleanup(func() {
				if h.store != nil {
					if err := h.store.Close(); err != nil {
						t.Errorf("Close: %v", err)
					}
				}
			})
			c.fn(t, h)
		})
	}
}

// harness is the state of one case: its store, its deadline and the
// prefix of its streams.
type harness struct {
	f      Factory
	store  port.Store
	ctx    context.Context
	prefix string
}

// stream returns the case's stream called name.
func (h *harness) stream(name string) string { return h.prefix + name }

// events returns n new events whose data names tag and their index.
func events(tag string, n int) []domain.EventData {
	out := make([]domain.EventData, n)
	for i := range out {
		out[i] = domain.EventData{
			ID:       uuid.New(),
			Type:     "TestEvent",
			Data:     fmt.Appendf(nil, `{"tag":%q,"i":%d}`, tag, i),
			Metadata: fmt.Appendf(nil, `{"actor":"storetest","i":%d}`, i),
		}
	}
	return out
}

// mustAppend appends and fails the case on error.
func (h *harness) mustAppend(t *testing.T, stream string, exp domain.ExpectedRevision, evs []domain.EventData) domain.AppendResult {
	t.Helper()
	res, err := h.store.Append(h.ctx, stream, exp, evs)
	if err != nil {
		t.Fatalf("Append(%s, expected %s, %d events): %v", stream, exp, len(evs), err)
	}
	return res
}

// readStream reads a whole stream forwards, paging.
func (h *harness) readStream(t *testing.T, stream string) []domain.RecordedEvent {
	t.Helper()
	var out []domain.RecordedEvent
	var from uint64
	for range 10_000 {
		page, err := h.store.ReadStream(h.ctx, stream, from, domain.Forwards, pageSize)
		if err != nil {
			t.Fatalf("ReadStream(%s, from %d): %v", stream, from, err)
		}
		out = append(out, page...)
		if len(page) < pageSize {
			return out
		}
		from = page[len(page)-1].Revision + 1
	}
	t.Fatalf("ReadStream(%s): more than 10 000 pages", stream)
	return nil
}

// readAllOurs reads the global order after from, paging, and keeps the
// events of the case's streams. It checks that positions strictly increase
// and come after from.
func (h *harness) readAllOurs(t *testing.T, from domain.Position) []domain.RecordedEvent {
	t.Helper()
	var out []domain.RecordedEvent
	for range 100_000 {
		page, err := h.store.ReadAll(h.ctx, from, pageSize)
		if err != nil {
			t.Fatalf("ReadAll(from %v): %v", from, err)
		}
		for _, e := range page {
			if !from.Less(e.Position) {
				t.Fatalf("ReadAll: event at %v does not come after %v", e.Position, from)
			}
			from = e.Position
			if strings.HasPrefix(e.Stream, h.prefix) {
				out = append(out, e)
			}
		}
		if len(page) == 0 {
			return out
		}
	}
	t.Fatal("ReadAll: more than 100 000 pages")
	return nil
}

// checkSame fails unless got holds exactly the events want, in order, with
// identical ids, types and bytes.
func checkSame(t *testing.T, what string, got []domain.RecordedEvent, want []domain.EventData) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d events, want %d", what, len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Type != w.Type || !bytes.Equal(g.Data, w.Data) || !bytes.Equal(g.Metadata, w.Metadata) {
			t.Fatalf("%s: event %d: got id %s type %q data %q metadata %q, want id %s type %q data %q metadata %q",
				what, i, g.ID, g.Type, g.Data, g.Metadata, w.ID, w.Type, w.Data, w.Metadata)
		}
	}
}

// checkRevisions fails unless the events carry revisions first, first+1, ...
func checkRevisions(t *testing.T, what string, got []domain.RecordedEvent, first uint64) {
	t.Helper()
	for i, e := range got {
		if want := first + uint64(i); e.Revision != want {
			t.Fatalf("%s: event %d has revision %d, want %d", what, i, e.Revision, want)
		}
	}
}

// wantConcurrency fails unless err is a *domain.ConcurrencyError for
// stream with the given actual revision that also matches
// domain.ErrConcurrency.
func wantConcurrency(t *testing.T, err error, stream string, exp domain.ExpectedRevision, actual int64) {
	t.Helper()
	if err == nil {
		t.Fatalf("append to %s with expected %s: got no error, want a concurrency error (actual %d)", stream, exp, actual)
	}
	if !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("append to %s with expected %s: errors.Is(err, ErrConcurrency) is false for %v", stream, exp, err)
	}
	var ce *domain.ConcurrencyError
	if !errors.As(err, &ce) {
		t.Fatalf("append to %s: error %v (%T) is not a *domain.ConcurrencyError", stream, err, err)
	}
	if ce.Actual != actual {
		t.Errorf("ConcurrencyError.Actual: got %d, want %d", ce.Actual, actual)
	}
	if ce.Stream != stream {
		t.Errorf("ConcurrencyError.Stream: got %q, want %q", ce.Stream, stream)
	}
	if ce.Expected != exp {
		t.Errorf("ConcurrencyError.Expected: got %s, want %s", ce.Expected, exp)
	}
}

// lastRevision returns the revision of the last event of stream, -1 if the
// stream does not exist.
func (h *harness) lastRevision(t *testing.T, stream string) int64 {
	t.Helper()
	evs, err := h.store.ReadStream(h.ctx, stream, math.MaxUint64, domain.Backwards, 1)
	if errors.Is(err, domain.ErrNotFound) {
		return -1
	}
	if err != nil {
		t.Fatalf("ReadStream(%s, backwards): %v", stream, err)
	}
	if len(evs) != 1 {
		t.Fatalf("ReadStream(%s, backwards, max 1): got %d events, want 1", stream, len(evs))
	}
	return int64(evs[0].Revision)
}
