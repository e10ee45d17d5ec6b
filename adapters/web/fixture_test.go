package web

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/httpapi"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/adapters/seeds"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// The organisations of seed 004.
const (
	seedFunder  = "Kultūras ministrija"
	seedGrantee = "Biedrība „Kurzemes NVO centrs”"
)

// fixture is the API server with the web pages mounted, over a memstore
// holding every seed scenario.
type fixture struct {
	t     testing.TB
	url   string
	store port.Store
	svc   *command.Service
	tok   map[string]string // funder, grantee, auditor, admin, otherGrantee
	srv   *httptest.Server
	web   *Handler
	// tokens is the token store the pages and the API share.
	tokens *toks.Tokens
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, nil)
}

// newFixtureWith is newFixture with cfg changing the read model's options
// (the pages and the API share the one read model, as under serve).
func newFixtureWith(t testing.TB, cfg func(*readmodel.ServiceOptions)) *fixture {
	t.Helper()
	store := memstore.New()
	clock := time.Date(2025, 9, 1, 12, 0, 0, 0, time.UTC)
	svc := command.New(store, command.Options{Clock: func() time.Time { clock = clock.Add(time.Second); return clock }})
	ctx := context.Background()
	for i, env := range seeds.All() {
		if _, err := commandtest.Handle(ctx, svc, env); err != nil {
			t.Fatalf("seed command %d (%s): %v", i, env.Type, err)
		}
	}
	tokens, _ := toks.OpenTokens("")
	f := &fixture{t: t, store: store, svc: svc, tok: map[string]string{}}
	for key, p := range map[string]access.Principal{
		"funder":       {Name: "Officer", Role: access.RoleFunder, Funder: seedFunder},
		"grantee":      {Name: "Accountant", Role: access.RoleGrantee, Grantee: seedGrantee},
		"otherGrantee": {Name: "Other", Role: access.RoleGrantee, Grantee: "Some other NGO"},
		"auditor":      {Name: "Auditor", Role: access.RoleAuditor},
		"admin":        {Name: "Admin", Role: access.RoleAdmin},
	} {
		tok, _, err := tokens.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		f.tok[key] = tok
	}
	now := func() time.Time { return time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC) }
	ro := readmodel.ServiceOptions{Log: store, Clock: now}
	if cfg != nil {
		cfg(&ro)
	}
	reads := readmodel.NewLive(store, ro)
	web, err := New(Config{Ledger: svc, Reads: reads, Tokens: tokens, Files: report.Files{}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	api, err := httpapi.New(httpapi.Config{Ledger: svc, Reports: reads, Tokens: tokens, Store: store, Web: web})
	if err != nil {
		t.Fatal(err)
	}
	f.web, f.tokens = web, tokens
	f.srv = httptest.NewServer(api.Handler())
	t.Cleanup(f.srv.Close)
	f.url = f.srv.URL
	return f
}

// client is a browser-like HTTP client: a cookie jar, no redirects
// followed automatically unless follow is set.
type client struct {
	t    testing.TB
	base string
	hc   *http.Client
}

func (f *fixture) client(follow bool) *client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	if !follow {
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return &client{t: f.t, base: f.url, hc: hc}
}

func (c *client) get(path string) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.hc.Get(c.base + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	return resp, readAll(c.t, resp)
}

func (c *client) post(path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	resp, err := c.hc.PostForm(c.base+path, form)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	return resp, readAll(c.t, resp)
}

func readAll(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return b.String()
}

var hiddenRe = regexp.MustCompile(`name="(csrf|command_id)" value="([^"]*)"`)

// hidden returns the value of the first hidden input called name in html,
// after the position of marker (when not empty).
func hidden(t testing.TB, html, marker, name string) string {
	t.Helper()
	if marker != "" {
		i := strings.Index(html, marker)
		if i < 0 {
			t.Fatalf("page has no %q", marker)
		}
		html = html[i:]
	}
	for _, m := range hiddenRe.FindAllStringSubmatch(html, -1) {
		if m[1] == name {
			return m[2]
		}
	}
	t.Fatalf("no hidden %s after %q", name, marker)
	return ""
}

// signIn signs the client in with the fixture's token of role key.
func (c *client) signIn(f *fixture, key string) {
	c.t.Helper()
	_, page := c.get("/signin")
	csrf := hidden(c.t, page, "", "csrf")
	resp, body := c.post("/signin", url.Values{"csrf": {csrf}, "token": {f.tok[key]}, "next": {"/agreements"}})
	signedIn := resp.StatusCode == http.StatusSeeOther || resp.StatusCode == http.StatusOK && resp.Request.URL.Path == "/agreements"
	if !signedIn {
		c.t.Fatalf("sign in as %s: status %d, want 303; body: %.300s", key, resp.StatusCode, body)
	}
}

// spendings counts the non-reversed spending of seed 004 in the store.
func (f *fixture) spendings(t testing.TB) int {
	t.Helper()
	return len(f.spendingRows(t))
}

// documents counts seed 004's spendings whose document reference is doc.
func (f *fixture) documents(t testing.TB, doc string) int {
	t.Helper()
	n := 0
	for _, r := range f.spendingRows(t) {
		if r.Document == doc {
			n++
		}
	}
	return n
}

// spendingRows returns seed 004's spendings as the store holds them.
func (f *fixture) spendingRows(t testing.TB) []projections.SpendingRow {
	t.Helper()
	l := projections.NewLedger(time.Time{})
	dec := codec.NewDecoder(nil)
	evs, err := f.store.ReadAll(context.Background(), domain.Position{}, 100000)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range evs {
		pe, err := dec.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		l.Apply(pe)
	}
	av, err := l.Agreement(seeds.Seed004)
	if err != nil {
		t.Fatal(err)
	}
	return av.Spendings
}
