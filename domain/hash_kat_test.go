package domain

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// Known-answer vectors for the event hash (docs/STORAGE.md, "The event
// hash"). The expected hashes below were computed outside Go, with Python's
// hashlib over the documented input format, and are written here as hex:
// they do not come from EventHash. A change to the hash input (a field
// swapped, dropped or encoded differently) makes every existing ledger look
// tampered, and fails this test first.
const (
	katHash1 = "9dff64e85d2e9e7379d7a0fbc044499e51d12562ecd27c4ae0c634c38be27a89"
	katHash2 = "0a28958aa0cb7426e78ab601a59651093d56848a06f8d851c383d0558d4cff6d"
)

// katPreimage1 is the hash input of the first vector, byte for byte: each
// field is its length as 8 bytes big-endian, then its bytes.
const katPreimage1 = "" +
	"\x00\x00\x00\x00\x00\x00\x00\x0f" + "agreement-KAT/1" + // stream
	"\x00\x00\x00\x00\x00\x00\x00\x08" + "\x00\x00\x00\x00\x00\x00\x00\x00" + // revision 0, 8 bytes big-endian
	"\x00\x00\x00\x00\x00\x00\x00\x10" + "\x00\x00\x00\x00\x00\x00\x40\x00\x80\x00\x00\x00\x00\x00\x00\x01" + // event id, 16 bytes
	"\x00\x00\x00\x00\x00\x00\x00\x10" + "SpendingRecorded" + // event type
	"\x00\x00\x00\x00\x00\x00\x00\x01" + "1" + // schema version in decimal
	"\x00\x00\x00\x00\x00\x00\x00\x13" + `{"amount":"250.00"}` + // data as stored
	"\x00\x00\x00\x00\x00\x00\x00\x10" + "\x00\x00\x00\x00\x00\x00\x40\x00\x80\x00\x00\x00\x00\x00\x00\x02" + // command id
	"\x00\x00\x00\x00\x00\x00\x00\x0f" + "record_spending" + // command type
	"\x00\x00\x00\x00\x00\x00\x00\x06" + "c0ffee" + // command hash (as text)
	"\x00\x00\x00\x00\x00\x00\x00\x10" + "\x00\x00\x00\x00\x00\x00\x40\x00\x80\x00\x00\x00\x00\x00\x00\x03" + // correlation id
	"\x00\x00\x00\x00\x00\x00\x00\x14" + "accountant (grantee)" + // actor
	"\x00\x00\x00\x00\x00\x00\x00\x00" + // reason, empty
	"\x00\x00\x00\x00\x00\x00\x00\x14" + "2024-03-15T10:00:00Z" + // recorded at, RFC 3339 UTC
	"\x00\x00\x00\x00\x00\x00\x00\x00" // previous hash, empty for the first event

func katEvents(t *testing.T) []struct {
	stream string
	rev    uint64
	typ    string
	data   []byte
	m      Metadata
} {
	t.Helper()
	at1 := time.Date(2024, 3, 15, 10, 0, 0, 0, time.UTC)
	// The second is recorded in another zone with a fraction of a second:
	// the hash takes the UTC form with RFC 3339's shortest fraction.
	at2 := time.Date(2024, 3, 16, 12, 0, 0, 500_000_000, time.FixedZone("EET", 2*3600))
	type ev = struct {
		stream string
		rev    uint64
		typ    string
		data   []byte
		m      Metadata
	}
	return []ev{
		{"agreement-KAT/1", 0, "SpendingRecorded", []byte(`{"amount":"250.00"}`), Metadata{
			EventID: uuid.MustParse("00000000-0000-4000-8000-000000000001"), CommandID: uuid.MustParse("00000000-0000-4000-8000-000000000002"),
			CommandType: "record_spending", CommandHash: "c0ffee", CorrelationID: uuid.MustParse("00000000-0000-4000-8000-000000000003"),
			Actor: "accountant (grantee)", RecordedAt: at1, SchemaVersion: 1}},
		{"agreement-KAT/1", 1, "SpendingReversed", []byte(`{"x":1}`), Metadata{
			EventID: uuid.MustParse("00000000-0000-4000-8000-000000000011"), CommandID: uuid.MustParse("00000000-0000-4000-8000-000000000012"),
			CommandType: "reverse_spending", CommandHash: "beef", CorrelationID: uuid.MustParse("00000000-0000-4000-8000-000000000013"),
			Actor: "Līga (grantee)", Reason: "typo", RecordedAt: at2, SchemaVersion: 1, PrevHash: katHash1}},
	}
}

