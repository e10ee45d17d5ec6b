package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// browserResolve resolves a Location header the way a browser does (WHATWG
// URL standard: ASCII tab and newline are removed anywhere, leading and
// trailing C0 controls and spaces are stripped, and "\" counts as "/" in
// http and https URLs) against base, and returns the host it leads to.
func browserResolve(t *testing.T, base, loc string) string {
	t.Helper()
	loc = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		if r == '\\' {
			return '/'
		}
		return r
	}, loc)
	loc = strings.TrimFunc(loc, func(r rune) bool { return r <= ' ' })
	b, _ := url.Parse(base)
	u, err := url.Parse(loc)
	if err != nil {
		return "unparseable:" + loc
	}
	return b.ResolveReference(u).Host
}

// Issue 12 item 4: /signin?next=/%09/evil.example answered 303 Location
// "/\t/evil.example", which a browser follows to evil.example. After
// sign-in the browser must stay on this host whatever "next" says.
func TestSigninNextStaysOnThisHost(t *testing.T) {
	f := newFixture(t)
	host := strings.TrimPrefix(f.url, "http://")
	// Sign-in is rate limited per token (docs/WEB.md): the cases take
	// turns with the fixture's tokens so that each stays under its limit.
	holders := []string{"grantee", "funder", "auditor", "otherGrantee"} // admin has no pages
	for i, next := range []string{
		"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "\t//evil.example",
		"//evil.example", "/\\evil.example", "\\/evil.example", "/%09/evil.example",
		"https://evil.example/", "/ /evil.example", " //evil.example", "/\x00/evil.example",
		"/\u3000/evil.example", "/\uff0f/evil.example", "javascript:alert(1)", "/agreements/x\t/../../evil",
	} {
		c := f.client(false)
		_, page := c.get("/signin?next=" + url.QueryEscape(next))
		resp, _ := c.post("/signin", url.Values{"csrf": {hidden(t, page, "", "csrf")}, "token": {f.tok[holders[i%len(holders)]]}, "next": {next}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("next %q: status %d, want 303", next, resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		if got := browserResolve(t, f.url, loc); got != host {
			t.Errorf("next %q: Location %q leads a browser to host %q, not %q", next, loc, got, host)
		}
		if strings.ContainsAny(loc, "\t\r\n\\ ") {
			t.Errorf("next %q: Location %q carries a tab, newline, space or backslash", next, loc)
		}
	}
	t.Run("a plain local path is kept", func(t *testing.T) {
		for _, next := range []string{"/agreements", "/agreements/LV%2FNVOF%2FMIC%2F031%2F10?as_of=2025-01-01", "/reports/yearly?year=1"} {
			if got := localPath(next); got != next {
				t.Errorf("localPath(%q) = %q, want it kept", next, got)
			}
		}
	})
}
