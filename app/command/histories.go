package command

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Entry is one decoded event of an agreement's stream.
type Entry struct {
	ID    uuid.UUID
	Meta  domain.Metadata
	Event domain.Event
}

// History is an agreement's events in stream order and its folded state.
type History struct {
	Agg    *domain.Agreement
	Events []Entry
}

// historyPage bounds one store read of LoadHistories.
const historyPage = 1000

// LoadHistories reads the histories of the named agreements, or of every agreement
// in the store (in the order they were first written) when numbers is empty.
func LoadHistories(ctx context.Context, store domain.EventStore, numbers []string) ([]*History, error) {
	reg := domain.NewEventRegistry()
	var out []*History
	if len(numbers) > 0 {
		for _, n := range numbers {
			h := &History{Agg: domain.NewAgreement()}
			stream := domain.StreamFor(n)
			for from := uint64(0); ; {
				evs, err := store.ReadStream(ctx, stream, from, domain.Forwards, historyPage)
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
				if len(evs) < historyPage {
					break
				}
				from = evs[len(evs)-1].Revision + 1
			}
			out = append(out, h)
		}
		return out, nil
	}
	byStream := map[string]*History{}
	for from := (domain.Position{}); ; {
		evs, err := store.ReadAll(ctx, from, historyPage)
		if err != nil {
			return nil, fmt.Errorf("read all events after %s: %w", from, err)
		}
		for _, e := range evs {
			if !strings.HasPrefix(e.Stream, domain.StreamPrefix) {
				continue
			}
			h := byStream[e.Stream]
			if h == nil {
				h = &History{Agg: domain.NewAgreement()}
				byStream[e.Stream] = h
				out = append(out, h)
			}
			if err := h.add(reg, e); err != nil {
				return nil, err
			}
		}
		if len(evs) < historyPage {
			break
		}
		from = evs[len(evs)-1].Position
	}
	return out, nil
}

func (h *History) add(reg *domain.EventRegistry, e domain.RecordedEvent) error {
	m, err := domain.DecodeMetadata(e.Metadata)
	if err != nil {
		return fmt.Errorf("%s revision %d: %w", e.Stream, e.Revision, err)
	}
	ev, err := reg.Decode(e.Type, m.SchemaVersion, e.Data)
	if err != nil {
		return fmt.Errorf("%s revision %d: %w", e.Stream, e.Revision, err)
	}
	h.Agg.Apply(e.ID, ev)
	h.Events = append(h.Events, Entry{ID: e.ID, Meta: m, Event: ev})
	return nil
}
