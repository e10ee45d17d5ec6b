package httpapi

import (
	"os/exec"
	"strings"
	"testing"
)

// Issue 13: the API reaches the token store through the Tokens interface
// it declares, in the access policy's types (app/access), and the web
// pages through http.Handler: neither adapters/tokens nor adapters/web is
// among the package's dependencies (`go list -deps`, test files aside).
func TestAPIImportsNeitherTheTokenStoreNorThePages(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps gave %d packages: %s", len(deps), out)
	}
	for _, d := range deps {
		if strings.HasSuffix(d, "/adapters/tokens") || strings.HasSuffix(d, "/adapters/web") {
			t.Errorf("adapters/httpapi depends on %s", d)
		}
	}
}
