package httpapi

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/grantledger/grantledger/app/readmodel"
)

// Issue 12, item 11: /metrics on the API's address needs a bearer token of
// its own; without one configured it is not served there at all (serve
// offers it on a separate, loopback address).
func TestMetricsNeedTheirOwnToken(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	if status, _, _ := f.do("GET", "/metrics", "", nil); status == 200 {
		t.Errorf("GET /metrics without any token: 200; command counts are not public")
	}
	const secret = "metrics-scrape-secret-0123456789"
	g := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.MetricsToken = secret }})
	for _, tc := range []struct {
		name, token string
		want        int
	}{
		{"none", "", 401},
		{"wrong", "metrics-scrape-secret-012345678X", 401},
		{"an auditor's API token", g.tok["auditor"], 401},
		{"the metrics token", secret, 200},
	} {
		if status, _, _ := g.do("GET", "/metrics", tc.token, nil); status != tc.want {
			t.Errorf("GET /metrics with %s: %d, want %d", tc.name, status, tc.want)
		}
	}
	// The separate listener's handler serves /metrics and nothing else.
	h := g.srv.MetricsHandler()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Errorf("metrics listener: GET /metrics %d, want 200", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/v1/whoami", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("metrics listener: GET /v1/whoami %d, want 404", rec.Code)
	}
}

// Issue 12, item 12: report downloads are not kept by caches; HSTS under
// TLS, and when the public URL is https (a TLS proxy in front).
func TestReportDownloadsNoStoreAndHSTS(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for _, format := range []string{"csv", "xlsx", "json"} {
		status, _, h := f.do("GET", "/v1/reports/yearly?agreement=AG-1&year=1&format="+format, f.tok["auditor"], nil)
		if status != 200 {
			t.Fatalf("%s report: %d", format, status)
		}
		if got := h.Get("Cache-Control"); got != "no-store" {
			t.Errorf("%s report: Cache-Control %q, want no-store", format, got)
		}
	}
	if _, _, h := f.do("GET", "/healthz", "", nil); h.Get("Strict-Transport-Security") != "" {
		t.Errorf("HSTS over plain HTTP with no https public URL: %q", h.Get("Strict-Transport-Security"))
	}
	// Over TLS.
	ts := httptest.NewTLSServer(f.srv.Handler())
	defer ts.Close()
	resp, err := ts.Client().Get(ts.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Strict-Transport-Security"); got == "" {
		t.Error("no Strict-Transport-Security over TLS")
	}
	// Behind a TLS proxy: plain HTTP here, https outside.
	g := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.PublicURL = "https://ledger.example" }})
	if _, _, h := g.do("GET", "/healthz", "", nil); h.Get("Strict-Transport-Security") == "" {
		t.Error("no Strict-Transport-Security with an https public URL")
	}
	if _, err := New(Config{Ledger: f.svc, Reports: readmodel.NewLive(f.store, readmodel.ServiceOptions{}), Tokens: f.tokens, PublicURL: "ledger.example"}); err == nil {
		t.Error("a public URL without scheme was accepted")
	}
}
