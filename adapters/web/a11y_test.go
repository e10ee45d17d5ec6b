package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/grantledger/grantledger/adapters/seeds"
)

// TestPagesAreAccessible parses every main page, as each role sees it and
// in both languages, and checks what can be checked without a person: the
// page names its language, every form control has a label, every table a
// caption or header cells, the chart a text alternative, and no two
// elements share an id.
func TestPagesAreAccessible(t *testing.T) {
	f := newFixture(t)
	no := url.QueryEscape(seeds.Seed004)
	pages := []string{
		"/agreements",
		"/agreement?no=" + no,
		"/report?no=" + no + "&year=2",
		"/reconciliation",
		"/audit",
	}
	for _, role := range []string{"funder", "grantee", "auditor"} {
		c := f.client(false)
		c.signIn(f, role)
		for _, lang := range []string{"en", "lv"} {
			for _, p := range pages {
				path := p + map[bool]string{true: "&", false: "?"}[strings.Contains(p, "?")] + "lang=" + lang
				t.Run(role+" "+path, func(t *testing.T) {
					resp, body := c.get(path)
					// The audit trail is the auditor's page only
					// (docs/SERVER.md, docs/WEB.md): 403 there for the
					// others, and only there.
					want := http.StatusOK
					if strings.HasPrefix(p, "/audit") && role != "auditor" {
						want = http.StatusForbidden
					}
					if resp.StatusCode != want {
						t.Fatalf("%s as %s: status %d, want %d", path, role, resp.StatusCode, want)
					}
					if want == http.StatusForbidden {
						return
					}
					for _, problem := range a11yProblems(t, body) {
						t.Error(problem)
					}
				})
			}
		}
	}
	t.Run("sign-in page", func(t *testing.T) {
		_, body := f.client(false).get("/signin")
		for _, problem := range a11yProblems(t, body) {
			t.Error(problem)
		}
	})
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// a11yProblems lists what a page lacks for people using assistive
// technology or only a keyboard.
func a11yProblems(t *testing.T, page string) []string {
	t.Helper()
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	var problems []string
	labelled := map[string]bool{} // ids named by <label for>
	ids := map[string]int{}
	var controls []*html.Node
	var walk func(n *html.Node, inLabel bool)
	walk = func(n *html.Node, inLabel bool) {
		if n.Type == html.ElementNode {
			if id, ok := attr(n, "id"); ok {
				ids[id]++
			}
			switch n.Data {
			case "html":
				if l, _ := attr(n, "lang"); l != "en" && l != "lv" {
					problems = append(problems, fmt.Sprintf("<html> has lang %q, want en or lv", l))
				}
			case "label":
				if f, ok := attr(n, "for"); ok {
					labelled[f] = true
				}
				inLabel = true
			case "input", "select", "textarea":
				typ, _ := attr(n, "type")
				if typ != "hidden" && typ != "submit" && typ != "button" {
					if inLabel {
						n.Attr = append(n.Attr, html.Attribute{Key: "data-in-label", Val: "1"})
					}
					controls = append(controls, n)
				}
			case "svg":
				_, role := attr(n, "role")
				_, aria := attr(n, "aria-label")
				_, by := attr(n, "aria-labelledby")
				hasTitle := false
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					hasTitle = hasTitle || (c.Type == html.ElementNode && c.Data == "title")
				}
				if !(role && (aria || by || hasTitle)) {
					problems = append(problems, "an <svg> has no role and text alternative (aria-label, aria-labelledby or <title>)")
				}
			case "img":
				if _, ok := attr(n, "alt"); !ok {
					problems = append(problems, "an <img> has no alt text")
				}
			case "table":
				if !hasChild(n, "caption") && !hasDescendant(n, "th") {
					problems = append(problems, "a <table> has neither a caption nor header cells")
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLabel)
		}
	}
	walk(doc, false)
	for _, n := range controls {
		id, _ := attr(n, "id")
		_, aria := attr(n, "aria-label")
		_, by := attr(n, "aria-labelledby")
		_, in := attr(n, "data-in-label")
		if !(labelled[id] && id != "") && !aria && !by && !in {
			name, _ := attr(n, "name")
			problems = append(problems, fmt.Sprintf("<%s name=%q> has no label", n.Data, name))
		}
	}
	for id, n := range ids {
		if n > 1 {
			problems = append(problems, fmt.Sprintf("id %q is used %d times", id, n))
		}
	}
	return problems
}

func hasChild(n *html.Node, tag string) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == tag {
			return true
		}
	}
	return false
}

func hasDescendant(n *html.Node, tag string) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if (c.Type == html.ElementNode && c.Data == tag) || hasDescendant(c, tag) {
			return true
		}
	}
	return false
}

// TestColoursHaveEnoughContrast checks the stylesheet's text colours
// against the backgrounds they are used on: at least 4.5:1 (WCAG 2 AA for
// body text).
func TestColoursHaveEnoughContrast(t *testing.T) {
	css, err := os.ReadFile("static/style.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z]+):\s*(#[0-9a-fA-F]{3,6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	pairs := []struct{ fg, bg string }{
		{"ink", "bg"}, {"muted", "bg"}, {"accent", "bg"}, {"ok", "bg"}, {"bad", "bg"},
		{"ink", "soft"}, {"muted", "soft"}, {"accent", "soft"},
	}
	for _, p := range pairs {
		fg, bg := vars[p.fg], vars[p.bg]
		if fg == "" || bg == "" {
			t.Fatalf("style.css lacks --%s or --%s", p.fg, p.bg)
		}
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("--%s %s on --%s %s: contrast %.2f:1, want at least 4.5:1", p.fg, fg, p.bg, bg, r)
		}
	}
}

func luminance(hex string) float64 {
	hex = strings.TrimPrefix(hex, "#")
	if len(hex) == 3 {
		hex = string([]byte{hex[0], hex[0], hex[1], hex[1], hex[2], hex[2]})
	}
	var l [3]float64
	for i := range l {
		v, _ := strconv.ParseUint(hex[2*i:2*i+2], 16, 8)
		c := float64(v) / 255
		if c <= 0.03928 {
			l[i] = c / 12.92
		} else {
			l[i] = math.Pow((c+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
}

func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}
