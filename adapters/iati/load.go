package iati

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// entry is one decoded event of an agreement's stream.
type entry struct {
	ID    uuid.UUID
	Meta  domain.Metadata
	Event domain.Event
}

// history is an agreement's events in stream order and its folded state.
type history struct {
	Agg    *domain.Agreement
	Events []entry
}

// pageSize bounds one store read.
const pageSize = 1000

// load reads the histories of the named agreements, or of every agreement
// in the store (in the order they were first written) when numbers is empty.
func load(ctx context.Context, store domain.EventStore, numbers []string) ([]*history, error) {
	reg := domain.NewEventRegistry()
	var out []*history
	if len(numbers) > 0 {
		for _, n := range numbers {
			h := &history{Agg: domain.NewAgreement()}
			stream := domain.StreamFor(n)
			for from := uint64(0); ; {
				evs, err := store.ReadStream(ctx, stream, from, domain.Forwards, pageSize)
				if errors.Is(err, domain.ErrNotFound) {
					return nil, &domain.Error{Code: domain.ENotFound, Field: "agreement", Message: fmt.Sprintf("agreement %q is not registered", n), Err: domain.ErrNotFound}
				}
				if err != nil {
					return nil, fmt.Errorf("read agreement %s: %w", n, err)
				}
				for _, e := range evs {
					if err := h.add(reg, e); err != nil {
						return nil, err
					}
				}
				if len(evs) < pageSize {
					break
				}
				from = evs[len(evs)-1].Revision + 1
			}
			out = append(out, h)
		}
		return out, nil
	}
	byStream := map[string]*history{}
	for from := (domain.Position{}); ; {
		evs, err := store.ReadAll(ctx, from, pageSize)
		if err != nil {
			return nil, fmt.Errorf("read all events after %s: %w", from, err)
		}
		for _, e := range evs {
			if !strings.HasPrefix(e.Stream, domain.StreamPrefix) {
				continue
			}
			h := byStream[e.Stream]
			if h == nil {
				h = &history{Agg: domain.NewAgreement()}
				byStream[e.Stream] = h
				out = append(out, h)
			}
			if err := h.add(reg, e); err != nil {
				return nil, err
			}
		}
		if len(evs) < pageSize {
			break
		}
		from = evs[len(evs)-1].Position
	}
	return out, nil
}

func (h *history) add(reg *domain.EventRegistry, e domain.RecordedEvent) error {
	m, err := domain.DecodeMetadata(e.Metadata)
	if err != nil {
		return fmt.Errorf("%s revision %d: %w", e.Stream, e.Revision, err)
	}
	ev, err := reg.Decode(e.Type, m.SchemaVersion, e.Data)
	if err != nil {
		return fmt.Errorf("%s revision %d: %w", e.Stream, e.Revision, err)
	}
	h.Agg.Apply(e.ID, ev)
	h.Events = append(h.Events, entry{ID: e.ID, Meta: m, Event: ev})
	return nil
}
