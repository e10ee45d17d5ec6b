package httpapi

import (
	"os/exec"
	"strings"
	"testing"
)

// Issue 13: the API reaches the read model, the access policy and the
// command service through the application floor (app/...), the token
// store and the report renderer through interfaces it declares (Tokens,
// Renderer), and the web pages through http.Handler: no other adapter is
// among the package's dependencies (`go list -deps`, test files aside).
func TestAPIImportsNoOtherAdapter(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list -deps: %v\n%s", err, out)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 {
		t.Fatalf("go list -deps gave %d packages: %s", len(deps), out)
	}
	for _, d := range deps {
		if i := strings.Index(d, "/adapters/"); i >= 0 && !strings.HasSuffix(d, "/adapters/httpapi") {
			t.Errorf("adapters/httpapi depends on %s", d)
		}
	}
}
