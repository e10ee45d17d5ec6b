package reliability

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Cell names one budget line in one implementation year.
type Cell struct {
	Line string
	Year int
}

// Tally is what a store holds, counted straight from the stored events
// without the aggregate or the projections, so it can check both.
type Tally struct {
	Events    int
	Streams   int
	ByCommand map[uuid.UUID]int     // events per command id
	Spent     map[Cell]domain.Money // sum of SpendingRecorded amounts
	Planned   map[Cell]domain.Money // sum of BudgetPlanned amounts
	Spendings int                   // number of SpendingRecorded events
}

// Audit reads every event of store in global order, checks each stream's
// hash chain and counts what it finds. A broken chain is returned as the
// *domain.TamperError of its first bad event.
func Audit(ctx context.Context, store domain.EventStore) (Tally, error) {
	t := Tally{ByCommand: map[uuid.UUID]int{}, Spent: map[Cell]domain.Money{}, Planned: map[Cell]domain.Money{}}
	chains := map[string]*domain.ChainVerifier{}
	var from domain.Position
	for {
		evs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return t, fmt.Errorf("audit: read after %s: %w", from, err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			from = e.Position
			v := chains[e.Stream]
			if v == nil {
				v = &domain.ChainVerifier{Stream: e.Stream}
				chains[e.Stream] = v
			}
			if err := v.Check(e); err != nil {
				return t, err
			}
			m, err := domain.DecodeMetadata(e.Metadata)
			if err != nil {
				return t, err
			}
			t.Events++
			t.ByCommand[m.CommandID]++
			var f struct {
				Line   string       `json:"line"`
				Year   int          `json:"year"`
				Amount domain.Money `json:"amount"`
			}
			switch e.Type {
			case domain.TypeSpendingRecorded:
				if err := json.Unmarshal(e.Data, &f); err != nil {
					return t, fmt.Errorf("audit: %s revision %d: %w", e.Stream, e.Revision, err)
				}
				t.Spent[Cell{f.Line, f.Year}] += f.Amount
				t.Spendings++
			case domain.TypeBudgetPlanned:
				if err := json.Unmarshal(e.Data, &f); err != nil {
					return t, fmt.Errorf("audit: %s revision %d: %w", e.Stream, e.Revision, err)
				}
				t.Planned[Cell{f.Line, f.Year}] += f.Amount
			}
		}
	}
	t.Streams = len(chains)
	return t, nil
}

// CheckCell checks the conservation identity of one line and year,
// planned + carried_in = actual + carried_over + returned + remainder, with
// planned and actual taken from the raw events (the tally) and the rest
// from the figures under test (the aggregate's or a projection's). It
// also checks that the figures' own planned and actual equal the tally's.
func (t Tally) CheckCell(c Cell, planned, carriedIn, actual, carriedOver, returned, remainder domain.Money) error {
	if planned != t.Planned[c] {
		return fmt.Errorf("%s year %d: planned %s, but the events plan %s", c.Line, c.Year, planned, t.Planned[c])
	}
	if actual != t.Spent[c] {
		return fmt.Errorf("%s year %d: actual %s, but the events spend %s", c.Line, c.Year, actual, t.Spent[c])
	}
	if l, r := t.Planned[c]+carriedIn, t.Spent[c]+carriedOver+returned+remainder; l != r {
		return fmt.Errorf("%s year %d: planned %s + carried in %s = %s, but actual %s + carried over %s + returned %s + remainder %s = %s",
			c.Line, c.Year, t.Planned[c], carriedIn, l, t.Spent[c], carriedOver, returned, remainder, r)
	}
	return nil
}
