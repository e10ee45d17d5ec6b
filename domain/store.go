package domain

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// ExpectedRevision is what an append expects of the stream it writes to.
// The zero value is Any.
type ExpectedRevision struct {
	kind     expectKind
	revision uint64
}

type expectKind uint8

const (
	expectAny expectKind = iota
	expectNoStream
	expectStreamExists
	expectExact
)

// Expected revisions. Revisions count from 0: a stream with one event is at
// revision 0.
var (
	Any          = ExpectedRevision{kind: expectAny}
	NoStream     = ExpectedRevision{kind: expectNoStream}
	StreamExists = ExpectedRevision{kind: expectStreamExists}
)

// Exact expects the stream's last event to be at revision r.
func Exact(r uint64) ExpectedRevision { return ExpectedRevision{kind: expectExact, revision: r} }

// IsAny, IsNoStream, IsStreamExists report the kind; Revision returns the
// exact revision and whether the expectation is exact.
func (e ExpectedRevision) IsAny() bool          { return e.kind == expectAny }
func (e ExpectedRevision) IsNoStream() bool     { return e.kind == expectNoStream }
func (e ExpectedRevision) IsStreamExists() bool { return e.kind == expectStreamExists }
func (e ExpectedRevision) Revision() (uint64, bool) {
	return e.revision, e.kind == expectExact
}

// Allows reports whether a stream whose last revision is actual (-1 for a
// stream with no events) satisfies the expectation.
func (e ExpectedRevision) Allows(actual int64) bool {
	switch e.kind {
	case expectNoStream:
		return actual < 0
	case expectStreamExists:
		return actual >= 0
	case expectExact:
		return actual == int64(e.revision)
	}
	return true
}

func (e ExpectedRevision) String() string {
	switch e.kind {
	case expectNoStream:
		return "no-stream"
	case expectStreamExists:
		return "stream-exists"
	case expectExact:
		return fmt.Sprint(e.revision)
	}
	return "any"
}

// Position is a place in the store's global order. The embedded store uses
// one counter for both fields; EventStoreDB has a commit and a prepare
// position. Positions compare by Commit, then Prepare. The zero Position is
// before the first event.
type Position struct {
	Commit  uint64 `json:"commit"`
	Prepare uint64 `json:"prepare"`
}

// Less reports whether p comes before q.
func (p Position) Less(q Position) bool {
	if p.Commit != q.Commit {
		return p.Commit < q.Commit
	}
	return p.Prepare < q.Prepare
}

// IsZero reports whether p is the start of the store.
func (p Position) IsZero() bool { return p.Commit == 0 && p.Prepare == 0 }

func (p Position) String() string {
	if p.Commit == p.Prepare {
		return fmt.Sprint(p.Commit)
	}
	return fmt.Sprintf("%d/%d", p.Commit, p.Prepare)
}

// EventData is an event about to be appended.
type EventData struct {
	ID       uuid.UUID // unique; a retried append with the same IDs is not duplicated
	Type     string    // stable type name, e.g. "SpendingRecorded"
	Data     []byte    // JSON
	Metadata []byte    // JSON (Metadata)
}

// RecordedEvent is an event as a store returns it.
type RecordedEvent struct {
	Stream   string
	Revision uint64   // place in its stream, from 0
	Position Position // place in the store's global order
	ID       uuid.UUID
	Type     string
	Data     []byte
	Metadata []byte
	Created  time.Time // when the store wrote it (informational; reports use Metadata.RecordedAt)
}

// AppendResult says where an append landed.
type AppendResult struct {
	NextRevision uint64   // revision of the last event now in the stream
	Position     Position // global position of the last event appended
	// Existing is true when the append was a retry of an earlier identical
	// one whose events were already in the stream: nothing was written and
	// NextRevision and Position are the earlier append's. A store sets it
	// when it can tell (the embedded store and memstore always can; the
	// EventStoreDB server does not say so for an exact expected revision).
	Existing bool
}

// SameAppend reports whether r and q name the same appended events,
// whether or not either was answered as a retry (Existing).
func (r AppendResult) SameAppend(q AppendResult) bool {
	return r.NextRevision == q.NextRevision && r.Position == q.Position
}

// Direction of a stream read.
type Direction uint8

// Read directions.
const (
	Forwards Direction = iota
	Backwards
)

