//go:build linux

package main

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/grantledger/grantledger/internal/testsupport/tmpfstest"
)

// readingCommands are commands an auditor runs on a copy of the ledger.
var readingCommands = [][]string{
	{"verify"},
	{"report", "--agreement", "KNVOC-2022-2025", "--year", "1"},
	{"history", "--agreement", "KNVOC-2022-2025"},
	{"audit"},
	{"reconcile", "--year", "2023"},
	{"indicators"},
}

// Issue 12, item 15: a ledger on a read-only file system can be read, and
// apply says once that nothing was written.
func TestReadOnlyFileSystemCopy(t *testing.T) {
	dir := tmpfstest.Mount(t, 8<<20)
	db := filepath.Join(dir, "l.db")
	if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	tmpfstest.Remount(t, dir, true)
	for _, args := range readingCommands {
		if _, errs, code := runCLI(t, "", append(args, "--db", db)...); code != 0 {
			t.Errorf("%s on a read-only file system: exit %d: %s", args[0], code, errs)
		}
	}
	_, errs, code := runCLI(t, walkJSONL, "apply", "--db", db, "-")
	checkRefusedApply(t, code, errs)
}

func checkRefusedApply(t *testing.T, code int, errs string) {
	t.Helper()
	if code != exitFailure {
		t.Errorf("apply on a read-only ledger: exit %d, want %d", code, exitFailure)
	}
	if n := strings.Count(errs, "nothing was written"); n != 1 || !strings.Contains(errs, "read-only") {
		t.Errorf("apply on a read-only ledger says 'nothing was written' %d times, want once, with why:\n%s", n, errs)
	}
	if strings.Contains(errs, "was applied") || strings.Contains(errs, "line 1:") || strings.Contains(errs, "line 2:") {
		t.Errorf("apply on a read-only ledger must say once that nothing was written:\n%s", errs)
	}
}

// Item 15: a copy in a folder made read-only with chmod -R a-w (file and
// folder) can be read by a user who cannot write there. Root may write
// anything, so as root the commands run as the unprivileged user nobody.
func TestReadOnlyFolderCopy(t *testing.T) {
	base := t.TempDir()
	db := filepath.Join(base, "orig.db")
	if _, errs, code := runCLI(t, "", "demo", "--db", db); code != 0 {
		t.Fatalf("demo: %s", errs)
	}
	copyDir := filepath.Join(base, "copy")
	if err := os.Mkdir(copyDir, 0o755); err != nil {
		t.Fatal(err)
	}
	ro := filepath.Join(copyDir, "l.db")
	// The ledger is the file with its -wal and -shm: commands leave their
	// commits in the WAL (no checkpoint at exit, docs/STORAGE.md), so a
	// copy takes all three.
	files := copyLedger(t, db, ro)
	before := readFiles(t, files)
	defer func() {
		if after := readFiles(t, files); !maps.EqualFunc(before, after, bytes.Equal) {
			t.Error("a file of the read-only copy changed")
		}
	}()
	if os.Geteuid() != 0 {
		// Not root: permissions bind this process itself.
		for _, f := range files {
			os.Chmod(f, 0o444)
		}
		os.Chmod(copyDir, 0o555)
		t.Cleanup(func() { os.Chmod(copyDir, 0o755) })
		for _, args := range readingCommands {
			if _, errs, code := runCLI(t, "", append(args, "--db", ro)...); code != 0 {
				t.Errorf("%s on a read-only folder: exit %d: %s", args[0], code, errs)
			}
		}
		_, errs, code := runCLI(t, walkJSONL, "apply", "--db", ro, "-")
		checkRefusedApply(t, code, errs)
		return
	}
	// Root: build the program and run it as nobody (uid 65534).
	for p := base; p != "/" && p != os.TempDir(); p = filepath.Dir(p) {
		os.Chmod(p, 0o755) // let nobody reach the copy and the program
	}
	bin := filepath.Join(base, "grantledger")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, f := range files {
		os.Chown(f, 65534, 65534)
		os.Chmod(f, 0o444)
	}
	os.Chown(copyDir, 65534, 65534)
	os.Chmod(copyDir, 0o555)
	nobody := func(stdin string, args ...string) (string, int) {
		cmd := exec.Command(bin, args...)
		cmd.Dir = copyDir
		cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + copyDir}
		cmd.Stdin = strings.NewReader(stdin)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		out, err := cmd.CombinedOutput()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatalf("run as nobody: %v", err)
		}
		return string(out), code
	}
	if out, code := nobody("", "help"); code != 0 {
		t.Fatalf("nobody cannot run the program: %d %s", code, out)
	}
	for _, args := range readingCommands {
		if out, code := nobody("", append(args, "--db", ro)...); code != 0 {
			t.Errorf("%s on a read-only folder, as nobody: exit %d: %s", args[0], code, out)
		}
	}
	out, code := nobody(walkJSONL, "apply", "--db", ro, "-")
	checkRefusedApply(t, code, out)
	if fs, _ := os.ReadDir(copyDir); len(fs) != len(files) {
		t.Errorf("the read-only folder holds %d files, want the %d copied", len(fs), len(files))
	}
}

// copyLedger copies an embedded ledger, the file with its -wal and -shm
// files where they exist, and returns the paths of the copies.
func copyLedger(t *testing.T, from, to string) []string {
	t.Helper()
	var files []string
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if _, err := os.Stat(from + suffix); suffix != "" && errors.Is(err, os.ErrNotExist) {
			continue
		}
		copyFile(t, from+suffix, to+suffix)
		files = append(files, to+suffix)
	}
	return files
}

func readFiles(t *testing.T, paths []string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		m[p] = b
	}
	return m
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
