package domain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// Metadata travels with every event. It says who did what, under which
// command, when it was recorded, and ties the event into its stream's hash
// chain.
type Metadata struct {
	EventID       uuid.UUID `json:"event_id"`
	CommandID     uuid.UUID `json:"command_id"`
	CommandType   string    `json:"command_type"`
	CommandHash   string    `json:"command_hash"` // SHA-256 of the command's canonical JSON
	CorrelationID uuid.UUID `json:"correlation_id"`
	Actor         string    `json:"actor"`
	Reason        string    `json:"reason,omitempty"`
	RecordedAt    time.Time `json:"recorded_at"`
	SchemaVersion int       `json:"schema_version"`
	PrevHash      string    `json:"prev_hash"` // Hash of the previous event of the stream; "" for the first
	Hash          string    `json:"hash"`      // SHA-256 of this event's canonical content
}

// DecodeMetadata reads an event's metadata.
func DecodeMetadata(b []byte) (Metadata, error) {
	var m Metadata
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("metadata: %w", err)
	}
	return m, nil
}

// EventHash computes the SHA-256 of an event's canonical content: its
// stream, revision, id, type, schema version, data bytes exactly as stored,
// and every metadata field but Hash itself (PrevHash included, which links
// the chain). Any change to a stored byte of an event, or to its place in the
// stream, changes the hash.
func EventHash(stream string, revision uint64, typ string, data []byte, m Metadata) string {
	// One buffer, hashed once: the same bytes as writing each field to the
	// hash in turn, without an allocation per field (this runs for every
	// event decided and every event checked on catch-up).
	var stack [1024]byte
	b := stack[:0]
	field := func(b []byte, n int) []byte { return binary.BigEndian.AppendUint64(b, uint64(n)) }
	var rev [8]byte
	binary.BigEndian.PutUint64(rev[:], revision)
	b = append(field(b, len(stream)), stream...)
	b = append(field(b, len(rev)), rev[:]...)
	b = append(field(b, len(m.EventID)), m.EventID[:]...)
	b = append(field(b, len(typ)), typ...)
	var num [20]byte
	version := strconv.AppendInt(num[:0], int64(m.SchemaVersion), 10)
	b = append(field(b, len(version)), version...)
	b = append(field(b, len(data)), data...)
	b = append(field(b, len(m.CommandID)), m.CommandID[:]...)
	b = append(field(b, len(m.CommandType)), m.CommandType...)
	b = append(field(b, len(m.CommandHash)), m.CommandHash...)
	b = append(field(b, len(m.CorrelationID)), m.CorrelationID[:]...)
	b = append(field(b, len(m.Actor)), m.Actor...)
	b = append(field(b, len(m.Reason)), m.Reason...)
	var ts [64]byte
	at := m.RecordedAt.UTC().AppendFormat(ts[:0], time.RFC3339Nano)
	b = append(field(b, len(at)), at...)
	b = append(field(b, len(m.PrevHash)), m.PrevHash...)
	sum := sha256.Sum256(b)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// TamperError names the first event of a stream whose stored bytes do not
// match its hash chain.
type TamperError struct {
	Stream   string
	Revision uint64
	Position Position
	EventID  uuid.UUID
	Problem  string
}

func (e *TamperError) Error() string {
	return fmt.Sprintf("tampered: stream %s revision %d (position %s, event %s): %s", e.Stream, e.Revision, e.Position, e.EventID, e.Problem)
}

// ChainVerifier checks the hash chain of one stream, event by event, in
// stream order.
type ChainVerifier struct {
	Stream   string
	next     uint64
	prevHash string
}

// Check verifies the next event of the stream. It returns a *TamperError for
// the first event that breaks the chain: bad metadata, a hash that does not
// match the content, a link to a different previous event, a gap or a
// reordering of revisions, or an event id that differs from its metadata.
func (v *ChainVerifier) Check(e RecordedEvent) error {
	_, err := v.CheckWith(e, nil)
	return err
}

// CheckWith is Check with the event's metadata read by decode, which must
// give what DecodeMetadata gives (nil: DecodeMetadata itself, which uses
// encoding/json; domain/flatjson.DecodeMetadata reads the ledger's own
// form without reflection). It returns the metadata it checked, so that a
// caller that folds the event need not decode it again.
func (v *ChainVerifier) CheckWith(e RecordedEvent, decode func([]byte) (Metadata, error)) (Metadata, error) {
	fail := func(format string, args ...any) error {
		return &TamperError{Stream: v.Stream, Revision: e.Revision, Position: e.Position, EventID: e.ID, Problem: fmt.Sprintf(format, args...)}
	}
	if e.Revision != v.next {
		return Metadata{}, fail("expected revision %d here: an event was removed, inserted or moved", v.next)
	}
	if decode == nil {
		decode = DecodeMetadata
	}
	m, err := decode(e.Metadata)
	if err != nil {
		return Metadata{}, fail("metadata unreadable: %v", err)
	}
	if m.EventID != e.ID {
		return Metadata{}, fail("event id %s in metadata differs from stored id", m.EventID)
	}
	if m.PrevHash != v.prevHash {
		return Metadata{}, fail("previous-hash link %.12s… does not match the previous event's hash %.12s…", m.PrevHash, v.prevHash)
	}
	if got := EventHash(e.Stream, e.Revision, e.Type, e.Data, m); got != m.Hash {
		return Metadata{}, fail("content hash %.12s… does not match the stored hash %.12s…: the event was edited", got, m.Hash)
	}
	v.next++
	v.prevHash = m.Hash
	return m, nil
}

// Resume sets the verifier to continue a chain whose next revision is next
// and whose last verified hash is prevHash.
func (v *ChainVerifier) Resume(next uint64, prevHash string) { v.next, v.prevHash = next, prevHash }

// LastHash returns the hash of the last event checked.
func (v *ChainVerifier) LastHash() string { return v.prevHash }
