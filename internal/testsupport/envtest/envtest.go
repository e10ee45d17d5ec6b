// Package envtest decides what a test does when the environment it needs
// (a program such as hledger, xmllint or Chromium, a tmpfs mount, a schema
// file) is missing: on a developer's machine it skips with the reason; in
// CI (CI=true, as .ci/run runs) it fails, so that CI never reports green
// for a test that did not run.
package envtest

import (
	"fmt"
	"os"
	"testing"
)

// InCI reports whether the tests run in CI: the environment variable CI is
// "true" (as CI services and .ci/run set it).
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing ends the test because its environment is missing: t.Fatal under
// CI=true, t.Skip otherwise. The message says what is missing and how to
// get it.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("CI=true and the test's environment is missing, so it fails instead of skipping: %s", msg)
	}
	t.Skip(msg)
}
