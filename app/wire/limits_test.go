package wire_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// docExamples are the example commands of docs/commands.md, one per type
// (the data only), each valid as it stands.
var docExamples = map[string]string{
	"register_agreement": `{"agreement": "DEMO/2024/7", "kind": "grant", "title": "Consultations for NGOs in Kurzeme", "grantee": "Biedrība Piemērs", "funder": "Kultūras ministrija", "programme": "NVO fonds", "support_intensity": "100", "total_funding": "2 400,00", "period": {"from": "2024-01-01", "to": "2025-12-31"}, "years": [{"year": 1, "from": "2024-01-01", "to": "2024-12-31"}, {"year": 2, "from": "01.01.2025.", "to": "31.12.2025."}], "lines": [{"line": "civil", "name": "Civil society development"}]}`,
	"add_budget_line":    `{"agreement": "DEMO/2024/7", "line": "travel", "name": "Travel"}`,
	"record_spending":    `{"agreement": "DEMO/2024/7", "line": "civil", "year": 1, "amount": "250.00", "date": "2024-03-15", "document": "INV-2024-031", "description": "Hall rent, March"}`,
	"declare_ineligible": `{"agreement": "DEMO/2024/7", "line": "civil", "year": 1, "amount": "50,00", "date": "2024-11-05", "description": "Catering is not an eligible cost"}`,
	"return_unspent":     `{"agreement": "DEMO/2024/7", "line": "civil", "year": 1, "date": "2025-01-15"}`,
	"define_indicator":   `{"agreement": "DEMO/2024/7", "indicator": "ngos-consulted", "name": "Unique NGOs consulted", "unit": "NGOs", "aggregation": "distinct", "targets": [{"year": 1, "target": 50, "due": "2024-12-31"}, {"year": 2, "target": 60}]}`,
	"record_delivery":    `{"agreement": "DEMO/2024/7", "indicator": "ngos-consulted", "year": 1, "identifiers": ["40008000001", "40008000002", "40008000003"], "date": "2024-06-30", "evidence": "Consultation log, June"}`,
}

// limit is one limit of docs/commands.md: the field, where it is, and a
// value of n units (characters or entries).
type limit struct {
	typ   string // command type; "" for the envelope
	field string // the JSON name of the field, as the error names it
	max   int
	value func(n int) any // a value of size n
}

func text(r string) func(int) any { return func(n int) any { return strings.Repeat(r, n) } }

