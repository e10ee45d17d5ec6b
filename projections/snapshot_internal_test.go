package projections

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// snapshotLedger folds a few agreements with spendings, a reversal, a
// return and names outside ASCII; at is the recorded_at of every event.
func snapshotLedger(at time.Time) *Ledger {
	l := NewLedger(time.Time{})
	d := domain.MustDate
	pos := uint64(0)
	years := []domain.YearSpec{{Year: 1, From: d("2022-01-01"), To: d("2022-12-31")}, {Year: 2, From: d("2023-01-01"), To: d("2023-12-31")}}
	for i := 0; i < 3; i++ {
		stream := fmt.Sprintf("agreement-%d", i)
		rev := uint64(0)
		apply := func(id uuid.UUID, e domain.Event, reason string) {
			pos++
			l.Apply(Event{Position: domain.Position{Commit: pos, Prepare: pos}, Stream: stream, Revision: rev, ID: id, Type: e.EventType(),
				Meta: Meta{EventID: id, CommandID: uuid.New(), Actor: "grāmatvede", Reason: reason, RecordedAt: at.Add(time.Duration(pos) * time.Millisecond),
					Hash: fmt.Sprintf("%064x", pos)}, Data: e})
			rev++
		}
		apply(uuid.New(), domain.AgreementRegistered{Number: fmt.Sprintf("SNAP/%d", i), Kind: domain.KindGrant, Title: "Līgums", Grantee: "Biedrība", Funder: "Ministrija",
			Period: domain.Period{From: d("2022-01-01"), To: d("2023-12-31")}, Years: years, Lines: []domain.LineSpec{{Line: "staff"}, {Line: "pasākumi"}}}, "")
		apply(uuid.New(), domain.BudgetPlanned{Line: "staff", Year: 1, Amount: 3000000}, "")
		first := uuid.New()
		apply(first, domain.SpendingRecorded{Line: "staff", Year: 1, Amount: 12345, Date: d("2022-03-01"), Document: "Rēķins Nr. 1", Description: "īre"}, "")
		apply(uuid.New(), domain.SpendingRecorded{Line: "pasākumi", Year: 2, Amount: 999, Date: d("2023-03-01"), Document: "INV-2"}, "")
		apply(uuid.New(), domain.SpendingReversed{Spending: first, Line: "staff", Year: 1, Amount: 12345, Date: d("2022-04-01"), Reason: "kļūda"}, "labojums")
		apply(uuid.New(), domain.UnspentReturned{Line: "staff", Year: 1, Amount: 100, To: "ministry", Date: d("2023-01-10")}, "")
	}
	return l
}

func snapshotVersionOf(t *testing.T, blob []byte) int {
	t.Helper()
	var v struct{ Version int }
	if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&v); err != nil {
		t.Fatalf("read snapshot version: %v", err)
	}
	return v.Version
}

func TestSnapshotRoundTrip(t *testing.T) {
	for _, c := range []struct {
		name    string
		at      time.Time
		version int
	}{
		{"UTC times: compact columns", time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC), snapshotVersion2},
		{"a time outside UTC: version 1", time.Date(2024, 1, 2, 3, 4, 5, 6, time.FixedZone("", 2*3600)), snapshotVersion},
	} {
		t.Run(c.name, func(t *testing.T) {
			l := snapshotLedger(c.at)
			blob, err := l.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if got := snapshotVersionOf(t, blob); got != c.version {
				t.Errorf("snapshot version = %d, want %d", got, c.version)
			}
			var back Ledger
			if err := back.UnmarshalBinary(blob); err != nil {
				t.Fatal(err)
			}
			if back.Position() != l.Position() || back.Applied() != l.Applied() {
				t.Errorf("position, applied = %v, %d; want %v, %d", back.Position(), back.Applied(), l.Position(), l.Applied())
			}
			if !reflect.DeepEqual(back.AuditRows(), l.AuditRows()) {
				t.Errorf("audit rows differ after the round trip:\n got %+v\nwant %+v", back.AuditRows(), l.AuditRows())
			}
			if !reflect.DeepEqual(back.Agreements(), l.Agreements()) {
				t.Errorf("agreements differ after the round trip:\n got %+v\nwant %+v", back.Agreements()[0], l.Agreements()[0])
			}
			// The restored aggregate's spending map is rebuilt from the rows.
			v, _ := back.Agreement("SNAP/0")
			if n := len(v.Agg.Spendings); n != 2 {
				t.Errorf("restored aggregate holds %d spendings, want 2", n)
			}
		})
	}
	t.Run("columns that do not fit together are refused", func(t *testing.T) {
		blob, err := snapshotLedger(time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC)).MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var s snapshotV2
		if ok, err := s.decode(bytes.NewReader(blob)); !ok || err != nil {
			t.Fatalf("decode: version 2 %v, %v", ok, err)
		}
		s.AHash.Lens = s.AHash.Lens[1:]
		var b bytes.Buffer
		if err := s.encode(&b); err != nil {
			t.Fatal(err)
		}
		var back Ledger
		if err := back.UnmarshalBinary(b.Bytes()); err == nil {
			t.Error("UnmarshalBinary accepted a snapshot with one hash missing, want an error")
		}
	})
}
