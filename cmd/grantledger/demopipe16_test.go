package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// Issue 16: "demo leaves a temporary folder behind on every run". Found
// again as a user: `grantledger demo | head` closes the pipe after a few
// lines, the next write killed the process (SIGPIPE) before it removed
// its temporary ledger. The built program is run with its stdout read for
// one line only; afterwards TMPDIR holds no grantledger-demo-* folder.
func TestDemoCleansUpWhenItsReaderStops(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "grantledger")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	tmp := t.TempDir()
	cmd := exec.Command(bin, "demo")
	cmd.Env = append(os.Environ(), "TMPDIR="+tmp)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := bufio.NewReader(stdout).ReadString('\n'); err != nil {
		t.Fatalf("reading the demo's first line: %v", err)
	}
	stdout.Close() // the reader stops, as head does
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		cmd.Process.Kill()
		t.Fatal("demo did not end after its reader stopped")
	}
	left, _ := filepath.Glob(filepath.Join(tmp, "grantledger-demo-*"))
	if len(left) != 0 {
		t.Errorf("demo left %v behind when its reader stopped early", left)
	}
}
