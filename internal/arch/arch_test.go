package arch

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const mod = "github.com/grantledger/grantledger/"

type pkg struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

// listAll returns every package of the module with its direct imports and
// its dependencies, from `go list -json ./...` run at the module's root.
func listAll(t *testing.T) []pkg {
	t.Helper()
	// go test caches a passing result by the files the test opens or
	// stats; go list's reads are not seen. Stat every Go file, so that a
	// changed import runs the test again.
	filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if err == nil && strings.HasSuffix(path, ".go") {
			os.Stat(path)
		}
		return nil
	})
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var all []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		p.ImportPath = strings.TrimPrefix(p.ImportPath, mod)
		all = append(all, p)
	}
	if len(all) < 30 {
		t.Fatalf("go list found %d packages", len(all))
	}
	return all
}

// floor names the floor a package of the module stands on.
func floor(path string) string {
	for _, f := range []string{"domain", "projections", "app", "adapters", "cmd", "internal/testsupport", "internal"} {
		if path == f || strings.HasPrefix(path, f+"/") {
			return f
		}
	}
	return path
}

// adapter names the adapter a package belongs to: adapters/esdb for
// adapters/esdb/internal/esdbtest.
func adapter(path string) string {
	parts := strings.SplitN(path, "/", 3)
	return parts[0] + "/" + parts[1]
}

// allowed is docs/ARCHITECTURE.md's table "what each floor may import"
// (packages of this module; the standard library and modules are checked
// by noIO and by the validator rule below).
var allowed = map[string][]string{
	"domain":      {"domain"},
	"projections": {"domain", "projections"},
	"app":         {"domain", "projections", "app"},
	"adapters":    {"domain", "projections", "app", "adapters"}, // adapters: only their own (below)
	"cmd":         {"domain", "projections", "app", "adapters", "cmd"},
	"internal":    {"domain", "projections", "app", "adapters", "internal"},
	// test support may import anything but the programs
	"internal/testsupport": {"domain", "projections", "app", "adapters", "internal", "internal/testsupport"},
}

// violations lists every import that breaks the rules.
func violations(all []pkg) []string {
	var bad []string
	for _, p := range all {
		from := floor(p.ImportPath)
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, mod) {
				if (from == "domain" || from == "projections" || from == "app") && ioPackages[imp] {
					bad = append(bad, p.ImportPath+" does I/O through "+imp)
				}
				continue
			}
			imp = strings.TrimPrefix(imp, mod)
			to := floor(imp)
			ok := false
			for _, f := range allowed[from] {
				ok = ok || f == to
			}
			if ok && from == "adapters" && to == "adapters" && adapter(imp) != adapter(p.ImportPath) {
				ok = false // an adapter reaches another only through the floor
			}
			if ok && to == "internal/testsupport" && from != "internal/testsupport" {
				ok = false // test support is for tests only
			}
			if !ok {
				bad = append(bad, p.ImportPath+" imports "+imp)
			}
		}
		if from == "domain" || from == "projections" {
			for _, d := range p.Deps {
				if !pureModule(d) {
					bad = append(bad, p.ImportPath+" depends on "+d+" (standard library, uuid and the Unicode libraries only)")
				}
			}
		}
	}
	return bad
}

// pureModule reports whether domain and projections may depend on d: the
// standard library (no dot in the first path element), the module itself,
// uuid, and the two Unicode libraries the rules on names need
// (golang.org/x/text: NFC and case folding; mtibben/confusables: Unicode
// TR39 skeletons of look-alike agreement numbers). All are computation
// only, without I/O.
func pureModule(d string) bool {
	first, _, _ := strings.Cut(d, "/")
	if !strings.Contains(first, ".") {
		return true
	}
	for _, ok := range []string{mod, "github.com/google/uuid", "golang.org/x/text/", "github.com/mtibben/confusables"} {
		if strings.HasPrefix(d, ok) {
			return true
		}
	}
	return false
}

// ioPackages are the standard library's doors to files, the network,
// processes and logs; domain, projections and app reach the world only
// through the ports the adapters implement.
var ioPackages = map[string]bool{"os": true, "os/exec": true, "net": true, "net/http": true, "database/sql": true,
	"syscall": true, "io/ioutil": true, "log": true, "log/slog": true, "path/filepath": true}

func TestImportRules(t *testing.T) {
	for _, v := range violations(listAll(t)) {
		t.Error(v)
	}
}

// TestImportRulesCatchWrongArrows: the check fails on each kind of wrong
// arrow the docs name, so that TestImportRules passing means something.
func TestImportRulesCatchWrongArrows(t *testing.T) {
	for _, p := range []pkg{
		{ImportPath: "domain", Imports: []string{mod + "app/access"}},
		{ImportPath: "projections", Imports: []string{mod + "app/access"}},
		{ImportPath: "app/command", Imports: []string{mod + "adapters/wire"}},
		{ImportPath: "adapters/web", Imports: []string{mod + "adapters/httpapi"}},
		{ImportPath: "adapters/httpapi", Imports: []string{mod + "cmd/internal/wiring"}},
		{ImportPath: "adapters/sqlite", Imports: []string{mod + "internal/testsupport/storetest"}},
		{ImportPath: "app/readmodel", Imports: []string{"os"}},
		{ImportPath: "domain", Deps: []string{"github.com/go-playground/validator/v10"}},
	} {
		if v := violations([]pkg{p}); len(v) != 1 {
			t.Errorf("%s -> %v%v: %d violations, want 1", p.ImportPath, p.Imports, p.Deps, len(v))
		}
	}
	ok := []pkg{
		{ImportPath: "adapters/esdb/internal/esdbtest/esdbtestd", Imports: []string{mod + "adapters/esdb/internal/esdbtest"}},
		{ImportPath: "adapters/web", Imports: []string{mod + "app/readmodel", mod + "app/document", "net/http"}},
		{ImportPath: "internal/testsupport/projtest", Imports: []string{mod + "app/command", mod + "adapters/memstore"}},
	}
	if v := violations(ok); len(v) != 0 {
		t.Errorf("allowed arrows refused: %v", v)
	}
}
