package httpapi

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
)

// Expectations from docs/SERVER.md's route table, written out here: the
// report routes (yearly, reconciliation, indicators) are for funder,
// grantee and auditor; the audit trail and verify for the auditor alone;
// the admin reads no ledger data. The web pages ask the principal through
// MayReadReports and MayAudit.
func TestReportAndAuditRolesFromDocs(t *testing.T) {
	for _, c := range []struct {
		p              Principal
		reports, audit bool
	}{
		{Principal{Name: "n", Role: RoleFunder, Funder: "Ministry A"}, true, false},
		{Principal{Name: "n", Role: RoleGrantee, Grantee: "NGO A"}, true, false},
		{Principal{Name: "n", Role: RoleAuditor}, true, true},
		{Principal{Name: "n", Role: RoleAdmin}, false, false},
		{Principal{Name: "n", Role: "Auditor"}, false, false}, // roles are exact words
	} {
		if got := c.p.MayReadReports(); got != c.reports {
			t.Errorf("%s: MayReadReports = %v, docs/SERVER.md says %v", c.p.Role, got, c.reports)
		}
		if got := c.p.MayAudit(); got != c.audit {
			t.Errorf("%s: MayAudit = %v, docs/SERVER.md says %v", c.p.Role, got, c.audit)
		}
	}
}

// TestLookupEndsWithTheToken: docs/SERVER.md, "Tokens and roles": a web
// session looks its token up on every request, so a revoked or expired
// token ends it; each id gives its own principal and an unknown id none.
// Both for tokens in memory and for tokens in the ledger's store.
func TestLookupEndsWithTheToken(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	mem, err := OpenTokens("")
	if err != nil {
		t.Fatal(err)
	}
	mem.now = clock
	stored, err := OpenTokenStore(context.Background(), memstore.New(), TokenOptions{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	for name, tokens := range map[string]*Tokens{"memory": mem, "store": stored} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			_, a, err := tokens.CreateWith(ctx, Principal{Name: "auditor one", Role: RoleAuditor}, CreateOptions{Actor: "root (admin)"})
			if err != nil {
				t.Fatal(err)
			}
			_, b, err := tokens.CreateWith(ctx, Principal{Name: "root two", Role: RoleAdmin}, CreateOptions{Actor: "root (admin)", Expires: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			for _, rec := range []TokenRecord{a, b} {
				p, ok := tokens.Lookup(rec.TokenID)
				if !ok || p.TokenID != rec.TokenID || p.Name != rec.Name || p.Role != rec.Role {
					t.Errorf("Lookup(%s) = %+v, %v; want %s, %s", rec.TokenID, p, ok, rec.Name, rec.Role)
				}
			}
			if p, ok := tokens.Lookup("000000000000"); ok {
				t.Errorf("Lookup of an unknown id = %+v, want none", p)
			}
			if err := tokens.RevokeWith(ctx, a.TokenID, "root (admin)"); err != nil {
				t.Fatal(err)
			}
			if p, ok := tokens.Lookup(a.TokenID); ok {
				t.Errorf("Lookup of a revoked token = %+v, want none", p)
			}
			if _, ok := tokens.Lookup(b.TokenID); !ok {
				t.Errorf("Lookup of the other token after a revocation: none")
			}
			saved := now
			now = now.Add(time.Hour) // the expiry itself: no longer valid
			if p, ok := tokens.Lookup(b.TokenID); ok {
				t.Errorf("Lookup at the token's expiry = %+v, want none", p)
			}
			now = saved
		})
	}
}

// TestTokenRequestErrorsNameTheField: docs/SERVER.md, "Errors": input is
// strict, every error is a problem with code invalid (400) and, for a bad
// field, its name in errors[]. POST /v1/tokens and the batch route decode
// their bodies themselves, not through the command decoder.
func TestTokenRequestErrorsNameTheField(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	for _, c := range []struct {
		name, path, token, body string
		field                   string // "" when no field is to blame
		detail                  string
	}{
		{"wrong type of a field", "/v1/tokens", f.tok["admin"], `{"name": 5, "role": "auditor"}`, "name", "expected"},
		{"unknown field", "/v1/tokens", f.tok["admin"], `{"name": "n", "role": "auditor", "rol": "admin"}`, "rol", "unknown field"},
		{"JSON ends early", "/v1/tokens", f.tok["admin"], `{"name": "n", "role": "auditor"`, "", ""},
		{"not JSON", "/v1/tokens", f.tok["admin"], `{name: n}`, "", "malformed JSON"},
		{"batch that is not an array", "/v1/commands/batch", f.tok["funder"], `{"type": "close_year"}`, "", "expected"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, b, _ := f.do("POST", c.path, c.token, c.body)
			if status != 400 {
				t.Fatalf("status %d, want 400: %s", status, b)
			}
			p := decodeProblem(t, b)
			if p.Code != "invalid" {
				t.Errorf("code %q, want invalid", p.Code)
			}
			if c.field != "" && (len(p.Errors) == 0 || p.Errors[0].Field != c.field) {
				t.Errorf("errors %+v, want field %q named", p.Errors, c.field)
			}
			if c.field == "" && len(p.Errors) != 0 {
				t.Errorf("errors %+v, want no field blamed", p.Errors)
			}
			if !strings.Contains(p.Detail, c.detail) {
				t.Errorf("detail %q, want it to say %q", p.Detail, c.detail)
			}
		})
	}
	status, b, _ := f.do("GET", "/v1/tokens", f.tok["admin"], nil)
	if status != 200 || strings.Contains(string(b), `"name":"n"`) {
		t.Errorf("after refused requests, GET /v1/tokens: %d %s; want no token named n", status, b)
	}
}
