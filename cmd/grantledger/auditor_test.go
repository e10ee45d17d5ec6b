package main

import (
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/grantledger/grantledger/domain"
)

// TestAuditorDay1Day30 is the "done when" of issue 11, through the CLI: an
// auditor takes a signed checkpoint on day 1; on day 30, with nothing but
// the public key, the auditor proves that nothing recorded before day 1
// changed and that a given spending is in the ledger. A ledger changed
// before day 1 cannot give such proofs.
func TestAuditorDay1Day30(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	key := filepath.Join(dir, "signing.key")
	cps := filepath.Join(dir, "checkpoints")
	day := func(d int) func() time.Time {
		return func() time.Time { return time.Date(2026, 11, d, 12, 0, 0, 0, time.UTC) }
	}
	vkey, errs, code := runCLI(t, "", "key", "generate", "--out", key, "--name", "ministry.example/grants")
	if code != 0 {
		t.Fatal(errs)
	}
	vkey = strings.TrimSpace(vkey)
	if fi, err := os.Stat(key); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("signing key file: %v, mode %v; want 0600", err, fi.Mode())
	}
	// Day 1: DEMO-1 is recorded and a checkpoint is taken and handed to
	// the auditor.
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	day1 := filepath.Join(dir, "auditor-day1.checkpoint")
	if _, errs, code := runCLIAt(t, day(1), "", "checkpoint", "--db", db, "--signing-key", key, "--dir", cps, "--out", day1); code != 0 {
		t.Fatal(errs)
	}
	// Days 2..29: more is recorded (DEMO-2).
	second := strings.ReplaceAll(strings.ReplaceAll(walkJSONL, "DEMO-1", "DEMO-2"), "9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a1", "9f1b7a52-3c1e-4b59-9a41-0c7e2d3f4a2")
	if _, errs, code := runCLI(t, second, "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	// Day 30: the operator proves the log extends day 1 and that the
	// DEMO-1 spending is in it; the auditor checks both offline.
	consistency := filepath.Join(dir, "consistency.json")
	out, errs, code := runCLIAt(t, day(30), "", "prove", "--db", db, "--signing-key", key, "--from", day1)
	if code != 0 {
		t.Fatalf("prove --from: %s", errs)
	}
	os.WriteFile(consistency, []byte(out), 0o644)
	out, errs, code = runCLI(t, "", "verify-proof", consistency, "--verifier-key", vkey)
	if code != 0 || !strings.Contains(out, "OK: the log of 12 events") || !strings.Contains(out, "extends the log of 6 events") {
		t.Fatalf("verify-proof consistency: exit %d\n%s%s", code, out, errs)
	}
	spending := spendingID(t, db, "DEMO-1")
	inclusion := filepath.Join(dir, "inclusion.json")
	out, errs, code = runCLIAt(t, day(30), "", "prove", "--db", db, "--event", spending.String(), "--checkpoint", day1)
	if code != 0 {
		t.Fatalf("prove --event: %s", errs)
	}
	os.WriteFile(inclusion, []byte(out), 0o644)
	out, errs, code = runCLI(t, "", "verify-proof", inclusion, "--verifier-key", vkey)
	if code != 0 || !strings.Contains(out, "OK: event "+spending.String()+" (SpendingRecorded") || !strings.Contains(out, "9250.40") {
		t.Fatalf("verify-proof inclusion: exit %d\n%s%s", code, out, errs)
	}
	// The same proof checks with the library's own functions (the program
	// in docs/PROOFS.md does exactly this).
	var p inclusionFile
	raw, _ := os.ReadFile(inclusion)
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	v, _ := note.NewVerifier(vkey)
	n, err := note.Open([]byte(p.Checkpoint), note.VerifierList(v))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(n.Text, "\n")
	root, _ := tlog.ParseHash(lines[2])
	leaf, _ := hex.DecodeString(p.Leaf)
	if err := tlog.CheckRecord(p.AuditPath, p.TreeSize, root, p.LeafIndex, tlog.RecordHash(leaf)); err != nil {
		t.Fatalf("tlog.CheckRecord refuses the proof: %v", err)
	}
	// A proof edited to claim another amount does not hold.
	forged := strings.Replace(string(raw), hexString("9250.40"), hexString("9950.40"), 1)
	if forged == string(raw) {
		t.Fatal("the amount is not in the leaf bytes")
	}
	os.WriteFile(inclusion, []byte(forged), 0o644)
	if out, _, code := runCLI(t, "", "verify-proof", inclusion, "--verifier-key", vkey); code != exitTampered {
		t.Fatalf("verify-proof of an edited proof: exit %d\n%s", code, out)
	}

	// Had someone with file access rewritten the DEMO-1 spending (chain
	// and tree recomputed), the operator could no longer prove day 1.
	f := openForger(t, db)
	f.exec(`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '9250.40', '925.04') AS BLOB) WHERE type = 'SpendingRecorded' AND stream = ?`, domain.StreamFor("DEMO-1"))
	f.rechain(domain.StreamFor("DEMO-1"))
	f.rebuildTree()
	f.close()
	if out, errs, code := runCLIAt(t, day(30), "", "prove", "--db", db, "--signing-key", key, "--from", day1); code != exitTampered {
		t.Fatalf("prove --from on a rewritten ledger: exit %d, want %d\n%s%s", code, exitTampered, out, errs)
	}
	if out, errs, code := runCLI(t, "", "verify", "--db", db, "--checkpoint", day1, "--verifier-key", vkey); code != exitTampered {
		t.Fatalf("verify --checkpoint day1 on a rewritten ledger: exit %d\n%s%s", code, out, errs)
	}
	// And the operator's checkpoint directory refuses to sign the
	// rewritten log: it does not extend the newest checkpoint there.
	if out, errs, code := runCLIAt(t, day(30), "", "checkpoint", "--db", db, "--signing-key", key, "--dir", cps); code != exitTampered {
		t.Fatalf("checkpoint --dir on a rewritten ledger: exit %d, want %d\n%s%s", code, exitTampered, out, errs)
	}
}

