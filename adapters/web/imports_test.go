package web

import (
	"os/exec"
	"strings"
	"testing"
)

// Issue 13: the web pages share the API's access policy, read model and
// token store through the application floor (app/access, app/readmodel)
// and interfaces they declare, not by importing the API: neither
// adapters/httpapi nor adapters/tokens is among the package's
// dependencies (`go list -deps`, test files aside).
func TestWebImportsNeitherTheAPINorTheTokenStore(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps gave %d packages: %s", len(deps), out)
	}
	for _, d := range deps {
		if strings.HasSuffix(d, "/adapters/httpapi") || strings.HasSuffix(d, "/adapters/tokens") {
			t.Errorf("adapters/web depends on %s", d)
		}
	}
}
