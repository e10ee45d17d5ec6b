package wire_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// Issue 12 item 10: a JSON object with a key twice is read differently by
// different parsers (Go keeps the last, many gateways the first), so one
// envelope could be checked as one command and applied as another. Every
// duplicate key, at any level, is refused with the field named.
func TestDuplicateJSONKeysAreRefusedWithTheFieldNamed(t *testing.T) {
	spendData := func(extra string) string {
		return `{"agreement":"A-1","line":"civil","year":1,"amount":"1.00"` + extra + `,"date":"2023-01-05","document":"D"}`
	}
	cases := []struct {
		name, input, field string
	}{
		{"amount twice", line("record_spending", spendData(`,"amount":"9 999 999,00"`)), "data.amount"},
		{"agreement twice", line("record_spending", spendData(`,"agreement":"B-2"`)), "data.agreement"},
		{"type twice", `{"type":"plan_budget","type":"record_spending","command_id":"` + testID + `","actor":"a","data":` + spendData("") + `}`, "type"},
		{"command_id twice", `{"type":"record_spending","command_id":"` + testID + `","command_id":"6f1c1a52-8d1e-4d0a-9a55-3f5b6f0d2c12","actor":"a","data":` + spendData("") + `}`, "command_id"},
		{"data twice", `{"type":"record_spending","command_id":"` + testID + `","actor":"a","data":` + spendData("") + `,"data":` + spendData("") + `}`, "data"},
		// encoding/json matches field names case-insensitively, so a key
		// that differs only in case is the same field to it.
		{"amount and AMOUNT", line("record_spending", spendData(`,"AMOUNT":"2.00"`)), "data.AMOUNT"},
		{"nested in a list", line("register_agreement", `{"agreement":"A-1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2023-01-01","to":"2023-12-31"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31","to":"2024-12-31"}]}`), "data.years[0].to"},
		{"nested object", line("register_agreement", `{"agreement":"A-1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2023-01-01","from":"2022-01-01","to":"2023-12-31"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31"}]}`), "data.period.from"},
		{"kind and the Kelvin-sign kind", line("register_agreement", `{"agreement":"A-1","kind":"grant","\u212aind":"delegation","title":"t","grantee":"g","funder":"f","period":{"from":"2023-01-01","to":"2023-12-31"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31"}]}`), "data.\u212aind"},
		{"escaped spelling of the same key", line("record_spending", spendData(`,"am\u006funt":"5.00"`)), "data.amount"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env, err := wire.DecodeEnvelope([]byte(c.input))
			if err == nil {
				_, err = wire.DecodeCommand(env)
			}
			if err == nil {
				t.Fatalf("accepted %s", c.input)
			}
			var de *domain.Error
			if !asError(err, &de) || de.Field != c.field || !strings.Contains(de.Message, "twice") {
				t.Fatalf("got %v (%#v), want an error on field %q saying it appears twice", err, err, c.field)
			}
			// The server path, which replaces the actor, refuses alike.
			if _, err := wire.DecodeEnvelopeAs([]byte(c.input), "server"); err == nil && !strings.HasPrefix(c.field, "data") {
				t.Fatalf("DecodeEnvelopeAs accepted %s", c.input)
			}
		})
	}
	t.Run("the same key in two different objects is fine", func(t *testing.T) {
		in := line("register_agreement", `{"agreement":"A-1","kind":"grant","title":"t","grantee":"g","funder":"f","period":{"from":"2023-01-01","to":"2023-12-31"},"years":[{"year":1,"from":"2023-01-01","to":"2023-12-31"}]}`)
		env, err := wire.DecodeEnvelope([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := wire.DecodeCommand(env); err != nil {
			t.Fatal(err)
		}
	})
}

func asError(err error, de **domain.Error) bool {
	e, ok := err.(*domain.Error)
	if ok {
		*de = e
	}
	return ok
}

// DecodeCommand scans the data it decodes for a key given twice, whoever
// built the envelope: data replaced after DecodeEnvelope, or an envelope
// built in code, is refused as well.
func TestDuplicateKeysInDataReplacedAfterDecodingAreRefused(t *testing.T) {
	good := `{"agreement":"A-1","line":"civil","year":1,"amount":"1.00","date":"2023-01-05","document":"D"}`
	dup := `{"agreement":"A-1","line":"civil","year":1,"amount":"1.00","AMOUNT":"900.00","date":"2023-01-05","document":"D"}`
	line := `{"type":"record_spending","command_id":"9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a13","actor":"a","data":` + good + `}`
	env, err := wire.DecodeEnvelope([]byte(line))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wire.DecodeCommand(env); err != nil {
		t.Fatalf("the decoded envelope: %v", err)
	}
	env.Data = []byte(dup)
	if _, err := wire.DecodeCommand(env); err == nil || !strings.Contains(err.Error(), "AMOUNT") {
		t.Fatalf("data replaced by one with a key twice: %v, want the duplicate refused", err)
	}
	built := domain.Envelope{Type: "record_spending", CommandID: env.CommandID, Actor: "a", Data: []byte(dup)}
	if _, err := wire.DecodeCommand(built); err == nil || !strings.Contains(err.Error(), "AMOUNT") {
		t.Fatalf("an envelope built in code with a key twice in data: %v, want the duplicate refused", err)
	}
}

// docs/commands.md: a line that is not UTF-8 is refused and nothing is
// recorded; the error says where the first bad byte is (errors say what
// was wrong and where). Offsets counted by hand.
func TestInvalidUTF8NamesTheOffset(t *testing.T) {
	for _, c := range []struct {
		line string
		at   string
	}{
		{"\xff{}", "offset 0"},
		{`{"type":"caf` + "\xe9" + `"}`, "offset 12"},
		{`{"a":"ā` + "\xc4" + `"}`, "offset 8"},    // ā is two bytes; then a lone lead byte
		{`{"a":"` + "\xe2\x82" + `"}`, "offset 6"}, // a three-byte rune cut short
	} {
		_, err := wire.DecodeEnvelope([]byte(c.line))
		if err == nil || !strings.Contains(err.Error(), "not valid UTF-8") || !strings.Contains(err.Error(), c.at+")") {
			t.Errorf("%q: %v, want refused as not UTF-8 at %s", c.line, err, c.at)
		}
	}
}

// docs/SERVER.md: "a JSON key given twice anywhere in a command is
// refused with its path". JSON may be laid out with any whitespace and
// may hold escaped quotes in its strings; the scan for twice-given keys
// must read such input as encoding/json does (mutants of the scanner's
// whitespace and string handling lived).
func TestDuplicateKeysInSpacedJSON(t *testing.T) {
	reg := "{\n\t\"agreement\" : \"A-1\",\r\n\t\"kind\": \"grant\" ,\n\t\"title\": \"a \\\"quoted\\\" title \\\\\",\n" +
		"\t\"grantee\":\"g\", \"funder\":\"f\",\n\t\"period\": {\"from\": \"2023-01-01\", \"to\": \"2024-12-31\"},\n" +
		"\t\"years\": [ {\"year\": 1, \"from\": \"2023-01-01\", \"to\": \"2023-12-31\"} ,\n" +
		"\t\t{\"year\" : 2 , \"from\": \"2024-01-01\", \"to\": \"2024-12-31\" %s} ]\n}"
	ok := line("register_agreement", strings.ReplaceAll(fmt.Sprintf(reg, ""), "\n", " "))
	env, err := wire.DecodeEnvelope([]byte(ok))
	if err == nil {
		_, err = wire.DecodeCommand(env)
	}
	if err != nil {
		t.Fatalf("the spaced command without a twice-given key: %v", err)
	}
	for _, c := range []struct{ extra, field string }{
		{",\n\t\t \"to\" : \"2025-12-31\"", "data.years[1].to"},
		{", \"YEAR\"\t:\t3", "data.years[1].YEAR"},
	} {
		in := line("register_agreement", strings.ReplaceAll(fmt.Sprintf(reg, c.extra), "\n", " "))
		env, err := wire.DecodeEnvelope([]byte(in))
		if err == nil {
			_, err = wire.DecodeCommand(env)
		}
		var de *domain.Error
		if err == nil || !asError(err, &de) || de.Field != c.field || !strings.Contains(de.Message, "twice") {
			t.Errorf("%s: %v, want refused naming %s", c.extra, err, c.field)
		}
	}
}
