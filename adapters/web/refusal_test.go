package web

import (
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
)

// ruleSite is one place the domain package refuses a command with
// rule(name, message, figures).
type ruleSite struct {
	pos     string
	names   []string // the rule names it can produce
	figures []string // the figure names it carries; nil: built at run time
	dynamic bool     // figures is a map built at run time (remainder-not-zero)
}

// domainRules reads the domain package's source (not its tests) and
// returns every call of rule(...). A name written as a constant is taken
// as is; a name built from a parameter ("nothing-to-"+what) is expanded
// with every constant the package passes for that parameter. Anything else
// fails the test, so that a new way of naming rules cannot slip past it.
// The domain package exports no list of its rules, and this test may not
// change it; reading decide.go is the reliable way left.
func domainRules(t *testing.T) []ruleSite {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "domain", "*.go"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("domain sources: %v (%d files)", err, len(paths))
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, p := range paths {
		if strings.HasSuffix(p, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, p, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	str := func(e ast.Expr) (string, bool) {
		if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			return s, err == nil
		}
		return "", false
	}
	calledName := func(c *ast.CallExpr) string {
		switch fn := c.Fun.(type) {
		case *ast.Ident:
			return fn.Name
		case *ast.SelectorExpr:
			return fn.Sel.Name
		}
		return ""
	}
	// argsTo lists the constant strings passed as parameter i of func fn.
	argsTo := func(fn string, i int) []string {
		var out []string
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				if c, ok := n.(*ast.CallExpr); ok && calledName(c) == fn && i < len(c.Args) {
					s, ok := str(c.Args[i])
					if !ok {
						t.Errorf("%s: %s is called with a non-constant %s; teach domainRules to read it", fset.Position(c.Pos()), fn, "argument")
					}
					out = append(out, s)
				}
				return true
			})
		}
		return out
	}
	var sites []ruleSite
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			param := map[string]int{}
			i := 0
			for _, fl := range fd.Type.Params.List {
				for _, n := range fl.Names {
					param[n.Name] = i
					i++
				}
				if len(fl.Names) == 0 {
					i++
				}
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				if cl, ok := n.(*ast.CompositeLit); ok && fd.Name.Name != "rule" {
					if id, ok := cl.Type.(*ast.Ident); ok && id.Name == "RuleError" {
						t.Errorf("%s: a RuleError built outside rule(); teach domainRules to read it", fset.Position(cl.Pos()))
					}
				}
				c, ok := n.(*ast.CallExpr)
				if !ok || calledName(c) != "rule" || len(c.Args) != 3 {
					return true
				}
				pos := fset.Position(c.Pos())
				site := ruleSite{pos: fmt.Sprintf("%s:%d", filepath.Base(pos.Filename), pos.Line)}
				// part returns the values one side of a name can take.
				part := func(e ast.Expr) []string {
					if s, ok := str(e); ok {
						return []string{s}
					}
					if id, ok := e.(*ast.Ident); ok {
						if i, ok := param[id.Name]; ok {
							return argsTo(fd.Name.Name, i)
						}
					}
					return nil
				}
				switch e := c.Args[0].(type) {
				case *ast.BinaryExpr:
					if e.Op == token.ADD {
						for _, x := range part(e.X) {
							for _, y := range part(e.Y) {
								site.names = append(site.names, x+y)
							}
						}
					}
				default:
					site.names = part(e)
				}
				if len(site.names) == 0 {
					t.Errorf("%s: cannot read the rule's name; teach domainRules to read it", site.pos)
				}
				switch e := c.Args[2].(type) {
				case *ast.Ident:
					if e.Name != "nil" {
						site.dynamic = true
					}
				case *ast.CompositeLit:
					for _, el := range e.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						k, isStr := str(kv.Key)
						if !ok || !isStr {
							t.Errorf("%s: a figure with a non-constant name", site.pos)
							continue
						}
						site.figures = append(site.figures, k)
					}
				default:
					site.dynamic = true
				}
				sites = append(sites, site)
				return true
			})
		}
	}
	return sites
}

