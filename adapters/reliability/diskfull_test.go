package reliability

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/grantledger/grantledger/adapters/httpapi"
	"github.com/grantledger/grantledger/adapters/sqlite"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/tmpfstest"
)

// jsonl returns envs as JSON lines, as 'grantledger apply' reads them.
func jsonl(t *testing.T, envs ...domain.Envelope) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, e := range envs {
		j, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(j)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// audit opens the SQLite file at path read-only and counts what it holds
// (Audit also checks every hash chain).
func audit(t *testing.T, path string) Tally {
	t.Helper()
	s, err := sqlite.Open(path, sqlite.ReadOnly())
	if err != nil {
		t.Fatalf("open %s read-only: %v", path, err)
	}
	defer s.Close()
	tally, err := Audit(context.Background(), s)
	if err != nil {
		t.Fatalf("audit %s: %v", path, err)
	}
	return tally
}

// wantOnce checks that the ledger holds exactly the given spendings, each
// command once.
func wantOnce(t *testing.T, tally Tally, ids ...Spending) {
	t.Helper()
	if tally.Spendings != len(ids) {
		t.Errorf("spendings in the ledger: got %d, want %d", tally.Spendings, len(ids))
	}
	for _, s := range ids {
		if n := tally.ByCommand[s.ID]; n != 1 {
			t.Errorf("command %s: %d events, want 1", s.ID, n)
		}
	}
}

// TestDiskFullEndToEnd fills the file system holding the ledger (a real
// ENOSPC on a small tmpfs) and checks, through 'grantledger apply' and
// through POST /v1/commands, that a command fails with an error saying the
// disk is full, that nothing is half-written (the hash chain verifies and
// the command is absent), that reads keep working, and that once space is
// freed the same command id goes through exactly once.
func TestDiskFullEndToEnd(t *testing.T) {
	t.Run("apply", func(t *testing.T) {
		dir := tmpfstest.Mount(t, 4<<20)
		db := filepath.Join(dir, "ledger.db")
		first, second := NewSpending(5, 0, 0), NewSpending(5, 0, 1)
		if _, errs, code := runCLI(t, jsonl(t, append(Setup(), first.Envelope())...), "apply", "--db", db, "-"); code != 0 {
			t.Fatalf("setup: exit %d: %s", code, errs)
		}
		filler := tmpfstest.Fill(t, dir)
		out, errs, code := runCLI(t, jsonl(t, second.Envelope()), "apply", "--db", db, "-")
		if code == 0 {
			t.Fatalf("apply on a full disk: exit 0, want a failure; stdout %s", out)
		}
		t.Run("says the disk is full", func(t *testing.T) {
			// The setup's process left the -wal and -shm files (no
			// checkpoint at exit), so the store opens writable and the
			// commit is what meets the full disk.
			wantSays(t, out+errs, "the disk holding the event store is full", "nothing was written")
		})
		t.Run("reads keep working", func(t *testing.T) {
			wantReads(t, db)
		})
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		// Nothing half-written: the chain verifies and the refused
		// command is absent (checked before it is sent again).
		wantOnce(t, audit(t, db), first)
		if _, errs, code := runCLI(t, jsonl(t, second.Envelope()), "apply", "--db", db, "-"); code != 0 {
			t.Fatalf("apply once there is room: exit %d: %s", code, errs)
		}
		wantOnce(t, audit(t, db), first, second)
	})
	t.Run("http", func(t *testing.T) {
		dir := tmpfstest.Mount(t, 4<<20)
		db := filepath.Join(dir, "ledger.db")
		tokens, err := toks.OpenTokens("")
		if err != nil {
			t.Fatal(err)
		}
		token := granteeToken(t, tokens)
		api := startAPI(t, db, tokens, nil)
		for _, env := range Setup() {
			if _, err := commandtest.Handle(context.Background(), api.svc, env); err != nil {
				t.Fatalf("setup %s: %v", env.Type, err)
			}
		}
		first, second := NewSpending(6, 0, 0), NewSpending(6, 0, 1)
		if _, status, err := postUntilDone(http.DefaultClient, api.url, token, first.Envelope()); err != nil || status != http.StatusCreated {
			t.Fatalf("first spending: status %d, %v", status, err)
		}
		filler := tmpfstest.Fill(t, dir)
		checkRefused(t, api.url, token, second.Envelope(), "full")
		checkReads(t, api.url, token)
		wantOnce(t, audit(t, db), first)
		if err := os.Remove(filler); err != nil {
			t.Fatal(err)
		}
		if _, status, err := postUntilDone(http.DefaultClient, api.url, token, second.Envelope()); err != nil || status != http.StatusCreated {
			t.Fatalf("the same command once there is room: status %d, %v; want 201", status, err)
		}
		wantOnce(t, audit(t, db), first, second)
	})
}

// TestReadOnlyStoreEndToEnd makes the ledger's file unwritable and checks,
// through 'grantledger apply' (the file system remounted read-only: a real
// EROFS) and through the HTTP API (the store opened with sqlite.ReadOnly,
// as a read replica would be), that a command is refused with an error
// saying the store is read-only, nothing is written, and reads keep
// working.
func TestReadOnlyStoreEndToEnd(t *testing.T) {
	t.Run("apply", func(t *testing.T) {
		dir := tmpfstest.Mount(t, 4<<20)
		db := filepath.Join(dir, "ledger.db")
		first, second := NewSpending(7, 0, 0), NewSpending(7, 0, 1)
		if _, errs, code := runCLI(t, jsonl(t, append(Setup(), first.Envelope())...), "apply", "--db", db, "-"); code != 0 {
			t.Fatalf("setup: exit %d: %s", code, errs)
		}
		tmpfstest.Remount(t, dir, true)
		out, errs, code := runCLI(t, jsonl(t, second.Envelope()), "apply", "--db", db, "-")
		if code == 0 {
			t.Fatalf("apply on a read-only file system: exit 0, want a failure; stdout %s", out)
		}
		t.Run("says read-only", func(t *testing.T) {
			wantSays(t, out+errs, "open read-only because its file system is mounted read-only", "nothing was written")
		})
		t.Run("reads keep working", func(t *testing.T) {
			wantReads(t, db)
		})
		// Nothing written: remount read-write to audit the file.
		if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_REMOUNT, ""); err != nil {
			t.Fatalf("remount %s read-write: %v", dir, err)
		}
		wantOnce(t, audit(t, db), first)
	})
	t.Run("http", func(t *testing.T) {
		db := filepath.Join(t.TempDir(), "ledger.db")
		w, err := sqlite.Open(db)
		if err != nil {
			t.Fatal(err)
		}
		svc := command.New(w, command.Options{})
		first := NewSpending(8, 0, 0)
		for _, env := range append(Setup(), first.Envelope()) {
			if _, err := commandtest.Handle(context.Background(), svc, env); err != nil {
				t.Fatalf("setup %s: %v", env.Type, err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		tokens, err := toks.OpenTokens("")
		if err != nil {
			t.Fatal(err)
		}
		token := granteeToken(t, tokens)
		api := startAPI(t, db, tokens, nil, sqlite.ReadOnly())
		checkRefused(t, api.url, token, NewSpending(8, 0, 1).Envelope(), "read-only")
		checkReads(t, api.url, token)
		wantOnce(t, audit(t, db), first)
	})
}

// wantSays checks that the message of a refused command says each of
// wants.
func wantSays(t *testing.T, msg string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(msg, w) {
			t.Errorf("got %q, want a message saying %q", strings.TrimSpace(msg), w)
		}
	}
}

// wantReads checks that a new process reads the ledger at db: 'grantledger
// verify' checks every hash chain, and 'grantledger report' brings the
// read model up to date (it cannot save its snapshot on a store that
// cannot be written, and must not fail for that).
func wantReads(t *testing.T, db string) {
	t.Helper()
	out, errs, code := runCLI(t, nil, "verify", "--db", db)
	if code != 0 || !strings.Contains(out, "every hash chain intact") {
		t.Errorf("verify: exit %d, stdout %q, stderr %q; want exit 0 and every hash chain intact", code, out, errs)
	}
	out, errs, code = runCLI(t, nil, "report", "--db", db, "--agreement", Agreement, "--year", "1", "--format", "json")
	if code != 0 || !strings.Contains(out, `"agreement"`) {
		t.Errorf("report: exit %d, stdout %.200q, stderr %q; want exit 0 and the JSON report", code, out, errs)
	}
}

// checkRefused posts env and wants 503 problem+json whose detail says
// what (full, read-only) and that nothing was written.
func checkRefused(t *testing.T, url, token string, env domain.Envelope, what string) {
	t.Helper()
	status, body, err := post(context.Background(), http.DefaultClient, url, token, env)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusServiceUnavailable {
		t.Fatalf("POST /v1/commands: status %d, want 503; body %s", status, body)
	}
	var p httpapi.Problem
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem %q: %v", body, err)
	}
	if p.Code != domain.EUnavailable || !strings.Contains(p.Detail, what) || !strings.Contains(p.Detail, "nothing was written") {
		t.Errorf("problem: code %q detail %q; want code %q and a detail saying %q and that nothing was written", p.Code, p.Detail, domain.EUnavailable, what)
	}
}

// checkReads wants the agreement to be served.
func checkReads(t *testing.T, url, token string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url+"/v1/agreements/"+Agreement, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /v1/agreements/%s: status %d, want 200 (reads keep working)", Agreement, resp.StatusCode)
	}
}
