package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Append implements domain.EventStore. All events go in one append call,
// so they are written together or not at all. Each event keeps its id, so
// a retried append (here, after a dropped connection, or by the caller) is
// recognised by the server and not written twice. A wrong expected
// revision becomes a *domain.ConcurrencyError with the stream's actual
// revision.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	if stream == "" {
		return domain.AppendResult{}, domain.FieldError("stream", "stream name is empty")
	}
	if len(events) == 0 {
		return s.appendNothing(ctx, stream, expected)
	}
	data := make([]client.EventData, len(events))
	for i, e := range events {
		if e.ID == uuid.Nil {
			return domain.AppendResult{}, domain.FieldError("events", "append to %s: event %d (%s) has no id; ids make retries safe and are required", stream, i, e.Type)
		}
		if e.Type == "" {
			return domain.AppendResult{}, domain.FieldError("events", "append to %s: event %d (%s) has no type", stream, i, e.ID)
		}
		data[i] = client.EventData{
			EventID:     e.ID,
			EventType:   e.Type,
			ContentType: client.ContentTypeJson,
			Data:        e.Data,
			Metadata:    e.Metadata,
		}
	}
	if appendSize(events) > s.MaxAppendBytes() {
		return domain.AppendResult{}, s.tooLarge(stream, events, "")
	}
	if expected.IsAny() || expected.IsStreamExists() {
		if res, done, err := s.checkIDs(ctx, stream, events); done || err != nil {
			return res, err
		}
	} else if err := uniqueIDs(stream, events); err != nil {
		return domain.AppendResult{}, err
	}
	opts := client.AppendToStreamOptions{ExpectedRevision: toExpected(expected)}
	var res *client.WriteResult
	err := s.do(ctx, func(ctx context.Context, cl *client.Client) error {
		var err error
		res, err = cl.AppendToStream(ctx, stream, opts, data...)
		return err
	})
	if err != nil {
		if code(err) == client.ErrorCodeWrongExpectedVersion {
			return domain.AppendResult{}, s.concurrencyError(ctx, stream, expected, err)
		}
		if said, ok := serverTooLarge(err); ok {
			return domain.AppendResult{}, s.tooLarge(stream, events, said)
		}
		if errors.Is(err, io.EOF) {
			// A server refusing an append mid-stream (over its
			// MaxAppendSize) reaches client v4.2.0 as a bare EOF.
			return domain.AppendResult{}, fmt.Errorf("%w (the server closed the append; if its MaxAppendSize is below this append's %d bytes, that is why: set maxAppendSize= in the connection string to the server's setting)", s.wrap("append to "+stream, err), appendSize(events))
		}
		return domain.AppendResult{}, s.wrap("append to "+stream, err)
	}
	return domain.AppendResult{
		NextRevision: res.NextExpectedVersion,
		Position:     domain.Position{Commit: res.CommitPosition, Prepare: res.PreparePosition},
	}, nil
}

// appendNothing checks the expectation of an empty append without
// writing: EventStoreDB has nothing to write either, and the client
// reports an empty stream's revision ambiguously.
func (s *Store) appendNothing(ctx context.Context, stream string, expected domain.ExpectedRevision) (domain.AppendResult, error) {
	last, err := s.lastEvent(ctx, stream)
	if err != nil {
		return domain.AppendResult{}, err
	}
	actual := int64(-1)
	if last != nil {
		actual = int64(last.Revision)
	}
	if !expected.Allows(actual) {
		return domain.AppendResult{}, &domain.ConcurrencyError{Stream: stream, Expected: expected, Actual: actual}
	}
	if last == nil {
		return domain.AppendResult{NextRevision: uint64(actual)}, nil
	}
	return domain.AppendResult{NextRevision: last.Revision, Position: last.Position}, nil
}

// checkIDs keeps an event id from appearing twice in a stream, which
// EventStoreDB alone does not promise: it drops a repeated append only
// when the repeat starts with an event it remembers (and, for expected
// revision any, only while the id is in its cache). checkIDs reads the
// stream's ids: an append that repeats events already there, in order,
// is answered with their original result without writing (done); one
// that repeats only some of them is refused with domain.ErrDuplicate. For
// an expected revision of any or stream-exists only: with an exact one
// (or no-stream) the server itself compares the events after the expected
// revision with the append, which covers every retry, and the extra read
// would cost a round trip per append. Two different appends with the same
// ids racing under "any" can still both be written.
func (s *Store) checkIDs(ctx context.Context, stream string, events []domain.EventData) (domain.AppendResult, bool, error) {
	if err := uniqueIDs(stream, events); err != nil {
		return domain.AppendResult{}, false, err
	}
	seen := make(map[uuid.UUID]struct{}, len(events))
	for _, e := range events {
		seen[e.ID] = struct{}{}
	}
	existing, err := s.ReadStream(ctx, stream, 0, domain.Forwards, 0)
	if errors.Is(err, domain.ErrNotFound) {
		return domain.AppendResult{}, false, nil
	}
	if err != nil {
		return domain.AppendResult{}, false, err
	}
	at := -1
	for i, e := range existing {
		if _, ok := seen[e.ID]; !ok {
			continue
		}
		if e.ID == events[0].ID && i+len(events) <= len(existing) {
			at = i
			for j, ev := range events {
				if existing[i+j].ID != ev.ID {
					at = -1
					break
				}
			}
		}
		if at < 0 {
			return domain.AppendResult{}, false, fmt.Errorf("append to %s: event %s is already in the stream at revision %d and this append is not an identical retry: %w", stream, e.ID, e.Revision, domain.ErrDuplicate)
		}
		last := existing[at+len(events)-1]
		return domain.AppendResult{NextRevision: last.Revision, Position: last.Position, Existing: true}, true, nil
	}
	return domain.AppendResult{}, false, nil
}

// uniqueIDs refuses an append that carries one id twice.
func uniqueIDs(stream string, events []domain.EventData) error {
	seen := make(map[uuid.UUID]struct{}, len(events))
	for _, e := range events {
		if _, dup := seen[e.ID]; dup {
			return fmt.Errorf("append to %s: event %s appears twice in one append: %w", stream, e.ID, domain.ErrDuplicate)
		}
		seen[e.ID] = struct{}{}
	}
	return nil
}

func toExpected(e domain.ExpectedRevision) client.ExpectedRevision {
	switch {
	case e.IsNoStream():
		return client.NoStream{}
	case e.IsStreamExists():
		return client.StreamExists{}
	}
	if r, ok := e.Revision(); ok {
		return client.Revision(r)
	}
	return client.Any{}
}

// wrongVersion matches the client's description of the server's answer;
// the client keeps the actual revision only in this text.
var wrongVersion = regexp.MustCompile(`but got '([^']*)'`)

// concurrencyError builds the domain's error for a wrong expected
// version, with the actual revision the server reported, or, if the text
// cannot be read, the stream's revision read right after.
func (s *Store) concurrencyError(ctx context.Context, stream string, expected domain.ExpectedRevision, err error) error {
	ce := &domain.ConcurrencyError{Stream: stream, Expected: expected, Actual: -1}
	if m := wrongVersion.FindStringSubmatch(err.Error()); m != nil {
		if m[1] == "no_stream" {
			return ce
		}
		if n, perr := strconv.ParseInt(m[1], 10, 64); perr == nil {
			ce.Actual = n
			return ce
		}
	}
	actual, rerr := s.lastRevision(ctx, stream)
	if rerr != nil {
		return fmt.Errorf("%w (and reading the stream's revision failed: %v)", ce, rerr)
	}
	ce.Actual = actual
	return ce
}
