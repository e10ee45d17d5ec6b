package main

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Issue 12, item 13: a command that only reads must not create a ledger at
// a mistyped path and report it clean; it refuses, naming the path.
func TestReadingCommandsRefuseAMissingLedger(t *testing.T) {
	for _, args := range [][]string{
		{"verify"},
		{"report", "--agreement", "KNVOC-2022-2025", "--year", "1"},
		{"reconcile", "--year", "2023"},
		{"history", "--agreement", "KNVOC-2022-2025"},
		{"audit"},
		{"summaries", "--year", "1"},
		{"export", "hledger"},
		{"indicators"},
		{"token", "list"},
		{"token", "revoke", "abc"},
	} {
		t.Run(args[0], func(t *testing.T) {
			dir := t.TempDir()
			db := filepath.Join(dir, "typo.db")
			full := append(append([]string{}, args...), "--db", db)
			if args[0] == "summaries" {
				full = append(full, "--out", filepath.Join(dir, "out"))
			}
			if args[0] == "export" {
				full = append([]string{"export", "hledger"}, full[2:]...)
			}
			if args[0] == "token" { // the subcommand first
				full = append(append([]string{"token", args[1]}, "--db", db), args[2:]...)
			}
			_, errs, code := runCLI(t, "", full...)
			if code != exitFailure {
				t.Errorf("%v: exit %d, want %d; stderr %s", full, code, exitFailure, errs)
			}
			if !strings.Contains(errs, db) {
				t.Errorf("%v: stderr does not name the path %s: %s", full, db, errs)
			}
			if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("%v created %s (stat: %v)", full, db, err)
			}
		})
	}
}

// Item 13, the other half: commands that write still create a ledger.
func TestWritingCommandsCreateTheLedger(t *testing.T) {
	db := filepath.Join(t.TempDir(), "new.db")
	if _, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply on a new ledger: exit %d: %s", code, errs)
	}
	if _, errs, code := runCLI(t, "", "verify", "--db", db); code != 0 {
		t.Fatalf("verify after apply: exit %d: %s", code, errs)
	}
}

// withUmask runs fn with the process umask set to m.
func withUmask(t *testing.T, m int, fn func()) {
	old := syscall.Umask(m)
	defer syscall.Umask(old)
	fn()
}

// Issue 12, item 14: report files follow the umask (as any file a program
// creates does, open(2) mode 0666 minus the umask); the ledger stays 0600.
func TestOutputFilesFollowTheUmask(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	withUmask(t, 0o027, func() {
		if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
			t.Fatalf("demo: exit %d: %s", code, errs)
		}
		runCLI(t, "", "summaries", "--db", db, "--year", "1", "--out", filepath.Join(dir, "s"), "--formats", "md,csv")
		if _, errs, code := runCLI(t, "", "export", "hledger", "--db", db, "--out", filepath.Join(dir, "x.journal")); code != 0 {
			t.Fatalf("export: exit %d: %s", code, errs)
		}
		if _, errs, code := runCLI(t, "", "report", "--db", db, "--agreement", "KNVOC-2022-2025", "--year", "1", "--out", filepath.Join(dir, "r.txt")); code != 0 {
			t.Fatalf("report: exit %d: %s", code, errs)
		}
	})
	files, _ := filepath.Glob(filepath.Join(dir, "s", "*"))
	files = append(files, filepath.Join(dir, "x.journal"), filepath.Join(dir, "r.txt"))
	if len(files) < 4 {
		t.Fatalf("summaries wrote %d files", len(files)-2)
	}
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != 0o640 {
			t.Errorf("%s: mode %04o, want 0640 (0666 under umask 027)", filepath.Base(f), st.Mode().Perm())
		}
	}
	if st, err := os.Stat(db); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("ledger %s: mode %v (%v), want 0600", db, st.Mode().Perm(), err)
	}
}
