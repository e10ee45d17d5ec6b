// Package codec reads and writes the stored forms of projections' read
// model: the events (Decoder, a scanner for the flat events the ledger
// records most, with the domain.EventRegistry behind it) and the snapshots
// of a whole projections.Ledger (Encode, and Restore, the one constructor
// that rebuilds a Ledger from a snapshot through projections.RestoreLedger).
// It keeps projections itself a set of pure folds. Like projections it does
// no I/O: the runner in app/readmodel reads and writes the bytes.
package codec

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// snapshot is the gob form of a Ledger (version 1).
type snapshot struct {
	Version  int
	AsOf     time.Time
	Position domain.Position
	Applied  int
	Skipped  int
	Views    []*viewGob
	Audit    []projections.AuditRow
}

const snapshotVersion = 1

// Encode encodes the whole read model, checkpoint included, for a snapshot
// store: in the compact column form (see snapshotV2) when it holds the read
// model exactly, else in version 1. The caller keeps l from changing
// meanwhile (no Apply).
func Encode(l *projections.Ledger) ([]byte, error) {
	return EncodeAfter(l, 0)
}

// EncodeAfter is Encode with room bytes (zero) before the snapshot in the
// slice it returns, for a header the caller writes in place: the snapshot
// of a large read model (100 MB at 670 000 events) is then written once,
// into one allocation of its final size, instead of being copied behind
// the header (issue 17: the first report's save).
func EncodeAfter(l *projections.Ledger, room int) ([]byte, error) {
	parts, err := EncodeParts(l, room)
	if err != nil {
		return nil, err
	}
	if len(parts) == 1 {
		return parts[0], nil
	}
	return join(parts), nil
}

// EncodeParts is EncodeAfter with the snapshot in parts, to be stored back
// to back (the first holds the room, zero, and may be written in place): a
// store that takes a snapshot in parts writes the 100 MB of a large read
// model without putting them together in memory first.
func EncodeParts(l *projections.Ledger, room int) ([][]byte, error) {
	if room < 0 {
		return nil, fmt.Errorf("encode read model snapshot: room for a header of %d bytes", room)
	}
	if parts, ok, err := encodeV2(l, room); ok || err != nil {
		return parts, err
	}
	b := bytes.NewBuffer(make([]byte, room))
	st := l.State()
	s := snapshot{Version: snapshotVersion, AsOf: st.AsOf, Position: st.Position, Applied: st.Applied, Skipped: st.Skipped, Audit: l.AuditRows()}
	for _, v := range st.Views {
		agg := v.Agg.State()
		s.Views = append(s.Views, toGob(v, &agg, v.Spendings))
	}
	if err := gob.NewEncoder(b).Encode(&s); err != nil {
		return nil, fmt.Errorf("encode read model snapshot: %w", err)
	}
	return [][]byte{b.Bytes()}, nil
}

// Restore rebuilds a read model from a snapshot written by Encode (any
// version still read: 1, 3, 4, 5, 6). It does not keep data.
func Restore(data []byte) (*projections.Ledger, error) {
	if n, isV2, err := decodeV2(data); isV2 {
		if err != nil {
			return nil, err
		}
		return n, nil
	}
	var s snapshot
	if err := gob.NewDecoder(bytes.NewReader(data)).Decode(&s); err != nil {
		return nil, fmt.Errorf("decode read model snapshot: %w", err)
	}
	if s.Version != snapshotVersion {
		return nil, fmt.Errorf("read model snapshot has version %d, this program writes %d: rebuild it", s.Version, snapshotVersion)
	}
	st := projections.LedgerState{AsOf: s.AsOf, Position: s.Position, Applied: s.Applied, Skipped: s.Skipped}
	st.AuditRows = make([]projections.AuditEntry, 0, len(s.Audit))
	for _, r := range s.Audit {
		e := projections.AuditEntry{AuditRow: r}
		if r.Amount != nil {
			e.Value, e.HasValue, e.Amount = *r.Amount, true, nil
		}
		st.AuditRows = append(st.AuditRows, e)
	}
	for _, g := range s.Views {
		v, err := g.view()
		if err != nil {
			return nil, err
		}
		st.Views = append(st.Views, v)
	}
	return restore(st)
}
