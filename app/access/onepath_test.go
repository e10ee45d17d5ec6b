package access_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 12 ("one function decides whether a principal may see or act on an
// agreement, used by the API, the web pages and every report row"): the
// API's checks, the web pages and the report-row filter must not compare
// organisations themselves. This test reads the module's source: outside
// package domain (which defines the comparison), app/access (which
// decides) and projections (whose Scope compares the organisations a user
// filters by, after access.MaySee has decided), no code may call
// domain.SameOrganisation or CanonicalName to compare a principal's
// organisation; and the deciders named below must call access.MaySee or
// access.MayAct, or (the web pages) the principal's methods that do.
func TestOneAccessDecision(t *testing.T) {
	root := filepath.Join("..", "..")
	allowed := map[string]bool{"domain": true, "app/access": true, "projections": true}
	mustCall := map[string]string{ // "dir func" -> the access function it must call
		"app/access Principal.MayAccess":             "MaySee",
		"app/access Principal.MayAct":                "MayAct",
		"app/access Principal.Restrict":              "MaySee",
		"adapters/httpapi Server.authorizeAgreement": "MayAct",
		"adapters/httpapi Server.authorizeCommand":   "MayAct",
		"adapters/httpapi scopeFor":                  "Restrict",
		"app/access Principal.MaySeeParties":         "MaySee",
		// The folds ask their Viewer (a Principal, above), declared by
		// projections so that they do not import the floor above them.
		"projections Scope.Matches": "MaySeeParties",
		// The web pages ask through the principal's methods above.
		"adapters/web Handler.agreements":    "MayAccess",
		"adapters/web Handler.loadAgreement": "MayAccess",
		"adapters/web Handler.formsFor":      "MayAct",
		"adapters/web Handler.command":       "MayAct",
		"adapters/web agreementScope":        "Restrict",
	}
	found := map[string]bool{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if n := d.Name(); n == "testdata" || strings.HasPrefix(n, ".") && path != root {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		rel = filepath.ToSlash(rel)
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) == 1 {
				rt := fd.Recv.List[0].Type
				if s, ok := rt.(*ast.StarExpr); ok {
					rt = s.X
				}
				if id, ok := rt.(*ast.Ident); ok {
					name = id.Name + "." + name
				}
			}
			calls := map[string]bool{}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok {
					if id, ok := c.Fun.(*ast.Ident); ok {
						calls[id.Name] = true // a call within the package (app/access)
					}
				}
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				calls[sel.Sel.Name] = true
				pkg, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				if pkg.Name == "domain" && (sel.Sel.Name == "SameOrganisation" || sel.Sel.Name == "CanonicalName") && !allowed[rel] {
					t.Errorf("%s: %s calls domain.%s: access to agreements is decided by package access only", fset.Position(sel.Pos()), name, sel.Sel.Name)
				}
				return true
			})
			key := rel + " " + name
			if want, ok := mustCall[key]; ok {
				found[key] = true
				if !calls[want] {
					t.Errorf("%s (%s) does not call %s", name, rel, want)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for key := range mustCall {
		if !found[key] {
			t.Errorf("%s not found in the source: the test's list of deciders is out of date", key)
		}
	}
}
