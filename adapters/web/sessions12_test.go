package web

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// signinDirect posts the sign-in form straight to the handler from the
// given client address and returns the response.
func signinDirect(h http.Handler, remote, token string) *httptest.ResponseRecorder {
	form := url.Values{"csrf": {"pre-csrf-secret"}, "token": {token}, "next": {"/agreements"}}
	req := httptest.NewRequest("POST", "/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: preCSRFCookie, Value: "pre-csrf-secret"})
	req.RemoteAddr = remote
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func sessionOf(rec *httptest.ResponseRecorder) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == sessionCookie && c.Value != "" {
			return c
		}
	}
	return nil
}

func pageStatus(h http.Handler, c *http.Cookie) int {
	req := httptest.NewRequest("GET", "/agreements", nil)
	req.AddCookie(c)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}

// Issue 12, item 6: 10 050 sign-ins with one token, even from as many
// addresses, must not push every other person out of the session table.
func TestOneTokenCannotSignEveryoneOut(t *testing.T) {
	f := newFixture(t)
	h := f.web
	victim := sessionOf(signinDirect(h, "192.0.2.1:5000", f.tok["auditor"]))
	if victim == nil {
		t.Fatal("the auditor could not sign in")
	}
	if got := pageStatus(h, victim); got != 200 {
		t.Fatalf("the auditor's page: %d", got)
	}
	for i := 0; i < 10050; i++ { // bounded
		remote := fmt.Sprintf("10.%d.%d.%d:4000", i>>16&255, i>>8&255, i&255)
		signinDirect(h, remote, f.tok["grantee"])
	}
	if got := pageStatus(h, victim); got != 200 {
		t.Errorf("after 10 050 sign-ins with another token the auditor's session answers %d, want 200", got)
	}
	if n := h.sessions.count(); n > 1+DefaultSessionsPerToken {
		t.Errorf("%d sessions kept; one token may hold at most %d", n, DefaultSessionsPerToken)
	}
}

// Item 6: sign-ins are rate limited per client address and per token.
func TestSigninRateLimitPerClientAndPerToken(t *testing.T) {
	f := newFixture(t)
	h := f.web
	var limited *httptest.ResponseRecorder
	for i := 0; i < 100; i++ { // one address, wrong tokens: guessing
		rec := signinDirect(h, "198.51.100.7:1234", fmt.Sprintf("glt_guess%d", i))
		if rec.Code == http.StatusTooManyRequests {
			limited = rec
			break
		}
	}
	if limited == nil {
		t.Fatal("100 sign-ins from one address in a moment were never limited")
	}
	if limited.Header().Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}
	// Another address is not affected.
	if rec := signinDirect(h, "198.51.100.8:1234", f.tok["funder"]); rec.Code != http.StatusSeeOther {
		t.Errorf("sign-in from another address: %d, want 303", rec.Code)
	}
	// One token from many addresses is limited too.
	got429 := false
	for i := 0; i < 100; i++ {
		if signinDirect(h, fmt.Sprintf("203.0.113.%d:80", i), f.tok["auditor"]).Code == http.StatusTooManyRequests {
			got429 = true
			break
		}
	}
	if !got429 {
		t.Error("100 sign-ins with one token from 100 addresses were never limited")
	}
}

// Item 6, the cap alone (no rate limit in the way): one token's sessions
// never push out another token's.
func TestSessionsPerTokenCap(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := newSessions(time.Hour, 10000, DefaultSessionsPerToken, func() time.Time { clock = clock.Add(time.Millisecond); return clock })
	victim := s.create("victim-token")
	for i := 0; i < 10050; i++ {
		s.create("attacker-token")
	}
	if _, ok := s.get(victim.id); !ok {
		t.Error("the victim's session was pushed out")
	}
	if n := s.count(); n != 1+DefaultSessionsPerToken {
		t.Errorf("%d sessions held, want %d", n, 1+DefaultSessionsPerToken)
	}
}
