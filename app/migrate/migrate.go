// Package migrate copies every event of one grantledger store to another
// (the embedded store to EventStoreDB, or back) and verifies the copy.
//
// Copy reads the source in global order and appends each run of
// consecutive events of one stream as one append, with the exact expected
// revision the target stream must be at, keeping ids, types, data and
// metadata bytes as they are: the hash chains still verify on the target
// and its global order is the source's. Events the target already holds
// at the same revision with the same id (from an earlier, interrupted run)
// are skipped, so a re-run resumes and never duplicates; a target stream
// that holds a different event where the source's belongs stops the copy.
package migrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"unicode/utf16"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// pageSize is how many events Copy and Verify read at a time.
const pageSize = 1000

// Report says what Copy did.
type Report struct {
	Streams int // streams in the source
	Events  int // events in the source
	Copied  int // events this run appended to the target
	Skipped int // events the target already held (an earlier run copied them)
}

// Copy copies every event of from to to, in from's global order. progress,
// if not nil, is called after every append or skipped run with the number
// of source events handled so far. Copy is safe to re-run after it was
// interrupted or after it finished: it appends only what the target lacks.
func Copy(ctx context.Context, from domain.EventStore, to Target, progress func(n int)) (Report, error) {
	var rep Report
	target := map[string][]uuid.UUID{} // stream -> ids the target holds, by revision
	var pos domain.Position
	for {
		page, err := from.ReadAll(ctx, pos, pageSize)
		if err != nil {
			return rep, fmt.Errorf("migrate: read source after position %s: %w", pos, err)
		}
		if len(page) == 0 {
			return rep, nil
		}
		for start := 0; start < len(page); {
			end := start + 1
			for end < len(page) && page[end].Stream == page[start].Stream && page[end].Revision == page[end-1].Revision+1 {
				end++
			}
			if err := copyRun(ctx, to, target, page[start:end], &rep); err != nil {
				return rep, err
			}
			rep.Events += end - start
			if progress != nil {
				progress(rep.Events)
			}
			start = end
		}
		pos = page[len(page)-1].Position
	}
}

// copyRun copies consecutive events of one stream.
func copyRun(ctx context.Context, to Target, target map[string][]uuid.UUID, run []domain.RecordedEvent, rep *Report) error {
	stream := run[0].Stream
	ids, known := target[stream]
	if !known {
		rep.Streams++
		var err error
		ids, err = streamIDs(ctx, to, stream)
		if err != nil {
			return err
		}
	}
	var todo []domain.EventData
	for _, e := range run {
		switch {
		case e.Revision < uint64(len(ids)):
			if ids[e.Revision] != e.ID {
				return fmt.Errorf("migrate: target stream %s holds event %s at revision %d where the source has %s: the target is not a copy of this source; nothing more was copied", stream, ids[e.Revision], e.Revision, e.ID)
			}
			rep.Skipped++
		case e.Revision == uint64(len(ids))+uint64(len(todo)):
			todo = append(todo, domain.EventData{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata})
		default:
			return fmt.Errorf("migrate: source stream %s jumps to revision %d, the target is at %d: events are missing in the source", stream, e.Revision, int64(len(ids))+int64(len(todo))-1)
		}
	}
	for _, part := range splitRun(to, todo) {
		exp := domain.NoStream
		if len(ids) > 0 {
			exp = domain.Exact(uint64(len(ids) - 1))
		}
		if _, err := to.Append(ctx, stream, exp, part); err != nil {
			target[stream] = ids
			return fmt.Errorf("migrate: append %d events to %s at revision %d: %w", len(part), stream, len(ids), err)
		}
		for _, e := range part {
			ids = append(ids, e.ID)
		}
		rep.Copied += len(part)
	}
	target[stream] = ids
	return nil
}

// Target is the store a migration writes to: an event store that says
// the largest append it takes (the EventStoreDB store: MaxAppendSize,
// counted as eventSize does; 0 for a store without a limit). Every
// app/port.Store is one.
type Target interface {
	domain.EventStore
	MaxAppendBytes() int
}

// splitRun cuts a run of one stream's events into appends the target
// accepts: under its size limit, if it has one, and never inside one
// command (events that share a command id were written together and stay
// together). A command larger than the limit alone is left whole for the
// target to refuse with its own error.
func splitRun(to Target, run []domain.EventData) [][]domain.EventData {
	limit := to.MaxAppendBytes()
	if limit <= 0 || len(run) == 0 {
		if len(run) == 0 {
			return nil
		}
		return [][]domain.EventData{run}
	}
	var parts [][]domain.EventData
	start, size := 0, 0
	for i := 0; i < len(run); {
		// The command starting at i: events with the same command id.
		j, cmdSize := i, 0
		cmd := commandOf(run[i])
		for j < len(run) && (j == i || (cmd != uuid.Nil && commandOf(run[j]) == cmd)) {
			cmdSize += eventSize(run[j])
			j++
		}
		if i > start && size+cmdSize > limit {
			parts = append(parts, run[start:i])
			start, size = i, 0
		}
		size += cmdSize
		i = j
	}
	return append(parts, run[start:])
}

