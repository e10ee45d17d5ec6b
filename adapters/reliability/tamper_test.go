package reliability

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// tamperLedger writes the setup (revisions 0-4) and six spendings
// (revisions 5-10) to a fresh embedded store, closes it and returns the
// path and the spendings.
func tamperLedger(t *testing.T) (string, []Spending) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	svc := command.New(s, command.Options{})
	var sp []Spending
	envs := Setup()
	for k := 0; k < 6; k++ {
		sp = append(sp, NewSpending(9, 0, k))
		envs = append(envs, sp[k].Envelope())
	}
	for _, env := range envs {
		if _, err := commandtest.Handle(ctx, svc, env); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path, sp
}

// attacker opens the file as anyone with write access could, with
// database/sql, and drops the append-only triggers first.
func attacker(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	for _, q := range []string{"DROP TRIGGER events_no_update", "DROP TRIGGER events_no_delete"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return db
}

func mustExec(t *testing.T, db *sql.DB, q string, args ...any) {
	t.Helper()
	res, err := db.Exec(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("%s: changed no row", q)
	}
}

// TestTamperingIsDetected edits the embedded store's file the ways an
// attacker with write access to it could and checks that "grantledger
// verify" exits 3 and names the first bad event, and that "grantledger
// serve" refuses to start on it.
func TestTamperingIsDetected(t *testing.T) {
	attacks := []struct {
		name     string
		tamper   func(t *testing.T, path string, sp []Spending)
		revision uint64 // first bad event verify must name
		problem  string
	}{
		{"flip a byte of the file", func(t *testing.T, path string, sp []Spending) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			doc := []byte("DOC-" + sp[2].ID.String())
			i := bytes.Index(b, doc)
			if i < 0 || bytes.Count(b, doc) != 1 {
				t.Fatalf("document reference found %d times in the file, want once", bytes.Count(b, doc))
			}
			b[i+len(doc)-1] ^= 0x01 // one bit of the last character
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, 7, "the event was edited"},
		{"change an amount", func(t *testing.T, path string, sp []Spending) {
			db := attacker(t, path)
			mustExec(t, db, `UPDATE events SET data = replace(data, ?, ?) WHERE revision = 8`,
				`"amount":"`+sp[3].Amount.String()+`"`, `"amount":"`+(sp[3].Amount+100).String()+`"`)
		}, 8, "the event was edited"},
		{"delete an event", func(t *testing.T, path string, sp []Spending) {
			db := attacker(t, path)
			mustExec(t, db, `DELETE FROM events WHERE revision = 6`)
		}, 7, "expected revision 6 here"},
		{"reorder two events", func(t *testing.T, path string, sp []Spending) {
			db := attacker(t, path)
			// Swap the rows of revisions 6 and 7: both revision and
			// global position, so the store reads them in the new order.
			var p6, p7 int64
			if err := db.QueryRow(`SELECT (SELECT pos FROM events WHERE revision = 6), (SELECT pos FROM events WHERE revision = 7)`).Scan(&p6, &p7); err != nil {
				t.Fatal(err)
			}
			mustExec(t, db, `UPDATE events SET revision = -1, pos = -1 WHERE revision = 6`)
			mustExec(t, db, `UPDATE events SET revision = 6, pos = ? WHERE revision = 7`, p6)
			mustExec(t, db, `UPDATE events SET revision = 7, pos = ? WHERE revision = -1`, p7)
		}, 6, "does not match the previous event's hash"},
		{"insert a forged event with a correctly computed hash", func(t *testing.T, path string, sp []Spending) {
			db := attacker(t, path)
			// Make room at revision 6 and global position 7 of the
			// original, shifting everything after by one.
			mustExec(t, db, `UPDATE events SET revision = revision + 1000, pos = pos + 1000 WHERE revision >= 6`)
			mustExec(t, db, `UPDATE events SET revision = revision - 999, pos = pos - 999 WHERE revision >= 1000`)
			var stream string
			var prevMeta []byte
			if err := db.QueryRow(`SELECT stream, metadata FROM events WHERE revision = 5`).Scan(&stream, &prevMeta); err != nil {
				t.Fatal(err)
			}
			prev, err := domain.DecodeMetadata(prevMeta)
			if err != nil {
				t.Fatal(err)
			}
			forged := NewSpending(9, 666, 0)
			ev := domain.SpendingRecorded{Line: "civil", Year: 1, Amount: 999999, Date: YearPeriod(1).From, Document: "FORGED"}
			data, _ := json.Marshal(ev)
			m := prev
			m.EventID, m.CommandID, m.PrevHash = command.EventID(forged.ID, 0), forged.ID, prev.Hash
			m.CommandType = domain.CmdRecordSpending
			m.Hash = domain.EventHash(stream, 6, domain.TypeSpendingRecorded, data, m)
			meta, _ := json.Marshal(m)
			var pos int64
			if err := db.QueryRow(`SELECT pos + 1 FROM events WHERE revision = 5`).Scan(&pos); err != nil {
				t.Fatal(err)
			}
			mustExec(t, db, `INSERT INTO events (pos, stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, 6, ?, ?, ?, ?, 0)`,
				pos, stream, m.EventID[:], domain.TypeSpendingRecorded, data, meta)
		}, 7, "does not match the previous event's hash"},
	}
	for _, a := range attacks {
		t.Run(a.name, func(t *testing.T) {
			path, sp := tamperLedger(t)
			if out, _, code := runCLI(t, nil, "verify", "--db", path); code != 0 {
				t.Fatalf("verify before tampering: exit %d, %s", code, out)
			}
			a.tamper(t, path, sp)
			out, errOut, code := runCLI(t, nil, "verify", "--db", path, "--json")
			if code != 3 {
				t.Fatalf("verify after tampering: exit %d, want 3\n%s%s", code, out, errOut)
			}
			var res struct {
				OK     bool `json:"ok"`
				Broken []struct {
					Revision uint64 `json:"revision"`
					Error    string `json:"problem"`
				} `json:"breaks"`
			}
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("verify --json: %v\n%s", err, out)
			}
			if res.OK || len(res.Broken) != 1 {
				t.Fatalf("verify --json: got ok=%v with %d broken streams, want one broken stream", res.OK, len(res.Broken))
			}
			if b := res.Broken[0]; b.Revision != a.revision || !strings.Contains(b.Error, a.problem) {
				t.Errorf("first bad event: got revision %d %q, want revision %d and %q", b.Revision, b.Error, a.revision, a.problem)
			}
			if !strings.Contains(errOut, "hash chains are broken") {
				t.Errorf("verify stderr: got %q, want it to say the chains are broken", errOut)
			}
			// The server refuses to start on it, and says why.
			tokens := filepath.Join(t.TempDir(), "tokens.json")
			_, errOut, code = runCLI(t, nil, "serve", "--db", path, "--addr", "127.0.0.1:0", "--tokens", tokens)
			if code != 3 || !strings.Contains(errOut, "refusing to serve") || !strings.Contains(errOut, "hash chain is broken") {
				t.Errorf("serve on a tampered ledger: exit %d, stderr %q; want exit 3 refusing to serve because the chain is broken", code, errOut)
			}
		})
	}
}

// TestTriggersRefuseEdits checks the first line of defence: without
// dropping the triggers, the file refuses UPDATE and DELETE of events.
func TestTriggersRefuseEdits(t *testing.T) {
	path, _ := tamperLedger(t)
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`UPDATE events SET data = '{}' WHERE revision = 5`, `DELETE FROM events WHERE revision = 5`} {
		if _, err := db.Exec(q); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: got %v, want the append-only trigger to refuse it", q, err)
		}
	}
}
