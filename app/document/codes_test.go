package document

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// constants returns the string constants named prefix* declared in the
// Go files of dir (tests excluded).
func constants(t *testing.T, dir, prefix string) map[string]string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			vs, ok := n.(*ast.ValueSpec)
			if !ok {
				return true
			}
			for i, name := range vs.Names {
				if !strings.HasPrefix(name.Name, prefix) || i >= len(vs.Values) {
					continue
				}
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
					s, _ := strconv.Unquote(lit.Value)
					out[name.Name] = s
				}
			}
			return true
		})
	}
	return out
}

// Issue 16: every event type the domain declares and every finding code
// the projections declare has words in both languages, so no page or file
// for people shows a code name.
func TestEveryCodeHasWords(t *testing.T) {
	types := constants(t, "../../domain", "Type")
	findings := constants(t, "../../projections", "Finding")
	if len(types) < 15 || len(findings) < 10 {
		t.Fatalf("found %d event types and %d finding codes in the source; the parse is wrong", len(types), len(findings))
	}
	for _, m := range []map[string]string{types, findings} {
		for name, code := range m {
			v, ok := codeLabels[code]
			if !ok {
				t.Errorf("%s (%q) has no words", name, code)
				continue
			}
			if v[0] == "" || v[1] == "" || v[0] == v[1] {
				t.Errorf("%s (%q): English %q, Latvian %q", name, code, v[0], v[1])
			}
		}
	}
}
