package flatjson_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/domain/flatjson"
)

// written is metadata as the ledger writes it (domain.AppendMetadataJSON).
func written(t testing.TB, m domain.Metadata) string {
	t.Helper()
	b, err := domain.AppendMetadataJSON(nil, &m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sampleMetadata() domain.Metadata {
	return domain.Metadata{
		EventID:       uuid.MustParse("0b7c3f0e-7d8a-4f4e-9a57-2f1e7c4d9b11"),
		CommandID:     uuid.MustParse("5f0a9e62-1c3b-4d2a-8e7f-6a5b4c3d2e1f"),
		CommandType:   "record_spending",
		CommandHash:   strings.Repeat("ab", 32),
		CorrelationID: uuid.MustParse("c0ffee00-0000-4000-8000-000000000001"),
		Actor:         "accountant@ngo",
		RecordedAt:    time.Date(2026, 3, 14, 9, 26, 53, 589793000, time.UTC),
		SchemaVersion: 1,
		PrevHash:      strings.Repeat("cd", 32),
		Hash:          strings.Repeat("ef", 32),
	}
}

// metadataInputs: the ledger's own form with every field the writer can
// vary, and the forms encoding/json reads differently or refuses, which
// the fast path must hand over rather than read.
func metadataInputs(t testing.TB) []string {
	m := sampleMetadata()
	own := written(t, m)
	withReason := m
	withReason.Reason = "correction of line 4: \"typo\"\nsecond line"
	nonASCII := m
	nonASCII.Actor = "grāmatvede Līga"
	first := m
	first.PrevHash = ""
	whole := m
	whole.RecordedAt = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ins := []string{
		own, written(t, withReason), written(t, nonASCII), written(t, first), written(t, whole),
		`{}`, ` { } `, `{"actor":"a"}`, `{"hash":""}`,
		strings.Replace(own, `"actor"`, `"Actor"`, 1),                         // another case: encoding/json matches it
		strings.Replace(own, `"actor"`, `"actor_x"`, 1),                       // unknown key: ignored by encoding/json
		strings.Replace(own, `"accountant@ngo"`, `null`, 1),                   // null leaves the field alone
		strings.Replace(own, `"accountant@ngo"`, `"acc\u00e9"`, 1),            // escapes
		strings.Replace(own, `"accountant@ngo"`, `7`, 1),                      // a number for a string
		strings.Replace(own, `"schema_version":1`, `"schema_version":1.0`, 1), // a fraction for an int
		strings.Replace(own, `"schema_version":1`, `"schema_version":"1"`, 1), // a string for an int
		strings.Replace(own, `"schema_version":1`, `"schema_version":-3`, 1),  // negative
		strings.Replace(own, `"schema_version":1`, `"schema_version":99999999999`, 1),
		strings.Replace(own, `"schema_version":1`, `"schema_version":1e2`, 1),
		strings.Replace(own, `.589793Z`, `.589793+02:00`, 1),      // not UTC
		strings.Replace(own, `.589793Z`, `Z`, 1),                  // no fraction
		strings.Replace(own, `2026-03-14T09`, `2026-02-30T09`, 1), // no such day
		strings.Replace(own, `2026-03-14T09`, `2026-03-14t09`, 1), // lower-case t
		strings.Replace(own, `"0b7c3f0e-7d8a-4f4e-9a57-2f1e7c4d9b11"`, `"{0b7c3f0e-7d8a-4f4e-9a57-2f1e7c4d9b11}"`, 1),
		strings.Replace(own, `"0b7c3f0e-7d8a-4f4e-9a57-2f1e7c4d9b11"`, `"0b7c3f0e7d8a4f4e9a572f1e7c4d9b11"`, 1),
		strings.Replace(own, `"0b7c3f0e-7d8a-4f4e-9a57-2f1e7c4d9b11"`, `"0b7c3f0e-7d8a-4f4e-9a57-2f1e7c4d9bzz"`, 1),
		strings.Replace(own, `"0b7c3f0e-7d8a-4f4e-9a57-2f1e7c4d9b11"`, `"0B7C3F0E-7D8A-4F4E-9A57-2F1E7C4D9B11"`, 1),
		strings.Replace(own, `}`, `,"hash":"second"}`, 1), // repeated key: the last wins
		strings.Replace(own, `}`, `,"extra":{"a":1}}`, 1), // nesting
		own + ` x`, own[:len(own)-1], `[]`, `null`, ``,
	}
	return ins
}

// TestMetadataAsEncodingJSON: whatever the fast path reads, it reads as
// encoding/json does, and DecodeMetadata gives encoding/json's result and
// error for every input; the ledger's own form takes the fast path.
func TestMetadataAsEncodingJSON(t *testing.T) {
	fast := 0
	for i, in := range metadataInputs(t) {
		want, werr := domain.DecodeMetadata([]byte(in))
		if m, ok := flatjson.Metadata([]byte(in)); ok {
			fast++
			if werr != nil || !reflect.DeepEqual(m, want) {
				t.Errorf("input %d %s: fast path read %+v; encoding/json %+v, %v", i, in, m, want, werr)
			}
		}
		got, gerr := flatjson.DecodeMetadata([]byte(in))
		if (gerr == nil) != (werr == nil) || (gerr != nil && gerr.Error() != werr.Error()) || !reflect.DeepEqual(got, want) {
			t.Errorf("input %d %s: DecodeMetadata gave %+v, %v; encoding/json %+v, %v", i, in, got, gerr, want, werr)
		}
	}
	for _, in := range metadataInputs(t)[:5] {
		if _, ok := flatjson.Metadata([]byte(in)); !ok {
			t.Errorf("the ledger's own form took the slow path: %s", in)
		}
	}
	if fast < 5 {
		t.Errorf("only %d inputs took the fast path", fast)
	}
}

// FuzzDecodeMetadata: DecodeMetadata and encoding/json agree on every
// input, on the value and on the error.
func FuzzDecodeMetadata(f *testing.F) {
	for _, in := range metadataInputs(f) {
		f.Add([]byte(in))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var want domain.Metadata
		werr := json.Unmarshal(b, &want)
		got, gerr := flatjson.DecodeMetadata(b)
		if (gerr == nil) != (werr == nil) {
			t.Fatalf("%q: DecodeMetadata error %v, encoding/json %v", b, gerr, werr)
		}
		if werr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: DecodeMetadata %+v, encoding/json %+v", b, got, want)
		}
	})
}