// eventSize is an event's size as EventStoreDB counts it against its
// MaxAppendSize: data + metadata + the type's UTF-16 length times 2.
func eventSize(e domain.EventData) int {
	return len(e.Data) + len(e.Metadata) + 2*len(utf16.Encode([]rune(e.Type)))
}

// commandOf returns the id of the command that recorded e (uuid.Nil if
// its metadata does not say).
func commandOf(e domain.EventData) uuid.UUID {
	m, err := domain.DecodeMetadata(e.Metadata)
	if err != nil {
		return uuid.Nil
	}
	return m.CommandID
}

// streamIDs returns the ids of a target stream's events by revision.
func streamIDs(ctx context.Context, store domain.EventStore, stream string) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	for {
		page, err := store.ReadStream(ctx, stream, uint64(len(ids)), domain.Forwards, pageSize)
		if errors.Is(err, domain.ErrNotFound) {
			return ids, nil
		}
		if err != nil {
			return nil, fmt.Errorf("migrate: read target stream %s: %w", stream, err)
		}
		for _, e := range page {
			ids = append(ids, e.ID)
		}
		if len(page) < pageSize {
			return ids, nil
		}
	}
}

// VerifyReport says what Verify compared.
type VerifyReport struct {
	Streams int // streams compared, each with its hash chain verified on the target
	Events  int // events compared
}

// Verify compares from and to event by event in global order: the same
// streams, revisions, ids, types, data and metadata bytes, and nothing
// more or less in to. Then it checks the hash chain of every stream on
// to. The error names the first difference.
func Verify(ctx context.Context, from, to domain.EventStore) (VerifyReport, error) {
	var rep VerifyReport
	chains := map[string]*domain.ChainVerifier{}
	var pf, pt domain.Position
	for {
		a, err := from.ReadAll(ctx, pf, pageSize)
		if err != nil {
			return rep, fmt.Errorf("verify: read source after %s: %w", pf, err)
		}
		b, err := to.ReadAll(ctx, pt, len(a)+1)
		if err != nil {
			return rep, fmt.Errorf("verify: read target after %s: %w", pt, err)
		}
		if len(b) > len(a) {
			e := b[len(a)]
			return rep, fmt.Errorf("verify: the target has more events than the source, from %s revision %d (event %s) on", e.Stream, e.Revision, e.ID)
		}
		if len(b) < len(a) {
			e := a[len(b)]
			return rep, fmt.Errorf("verify: the target lacks events of the source, from %s revision %d (event %s) on", e.Stream, e.Revision, e.ID)
		}
		if len(a) == 0 {
			return rep, nil
		}
		for i := range a {
			if err := same(a[i], b[i]); err != nil {
				return rep, fmt.Errorf("verify: event %d of the global order: %w", rep.Events, err)
			}
			v := chains[b[i].Stream]
			if v == nil {
				v = &domain.ChainVerifier{Stream: b[i].Stream}
				chains[b[i].Stream] = v
				rep.Streams++
			}
			if err := v.Check(b[i]); err != nil {
				return rep, fmt.Errorf("verify: target hash chain: %w", err)
			}
			rep.Events++
		}
		pf, pt = a[len(a)-1].Position, b[len(b)-1].Position
	}
}

// same reports how two events differ, if they do.
func same(a, b domain.RecordedEvent) error {
	switch {
	case a.Stream != b.Stream || a.Revision != b.Revision:
		return fmt.Errorf("source has %s revision %d, target has %s revision %d", a.Stream, a.Revision, b.Stream, b.Revision)
	case a.ID != b.ID:
		return fmt.Errorf("%s revision %d: source id %s, target id %s", a.Stream, a.Revision, a.ID, b.ID)
	case a.Type != b.Type:
		return fmt.Errorf("%s revision %d: source type %s, target type %s", a.Stream, a.Revision, a.Type, b.Type)
	case !bytes.Equal(a.Data, b.Data):
		return fmt.Errorf("%s revision %d: data bytes differ", a.Stream, a.Revision)
	case !bytes.Equal(a.Metadata, b.Metadata):
		return fmt.Errorf("%s revision %d: metadata bytes differ", a.Stream, a.Revision)
	}
	return nil
}
