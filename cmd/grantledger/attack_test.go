package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// The attacks of issue 11, made as an attacker with write access to the
// ledger file and knowledge of the code would: straight on the SQLite
// file, with the guard triggers dropped and every per-stream hash chain
// recomputed after the change, so that the chains alone see nothing.

// twoAgreements is walkJSONL for DEMO-1 and the same for DEMO-2.
func twoAgreements() string {
	second := strings.ReplaceAll(walkJSONL, "DEMO-1", "DEMO-2")
	second = strings.ReplaceAll(second, "9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a1", "9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a2")
	return walkJSONL + second
}

// forger works on the ledger file directly.
type forger struct {
	t  *testing.T
	db *sql.DB
}

func openForger(t *testing.T, path string) *forger {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	f := &forger{t: t, db: db}
	f.exec(`DROP TRIGGER IF EXISTS events_no_update; DROP TRIGGER IF EXISTS events_no_delete;
		DROP TRIGGER IF EXISTS tree_no_update; DROP TRIGGER IF EXISTS tree_no_delete`)
	return f
}

func (f *forger) close() { f.db.Close() }

func (f *forger) exec(q string, args ...any) int64 {
	f.t.Helper()
	res, err := f.db.Exec(q, args...)
	if err != nil {
		f.t.Fatalf("forger: %s: %v", q, err)
	}
	n, _ := res.RowsAffected()
	return n
}

// stream is the stream of an agreement.
func (f *forger) stream(agreement string) string { return domain.StreamFor(agreement) }

// rechain recomputes the hash chain of a stream from its first event, as
// domain.EventHash defines it, and rewrites every event's metadata.
func (f *forger) rechain(stream string) {
	f.t.Helper()
	rows, err := f.db.Query(`SELECT pos, revision, event_id, type, data, metadata FROM events WHERE stream = ? ORDER BY revision`, stream)
	if err != nil {
		f.t.Fatal(err)
	}
	type row struct {
		pos, rev  int64
		typ       string
		data, mdb []byte
	}
	var rs []row
	for rows.Next() {
		var r row
		var id []byte
		if err := rows.Scan(&r.pos, &r.rev, &id, &r.typ, &r.data, &r.mdb); err != nil {
			f.t.Fatal(err)
		}
		rs = append(rs, r)
	}
	rows.Close()
	prev := ""
	for i, r := range rs {
		m, err := domain.DecodeMetadata(r.mdb)
		if err != nil {
			f.t.Fatal(err)
		}
		m.PrevHash = prev
		m.Hash = domain.EventHash(stream, uint64(i), r.typ, r.data, m)
		prev = m.Hash
		b, _ := json.Marshal(m)
		f.exec(`UPDATE events SET metadata = ?, revision = ? WHERE pos = ?`, b, i, r.pos)
	}
}

// rebuildTree replaces the tree table with the one the code would build
// over the events as they now are, in pos order: what an attacker who
// read the code does to hide a change from the stored tree.
func (f *forger) rebuildTree() {
	f.t.Helper()
	f.exec(`DELETE FROM tree`)
	rows, err := f.db.Query(`SELECT pos, stream, revision, event_id, type, data, metadata, created FROM events ORDER BY pos`)
	if err != nil {
		f.t.Fatal(err)
	}
	var leaves []merkle.Hash
	for rows.Next() {
		var e domain.RecordedEvent
		var pos, rev, created int64
		var id []byte
		if err := rows.Scan(&pos, &e.Stream, &rev, &id, &e.Type, &e.Data, &e.Metadata, &created); err != nil {
			f.t.Fatal(err)
		}
		copy(e.ID[:], id)
		e.Revision = uint64(rev)
		e.Created = unixNano(created)
		leaves = append(leaves, merkle.LeafHash(e))
	}
	rows.Close()
	var all []tlog.Hash
	r := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		out := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			out[i] = all[x]
		}
		return out, nil
	})
	// One row per leaf: the stored hashes its append completes (see
	// adapters/sqlite/tree.go).
	for i, l := range leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), l, r)
		if err != nil {
			f.t.Fatal(err)
		}
		all = append(all, hs...)
		var row []byte
		for _, h := range hs {
			row = append(row, h[:]...)
		}
		f.exec(`INSERT INTO tree (idx, hash) VALUES (?, ?)`, i, row)
	}
}