// TestEveryLedgerRuleIsTranslated asks, for every rule() call in the
// domain package's source (see domainRules), both languages for their
// sentence with the figures that call carries: each must be there, say
// every figure in the page's money format, and differ between the
// languages. A new rule without a translation fails here.
func TestEveryLedgerRuleIsTranslated(t *testing.T) {
	sites := domainRules(t)
	seen := map[string]bool{}
	for _, s := range sites {
		for _, n := range s.names {
			seen[n] = true
		}
	}
	// The parser must find the rules it is known to have, or it reads nothing.
	for _, n := range []string{"already-planned", "date-outside-year", "year-closed", "remainder-not-zero",
		"carry-over-exceeds-remainder", "return-exceeds-remainder", "nothing-to-carry-over", "nothing-to-return"} {
		if !seen[n] {
			t.Errorf("domainRules did not find rule %q; found %v", n, keys(seen))
		}
	}
	if len(seen) < 17 {
		t.Errorf("domainRules found %d rules, want at least the 17 decide.go had when this test was written: %v", len(seen), keys(seen))
	}
	for n := range ruleTexts {
		if !seen[n] {
			t.Errorf("ruleTexts says %q, which the domain package no longer has (renamed?)", n)
		}
	}
	for _, s := range sites {
		figs := map[string]domain.Money{}
		for i, k := range s.figures {
			figs[k] = domain.Money(111111 * (i + 1)) // 1 111,11; 2 222,22; ... all different
		}
		if s.dynamic {
			figs = map[string]domain.Money{"remainder": 333333, "civil": 111111, "minority": 222222}
		}
		for _, name := range s.names {
			t.Run(name+"@"+s.pos, func(t *testing.T) {
				if _, ok := ruleTexts[name]; !ok {
					t.Fatalf("rule %q (%s) has no sentence in ruleTexts", name, s.pos)
				}
				const msg = "the ledger's English message"
				said := map[document.Lang]string{}
				for _, l := range []document.Lang{document.EN, document.LV} {
					r := explain(l, &domain.RuleError{Rule: name, Message: msg, Figures: figs}, nil)
					said[l] = r.Text
					if r.Text == "" || r.Text == msg || r.Text == translate(l, "refused_untold") || strings.Contains(r.Text, "%!") {
						t.Errorf("%s: sentence %q", l, r.Text)
					}
					if r.Detail != msg {
						t.Errorf("%s: detail %q, want the ledger's message", l, r.Detail)
					}
					for k, v := range figs {
						if !strings.Contains(r.Text, document.FormatEuro(v, l)) {
							t.Errorf("%s: %q does not state figure %s = %s", l, r.Text, k, document.FormatEuro(v, l))
						}
					}
				}
				if said[document.EN] == said[document.LV] {
					t.Errorf("English and Latvian say the same: %q", said[document.EN])
				}
			})
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestExplainNeverLosesTheMessage covers what the table cannot tell: an
// unknown rule, a rule without the figures its sentence needs, a field
// error, an error that is not the ledger's.
func TestExplainNeverLosesTheMessage(t *testing.T) {
	cases := []struct {
		name string
		l    document.Lang
		err  error
		want refusal
	}{
		{"unknown rule, English", document.EN, &domain.RuleError{Rule: "made-up", Message: "made-up rule broken"},
			refusal{Text: "made-up rule broken"}},
		{"unknown rule, Latvian", document.LV, &domain.RuleError{Rule: "made-up", Message: "made-up rule broken"},
			refusal{Text: "Nav saglabāts:", Detail: "made-up rule broken"}},
		{"known rule without its figure", document.LV, &domain.RuleError{Rule: "already-planned", Message: "line x year 2 is already planned"},
			refusal{Text: "Nav saglabāts:", Detail: "line x year 2 is already planned"}},
		{"a rule wrapped in another error", document.LV, fmt.Errorf("decide: %w", &domain.RuleError{Rule: "nothing-to-return", Message: "m", Figures: map[string]domain.Money{"remainder": -150}}),
			refusal{Text: "Nav atlikuma, ko atgriezt (atlikums ir -1,50 euro).", Detail: "m"}},
		{"not found year", document.LV, &domain.Error{Code: domain.ENotFound, Field: "from_year", Message: "X has no implementation year 9 (it has 3)"},
			refusal{Text: "Īstenošanas gads nav atrasts.", Detail: "X has no implementation year 9 (it has 3)", Field: "from_year"}},
		{"not found, other field", document.LV, &domain.Error{Code: domain.ENotFound, Field: "spending", Message: "no spending"},
			refusal{Text: "Nav atrasts.", Detail: "no spending", Field: "spending"}},
		{"invalid field, English", document.EN, &domain.Error{Code: domain.EInvalid, Field: "data.to", Message: "to is longer than 200 characters"},
			refusal{Text: "to is longer than 200 characters", Field: "to"}},
		{"invalid field, Latvian", document.LV, &domain.Error{Code: domain.EInvalid, Field: "data.to", Message: "to is longer than 200 characters"},
			refusal{Text: "Nav saglabāts:", Detail: "to is longer than 200 characters", Field: "to"}},
		{"concurrency", document.LV, fmt.Errorf("X: gave up: %w", &domain.ConcurrencyError{Stream: "s", Actual: 3}),
			refusal{Text: translate(document.LV, "refused_conflict"), Detail: "X: gave up: append to s: expected revision " + domain.ExpectedRevision{}.String() + ", stream is at 3"}},
		{"anything else, English", document.EN, errors.New("disk full"), refusal{Text: "disk full"}},
		{"anything else, Latvian", document.LV, errors.New("disk full"), refusal{Text: "Nav saglabāts:", Detail: "disk full"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := explain(c.l, c.err, nil); got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}
