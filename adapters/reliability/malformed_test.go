package reliability

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// envelopeJSON builds a command line from its parts; data is raw JSON.
func envelopeJSON(typ, id, actor, reason, data string) string {
	q := func(v string) string { b, _ := json.Marshal(v); return string(b) }
	s := `{"type":` + q(typ) + `,"command_id":` + q(id) + `,"actor":` + q(actor)
	if reason != "" {
		s += `,"reason":` + q(reason)
	}
	return s + `,"data":` + data + `}`
}

// spendingData returns record_spending data with one field replaced by raw
// JSON (or removed when raw is "").
func spendingData(field, raw string) string {
	fields := map[string]string{
		"agreement": `"` + Agreement + `"`, "line": `"civil"`, "year": `1`, "amount": `"12.34"`,
		"date": `"2023-08-01"`, "document": `"INV-1"`,
	}
	if field != "" {
		fields[field] = raw
	}
	var parts []string
	for _, k := range []string{"agreement", "line", "year", "amount", "date", "document", "description", "extra"} {
		if v, ok := fields[k]; ok && v != "" {
			parts = append(parts, fmt.Sprintf("%q:%s", k, v))
		}
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func spending(field, raw string) string {
	return envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), Actor, "", spendingData(field, raw))
}

// TestMalformedInputIsRefused sends each malformed command line through
// the same path as "grantledger apply" and the HTTP API (DecodeEnvelope,
// the command's decoding, then command.Service.Handle) and checks the exact error code, a fragment
// of the message that tells the person what was wrong, and that nothing
// was appended to the store.
func TestMalformedInputIsRefused(t *testing.T) {
	nested := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	reused := uuid.New()
	cases := []struct {
		name     string
		line     string
		code     string
		fragment string
	}{
		// The envelope.
		{"empty input", "", domain.EInvalid, "empty input"},
		{"not an object", `[1,2]`, domain.EInvalid, "expected a JSON object, got JSON array"},
		{"JSON null", `null`, domain.EInvalid, "type: missing"},
		{"truncated JSON", `{"type":"record_spending"`, domain.EInvalid, "the JSON ends before the object is complete"},
		{"syntax error", `{"type":record_spending}`, domain.EInvalid, "malformed JSON at byte"},
		{"two objects on one line", spending("", "") + `{}`, domain.EInvalid, "unexpected data after the JSON object"},
		{"type missing", envelopeJSON("", uuid.NewString(), Actor, "", spendingData("", "")), domain.EInvalid, "type: missing"},
		{"type unknown", envelopeJSON("delete_everything", uuid.NewString(), Actor, "", `{}`), domain.EInvalid, `unknown command type "delete_everything"`},
		{"type not a string", `{"type":7,"command_id":"` + uuid.NewString() + `","actor":"a","data":{}}`, domain.EInvalid, "type: expected a string, got JSON number"},
		{"type with invalid UTF-8", "{\"type\":\"record_\xff\xfespending\",\"command_id\":\"" + uuid.NewString() + "\",\"actor\":\"a\",\"data\":{}}", domain.EInvalid, "not valid UTF-8"},
		{"command id missing", envelopeJSON(domain.CmdRecordSpending, "", Actor, "", spendingData("", "")), domain.EInvalid, "invalid UUID length: 0"},
		{"command id not a UUID", envelopeJSON(domain.CmdRecordSpending, "12345", Actor, "", spendingData("", "")), domain.EInvalid, "invalid UUID length: 5"},
		{"command id nil UUID", envelopeJSON(domain.CmdRecordSpending, uuid.Nil.String(), Actor, "", spendingData("", "")), domain.EInvalid, "command_id: missing"},
		{"actor missing", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), "", "", spendingData("", "")), domain.EInvalid, "actor: missing"},
		{"actor blank", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), "   ", "", spendingData("", "")), domain.EInvalid, "actor: missing"},
		{"actor too long", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), strings.Repeat("a", 201), "", spendingData("", "")), domain.EInvalid, "actor: longer than 200 characters"},
		{"reason too long", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), Actor, strings.Repeat("r", 2001), spendingData("", "")), domain.EInvalid, "reason: longer than 2000 characters"},
		{"data missing", `{"type":"record_spending","command_id":"` + uuid.NewString() + `","actor":"a"}`, domain.EInvalid, "data: missing"},
		{"data null", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), Actor, "", `null`), domain.EInvalid, "data: missing"},
		{"data an array", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), Actor, "", `[1]`), domain.EInvalid, "got JSON array"},
		{"unknown envelope field", `{"type":"record_spending","command_id":"` + uuid.NewString() + `","actor":"a","admin":true,"data":{}}`, domain.EInvalid, `unknown field "admin"`},
		{"deeply nested JSON", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), Actor, "", `{"description":`+nested+`}`), domain.EInvalid, "exceeded max depth"},
		{"oversized command", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), Actor, "", spendingData("description", `"`+strings.Repeat("x", wire.MaxEnvelopeBytes)+`"`)), domain.EInvalid, "more than the 1048576 allowed"},
		// The amount.
		{"amount a JSON number", spending("amount", `12.34`), domain.EInvalid, "write amounts as strings"},
		{"amount negative", spending("amount", `"-5.00"`), domain.EInvalid, "amount must be more than 0.00"},
		{"amount zero", spending("amount", `"0.00"`), domain.EInvalid, "amount must be more than 0.00"},
		{"amount sub-cent", spending("amount", `"0.001"`), domain.EInvalid, "ambiguous (cents have two)"},
		{"amount three decimals", spending("amount", `"1.234"`), domain.EInvalid, "ambiguous (cents have two)"},
		{"amount huge", spending("amount", `"99999999999999.99"`), domain.EInvalid, "too large"},
		{"amount beyond int64", spending("amount", `"99999999999999999999999"`), domain.EInvalid, "too large"},
		{"amount with exponent", spending("amount", `"1e5"`), domain.EInvalid, "unexpected character 'e'"},
		{"amount NaN", spending("amount", `"NaN"`), domain.EInvalid, "unexpected character 'N'"},
		{"amount empty", spending("amount", `""`), domain.EInvalid, "empty"},
		{"amount two separators", spending("amount", `"12,3,4"`), domain.EInvalid, "more than one decimal separator"},
		{"amount missing", spending("amount", ``), domain.EInvalid, "amount must be more than 0.00"},
		// Line and year.
		{"line unknown", spending("line", `"travel"`), domain.ENotFound, `has no budget line "travel"`},
		{"line missing", spending("line", ``), domain.EInvalid, "line is required"},
		{"year zero", spending("year", `0`), domain.EInvalid, "year must be at least 1"},
		{"year negative", spending("year", `-1`), domain.EInvalid, "year must be at least 1"},
		{"year beyond the agreement", spending("year", `3`), domain.ENotFound, "has no implementation year 3 (it has 2)"},
		{"year beyond any agreement", spending("year", `51`), domain.EInvalid, "year must be at most 50"},
		{"year a string", spending("year", `"1"`), domain.EInvalid, "data.year: expected a whole number, got JSON string"},
		{"year a fraction", spending("year", `1.5`), domain.EInvalid, "data.year: expected a whole number, got JSON number 1.5"},
		{"year huge", spending("year", `1e30`), domain.EInvalid, "data.year: expected a whole number, got JSON number 1e30"},
		// Dates.
		{"date outside the year", spending("date", `"2025-01-01"`), domain.ERule, "date 2025-01-01 is outside year 1"},
		{"date not a day", spending("date", `"2023-02-30"`), domain.EInvalid, "not a calendar day"},
		{"date wrong format", spending("date", `"2023/08/01"`), domain.EInvalid, "expected YYYY-MM-DD or DD.MM.YYYY."},
		{"date far future", spending("date", `"3000-01-01"`), domain.EInvalid, "outside 1900–2200"},
		{"date a number", spending("date", `20230801`), domain.EInvalid, "write dates as strings"},
		{"date missing", spending("date", ``), domain.EInvalid, "date is required"},
		// Other fields.
		{"document missing", spending("document", ``), domain.EInvalid, "document is required"},
		{"document too long", spending("document", `"`+strings.Repeat("d", 201)+`"`), domain.EInvalid, "document is longer than 200 characters"},
		{"unknown data field", spending("extra", `1`), domain.EInvalid, `unknown field "extra"`},
		{"agreement unknown", spending("agreement", `"NO-SUCH-1"`), domain.ENotFound, `agreement "NO-SUCH-1" is not registered`},
		{"agreement missing", spending("agreement", ``), domain.EInvalid, "agreement is required"},
		{"fields of another command", envelopeJSON(domain.CmdRecordSpending, uuid.NewString(), Actor, "", `{"agreement":"`+Agreement+`","from_year":1}`), domain.EInvalid, `unknown field "from_year"`},
		// Ledger rules.
		{"reversal without a reason", envelopeJSON(domain.CmdReverseSpending, uuid.NewString(), Actor, "", `{"agreement":"`+Agreement+`","spending":"`+uuid.NewString()+`","date":"2023-08-01"}`), domain.EInvalid, "reason: a reversal needs a reason"},
		{"reversal of an unknown spending", envelopeJSON(domain.CmdReverseSpending, uuid.NewString(), Actor, "typo", `{"agreement":"`+Agreement+`","spending":"`+uuid.Nil.String()+`","date":"2023-08-01"}`), domain.EInvalid, "spending is required"},
		{"carry-over from the last year", envelopeJSON(domain.CmdCarryOver, uuid.NewString(), Actor, "", `{"agreement":"`+Agreement+`","line":"civil","from_year":2,"date":"2024-08-01"}`), domain.ERule, "there is no year 3 to carry over to"},
		{"plan twice", envelopeJSON(domain.CmdPlanBudget, uuid.NewString(), Actor, "", `{"agreement":"`+Agreement+`","line":"civil","year":1,"amount":"5.00"}`), domain.ERule, "is already planned at 30000.00"},
		{"register twice", func() string {
			b, _ := json.Marshal(Setup()[0])
			return strings.Replace(string(b), Setup()[0].CommandID.String(), uuid.NewString(), 1)
		}(), domain.EDuplicate, "is already registered"},
		{"command id reused for another command", envelopeJSON(domain.CmdRecordSpending, reused.String(), Actor, "", spendingData("amount", `"99.99"`)), domain.EConflict, "was already used for a different command"},
		{"return more than the remainder", envelopeJSON(domain.CmdReturnUnspent, uuid.NewString(), Actor, "", `{"agreement":"`+Agreement+`","line":"civil","year":1,"amount":"30000.01","date":"2023-08-01"}`), domain.ERule, "exceeds"},
	}
	if len(cases) < 40 {
		t.Fatalf("the table has %d malformed inputs, want at least 40", len(cases))
	}
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{})
	for _, env := range Setup() {
		if _, err := commandtest.Handle(ctx, svc, env); err != nil {
			t.Fatalf("setup: %v", err)
		}
	}
	first := domain.NewEnvelope(reused, Actor, "", domain.RecordSpending{Ref: domain.Ref{Agreement: Agreement}, Line: "civil", Year: 1, Amount: 1234, Date: YearPeriod(1).From, Document: "INV-0"})
	if _, err := commandtest.Handle(ctx, svc, first); err != nil {
		t.Fatalf("setup: %v", err)
	}
	before := countEvents(t, store)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env, err := wire.DecodeEnvelope([]byte(tc.line))
			if err == nil {
				_, err = commandtest.Handle(ctx, svc, env)
			}
			if err == nil {
				t.Fatalf("got no error, want %s error containing %q", tc.code, tc.fragment)
			}
			if got := domain.ErrorCode(err); got != tc.code {
				t.Errorf("code: got %q, want %q (error: %.300v)", got, tc.code, err)
			}
			if !strings.Contains(err.Error(), tc.fragment) {
				t.Errorf("message: got %.300q, want it to contain %q", err.Error(), tc.fragment)
			}
			if len(err.Error()) > 2000 {
				t.Errorf("message is %d bytes long; an error must not echo a huge input back", len(err.Error()))
			}
			if n := countEvents(t, store); n != before {
				t.Errorf("events in the store: got %d, want %d (nothing appended)", n, before)
			}
		})
	}
	t.Logf("%d malformed inputs, each refused with its code and message, nothing appended", len(cases))
}

func countEvents(t *testing.T, store domain.EventStore) int {
	t.Helper()
	evs, err := store.ReadAll(context.Background(), domain.Position{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}