// EventStore is the port every store implements: the embedded SQLite store
// and the EventStoreDB adapter. It only appends and reads; there is no way to
// change or remove an event once written. Every implementation passes the
// contract suite in internal/testsupport/storetest.
type EventStore interface {
	// Append writes events to the end of stream if the stream's revision
	// satisfies expected, all or none. On a mismatch it returns a
	// *ConcurrencyError (errors.Is ErrConcurrency) and writes nothing. Events
	// whose IDs were already appended to the stream by an identical earlier
	// append are not written again (idempotent retry).
	Append(ctx context.Context, stream string, expected ExpectedRevision, events []EventData) (AppendResult, error)

	// ReadStream returns up to max events of stream starting at revision
	// from (inclusive), in the given direction. For Backwards, from may be
	// math.MaxUint64 to mean "the end". A stream with no events returns
	// ErrNotFound.
	ReadStream(ctx context.Context, stream string, from uint64, dir Direction, max int) ([]RecordedEvent, error)

	// ReadAll returns up to max events, across streams, that come after
	// position from in the global order (the zero Position reads from the
	// start).
	ReadAll(ctx context.Context, from Position, max int) ([]RecordedEvent, error)

	// Subscribe follows the global order from after position from,
	// delivering events that already exist and then new ones as they are
	// appended, until ctx is done or the subscription is closed. Only
	// streams whose name starts with streamPrefix are delivered ("" for all).
	Subscribe(ctx context.Context, from Position, streamPrefix string) (Subscription, error)

	// Close releases the store.
	Close() error
}

// Subscription delivers events in global order.
type Subscription interface {
	// Next blocks until the next event, ctx is done or the subscription
	// fails.
	Next(ctx context.Context) (RecordedEvent, error)
	Close() error
}

// AppendRequest is one append of a batch.
type AppendRequest struct {
	Stream   string
	Expected ExpectedRevision
	Events   []EventData
}

// AppendOutcome is what became of one request of a batch: its result, or
// the error that kept it out (then none of its events were written).
type AppendOutcome struct {
	Result AppendResult
	Err    error
}

// BatchAppender is what a store offering batches (Offers.Batch) does: it
// makes many appends durable in one commit (one fsync) while keeping each
// append atomic on its own: a request that fails its expected revision writes nothing and does not stop
// the others. Requests to one stream form a chain, though: once one fails,
// or is answered as a retry of events already there (Existing), every
// later request to that stream in the batch fails too, with a
// *ConcurrencyError whose AfterFailed is set, and writes nothing, even when
// its own expected revision happens to match (another writer may have
// appended exactly as many events as the failed request carried, and the
// later request was built on the failed one's events: writing it would
// break the stream's hash chain). The error return is for a failure of the
// whole batch, in which case nothing at all was written.
type BatchAppender interface {
	AppendBatch(ctx context.Context, reqs []AppendRequest) ([]AppendOutcome, error)
}

// Offers says which of the port's optional capabilities a store has. Every
// store answers every method of the port (app/port.Store); a method of a
// capability it does not offer does nothing and returns a
// *NotOfferedError. A caller that would take another path without the
// capability asks Offers first, instead of probing the store's type.
type Offers struct {
	// Batch: AppendBatch makes many appends durable in one commit (see
	// BatchAppender).
	Batch bool
	// Guards: AppendGuarded checks an AppendGuard with the batch (see
	// GuardedAppender).
	Guards bool
	// Snapshots: SaveSnapshot and LoadSnapshot keep named blobs.
	Snapshots bool
	// LendsSnapshots: ReadSnapshot lends a saved blob for a call instead
	// of copying it.
	LendsSnapshots bool
	// SnapshotBatches: SaveSnapshots writes many snapshots in one commit.
	SnapshotBatches bool
	// LendsPages: ReadAllInto reads a page of the global order into memory
	// the caller lends.
	LendsPages bool
	// TreeRange: ReadTreeRange streams the stored tree hashes in order.
	TreeRange bool
	// TreeRows: ReadTreeRows reads the tree one row per leaf.
	TreeRows bool
	// Backup: Backup writes a consistent copy of the store to a file.
	Backup bool
}

// ErrNotOffered is wrapped by every *NotOfferedError.
var ErrNotOffered = errors.New("the store does not offer this")

// NotOfferedError is what a store answers to a method of a capability it
// does not offer (see Offers): nothing was done.
type NotOfferedError struct {
	Store  string // the store, e.g. "memstore"
	Method string // the method called, e.g. "AppendBatch"
}

func (e *NotOfferedError) Error() string {
	return fmt.Sprintf("%s does not offer %s; nothing was done", e.Store, e.Method)
}

// Unwrap makes errors.Is(err, ErrNotOffered) true.
func (e *NotOfferedError) Unwrap() error { return ErrNotOffered }

// NotOffered returns the *NotOfferedError of store for method.
func NotOffered(store, method string) error { return &NotOfferedError{Store: store, Method: method} }
