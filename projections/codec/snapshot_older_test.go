package codec_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// TestSnapshotOfTheOlderProgramRead reads version 6 snapshots written by
// the program before the ledger held its audit trail encoded (main at
// e78bc84, which decoded a restored trail whole on first need): one whose
// audit section is one chunk of every row, and one of that ledger
// restored, with events folded since, whose section is the first chunk
// and one more. testdata/snapshot-v6-audit.json is the older program's
// own AuditRows of the second, as JSON. The audit rows, and a query by
// agreement, must be those; and a snapshot this program writes of the
// restored ledger must read back the same.
func TestSnapshotOfTheOlderProgramRead(t *testing.T) {
	wantJSON, err := os.ReadFile("testdata/snapshot-v6-audit.json")
	if err != nil {
		t.Fatal(err)
	}
	var want []projections.AuditRow
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != 55 {
		t.Fatalf("the older program's rows: %d, want the 55 it wrote", len(want))
	}
	asJSON := func(rows []projections.AuditRow) string {
		b, err := json.MarshalIndent(rows, "", " ")
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, c := range []struct {
		file   string
		rows   int
		chunks int
	}{{"snapshot-v6-one-chunk.bin", 38, 1}, {"snapshot-v6-two-chunks.bin", 55, 2}} {
		t.Run(c.file, func(t *testing.T) {
			blob, err := os.ReadFile("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			if v, chunks := codec.SnapshotAuditChunks(blob); v != 6 || chunks != c.chunks {
				t.Fatalf("version %d with %d chunks, want 6 with %d", v, chunks, c.chunks)
			}
			l := restore(t, blob)
			if n := l.AuditHeldRows(); n != 0 {
				t.Errorf("restored, the ledger holds %d rows decoded, want none", n)
			}
			if got, w := asJSON(l.AuditRows()), asJSON(want[:c.rows]); got != w {
				t.Fatalf("audit rows differ from the older program's:\n got %.400s\nwant %.400s", got, w)
			}
			ag := want[len(want)-1].Agreement
			var wantAg []projections.AuditRow
			for _, r := range want[:c.rows] {
				if r.Agreement == ag {
					wantAg = append(wantAg, r)
				}
			}
			if got, w := asJSON(l.Audit(projections.AuditFilter{Agreement: ag}).Rows), asJSON(wantAg); got != w || len(wantAg) == 0 {
				t.Errorf("agreement %s: %.300s, want the older program's %d rows %.300s", ag, got, len(wantAg), w)
			}
			again := restore(t, marshal(t, l))
			if got, w := asJSON(again.AuditRows()), asJSON(want[:c.rows]); got != w {
				t.Errorf("written again by this program, the rows differ:\n got %.400s\nwant %.400s", got, w)
			}
		})
	}
}
