package httpapi

import (
	"strings"
	"testing"

	"github.com/grantledger/grantledger/app/access"
)

// Expectations from docs/SERVER.md's route table, written out here: the
// report routes (yearly, reconciliation, indicators) are for funder,
// grantee and auditor; the audit trail and verify for the auditor alone;
// the admin reads no ledger data. The web pages ask the principal through
// MayReadReports and MayAudit.
func TestReportAndAuditRolesFromDocs(t *testing.T) {
	for _, c := range []struct {
		p              access.Principal
		reports, audit bool
	}{
		{access.Principal{Name: "n", Role: access.RoleFunder, Funder: "Ministry A"}, true, false},
		{access.Principal{Name: "n", Role: access.RoleGrantee, Grantee: "NGO A"}, true, false},
		{access.Principal{Name: "n", Role: access.RoleAuditor}, true, true},
		{access.Principal{Name: "n", Role: access.RoleAdmin}, false, false},
		{access.Principal{Name: "n", Role: "Auditor"}, false, false}, // roles are exact words
	} {
		if got := c.p.MayReadReports(); got != c.reports {
			t.Errorf("%s: MayReadReports = %v, docs/SERVER.md says %v", c.p.Role, got, c.reports)
		}
		if got := c.p.MayAudit(); got != c.audit {
			t.Errorf("%s: MayAudit = %v, docs/SERVER.md says %v", c.p.Role, got, c.audit)
		}
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
