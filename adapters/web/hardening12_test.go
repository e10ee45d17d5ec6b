package web

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/adapters/seeds"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/readmodel"
)

// Issue 12, item 12: CSV and XLSX downloads carry Cache-Control: no-store.
func TestDownloadsAreNotStored(t *testing.T) {
	f := newFixture(t)
	c := f.client(false)
	c.signIn(f, "auditor")
	for _, path := range []string{
		"/report.xlsx?no=" + url.QueryEscape(seeds.Seed004) + "&year=1",
		"/reconciliation.csv?year=1",
		"/reconciliation.xlsx?year=1",
	} {
		resp, _ := c.get(path)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		if got := resp.Header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", path, got)
		}
	}
}

// Item 12: behind a TLS proxy (the site is https, this process hears plain
// HTTP) the cookies are still Secure, with the __Host- prefix that binds
// them to this host and path /.
func TestCookiesSecureBehindATLSProxy(t *testing.T) {
	f := newFixture(t)
	tokens, _ := toks.OpenTokens("")
	tok, _, err := tokens.Create(access.Principal{Name: "a", Role: access.RoleAuditor})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Config{Ledger: f.svc, Reads: readmodel.NewLive(f.store, readmodel.ServiceOptions{}), Tokens: tokens, Files: report.Files{}, Secure: true})
	if err != nil {
		t.Fatal(err)
	}
	// The sign-in form sets the pre-sign-in CSRF cookie.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/signin", nil))
	var pre *http.Cookie
	for _, c := range rec.Result().Cookies() {
		checkHostCookie(t, c)
		pre = c
	}
	if pre == nil || pre.Name != "__Host-"+preCSRFCookie {
		t.Fatalf("sign-in form cookie: %+v, want __Host-%s", pre, preCSRFCookie)
	}
	form := url.Values{"csrf": {pre.Value}, "token": {tok}, "next": {"/agreements"}}
	req := httptest.NewRequest("POST", "/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Body.String())
	}
	var session *http.Cookie
	for _, c := range rec.Result().Cookies() {
		checkHostCookie(t, c)
		if c.Name == "__Host-"+sessionCookie {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("no __Host-%s cookie after sign-in", sessionCookie)
	}
	req = httptest.NewRequest("GET", "/agreements", nil)
	req.AddCookie(session)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Errorf("page with the __Host- session cookie: %d", rec.Code)
	}
}

func checkHostCookie(t *testing.T, c *http.Cookie) {
	t.Helper()
	if c.Name == langCookie { // a preference, not a secret: Secure is enough
		if !c.Secure {
			t.Errorf("cookie %s is not Secure", c.Name)
		}
		return
	}
	if !c.Secure || c.Path != "/" || c.Domain != "" || !strings.HasPrefix(c.Name, "__Host-") {
		t.Errorf("cookie %s: Secure %v, Path %q, Domain %q; want a Secure __Host- cookie, Path /, no Domain", c.Name, c.Secure, c.Path, c.Domain)
	}
}
