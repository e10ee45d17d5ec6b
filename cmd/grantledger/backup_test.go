package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupIsOneCompleteFile: the command line leaves a ledger's newest
// commits in its -wal file (docs/STORAGE.md, issue 17), so the file alone
// is not the ledger. `backup --out FILE` must write one file that holds
// every event: the copy, taken alone into another folder, has the same
// Merkle log (size and root of `checkpoint`) as the ledger it came from and
// passes `verify`.
func TestBackupIsOneCompleteFile(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "ledger.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply: exit %d: %s", code, errs)
	}
	if fi, err := os.Stat(db + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("precondition: the ledger's -wal file should hold its newest commits (stat: %v)", err)
	}
	want, errs, code := runCLI(t, "", "checkpoint", "--db", db)
	if code != 0 {
		t.Fatalf("checkpoint of the ledger: exit %d: %s", code, errs)
	}

	copyPath := filepath.Join(dir, "backup.db")
	out, errs, code := runCLI(t, "", "backup", "--db", db, "--out", copyPath)
	if code != 0 {
		t.Fatalf("backup: exit %d: %s%s", code, out, errs)
	}
	if _, err := os.Stat(copyPath + "-wal"); err == nil {
		t.Errorf("backup left %s-wal: the copy must be one file", copyPath)
	}
	fi, err := os.Stat(copyPath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want 0600 like the ledger", fi.Mode().Perm())
	}

	// The file alone, somewhere else.
	alone := filepath.Join(t.TempDir(), "alone.db")
	copyFile(t, copyPath, alone)
	got, errs, code := runCLI(t, "", "checkpoint", "--db", alone)
	if code != 0 {
		t.Fatalf("checkpoint of the backup: exit %d: %s", code, errs)
	}
	if head(got, 3) != head(want, 3) {
		t.Errorf("the backup's log differs from the ledger's:\nbackup:\n%s\nledger:\n%s", head(got, 3), head(want, 3))
	}
	if _, errs, code := runCLI(t, "", "verify", "--db", alone); code != 0 {
		t.Errorf("verify of the backup: exit %d: %s", code, errs)
	}

	t.Run("an existing file is not overwritten", func(t *testing.T) {
		before, err := os.ReadFile(copyPath)
		if err != nil {
			t.Fatal(err)
		}
		_, errs, code := runCLI(t, "", "backup", "--db", db, "--out", copyPath)
		if code == 0 || !strings.Contains(errs, copyPath) {
			t.Errorf("backup onto an existing file: exit %d, stderr %q; want a refusal naming it", code, errs)
		}
		after, err := os.ReadFile(copyPath)
		if err != nil || string(after) != string(before) {
			t.Errorf("the existing file was changed (%v)", err)
		}
	})
	t.Run("--out is required", func(t *testing.T) {
		if _, _, code := runCLI(t, "", "backup", "--db", db); code != 2 {
			t.Errorf("backup without --out: exit %d, want 2 (usage)", code)
		}
	})
}

// head returns the first n lines of s.
func head(s string, n int) string {
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return strings.Join(lines, "")
}
