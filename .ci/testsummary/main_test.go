package main

import (
	"bytes"
	"strings"
	"testing"
)

// Lines as go test -json writes them (go1.26), for one package with a
// passing test and a test that skipped with a reason.
const withSkip = `{"Action":"start","Package":"example.org/p"}
{"Action":"run","Package":"example.org/p","Test":"TestRuns"}
{"Action":"output","Package":"example.org/p","Test":"TestRuns","Output":"=== RUN   TestRuns\n"}
{"Action":"output","Package":"example.org/p","Test":"TestRuns","Output":"--- PASS: TestRuns (0.00s)\n"}
{"Action":"pass","Package":"example.org/p","Test":"TestRuns","Elapsed":0}
{"Action":"run","Package":"example.org/p","Test":"TestNeedsServer"}
{"Action":"output","Package":"example.org/p","Test":"TestNeedsServer","Output":"=== RUN   TestNeedsServer\n"}
{"Action":"output","Package":"example.org/p","Test":"TestNeedsServer","Output":"    p_test.go:9: no server to test against\n"}
{"Action":"output","Package":"example.org/p","Test":"TestNeedsServer","Output":"--- SKIP: TestNeedsServer (0.00s)\n"}
{"Action":"skip","Package":"example.org/p","Test":"TestNeedsServer","Elapsed":0}
{"Action":"output","Package":"example.org/p","Output":"ok  \texample.org/p\t0.01s\n"}
{"Action":"pass","Package":"example.org/p","Elapsed":0.01}
`

// TestSkipFailsUnderCI: a skipped test is listed with its reason; under
// CI=true it makes the run fail, outside CI it does not.
func TestSkipFailsUnderCI(t *testing.T) {
	for _, ci := range []bool{true, false} {
		var out bytes.Buffer
		rc := run(strings.NewReader(withSkip), &out, ci)
		want := 0
		if ci {
			want = 1
		}
		if rc != want {
			t.Errorf("CI=%v: exit %d, want %d; output:\n%s", ci, rc, want, out.String())
		}
		for _, line := range []string{
			"SKIP example.org/p TestNeedsServer: p_test.go:9: no server to test against",
			"1 passed, 0 failed, 1 skipped",
		} {
			if !strings.Contains(out.String(), line) {
				t.Errorf("CI=%v: output lacks %q:\n%s", ci, line, out.String())
			}
		}
		if ci != strings.Contains(out.String(), "1 skipped under CI=true") {
			t.Errorf("CI=%v: output:\n%s", ci, out.String())
		}
	}
}

// TestNoSkipPassesUnderCI: without skips or failures, CI passes.
func TestNoSkipPassesUnderCI(t *testing.T) {
	var in strings.Builder
	for _, l := range strings.Split(withSkip, "\n") {
		if !strings.Contains(l, "TestNeedsServer") {
			in.WriteString(l + "\n")
		}
	}
	var out bytes.Buffer
	if rc := run(strings.NewReader(in.String()), &out, true); rc != 0 {
		t.Fatalf("exit %d, want 0; output:\n%s", rc, out.String())
	}
	if !strings.Contains(out.String(), "1 passed, 0 failed, 0 skipped") {
		t.Fatalf("output:\n%s", out.String())
	}
}

// TestFailedTestFails: a failing test fails the run in and out of CI.
func TestFailedTestFails(t *testing.T) {
	in := strings.NewReplacer(`"Action":"skip"`, `"Action":"fail"`, "--- SKIP", "--- FAIL").Replace(withSkip)
	for _, ci := range []bool{true, false} {
		var out bytes.Buffer
		if rc := run(strings.NewReader(in), &out, ci); rc != 1 {
			t.Errorf("CI=%v: exit %d, want 1; output:\n%s", ci, rc, out.String())
		}
		if !strings.Contains(out.String(), "no server to test against") {
			t.Errorf("CI=%v: the failed test's output is not shown:\n%s", ci, out.String())
		}
	}
}
