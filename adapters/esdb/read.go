package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/grantledger/grantledger/domain"
)

// readPage is how many events one read call asks for when the caller
// wants them all.
const readPage = 4096

// ReadStream implements domain.EventStore. A stream with no events (or
// one the server does not have) returns an error that errors.Is
// domain.ErrNotFound.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir domain.Direction, max int) ([]domain.RecordedEvent, error) {
	var out []domain.RecordedEvent
	for {
		want := uint64(readPage)
		if max > 0 {
			want = min(want, uint64(max-len(out)))
		}
		page, err := s.readStreamPage(ctx, stream, from, dir, want)
		if err != nil {
			if len(out) > 0 && errors.Is(err, domain.ErrNotFound) {
				return out, nil
			}
			return nil, err
		}
		out = append(out, page...)
		if uint64(len(page)) < want || (max > 0 && len(out) >= max) {
			return out, nil
		}
		last := page[len(page)-1].Revision
		if dir == domain.Backwards {
			if last == 0 {
				return out, nil
			}
			from = last - 1
		} else {
			from = last + 1
		}
	}
}

func (s *Store) readStreamPage(ctx context.Context, stream string, from uint64, dir domain.Direction, count uint64) ([]domain.RecordedEvent, error) {
	opts := client.ReadStreamOptions{Direction: client.Forwards, From: client.Revision(from)}
	if dir == domain.Backwards {
		opts.Direction = client.Backwards
		if from == math.MaxUint64 {
			opts.From = client.End{}
		}
	}
	var out []domain.RecordedEvent
	err := s.do(ctx, func(ctx context.Context, cl *client.Client) error {
		out = out[:0]
		rs, err := cl.ReadStream(ctx, stream, opts, count)
		if err != nil {
			return err
		}
		defer rs.Close()
		for {
			ev, err := rs.Recv()
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
			out = append(out, fromClient(ev))
		}
	})
	if err != nil {
		if code(err) == client.ErrorCodeResourceNotFound {
			return nil, fmt.Errorf("read stream %s: %w", stream, domain.ErrNotFound)
		}
		return nil, s.wrap("read stream "+stream, err)
	}
	return out, nil
}

// lastEvent returns the last event of stream, or nil if it has none.
func (s *Store) lastEvent(ctx context.Context, stream string) (*domain.RecordedEvent, error) {
	evs, err := s.readStreamPage(ctx, stream, math.MaxUint64, domain.Backwards, 1)
	if errors.Is(err, domain.ErrNotFound) || (err == nil && len(evs) == 0) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &evs[0], nil
}

// lastRevision returns the revision of the last event of stream, -1 if it
// has none.
func (s *Store) lastRevision(ctx context.Context, stream string) (int64, error) {
	e, err := s.lastEvent(ctx, stream)
	if err != nil || e == nil {
		return -1, err
	}
	return int64(e.Revision), nil
}

// ReadAll implements domain.EventStore. It reads $all forwards from after
// from, leaving out system events, and pages until it has max events or
// reaches the end.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	var out []domain.RecordedEvent
	cursor := from
	for {
		// EventStoreDB reads $all from a position inclusively: ask for one
		// more, the event at cursor, which is then skipped.
		want := uint64(readPage)
		if max > 0 {
			want = min(want, uint64(max-len(out))+1)
		}
		opts := client.ReadAllOptions{Direction: client.Forwards, From: client.Start{}}
		if !cursor.IsZero() {
			opts.From = client.Position{Commit: cursor.Commit, Prepare: cursor.Prepare}
		}
		var got int
		var next domain.Position
		var page []domain.RecordedEvent
		err := s.do(ctx, func(ctx context.Context, cl *client.Client) error {
			got, next, page = 0, cursor, page[:0]
			rs, err := cl.ReadAll(ctx, opts, want)
			if err != nil {
				return err
			}
			defer rs.Close()
			for {
				ev, err := rs.Recv()
				if errors.Is(err, io.EOF) {
					return nil
				}
				if err != nil {
					return err
				}
				got++
				e := fromClient(ev)
				if !cursor.Less(e.Position) && !cursor.IsZero() {
					continue // the event at cursor, already returned
				}
				next = e.Position
				if isSystem(e.Stream, e.Type) || reserved(e.Stream) {
					continue
				}
				page = append(page, e)
			}
		})
		if err != nil {
			return nil, s.wrap("read $all", err)
		}
		for _, e := range page {
			if max > 0 && len(out) >= max {
				return out, nil
			}
			out = append(out, e)
		}
		if uint64(got) < want || (max > 0 && len(out) >= max) || !cursor.Less(next) {
			return out, nil
		}
		cursor = next
	}
}

// isSystem reports whether an event belongs to EventStoreDB itself.
func isSystem(stream, typ string) bool {
	return strings.HasPrefix(stream, "$") || strings.HasPrefix(typ, "$")
}

// fromClient converts a read event. Links are not resolved, so the event
// is the original one.
func fromClient(ev *client.ResolvedEvent) domain.RecordedEvent {
	r := ev.OriginalEvent()
	pos := domain.Position{Commit: r.Position.Commit, Prepare: r.Position.Prepare}
	if pos.Commit == math.MaxUint64 {
		// Servers before 22.x do not know an event's position when it is
		// read from its stream (rather than from $all).
		pos = domain.Position{}
	}
	return domain.RecordedEvent{
		Stream:   r.StreamID,
		Revision: r.EventNumber,
		Position: pos,
		ID:       r.EventID,
		Type:     r.EventType,
		Data:     r.Data,
		Metadata: r.UserMetadata,
		Created:  r.CreatedDate,
	}
}
