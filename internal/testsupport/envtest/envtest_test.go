package envtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMissing runs a child test that calls Missing, once with CI=true
// (it must fail) and once without (it must skip), and reads the verdict
// from go test's own output.
func TestMissing(t *testing.T) {
	if os.Getenv("ENVTEST_CHILD") == "1" {
		Missing(t, "nothing here: %s", "the reason")
		t.Fatal("Missing returned")
	}
	for _, c := range []struct {
		ci   string
		want string
	}{{"true", "--- FAIL: TestMissing"}, {"", "--- SKIP: TestMissing"}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissing$", "-test.v")
		cmd.Env = append(os.Environ(), "ENVTEST_CHILD=1", "CI="+c.ci)
		out, _ := cmd.CombinedOutput()
		if !strings.Contains(string(out), c.want) || !strings.Contains(string(out), "nothing here: the reason") {
			t.Errorf("CI=%q: want %q and the reason in the output, got:\n%s", c.ci, c.want, out)
		}
	}
}
