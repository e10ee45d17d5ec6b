package codec

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Issue 12, item 3: token events are rows of the audit trail, with actor
// and time and without the token's hash, and survive a snapshot.
func TestTokenEventsInTheAuditTrail(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	l := snapshotLedger(at)
	pos := l.Position().Commit
	const hash = "0f1e2d3c4b5a69780f1e2d3c4b5a69780f1e2d3c4b5a69780f1e2d3c4b5a6978"
	for i, ev := range []domain.Event{
		domain.TokenCreated{ID: "abc123", Name: "officer", Role: "funder", Funder: "Ministrija", SHA256: hash, Created: at, Expires: at.Add(90 * 24 * time.Hour)},
		domain.TokenRevoked{ID: "abc123"},
	} {
		pos++
		id := uuid.New()
		l.Apply(projections.Event{Position: domain.Position{Commit: pos, Prepare: pos}, Stream: domain.TokenStream, Revision: uint64(i), ID: id, Type: ev.EventType(),
			Meta: projections.Meta{EventID: id, CommandID: uuid.New(), Actor: "root (admin)", RecordedAt: at.Add(time.Duration(i) * time.Minute), Hash: strings.Repeat("a", 64)}, Data: ev})
	}
	rep := l.Audit(projections.AuditFilter{Types: []string{"TokenCreated", "TokenRevoked"}})
	if len(rep.Rows) != 2 {
		t.Fatalf("%d token rows, want 2", len(rep.Rows))
	}
	for _, r := range rep.Rows {
		if r.Actor != "root (admin)" || r.RecordedAt.IsZero() || !strings.Contains(r.Reason, "abc123") {
			t.Errorf("token row %+v: want actor, time and the token id", r)
		}
		if strings.Contains(r.Reason, hash) || r.Hash == hash {
			t.Errorf("token row shows the token's hash: %+v", r)
		}
	}
	if len(l.Agreements()) != 3 {
		t.Errorf("token events made %d agreements, want the 3 there were", len(l.Agreements()))
	}
	blob, err := Encode(l)
	if err != nil {
		t.Fatal(err)
	}
	var back *projections.Ledger
	if err := restoreTo(&back, blob); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.AuditRows(), l.AuditRows()) {
		t.Errorf("audit rows differ after a snapshot round trip")
	}
}
