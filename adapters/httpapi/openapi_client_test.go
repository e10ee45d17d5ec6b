package httpapi

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/envtest"
)

// TestGeneratedClientCompiles generates a Go client from openapi.json with
// oapi-codegen (pinned as a tool in testdata/client/go.mod, fetched through
// the Go module proxy) and builds it. It needs the go command; without it
// the test fails rather than skips.
func TestGeneratedClientCompiles(t *testing.T) {
	if testing.Short() && !envtest.InCI() {
		t.Skip("builds oapi-codegen; run without -short")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to generate and build the client: %v", err)
	}
	dir := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum", "doc.go"} {
		b, err := os.ReadFile(filepath.Join("testdata", "client", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "openapi.json"), OpenAPI, 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	run := func(args ...string) {
		t.Helper()
		cmd := exec.CommandContext(ctx, goBin, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out.String())
		}
	}
	run("tool", "oapi-codegen", "-generate", "types,client", "-package", "client", "-o", "client.gen.go", "openapi.json")
	run("build", "./...")
	src, err := os.ReadFile(filepath.Join(dir, "client.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	code := string(src)
	// The client has typed commands: one struct per command type with a
	// field per JSON field of the Go type.
	for _, typ := range domain.CommandTypes() {
		name := CommandSchemaName(typ)
		m := regexp.MustCompile(`(?s)\ntype ` + name + ` struct \{(.*?)\n\}`).FindStringSubmatch(code)
		if m == nil {
			t.Errorf("generated client has no struct %s for command %s", name, typ)
			continue
		}
		c, _ := domain.NewCommand(typ)
		for field := range wireFields(reflect.TypeOf(c)) {
			if !strings.Contains(m[1], `json:"`+field) {
				t.Errorf("generated %s has no field for %q", name, field)
			}
		}
	}
	// And typed events: one struct per event type with a field per JSON
	// field, and the appended event as a union chosen by its type.
	events, err := EventTypes()
	if err != nil {
		t.Fatal(err)
	}
	for typ, et := range events {
		name := EventSchemaName(typ)
		m := regexp.MustCompile(`(?s)\ntype ` + name + ` struct \{(.*?)\n\}`).FindStringSubmatch(code)
		if m == nil {
			t.Errorf("generated client has no struct %s for event %s", name, typ)
			continue
		}
		for field := range wireFields(et) {
			if !strings.Contains(m[1], `json:"`+field) {
				t.Errorf("generated %s has no field for %q", name, field)
			}
		}
	}
	for _, want := range []string{"func (t Appended) AsAppendedSpendingRecorded(", "func (c *Client) PostCommand(", "func (c *Client) GetYearlyReport(", "\ntype YearReport struct {", "\ntype Problem struct {"} {
		if !strings.Contains(code, want) {
			t.Errorf("generated client lacks %q", strings.TrimSpace(want))
		}
	}
}
