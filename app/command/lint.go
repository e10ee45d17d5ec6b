package command

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Finding is something in a ledger that today's rules would have refused
// but an older grantledger (or a race between processes on a store without
// guarded appends) let in. The events stand; the finding says what to look
// at.
type Finding struct {
	Code       string   `json:"code"` // look_alike_numbers, command_id_reused, non_canonical_number
	Agreements []string `json:"agreements"`
	CommandID  string   `json:"command_id,omitempty"`
	Message    string   `json:"message"`
}

// Lint reads the whole ledger and lists agreements registered under
// numbers people cannot tell apart (domain.NumberKeys), under numbers not
// in canonical form (domain.CheckNumber), and command ids applied to more
// than one agreement. Findings come in a stable order.
func Lint(ctx context.Context, store domain.EventStore) ([]Finding, error) {
	var numbers []string
	byKey := map[string][]string{}
	cmds := map[uuid.UUID][]string{}
	streamNumber := map[string]string{}
	var pos domain.Position
	for {
		evs, err := store.ReadAll(ctx, pos, 4096)
		if err != nil {
			return nil, fmt.Errorf("read the ledger: %w", err)
		}
		for _, e := range evs {
			pos = e.Position
			if !strings.HasPrefix(e.Stream, domain.StreamPrefix) {
				continue
			}
			if e.Type == "AgreementRegistered" {
				var r struct {
					Number string `json:"agreement"`
				}
				if json.Unmarshal(e.Data, &r) == nil {
					if _, seen := streamNumber[e.Stream]; !seen {
						streamNumber[e.Stream] = r.Number
						numbers = append(numbers, r.Number)
						for _, k := range domain.NumberKeys(r.Number) {
							byKey[k] = append(byKey[k], r.Number)
						}
					}
				}
			}
			var m struct {
				CommandID uuid.UUID `json:"command_id"`
			}
			if json.Unmarshal(e.Metadata, &m) == nil && m.CommandID != uuid.Nil {
				seen := false
				for _, s := range cmds[m.CommandID] {
					seen = seen || s == e.Stream
				}
				if !seen {
					cmds[m.CommandID] = append(cmds[m.CommandID], e.Stream)
				}
			}
		}
		if len(evs) < 4096 {
			break
		}
	}
	var out []Finding
	sort.Strings(numbers)
	for _, n := range numbers {
		if err := domain.CheckNumber(n); err != nil {
			msg := err.Error()
			if de, ok := err.(*domain.Error); ok {
				msg = de.Message
			}
			out = append(out, Finding{Code: "non_canonical_number", Agreements: []string{n},
				Message: fmt.Sprintf("agreement %q would not be accepted as a new number today: %s", n, msg)})
		}
	}
	groups := map[string]bool{}
	for _, ns := range byKey {
		if len(ns) < 2 {
			continue
		}
		g := append([]string(nil), ns...)
		sort.Strings(g)
		id := strings.Join(g, "\x00")
		if groups[id] {
			continue
		}
		groups[id] = true
		q := make([]string, len(g))
		for i, n := range g {
			q[i] = fmt.Sprintf("%q", n)
		}
		out = append(out, Finding{Code: "look_alike_numbers", Agreements: g,
			Message: fmt.Sprintf("agreements %s have numbers people cannot tell apart (the same after ignoring case and letters that look alike); each is looked up by its exact number", strings.Join(q, ", "))})
	}
	for id, streams := range cmds {
		if len(streams) < 2 {
			continue
		}
		var ns []string
		for _, s := range streams {
			if n, ok := streamNumber[s]; ok {
				ns = append(ns, n)
			} else {
				ns = append(ns, s)
			}
		}
		sort.Strings(ns)
		out = append(out, Finding{Code: "command_id_reused", Agreements: ns, CommandID: id.String(),
			Message: fmt.Sprintf("command id %s was applied to %d agreements (%s); a command id is meant for one command", id, len(ns), strings.Join(ns, ", "))})
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Code != out[j].Code {
			return out[i].Code < out[j].Code
		}
		return strings.Join(out[i].Agreements, "\x00")+out[i].CommandID < strings.Join(out[j].Agreements, "\x00")+out[j].CommandID
	})
	return out, nil
}