func TestEventHashKnownAnswers(t *testing.T) {
	// The literal input hashes to the first vector: the format written in
	// the docs and the hex above agree, without EventHash.
	sum := sha256.Sum256([]byte(katPreimage1))
	if got := hex.EncodeToString(sum[:]); got != katHash1 {
		t.Fatalf("SHA-256 of the documented input of vector 1: got %s, want %s", got, katHash1)
	}
	want := []string{katHash1, katHash2}
	evs := katEvents(t)
	for i, e := range evs {
		if got := EventHash(e.stream, e.rev, e.typ, e.data, e.m); got != want[i] {
			t.Errorf("EventHash of vector %d: got %s, want %s (the hash input changed: every stored ledger would fail verify)", i+1, got, want[i])
		}
	}
	// The chain verifier accepts the two vectors as stored, and refuses
	// them with one metadata field changed.
	v := ChainVerifier{Stream: "agreement-KAT/1"}
	for i, e := range evs {
		e.m.Hash = want[i]
		mb, err := json.Marshal(e.m)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Check(RecordedEvent{Stream: e.stream, Revision: e.rev, ID: e.m.EventID, Type: e.typ, Data: e.data, Metadata: mb}); err != nil {
			t.Fatalf("vector %d: %v", i+1, err)
		}
	}
	if v.LastHash() != katHash2 {
		t.Errorf("LastHash: got %s, want %s", v.LastHash(), katHash2)
	}
}

// TestEventHashCoversEveryField changes each input of vector 1 in turn and
// expects another hash: no field is left out of the hash.
func TestEventHashCoversEveryField(t *testing.T) {
	e := katEvents(t)[0]
	base := EventHash(e.stream, e.rev, e.typ, e.data, e.m)
	other := uuid.MustParse("00000000-0000-4000-8000-0000000000ff")
	changes := map[string]func(s *string, r *uint64, typ *string, d *[]byte, m *Metadata){
		"stream":         func(s *string, _ *uint64, _ *string, _ *[]byte, _ *Metadata) { *s += "x" },
		"revision":       func(_ *string, r *uint64, _ *string, _ *[]byte, _ *Metadata) { *r = 1 },
		"type":           func(_ *string, _ *uint64, typ *string, _ *[]byte, _ *Metadata) { *typ = "SpendingReversed" },
		"data":           func(_ *string, _ *uint64, _ *string, d *[]byte, _ *Metadata) { *d = []byte(`{"amount":"250.01"}`) },
		"event id":       func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.EventID = other },
		"schema version": func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.SchemaVersion = 2 },
		"command id":     func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.CommandID = other },
		"command type":   func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.CommandType = "record_recovery" },
		"command hash":   func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.CommandHash = "c0ffef" },
		"correlation id": func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.CorrelationID = other },
		"actor":          func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.Actor = "auditor (auditor)" },
		"reason":         func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.Reason = "r" },
		"recorded at": func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) {
			m.RecordedAt = m.RecordedAt.Add(time.Nanosecond)
		},
		"previous hash": func(_ *string, _ *uint64, _ *string, _ *[]byte, m *Metadata) { m.PrevHash = katHash2 },
	}
	for name, change := range changes {
		s, r, typ, d, m := e.stream, e.rev, e.typ, append([]byte(nil), e.data...), e.m
		change(&s, &r, &typ, &d, &m)
		if got := EventHash(s, r, typ, d, m); got == base {
			t.Errorf("%s changed, hash unchanged (%s): the field is not in the hash input", name, got)
		}
	}
	// Length prefixes keep field boundaries: moving a byte from one field
	// to the next changes the hash.
	m := e.m
	m.Actor, m.Reason = "accountant (grantee", ")"
	if EventHash(e.stream, e.rev, e.typ, e.data, m) == base {
		t.Error("moving a byte from actor to reason kept the hash: field boundaries are not in the input")
	}
}

// TestEventHashLongFields hashes an event whose input is larger than any
// small buffer (5 000 bytes of data, a 2 000-character reason, a negative
// schema version) and expects the SHA-256 of the documented input format
// (docs/STORAGE.md: each field its length as 8 bytes big-endian, then its
// bytes), assembled here field by field.
func TestEventHashLongFields(t *testing.T) {
	e := katEvents(t)[1]
	data := []byte(`{"note":"` + strings.Repeat("ā", 2495) + `"}`)
	e.m.Reason = strings.Repeat("r", 2000)
	e.m.SchemaVersion = -12
	var want []byte
	field := func(s string) {
		n := len(s)
		want = append(want, byte(n>>56), byte(n>>48), byte(n>>40), byte(n>>32), byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
		want = append(want, s...)
	}
	field(e.stream)
	field("\x00\x00\x00\x00\x00\x00\x00\x01")
	field(string(e.m.EventID[:]))
	field(e.typ)
	field("-12")
	field(string(data))
	field(string(e.m.CommandID[:]))
	field(e.m.CommandType)
	field(e.m.CommandHash)
	field(string(e.m.CorrelationID[:]))
	field(e.m.Actor)
	field(e.m.Reason)
	field("2024-03-16T10:00:00.5Z") // 12:00:00.5 EET in UTC, shortest fraction
	field(e.m.PrevHash)
	sum := sha256.Sum256(want)
	if got := EventHash(e.stream, e.rev, e.typ, data, e.m); got != hex.EncodeToString(sum[:]) {
		t.Fatalf("EventHash of a %d-byte input: got %s, want %s", len(want), got, hex.EncodeToString(sum[:]))
	}
}

func BenchmarkEventHash(b *testing.B) {
	e := katEvents(&testing.T{})[1]
	b.ReportAllocs()
	for b.Loop() {
		EventHash(e.stream, e.rev, e.typ, e.data, e.m)
	}
}