// renumber makes pos dense again (1..n) after a deletion, as it would be
// in a file that never had the deleted rows.
func (f *forger) renumber() {
	f.t.Helper()
	f.exec(`CREATE TEMP TABLE ev AS SELECT * FROM events ORDER BY pos`)
	f.exec(`DELETE FROM events`)
	f.exec(`INSERT INTO events (stream, revision, event_id, type, data, metadata, created) SELECT stream, revision, event_id, type, data, metadata, created FROM temp.ev ORDER BY pos`)
	f.exec(`DROP TABLE temp.ev`)
}

// forgeTail appends a copy of the agreement's spending, with a new id, at
// the end of its stream with a correct chain hash; inPlace puts it right
// after the stream's last event in the global order (moving later events
// up), else at the end of the global order.
func (f *forger) forgeTail(agreement string, inPlace bool) {
	f.t.Helper()
	st := f.stream(agreement)
	var id []byte
	var typ string
	var data, meta []byte
	var created int64
	if err := f.db.QueryRow(`SELECT event_id, type, data, metadata, created FROM events WHERE stream = ? AND type = 'SpendingRecorded'`, st).Scan(&id, &typ, &data, &meta, &created); err != nil {
		f.t.Fatal(err)
	}
	id[0] ^= 0xff
	var rev, last, max int64
	f.db.QueryRow(`SELECT MAX(revision), MAX(pos) FROM events WHERE stream = ?`, st).Scan(&rev, &last)
	f.db.QueryRow(`SELECT MAX(pos) FROM events`).Scan(&max)
	m, _ := domain.DecodeMetadata(meta)
	copy(m.EventID[:], id)
	b, _ := json.Marshal(m)
	pos := max + 1
	if inPlace {
		f.exec(`UPDATE events SET pos = pos + 1000 WHERE pos > ?`, last)
		pos = last + 1
	}
	f.exec(`INSERT INTO events (pos, stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, pos, st, rev+1, id, typ, data, b, created)
	f.rechain(st)
	f.renumber()
}

// setupLedger writes two agreements, a signing key and a checkpoint taken
// after them, and returns the paths.
func setupLedger(t *testing.T) (db, key, vkey, cp string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "l.db")
	if _, errs, code := runCLI(t, twoAgreements(), "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: %s", errs)
	}
	key = filepath.Join(dir, "signing.key")
	out, errs, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "ministry.example/grants")
	if code != 0 {
		t.Fatalf("key generate: %s", errs)
	}
	vkey = strings.TrimSpace(out)
	cp = filepath.Join(dir, "day1.checkpoint")
	if _, errs, code := runCLI(t, "", "checkpoint", "--db", db, "--signing-key", key, "--out", cp); code != 0 {
		t.Fatalf("checkpoint: %s", errs)
	}
	if out, errs, code := runCLI(t, "", "verify", "--db", db, "--checkpoint", cp, "--verifier-key", vkey); code != 0 {
		t.Fatalf("verify before the attack: exit %d\n%s%s", code, out, errs)
	}
	return db, key, vkey, cp
}

func TestAttacksAreDetected(t *testing.T) {
	attacks := []struct {
		name string
		do   func(f *forger)
	}{
		{"middle edit and re-hash", func(f *forger) {
			st := f.stream("DEMO-1")
			if n := f.exec(`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '9250.40', '925.04') AS BLOB) WHERE stream = ? AND type = 'SpendingRecorded'`, st); n != 1 {
				f.t.Fatalf("edited %d rows", n)
			}
			f.rechain(st)
		}},
		{"whole stream deleted", func(f *forger) {
			f.exec(`DELETE FROM events WHERE stream = ?`, f.stream("DEMO-1"))
			f.renumber()
		}},
		{"tail truncated", func(f *forger) {
			st := f.stream("DEMO-2")
			f.exec(`DELETE FROM events WHERE stream = ? AND revision = (SELECT MAX(revision) FROM events WHERE stream = ?)`, st, st)
		}},
		{"forged tail event", func(f *forger) {
			// A spending added at the end of DEMO-1, put where it would be
			// had it been recorded before DEMO-2's events.
			f.forgeTail("DEMO-1", true)
		}},
		{"cross-stream reorder", func(f *forger) {
			// Swap the last event of DEMO-1 with the first of DEMO-2: each
			// stream keeps its own order, the global order changes.
			var a, b int64
			f.db.QueryRow(`SELECT MAX(pos) FROM events WHERE stream = ?`, f.stream("DEMO-1")).Scan(&a)
			f.db.QueryRow(`SELECT MIN(pos) FROM events WHERE stream = ?`, f.stream("DEMO-2")).Scan(&b)
			f.exec(`UPDATE events SET pos = -1 WHERE pos = ?`, a)
			f.exec(`UPDATE events SET pos = ? WHERE pos = ?`, a, b)
			f.exec(`UPDATE events SET pos = ? WHERE pos = -1`, b)
		}},
	}
	for _, at := range attacks {
		t.Run(at.name, func(t *testing.T) {
			db, _, vkey, cp := setupLedger(t)
			f := openForger(t, db)
			at.do(f)
			f.close()
			// The chains alone see nothing: the forger recomputed them.
			if out, _, code := runCLI(t, "", "verify", "--db", db, "--json"); code != exitTampered {
				t.Fatalf("plain verify with the tree left as it was: exit %d, want %d\n%s", code, exitTampered, out)
			} else {
				var v struct {
					Breaks []any
					Log    merkle.Result
				}
				json.Unmarshal([]byte(out), &v)
				if len(v.Breaks) != 0 || v.Log.FirstBad == nil {
					t.Fatalf("want the chains intact and the Merkle log naming the first bad leaf; got %s", out)
				}
			}
			// Now the attacker rebuilds the tree too: only the checkpoint
			// held elsewhere can tell.
			f = openForger(t, db)
			f.rebuildTree()
			f.close()
			out, errs, code := runCLI(t, "", "verify", "--db", db, "--checkpoint", cp, "--verifier-key", vkey)
			if code != exitTampered || !strings.Contains(out, "checkpoint ministry.example/grants size 12: FAILED") {
				t.Fatalf("verify --checkpoint after the attack: exit %d, want %d\n%s%s", code, exitTampered, out, errs)
			}
		})
	}
}

// TestForgedEventAfterTheCheckpoint: an event appended at the end of the
// global order after the last checkpoint is, to the log, an append like
// any other: no checkpoint covers it, and verify says how many events no
// checkpoint covers yet (docs/PROOFS.md, threat model). The next
// checkpoint taken by the operator would include it.
func TestForgedEventAfterTheCheckpoint(t *testing.T) {
	db, _, vkey, cp := setupLedger(t)
	f := openForger(t, db)
	f.forgeTail("DEMO-2", false)
	f.rebuildTree()
	f.close()
	out, errs, code := runCLI(t, "", "verify", "--db", db, "--checkpoint", cp, "--verifier-key", vkey)
	if code != 0 || !strings.Contains(out, "1 event after the newest checkpoint (size 12) is covered by no checkpoint") {
		t.Fatalf("verify: exit %d\n%s%s", code, out, errs)
	}
}

// TestForgedCheckpointRefused: a checkpoint whose text was changed, or
// signed by another key, is refused with exit 3.
func TestForgedCheckpointRefused(t *testing.T) {
	db, _, vkey, cp := setupLedger(t)
	b, _ := os.ReadFile(cp)
	forged := filepath.Join(t.TempDir(), "forged")
	os.WriteFile(forged, []byte(strings.Replace(string(b), "\n12\n", "\n11\n", 1)), 0o644)
	out, errs, code := runCLI(t, "", "verify", "--db", db, "--checkpoint", forged, "--verifier-key", vkey)
	if code != exitTampered || !strings.Contains(out+errs, "signature") {
		t.Fatalf("verify with an edited checkpoint: exit %d\n%s%s", code, out, errs)
	}
	other := filepath.Join(t.TempDir(), "other.key")
	otherV, _, _ := runCLI(t, "", "key", "generate", "--out", other, "--name", "ministry.example/grants")
	out, errs, code = runCLI(t, "", "verify", "--db", db, "--checkpoint", cp, "--verifier-key", strings.TrimSpace(otherV))
	if code != exitTampered {
		t.Fatalf("verify under another key: exit %d\n%s%s", code, out, errs)
	}
}

func unixNano(n int64) time.Time { return time.Unix(0, n).UTC() }

// TestForgedSnapshotRefused: the snapshots row of the ledger is replaced by
// one folded from a falsified copy of it. report must not print the
// copy's figures: it refuses the snapshot, says so, and folds the real
// events; plain verify names the forged snapshot.
func TestForgedSnapshotRefused(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	report := func(path string, flags ...string) (string, string) {
		out, errs, code := runCLI(t, "", append([]string{"report", "--db", path, "--agreement", "DEMO-1", "--year", "1"}, flags...)...)
		if code != 0 {
			t.Fatalf("report %s: exit %d: %s", path, code, errs)
		}
		return out, errs
	}
	if out, _ := report(db); !strings.Contains(out, "9,250.40") {
		t.Fatalf("report before: %s", out)
	}
	// The falsified copy, with its own snapshot.
	copyPath := filepath.Join(dir, "copy.db")
	copyLedger(t, db, copyPath) // the file with its -wal (docs/STORAGE.md)
	f := openForger(t, copyPath)
	f.exec(`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '9250.40', '925.04') AS BLOB) WHERE type = 'SpendingRecorded'`)
	f.rechain(domain.StreamFor("DEMO-1"))
	f.rebuildTree()
	f.exec(`DELETE FROM snapshots`) // so that the copy folds its own
	f.close()
	if out, _ := report(copyPath); !strings.Contains(out, "925.04") {
		t.Fatalf("report of the falsified copy: %s", out)
	}
	f = openForger(t, db)
	f.exec(`ATTACH DATABASE ? AS fake`, copyPath)
	if n := f.exec(`UPDATE snapshots SET commit_pos = (SELECT commit_pos FROM fake.snapshots WHERE name = 'projections.ledger.v1'), prepare_pos = (SELECT prepare_pos FROM fake.snapshots WHERE name = 'projections.ledger.v1'), blob = (SELECT blob FROM fake.snapshots WHERE name = 'projections.ledger.v1') WHERE name = 'projections.ledger.v1'`); n != 1 {
		t.Fatalf("replaced %d snapshot rows", n)
	}
	f.close()
	out, errs := report(db)
	if strings.Contains(out, "925.04") || !strings.Contains(out, "9,250.40") || !strings.Contains(errs, "snapshot projections.ledger.v1 refused") {
		t.Fatalf("report with the forged snapshot:\n%s\nstderr: %s", out, errs)
	}
	// The refused snapshot was replaced by the rebuilt one; put the
	// forged one back to see plain verify name it.
	f = openForger(t, db)
	f.exec(`ATTACH DATABASE ? AS fake`, copyPath)
	f.exec(`UPDATE snapshots SET commit_pos = (SELECT commit_pos FROM fake.snapshots WHERE name = 'projections.ledger.v1'), prepare_pos = (SELECT prepare_pos FROM fake.snapshots WHERE name = 'projections.ledger.v1'), blob = (SELECT blob FROM fake.snapshots WHERE name = 'projections.ledger.v1') WHERE name = 'projections.ledger.v1'`)
	f.close()
	if out, errs, code := runCLI(t, "", "verify", "--db", db); code != exitTampered || !strings.Contains(out, "BAD SNAPSHOT") {
		t.Fatalf("plain verify with the forged snapshot: exit %d\n%s%s", code, out, errs)
	}
	// A forger who has read the code also writes the real log's size and
	// root into the forged snapshot's header (its first 48 bytes:
	// "GLTREE1\n", size, root). Plain verify refolds the events up to
	// the snapshot and still names it.
	f = openForger(t, db)
	f.exec(`DELETE FROM snapshots`)
	f.close()
	if _, errs := report(db); errs != "" && strings.Contains(errs, "refused") {
		t.Fatalf("the honest snapshot was refused: %s", errs)
	}
	f = openForger(t, db)
	f.exec(`ATTACH DATABASE ? AS fake`, copyPath)
	if n := f.exec(`UPDATE snapshots SET blob = substr(blob, 1, 48) || substr((SELECT blob FROM fake.snapshots WHERE name = 'projections.ledger.v1'), 49) WHERE name = 'projections.ledger.v1'`); n != 1 {
		t.Fatalf("replaced %d snapshot rows", n)
	}
	f.close()
	if out, _ := report(db); !strings.Contains(out, "925.04") {
		t.Logf("(reads do not refold: the report shows the forged snapshot's figures, as docs/PROOFS.md says:\n%s)", out)
	}
	if out, errs, code := runCLI(t, "", "verify", "--db", db); code != exitTampered || !strings.Contains(out, "BAD SNAPSHOT") || !strings.Contains(out, "not the one the events") {
		t.Fatalf("plain verify with a forged snapshot that carries the real root: exit %d\n%s%s", code, out, errs)
	}
}

// TestReadsRefuseABrokenLog: report, reconcile, history, audit and
// summaries check the log before they read, exit 3 on a break, and read
// anyway only with --no-verify, saying so.
func TestReadsRefuseABrokenLog(t *testing.T) {
	edit := func(db string, rebuild bool) {
		f := openForger(t, db)
		f.exec(`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '9250.40', '925.04') AS BLOB) WHERE type = 'SpendingRecorded' AND stream = ?`, domain.StreamFor("DEMO-1"))
		f.rechain(domain.StreamFor("DEMO-1"))
		if rebuild {
			f.rebuildTree()
		}
		f.close()
	}
	reads := [][]string{
		{"report", "--agreement", "DEMO-1", "--year", "1"},
		{"reconcile", "--year", "1"},
		{"history", "--agreement", "DEMO-1"},
		{"audit"},
		{"summaries", "--year", "1", "--out", "SUMDIR"},
	}
	run := func(db string, read []string, extra ...string) (string, string, int) {
		args := append([]string{read[0], "--db", db}, read[1:]...)
		for i, a := range args {
			if a == "SUMDIR" {
				args[i] = filepath.Join(filepath.Dir(db), "summaries")
			}
		}
		return runCLI(t, "", append(args, extra...)...)
	}
	t.Run("edited before any read", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "l.db")
		if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
			t.Fatal(errs)
		}
		edit(db, false)
		for _, r := range reads {
			out, errs, code := run(db, r)
			if code != exitTampered || strings.Contains(out, "925") {
				t.Errorf("%s on an edited ledger: exit %d, want %d\n%s%s", r[0], code, exitTampered, out, errs)
			}
		}
		out, errs, code := run(db, reads[0], "--no-verify")
		if code != 0 || !strings.Contains(errs, "--no-verify: the Merkle log was NOT checked") || !strings.Contains(out, "925.04") {
			t.Errorf("report --no-verify: exit %d\n%s%s", code, out, errs)
		}
	})
	t.Run("edited after a read, tree rebuilt, checkpoint pinned", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "l.db")
		if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
			t.Fatal(errs)
		}
		key := filepath.Join(dir, "k")
		vkey, _, _ := runCLI(t, "", "key", "generate", "--out", key)
		cps := filepath.Join(dir, "cps")
		if _, errs, code := runCLI(t, "", "checkpoint", "--db", db, "--signing-key", key, "--dir", cps); code != 0 {
			t.Fatal(errs)
		}
		if _, errs, code := run(db, reads[0]); code != 0 {
			t.Fatal(errs)
		}
		// history shows events one by one: each must be its stored leaf.
		edit(db, false)
		if out, errs, code := run(db, reads[2]); code != exitTampered {
			t.Fatalf("history after an edit: exit %d\n%s%s", code, out, errs)
		}
		// The attacker who read the code rewrites the tree and removes the
		// snapshot (whose header is the last verified point); the
		// checkpoint signed before is what still tells.
		edit(db, true)
		f := openForger(t, db)
		f.exec(`DELETE FROM snapshots`) // the read model's header is the last verified point
		f.close()
		if out, errs, code := run(db, reads[0]); code != 0 {
			t.Fatalf("without the pinned checkpoint the rewritten file is consistent with itself (docs/PROOFS.md): exit %d\n%s%s", code, out, errs)
		}
		f = openForger(t, db)
		f.exec(`DELETE FROM snapshots`)
		f.close()
		t.Setenv("GRANTLEDGER_CHECKPOINT_DIR", cps)
		t.Setenv("GRANTLEDGER_VERIFIER_KEY", strings.TrimSpace(vkey))
		for _, r := range reads {
			if out, errs, code := run(db, r); code != exitTampered || strings.Contains(out, "925") {
				t.Errorf("%s with the signed checkpoint pinned: exit %d, want %d\n%s%s", r[0], code, exitTampered, out, errs)
			}
		}
	})
}

// TestReportsCarryTheirCheckpoint: every report format names the Merkle
// log state it was computed from, the one 'grantledger checkpoint' gives,
// signed when a key is set.
func TestReportsCarryTheirCheckpoint(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	cp, _, code := runCLI(t, "", "checkpoint", "--db", db)
	if code != 0 {
		t.Fatal(cp)
	}
	lines := strings.Split(cp, "\n")
	size, root := lines[1], lines[2]
	var rep struct {
		Checkpoint struct {
			Size     int64  `json:"size"`
			Root     string `json:"root_hash"`
			Verified bool   `json:"verified"`
			Signed   string `json:"signed_checkpoint"`
		} `json:"checkpoint"`
		Agreement string `json:"agreement"`
	}
	out, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "DEMO-1", "--year", "1", "--format", "json")
	if code != 0 {
		t.Fatal(errs)
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(rep.Checkpoint.Size) != size || rep.Checkpoint.Root != root || !rep.Checkpoint.Verified || rep.Agreement != "DEMO-1" {
		t.Fatalf("JSON report checkpoint %+v, want size %s root %s; agreement %q", rep.Checkpoint, size, root, rep.Agreement)
	}
	for _, f := range []string{"text", "md", "html"} {
		out, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "DEMO-1", "--year", "1", "--format", f)
		if code != 0 || !strings.Contains(html.UnescapeString(out), root) {
			t.Errorf("%s report does not name root %s: %s", f, root, errs)
		}
	}
	for _, r := range [][]string{{"reconcile", "--year", "1"}, {"audit"}, {"indicators"}} {
		out, errs, code := runCLI(t, "", append(append([]string{r[0], "--db", db}, r[1:]...), "--format", "json")...)
		if code != 0 || !strings.Contains(out, `"checkpoint"`) || !strings.Contains(out, root) {
			t.Errorf("%s --format json lacks its checkpoint: exit %d %s", r[0], code, errs)
		}
	}
	xlsx := filepath.Join(dir, "r.xlsx")
	if _, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "DEMO-1", "--year", "1", "--format", "xlsx", "--out", xlsx); code != 0 {
		t.Fatal(errs)
	}
	if !xlsxContains(t, xlsx, root) {
		t.Errorf("the XLSX report does not name root %s", root)
	}
	sum := filepath.Join(dir, "sum")
	runCLI(t, "", "summaries", "--db", db, "--year", "1", "--out", sum)
	idx, _ := os.ReadFile(filepath.Join(sum, "index-year1.json"))
	md, _ := os.ReadFile(filepath.Join(sum, "index-year1.md"))
	if !strings.Contains(string(idx), root) || !strings.Contains(string(md), root) {
		t.Errorf("the summaries index does not name root %s:\n%s\n%s", root, idx, md)
	}
	// With a signing key, the report carries the signed checkpoint.
	key := filepath.Join(dir, "k")
	vkey, _, _ := runCLI(t, "", "key", "generate", "--out", key)
	t.Setenv("GRANTLEDGER_SIGNING_KEY", key)
	out, _, _ = runCLI(t, "", "report", "--db", db, "--agreement", "DEMO-1", "--year", "1", "--format", "json")
	json.Unmarshal([]byte(out), &rep)
	v, _ := note.NewVerifier(strings.TrimSpace(vkey))
	c, err := merkle.OpenSigned([]byte(rep.Checkpoint.Signed), v)
	if err != nil || fmt.Sprint(c.Size) != size || c.Root.String() != root {
		t.Fatalf("signed checkpoint of the report: %+v, %v", c, err)
	}
}

// xlsxContains reports whether any cell of any sheet of the file holds s.
func xlsxContains(t *testing.T, path, s string) bool {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		rows, _ := f.GetRows(sh)
		for _, r := range rows {
			for _, c := range r {
				if strings.Contains(c, s) {
					return true
				}
			}
		}
	}
	return false
}

// TestServeRefusesABrokenLog: with every chain recomputed (so the chain
// check at start passes) but the tree left as it was, serve refuses to
// start and names the leaf.
func TestServeRefusesABrokenLog(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	f := openForger(t, db)
	f.exec(`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '9250.40', '925.04') AS BLOB) WHERE type = 'SpendingRecorded'`)
	f.rechain(domain.StreamFor("DEMO-1"))
	f.close()
	tokens := filepath.Join(t.TempDir(), "tokens.json")
	_, errs, code := runCLI(t, "", "serve", "--db", db, "--addr", "127.0.0.1:0", "--tokens", tokens)
	if code != exitTampered || !strings.Contains(errs, "Merkle log is broken at leaf 3") {
		t.Fatalf("serve on a ledger whose log is broken: exit %d, stderr %q", code, errs)
	}
}

// TestUpgradedLedgerCheckpointSaysSealed: a ledger written before the log
// gets its tree on first open, and its checkpoints say from which
// position it was sealed.
func TestUpgradedLedgerCheckpointSaysSealed(t *testing.T) {
	db := filepath.Join(t.TempDir(), "l.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	f := openForger(t, db)
	f.exec(`DROP TABLE tree; DROP TABLE log_info; PRAGMA user_version = 2`) // as written before issue 11
	f.close()
	out, errs, code := runCLI(t, "", "checkpoint", "--db", db)
	if code != 0 || !strings.Contains(out, "\nsealed 6\n") {
		t.Fatalf("checkpoint of an upgraded ledger: exit %d\n%s%s", code, out, errs)
	}
	if out, errs, code := runCLI(t, "", "verify", "--db", db); code != 0 || !strings.Contains(strings.Join(strings.Fields(out), " "), "the first 6 events were written before the ledger kept the log") {
		t.Fatalf("verify of an upgraded ledger: exit %d\n%s%s", code, out, errs)
	}
}