// runCLIAt runs the CLI with a fixed clock.
func runCLIAt(t *testing.T, now func() time.Time, stdin string, args ...string) (string, string, int) {
	t.Helper()
	old := testClock
	testClock = now
	defer func() { testClock = old }()
	return runCLI(t, stdin, args...)
}

func spendingID(t *testing.T, db, agreement string) uuid.UUID {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var id []byte
	if err := conn.QueryRow(`SELECT event_id FROM events WHERE stream = ? AND type = 'SpendingRecorded'`, domain.StreamFor(agreement)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	u, _ := uuid.FromBytes(id)
	return u
}

func hexString(s string) string { return hex.EncodeToString([]byte(s)) }

// TestAutomaticCheckpoints: with a key and a directory set, apply adds a
// signed checkpoint after a close_year and after GRANTLEDGER_CHECKPOINT_EVENTS
// events, and not otherwise.
func TestAutomaticCheckpoints(t *testing.T) {
	dir := t.TempDir()
	db, key, cps := filepath.Join(dir, "l.db"), filepath.Join(dir, "k"), filepath.Join(dir, "cps")
	vkey, _, _ := runCLI(t, "", "key", "generate", "--out", key)
	t.Setenv("GRANTLEDGER_SIGNING_KEY", key)
	t.Setenv("GRANTLEDGER_CHECKPOINT_DIR", cps)
	t.Setenv("GRANTLEDGER_CHECKPOINT_EVENTS", "5")
	files := func() []string {
		names, _ := filepath.Glob(filepath.Join(cps, "checkpoint-*.txt"))
		return names
	}
	lines := strings.SplitAfter(walkJSONL, "\n")
	// Two commands: the first checkpoint (none existed).
	if _, errs, code := runCLI(t, strings.Join(lines[:3], ""), "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	if n := len(files()); n != 1 {
		t.Fatalf("%d checkpoints after the first apply, want 1", n)
	}
	// Two more events, no close_year, fewer than 5 since the last: none.
	if _, errs, code := runCLI(t, strings.Join(lines[3:5], ""), "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	if n := len(files()); n != 1 {
		t.Fatalf("%d checkpoints after one more event, want still 1", n)
	}
	// The rest ends with close_year: a checkpoint at once.
	if _, errs, code := runCLI(t, strings.Join(lines[5:], ""), "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	fs := files()
	if len(fs) != 2 {
		t.Fatalf("%d checkpoints after close_year, want 2", len(fs))
	}
	for _, f := range fs {
		if out, errs, code := runCLI(t, "", "verify", "--db", db, "--checkpoint", f, "--verifier-key", strings.TrimSpace(vkey)); code != 0 {
			t.Fatalf("verify against %s: %s%s", f, out, errs)
		}
	}
}
