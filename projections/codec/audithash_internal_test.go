package codec

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// TestAuditHashFormsSurviveSnapshot: a snapshot keeps a hash of 64
// lowercase hex digits as 32 bytes and any other hash as text; either way
// the restored audit trail gives back the very string that was folded.
// Hashes from another tool (upper case, short, long) and hashes with the
// characters just outside 0-9 and a-f ('/', ':', '`', 'g') must not be
// squeezed into 32 bytes.
func TestAuditHashFormsSurviveSnapshot(t *testing.T) {
	lower := strings.Repeat("0123456789abcdef", 4)
	hashes := []string{
		lower,
		strings.ToUpper(lower),
		lower[:63],
		lower + "0",
		"",
		"/" + lower[1:], ":" + lower[1:], "`" + lower[1:], "g" + lower[1:],
		lower[:63] + "/", lower[:63] + ":", lower[:63] + "`", lower[:63] + "g",
		strings.Repeat("9", 64), strings.Repeat("a", 64), strings.Repeat("f", 64), strings.Repeat("0", 64),
	}
	// One ledger per hash, the hash alone in its chunk: the chunk uses 32
	// bytes only when every hash in it allows.
	at := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	years := []domain.YearSpec{{Year: 1, From: domain.MustDate("2024-01-01"), To: domain.MustDate("2024-12-31")}}
	for _, h := range hashes {
		t.Run(fmt.Sprintf("%q", h), func(t *testing.T) {
			l := projections.NewLedger(time.Time{})
			for i, hash := range []string{h} {
				id := uuid.New()
				e := domain.AgreementRegistered{Number: fmt.Sprintf("H/%d", i), Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f",
					Period: domain.Period{From: years[0].From, To: years[0].To}, Years: years}
				l.Apply(projections.Event{Position: domain.Position{Commit: uint64(i + 1), Prepare: uint64(i + 1)}, Stream: fmt.Sprintf("s-%d", i), ID: id, Type: e.EventType(),
					Meta: projections.Meta{EventID: id, CommandID: uuid.New(), Actor: "a", RecordedAt: at.Add(time.Duration(i) * time.Second), Hash: hash}, Data: e})
			}
			blob, err := Encode(l)
			if err != nil {
				t.Fatal(err)
			}
			n := projections.NewLedger(time.Time{})
			if err := restoreTo(&n, blob); err != nil {
				t.Fatal(err)
			}
			got, want := n.AuditRows(), l.AuditRows()
			if len(got) != 1 || len(want) != 1 || want[0].Hash != h {
				t.Fatalf("audit rows: restored %d, folded %d (hash %q), want 1 with %q", len(got), len(want), want[len(want)-1].Hash, h)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("restored %+v, want %+v", got, want)
			}
		})
	}
}