// TestFieldLimits tries every limit that docs/commands.md states, at the
// limit (accepted) and one past it (refused, naming the field). Texts are
// made of "ā", two bytes in UTF-8: limits count characters, as the docs
// say, not bytes. Codes (line, indicator) are ASCII by rule.
func TestFieldLimits(t *testing.T) {
	lines := func(n int) any {
		ls := make([]map[string]string, n)
		for i := range ls {
			ls[i] = map[string]string{"line": fmt.Sprintf("l%d", i), "name": "x"}
		}
		return ls
	}
	years := func(n int) any {
		ys := make([]map[string]any, n)
		for i := range ys {
			ys[i] = map[string]any{"year": i + 1, "from": fmt.Sprintf("%d-01-01", 2000+i), "to": fmt.Sprintf("%d-12-31", 2000+i)}
		}
		return ys
	}
	targets := func(n int) any {
		ts := make([]map[string]any, n)
		for i := range ts {
			ts[i] = map[string]any{"year": i + 1, "target": 1}
		}
		return ts
	}
	identifiers := func(n int) any {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("id%d", i)
		}
		return ids
	}
	for _, l := range []limit{
		{"", "actor", 200, text("ā")},
		{"", "reason", 2000, text("ā")},
		{"record_spending", "agreement", 100, text("ā")},
		{"register_agreement", "title", 500, text("ā")},
		{"register_agreement", "grantee", 300, text("ā")},
		{"register_agreement", "funder", 300, text("ā")},
		{"register_agreement", "programme", 300, text("ā")},
		{"register_agreement", "lines", 200, lines},
		{"register_agreement", "years", 50, years},
		{"add_budget_line", "line", 64, text("x")},
		{"add_budget_line", "name", 300, text("ā")},
		{"record_spending", "line", 64, text("x")},
		{"record_spending", "document", 200, text("ā")},
		{"record_spending", "description", 1000, text("ā")},
		{"declare_ineligible", "description", 1000, text("ā")},
		{"return_unspent", "to", 300, text("ā")},
		{"define_indicator", "indicator", 64, text("x")},
		{"define_indicator", "name", 300, text("ā")},
		{"define_indicator", "unit", 64, text("ā")},
		{"define_indicator", "targets", 50, targets},
		{"record_delivery", "identifiers", 10000, identifiers},
		{"record_delivery", "identifiers[0]", 200, func(n int) any { return []string{strings.Repeat("ā", n)} }},
		{"record_delivery", "evidence", 500, text("ā")},
		{"record_delivery", "quantity", 1_000_000_000_000, func(n int) any { return n }},
		{"define_indicator", "targets[0].target", 1_000_000_000_000, func(n int) any { return []map[string]any{{"year": 1, "target": n}} }},
		{"record_delivery", "year", 50, func(n int) any { return n }},
	} {
		name := l.typ + "." + l.field
		if l.typ == "" {
			name = "envelope." + l.field
		}
		t.Run(name, func(t *testing.T) {
			if _, err := decodeWith(t, l, l.max); err != nil {
				t.Errorf("%s of %d (the limit): refused: %v", l.field, l.max, err)
			}
			_, err := decodeWith(t, l, l.max+1)
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("%s of %d (one past the limit): got %v, want a domain error", l.field, l.max+1, err)
			}
			if f := strings.TrimPrefix(de.Field, "data."); f != l.field && !strings.HasPrefix(f, strings.SplitN(l.field, "[", 2)[0]) {
				t.Errorf("%s of %d: error names field %q: %v", l.field, l.max+1, de.Field, err)
			}
			if !strings.Contains(err.Error(), fmt.Sprint(l.max)) {
				t.Errorf("%s of %d: error %q does not say the limit %d", l.field, l.max+1, err, l.max)
			}
		})
	}
}

// decodeWith builds the example command of l.typ (record_spending for the
// envelope's fields) with l.field set to a value of size n, and decodes it
// as the CLI and the server do.
func decodeWith(t *testing.T, l limit, n int) (domain.Command, error) {
	t.Helper()
	typ := l.typ
	if typ == "" {
		typ = "record_spending"
	}
	var data map[string]any
	if err := json.Unmarshal([]byte(docExamples[typ]), &data); err != nil {
		t.Fatal(err)
	}
	env := map[string]any{"type": typ, "command_id": "0b5e1c1e-0000-4000-8000-000000000001", "actor": "officer@ministry.example.lv"}
	switch field := strings.SplitN(l.field, "[", 2)[0]; {
	case l.typ == "":
		env[field] = l.value(n)
	default:
		data[field] = l.value(n)
	}
	env["data"] = data
	b, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	e, err := wire.DecodeEnvelope(b)
	if err != nil {
		return nil, err
	}
	return wire.DecodeCommand(e)
}

// TestEnvelopeSizeLimit: docs/commands.md, a command of more than 1 MiB is
// refused. Exactly 1 MiB (padded with JSON whitespace) is accepted.
func TestEnvelopeSizeLimit(t *testing.T) {
	base := `{"type": "record_spending", "command_id": "0b5e1c1e-0000-4000-8000-000000000001", "actor": "a", "data": ` + docExamples["record_spending"] + `}`
	const mib = 1 << 20
	at := base + strings.Repeat(" ", mib-len(base))
	if _, err := wire.DecodeEnvelope([]byte(at)); err != nil {
		t.Errorf("a command of exactly 1 MiB: %v", err)
	}
	_, err := wire.DecodeEnvelope([]byte(at + " "))
	if err == nil || !strings.Contains(err.Error(), "1048576") {
		t.Errorf("a command of 1 MiB + 1 byte: %v, want a refusal naming the 1048576-byte limit", err)
	}
}
