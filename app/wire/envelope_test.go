package wire_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

const testID = "6f1c1a52-8d1e-4d0a-9a55-3f5b6f0d2c11"

// line builds an envelope line around data for a command type.
func line(typ, data string) string {
	return `{"type":"` + typ + `","command_id":"` + testID + `","actor":"accountant","data":` + data + `}`
}

func TestDecodeEnvelopeAndCommand(t *testing.T) {
	plan := `{"agreement":"A-1","line":"civil","year":1,"amount":"30 000,00"}`
	t.Run("decodes a good line", func(t *testing.T) {
		env, err := wire.DecodeEnvelope([]byte(line("plan_budget", plan)))
		if err != nil {
			t.Fatalf("DecodeEnvelope: %v", err)
		}
		if env.Type != "plan_budget" || env.CommandID != uuid.MustParse(testID) || env.Actor != "accountant" {
			t.Errorf("envelope = %+v", env)
		}
		cmd, err := wire.DecodeCommand(env)
		if err != nil {
			t.Fatalf("DecodeCommand: %v", err)
		}
		want := domain.PlanBudget{Ref: domain.Ref{Agreement: "A-1"}, Line: "civil", Year: 1, Amount: m("30000")}
		if !reflect.DeepEqual(cmd, want) {
			t.Errorf("command = %#v, want %#v", cmd, want)
		}
	})
	t.Run("invalid UTF-8 in a free-text field is refused, not repaired", func(t *testing.T) {
		bad := line("record_spending", `{"agreement":"A-1","line":"civil","year":1,"amount":"1.00","date":"2023-01-05","document":"D","description":"caf`+"\xe9"+`"}`)
		_, err := wire.DecodeEnvelope([]byte(bad))
		if domain.ErrorCode(err) != domain.EInvalid || err == nil || !strings.Contains(err.Error(), "not valid UTF-8 (first bad byte at offset") {
			t.Fatalf("got %v, want an invalid-UTF-8 error with its offset", err)
		}
	})
	t.Run("round trip through NewEnvelope", func(t *testing.T) {
		for _, typ := range domain.CommandTypes() {
			c, ok := domain.NewCommand(typ)
			if !ok || c.CommandType() != typ {
				t.Fatalf("NewCommand(%q) = %v, %v", typ, c, ok)
			}
		}
		cmd := spend(civil, 1, "47 786,53", "15.07.2022.")
		env := domain.NewEnvelope(uuid.MustParse(testID), "a", "why", cmd)
		got, err := wire.DecodeCommand(env)
		if err != nil {
			t.Fatalf("DecodeCommand: %v", err)
		}
		if !reflect.DeepEqual(got, domain.Command(cmd)) {
			t.Errorf("round trip = %#v, want %#v", got, cmd)
		}
	})

	tests := []struct {
		name  string
		in    string
		field string // *Error.Field; "" when the error names no field
		says  string
	}{
		{"unknown envelope field", strings.Replace(line("plan_budget", plan), `"actor"`, `"foo":1,"actor"`, 1), "", `unknown field "foo"`},
		{"unknown data field", line("plan_budget", `{"agreement":"A-1","line":"civil","year":1,"amount":"1","colour":"red"}`), "", `data: unknown field "colour"`},
		{"trailing object", line("plan_budget", plan) + ` {}`, "", "unexpected data after the JSON object"},
		{"trailing garbage", line("plan_budget", plan) + ` x`, "", "unexpected data after the JSON object"},
		{"two envelopes on one line", line("plan_budget", plan) + line("plan_budget", plan), "", "unexpected data after the JSON object"},
		{"empty", ``, "", "empty input"},
		{"truncated", strings.TrimSuffix(line("plan_budget", plan), "}"), "", "ends before the object is complete"},
		{"not an object", `[1,2]`, "", "expected a JSON object, got JSON array"},
		{"malformed", `{"type":}`, "", "malformed JSON"},
		{"missing type", `{"command_id":"` + testID + `","actor":"a","data":{}}`, "type", "missing; one of accept_report, add_budget_line"},
		{"unknown type", line("pay_invoice", plan), "type", `unknown command type "pay_invoice"`},
		{"missing command id", `{"type":"plan_budget","actor":"a","data":` + plan + `}`, "command_id", "every command needs a UUID"},
		{"nil command id", strings.Replace(line("plan_budget", plan), testID, uuid.Nil.String(), 1), "command_id", "missing"},
		{"command id not a uuid", strings.Replace(line("plan_budget", plan), testID, "cmd-1", 1), "command_id", "not a UUID"},
		{"command id a number", strings.Replace(line("plan_budget", plan), `"`+testID+`"`, `12`, 1), "command_id", "expected a UUID string, got JSON number"},
		{"missing actor", `{"type":"plan_budget","command_id":"` + testID + `","data":` + plan + `}`, "actor", "say who is acting"},
		{"blank actor", strings.Replace(line("plan_budget", plan), `"accountant"`, `"  "`, 1), "actor", "missing"},
		{"actor a number", strings.Replace(line("plan_budget", plan), `"accountant"`, `7`, 1), "actor", "expected a string, got JSON number"},
		{"missing data", `{"type":"plan_budget","command_id":"` + testID + `","actor":"a"}`, "data", "missing"},
		{"null data", line("plan_budget", `null`), "data", "missing"},
		{"data an array", line("plan_budget", `[1]`), "", "data: expected a JSON object, got JSON array"},
		{"amount as a JSON number", line("plan_budget", `{"agreement":"A-1","line":"civil","year":1,"amount":30000.00}`), "data.amount", "write amounts as strings"},
		{"amount ambiguous", line("plan_budget", `{"agreement":"A-1","line":"civil","year":1,"amount":"1.234"}`), "data.amount", "ambiguous"},
		{"year as a string", line("plan_budget", `{"agreement":"A-1","line":"civil","year":"1","amount":"1"}`), "data.year", "expected a whole number, got JSON string"},
		{"year as a fraction", line("plan_budget", `{"agreement":"A-1","line":"civil","year":1.5,"amount":"1"}`), "data.year", "expected a whole number"},
		{"date as a number", line("record_spending", `{"agreement":"A-1","line":"civil","year":1,"amount":"1","date":20220715,"document":"x"}`), "data.date", "write dates as strings"},
		{"date not a day", line("record_spending", `{"agreement":"A-1","line":"civil","year":1,"amount":"1","date":"2022-02-30","document":"x"}`), "data.date", "not a calendar day"},
		{"spending id not a uuid", line("reverse_spending", `{"agreement":"A-1","spending":"invoice-7","date":"2023-01-01"}`), "data.spending", "not a UUID"},
		{"identifiers not a list", line("record_delivery", `{"agreement":"A-1","indicator":"x","year":1,"identifiers":"A","date":"2023-01-01"}`), "data.identifiers", "expected a list"},
		{"validation after decoding", line("plan_budget", `{"agreement":"A-1","line":"civil","year":0,"amount":"1"}`), "year", "year must be at least 1"},
		{"required fields in data", line("record_spending", `{"agreement":"A-1"}`), "line", "line is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, err := wire.DecodeEnvelope([]byte(tt.in))
			if err == nil {
				_, err = wire.DecodeCommand(env)
			}
			if err == nil {
				t.Fatalf("decoding %s succeeded, want an error", tt.in)
			}
			var de *domain.Error
			if !errors.As(err, &de) {
				t.Fatalf("error %v (%T) is not a *domain.Error", err, err)
			}
			if de.Code != domain.EInvalid {
				t.Errorf("code = %q, want %q", de.Code, domain.EInvalid)
			}
			if de.Field != tt.field {
				t.Errorf("field = %q, want %q (error: %v)", de.Field, tt.field, err)
			}
			if !strings.Contains(err.Error(), tt.says) {
				t.Errorf("error %q does not say %q", err, tt.says)
			}
			if strings.Contains(err.Error(), "domain.") || strings.Contains(err.Error(), "uuid.UUID") {
				t.Errorf("error %q names a Go type", err)
			}
		})
	}

	t.Run("oversized", func(t *testing.T) {
		big := line("plan_budget", `{"agreement":"`+strings.Repeat("x", wire.MaxEnvelopeBytes)+`"}`)
		_, err := wire.DecodeEnvelope([]byte(big))
		if err == nil || !strings.Contains(err.Error(), "more than the") {
			t.Errorf("DecodeEnvelope of %d bytes: %v, want a size error", len(big), err)
		}
	})
	t.Run("DecodeCommand checks the envelope too", func(t *testing.T) {
		_, err := wire.DecodeCommand(domain.Envelope{Type: "plan_budget", Actor: "a", Data: []byte(plan)})
		var de *domain.Error
		if !errors.As(err, &de) || de.Field != "command_id" {
			t.Errorf("DecodeCommand without command id: %v, want a command_id error", err)
		}
	})
}
