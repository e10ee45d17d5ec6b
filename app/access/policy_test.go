package access_test

import (
	"slices"
	"sort"
	"testing"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// docsRoles is the table "Tokens and roles" of docs/SERVER.md, written out
// here rather than read from the package: which roles may send each
// command type. The admin sends none; the auditor only its findings.
var docsRoles = map[string][]string{
	"register_agreement":      {"funder"},
	"add_budget_line":         {"funder"},
	"plan_budget":             {"funder"},
	"amend_budget":            {"funder"},
	"carry_over":              {"funder"},
	"return_unspent":          {"funder"},
	"declare_ineligible":      {"funder", "auditor"},
	"record_recovery":         {"funder", "auditor"},
	"define_indicator":        {"funder"},
	"close_year":              {"funder"},
	"plan_disbursement":       {"funder"},
	"record_disbursement":     {"funder"},
	"reverse_disbursement":    {"funder"},
	"record_refund":           {"funder"},
	"split_plan":              {"funder"},
	"reverse_closed_spending": {"funder"},
	"record_spending":         {"grantee"},
	"reverse_spending":        {"grantee"},
	"record_delivery":         {"grantee"},
	"amend_target":            {"funder"},
	"add_party":               {"funder"},
	"require_report":          {"funder"},
	"accept_report":           {"funder"},
	"return_report":           {"funder"},
	"register_document":       {"funder", "grantee"},
	"link_document":           {"funder", "grantee"},
	"reverse_delivery":        {"grantee"},
	"submit_report":           {"grantee"},
	"record_narrative":        {"grantee"},
}

var roles = []string{"funder", "grantee", "auditor", "admin", "", "Funder", "owner"}

func TestRoleTableFromDocs(t *testing.T) {
	var docs []string
	for typ := range docsRoles {
		docs = append(docs, typ)
	}
	sort.Strings(docs)
	code := append([]string(nil), domain.CommandTypes()...)
	sort.Strings(code)
	if !slices.Equal(docs, code) {
		t.Fatalf("command types of docs/SERVER.md %v, of the code %v", docs, code)
	}
	for _, typ := range code {
		primary := docsRoles[typ][0]
		if got, ok := access.CommandRole(typ); !ok || got != primary {
			t.Errorf("CommandRole(%s) = %q, %v; docs: %q", typ, got, ok, primary)
		}
		for _, role := range roles {
			want := slices.Contains(docsRoles[typ], role)
			if got := access.RoleMaySend(role, typ); got != want {
				t.Errorf("RoleMaySend(%q, %s) = %v, docs say %v", role, typ, got, want)
			}
		}
	}
	for _, typ := range []string{"", "unknown", "Record_Spending", "delete_agreement"} {
		if _, ok := access.CommandRole(typ); ok {
			t.Errorf("CommandRole(%q) is known", typ)
		}
		for _, role := range roles {
			if access.RoleMaySend(role, typ) {
				t.Errorf("RoleMaySend(%q, %q) = true for an unknown type", role, typ)
			}
		}
	}
}

// TestSeeAndActFromDocs: docs/SERVER.md, "Tokens and roles": an auditor
// reads every agreement; a funder and a grantee read and act only on
// agreements of their own organisation, names compared exactly after NFC
// and white-space folding (case counts); an admin reads no ledger data.
func TestSeeAndActFromDocs(t *testing.T) {
	own := access.Parties{Funder: "Kultūras ministrija", Grantee: "Biedrība „Kurzemes NVO centrs”"}
	funder := func(name string) access.Principal { return access.Principal{Role: "funder", Funder: name} }
	grantee := func(name string) access.Principal { return access.Principal{Role: "grantee", Grantee: name} }
	cases := []struct {
		who  string
		p    access.Principal
		sees bool
	}{
		{"auditor", access.Principal{Role: "auditor"}, true},
		{"admin", access.Principal{Role: "admin"}, false},
		{"no role", access.Principal{Funder: own.Funder, Grantee: own.Grantee}, false},
		{"own funder", funder(own.Funder), true},
		{"own funder, other white space", funder("  Kultūras\tministrija "), true},
		{"own funder, decomposed ū", funder("Kultu\u0304ras ministrija"), true},
		{"funder in lower case", funder("kultūras ministrija"), false},
		{"funder, prefix", funder("Kultūras"), false},
		{"funder, extended", funder("Kultūras ministrija 2"), false},
		{"funder, without the accent", funder("Kulturas ministrija"), false},
		{"funder, Cyrillic а", funder("Kultūr\u0430s ministrija"), false},
		{"funder named as the grantee", funder(own.Grantee), false},
		{"funder with no name", funder(""), false},
		{"own grantee", grantee(own.Grantee), true},
		{"grantee, substring", grantee("Kurzemes NVO centrs"), false},
		{"grantee named as the funder", grantee(own.Funder), false},
		{"grantee with no name", grantee(""), false},
	}
	for _, c := range cases {
		if got := access.MaySee(c.p, own); got != c.sees {
			t.Errorf("%s: MaySee = %v, want %v", c.who, got, c.sees)
		}
		for typ, rs := range docsRoles {
			want := c.sees && slices.Contains(rs, c.p.Role)
			if got := access.MayAct(c.p, typ, own); got != want {
				t.Errorf("%s: MayAct(%s) = %v, want %v", c.who, typ, got, want)
			}
		}
	}
	// An agreement with no grantee recorded is no grantee's.
	if access.MaySee(grantee(""), access.Parties{Funder: own.Funder}) {
		t.Error("a grantee with no name sees an agreement with no grantee")
	}
}
