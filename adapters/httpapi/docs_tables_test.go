package httpapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// The tests in this file take their expectations from docs/SERVER.md,
// written out here as data: nothing is derived from commandRoles, sameOrg
// or any other table of the code under test.

// docsCommandRoles is the table "Tokens and roles" of docs/SERVER.md: which
// roles may send each command type. The admin sends none; the auditor only
// findings.
var docsCommandRoles = map[string][]string{
	"register_agreement":      {"funder"}, // "register agreements whose funder is theirs"
	"add_budget_line":         {"funder"}, // "add lines"
	"plan_budget":             {"funder"}, // "plan and amend budgets"
	"amend_budget":            {"funder"},
	"carry_over":              {"funder"},            // "carry over"
	"return_unspent":          {"funder"},            // "return unspent"
	"declare_ineligible":      {"funder", "auditor"}, // "declare ineligible expenditure"; auditor: "record findings"
	"record_recovery":         {"funder", "auditor"}, // "record recoveries"; auditor: "a recovery demand"
	"define_indicator":        {"funder"},            // "define indicators"
	"close_year":              {"funder"},            // "close years"
	"plan_disbursement":       {"funder"},            // "record payments to the grantee, their schedule,
	"record_disbursement":     {"funder"},            //  their reversal and refunds"
	"reverse_disbursement":    {"funder"},
	"record_refund":           {"funder"},
	"split_plan":              {"funder"},  // "split a plan into calendar years"
	"reverse_closed_spending": {"funder"},  // "reverse spending of a closed year"
	"record_spending":         {"grantee"}, // "record and reverse spending"
	"reverse_spending":        {"grantee"},
	"record_delivery":         {"grantee"}, // "record indicator deliveries"
	// Issue 15: funder "amend indicator targets (amend_target), add parties
	// (add_party), require reports and accept or return them ..."; grantee
	// "record and reverse indicator deliveries (reverse_delivery), submit
	// reports (submit_report)"; both "register and link documents".
	"amend_target":      {"funder"},
	"add_party":         {"funder"},
	"require_report":    {"funder"},
	"accept_report":     {"funder"},
	"return_report":     {"funder"},
	"register_document": {"funder", "grantee"},
	"link_document":     {"funder", "grantee"},
	"reverse_delivery":  {"grantee"},
	"submit_report":     {"grantee"},
	"record_narrative":  {"grantee"},
}

// TestCommandTypeRolesFromDocs sends every command type from every role
// against the caller's own agreement. A role the docs do not allow gets 403
// before the command is validated; an allowed role gets past authorization
// (the data is deliberately incomplete, so 400, never 403).
func TestCommandTypeRolesFromDocs(t *testing.T) {
	var docTypes, codeTypes []string
	for typ := range docsCommandRoles {
		docTypes = append(docTypes, typ)
	}
	codeTypes = append(codeTypes, domain.CommandTypes()...)
	sort.Strings(docTypes)
	sort.Strings(codeTypes)
	if strings.Join(docTypes, ",") != strings.Join(codeTypes, ",") {
		t.Fatalf("command types in docs/SERVER.md's table and in the code differ:\ndocs: %v\ncode: %v", docTypes, codeTypes)
	}
	f := newFixture(t, fixtureOpts{})
	for _, typ := range docTypes {
		for _, role := range []string{"funder", "grantee", "auditor", "admin"} {
			t.Run(typ+"/"+role, func(t *testing.T) {
				body := fmt.Sprintf(`{"type":%q,"command_id":%q,"data":{"agreement":%q}}`, typ, uuid.NewString(), agOwn)
				status, b, _ := f.do("POST", "/v1/commands", f.tok[role], body)
				if slices.Contains(docsCommandRoles[typ], role) {
					if status != 400 {
						t.Errorf("%s may send %s (docs/SERVER.md): got %d %s, want 400 for the incomplete data", role, typ, status, b)
					}
					return
				}
				if status != 403 {
					t.Errorf("%s may not send %s (docs/SERVER.md): got %d %s, want 403", role, typ, status, b)
				}
				if p := decodeProblem(t, b); p.Code != "forbidden" {
					t.Errorf("%s sending %s: code %q, want forbidden", role, typ, p.Code)
				}
			})
		}
	}
}

// registerBody is a complete register_agreement (the example of
// docs/commands.md) for the given agreement and funder.
func registerBody(number, funder string) string {
	return fmt.Sprintf(`{"type": "register_agreement", "command_id": %q, "data": {"agreement": %q, "kind": "grant", "title": "Consultations for NGOs in Kurzeme", "grantee": "Biedrība Piemērs", "funder": %q, "period": {"from": "2024-01-01", "to": "2025-12-31"}, "years": [{"year": 1, "from": "2024-01-01", "to": "2024-12-31"}, {"year": 2, "from": "01.01.2025.", "to": "31.12.2025."}], "lines": [{"line": "civil", "name": "Civil society development"}]}}`,
		uuid.NewString(), number, funder)
}

// TestRegisterAgreementForAnotherFunder: a funder registers agreements
// "whose funder is theirs" (docs/SERVER.md). Registering one for another
// funder, or for a name that only looks like its own, is refused with 403
// naming data.funder, and nothing is recorded. In a batch, the same.
func TestRegisterAgreementForAnotherFunder(t *testing.T) {
	const scrape = "scrape-secret-for-this-test"
	f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.MetricsToken = scrape }})
	others := []string{funderB, "Ministry", "Ministry AB", "Ministry A B", "A", "inistry A", "ministry a", "MINISTRY A", "MinistryA", "\u041cinistry A", "Ministry \u0391", "Ministry A\u200b", "Ministry A."}
	for i, funder := range others {
		number := fmt.Sprintf("REG-OTHER-%d", i)
		t.Run(fmt.Sprintf("%q", funder), func(t *testing.T) {
			status, b, _ := f.do("POST", "/v1/commands", f.tok["funder"], registerBody(number, funder))
			if status != 403 {
				t.Fatalf("funder %q registering for %q: got %d %s, want 403", funderA, funder, status, b)
			}
			p := decodeProblem(t, b)
			if p.Code != "forbidden" || len(p.Errors) == 0 || p.Errors[0].Field != "data.funder" {
				t.Errorf("problem %s: want code forbidden naming data.funder", b)
			}
			status, b, _ = f.do("POST", "/v1/commands/batch", f.tok["funder"], "["+registerBody(number, funder)+"]")
			var br struct {
				Applied, Failed int
				Results         []struct{ Status int }
			}
			if err := json.Unmarshal(b, &br); status != 200 || err != nil || br.Applied != 0 || br.Failed != 1 || len(br.Results) != 1 || br.Results[0].Status != 403 {
				t.Errorf("batch: got %d %s, want 200 with one 403 result, applied 0, failed 1", status, b)
			}
			if status, b, _ := f.do("GET", "/v1/agreements/"+url.PathEscape(number), f.tok["auditor"], nil); status != 404 {
				t.Errorf("after the refusal the auditor sees %s: %d %s, want 404 (nothing recorded)", number, status, b)
			}
		})
	}
	// docs/SERVER.md, Operations: grantledger_commands_total counts
	// commands refused before they were decided, by outcome: each refusal
	// above, single and batch, is one forbidden register_agreement.
	t.Run("refusals counted", func(t *testing.T) {
		_, b, _ := f.do("GET", "/metrics", scrape, nil)
		want := fmt.Sprintf(`grantledger_commands_total{outcome="forbidden",type="register_agreement"} %d`, 2*len(others))
		if !strings.Contains(string(b), want+"\n") {
			t.Errorf("metrics lack %q:\n%s", want, grepLines(string(b), "grantledger_commands_total"))
		}
	})
	// A refusal names the caller's own organisation (errors say what was
	// wrong): a funder, then a grantee, reading the other's agreement.
	t.Run("refusal names the caller's organisation", func(t *testing.T) {
		for key, want := range map[string]string{"funder": "(funder " + funderA + ")", "grantee": "(grantee " + granteeA + ")"} {
			status, b, _ := f.do("GET", "/v1/agreements/"+agOther, f.tok[key], nil)
			if p := decodeProblem(t, b); status != 403 || !strings.Contains(p.Detail, want) {
				t.Errorf("%s reading %s: %d %q, want 403 naming %s", key, agOther, status, p.Detail, want)
			}
		}
	})
	t.Run("own funder", func(t *testing.T) {
		if status, b, _ := f.do("POST", "/v1/commands", f.tok["funder"], registerBody("REG-OWN", funderA)); status != 201 {
			t.Fatalf("funder registering for its own funder: got %d %s, want 201", status, b)
		}
	})
}

// lookAlikes are names that differ from name but could pass a loose
// comparison: another case, a prefix, a substring, an extension, a missing
// space, and Unicode characters that look the same (Cyrillic, Greek,
// full-width, zero-width). docs/SERVER.md: a funder or grantee reads and
// acts only on its own organisation's agreements, names comparing exactly
// after NFC and white-space folding, case counting.
func lookAlikes(name string) []string {
	head, last := name[:len(name)-1], name[len(name)-1:] // "Ministry " + "A"
	return []string{
		head + "B",                              // the other organisation
		strings.TrimSpace(head),                 // prefix: "Ministry"
		name[1:],                                // substring: "inistry A"
		last,                                    // substring: "A"
		name + "B",                              // extension: "Ministry AB"
		name + " B",                             // extension: "Ministry A B"
		name + ".",                              // punctuation
		strings.ToLower(name),                   // case counts
		strings.ToUpper(name),                   //
		strings.Replace(name, " ", "", 1),       // no space inside
		name + "\u200b",                         // zero-width space
		"\u200b" + name,                         //
		head + "\u0391",                         // Greek capital alpha for A
		head + "\uff21",                         // full-width A
		strings.Replace(name, "i", "\u0456", 1), // Cyrillic i (Ministry), none in "NGO A"
		strings.Replace(name, "O", "\u041e", 1), // Cyrillic O (NGO), none in "Ministry A"
	}
}

// TestOrganisationLookAlikes gives tokens to organisations whose names
// only look like AG-1's funder ("Ministry A") and grantee ("NGO A"): none
// reads AG-1, writes to it, or sees it in a report; a report scoped to
// AG-1's organisation is 403. The token of the real organisation, written
// as docs/SERVER.md allows (other white space), does.
func TestOrganisationLookAlikes(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	type org struct {
		role, name, real string
	}
	var refused []org
	for _, n := range lookAlikes(funderA) {
		if n != funderA {
			refused = append(refused, org{access.RoleFunder, n, funderA})
		}
	}
	for _, n := range lookAlikes(granteeA) {
		if n != granteeA {
			refused = append(refused, org{access.RoleGrantee, n, granteeA})
		}
	}
	token := func(o org) string {
		p := access.Principal{Name: "look-alike", Role: o.role}
		if o.role == access.RoleFunder {
			p.Funder = o.name
		} else {
			p.Grantee = o.name
		}
		tok, _, err := f.tokens.Create(p)
		if err != nil {
			t.Fatalf("token for %s %q: %v", o.role, o.name, err)
		}
		return tok
	}
	write := func(o org) domain.Envelope {
		if o.role == access.RoleFunder {
			return newLine(agOwn)
		}
		return spending(agOwn, "1.00")
	}
	scope := func(o org) string {
		if o.role == access.RoleFunder {
			return "funder=" + url.QueryEscape(o.real)
		}
		return "grantee=" + url.QueryEscape(o.real)
	}
	for _, o := range refused {
		t.Run(fmt.Sprintf("%s %q", o.role, o.name), func(t *testing.T) {
			tok := token(o)
			for _, path := range []string{
				"/v1/agreements/" + agOwn,
				"/v1/reports/yearly?year=1&agreement=" + agOwn,
				"/v1/reports/reconciliation?year=1&" + scope(o),
				"/v1/reports/indicators?" + scope(o),
			} {
				if status, b, _ := f.do("GET", path, tok, nil); status != 403 {
					t.Errorf("GET %s as %s %q: got %d %s, want 403", path, o.role, o.name, status, b)
				}
			}
			if status, b, _ := f.do("POST", "/v1/commands", tok, write(o)); status != 403 {
				t.Errorf("write to %s as %s %q: got %d %s, want 403", agOwn, o.role, o.name, status, b)
			}
			// Unscoped, the report has the caller's own rows: none.
			status, b, _ := f.do("GET", "/v1/reports/reconciliation?year=1", tok, nil)
			if status == 200 && strings.Contains(string(b), `"agreement":"`+agOwn+`"`) {
				t.Errorf("unscoped reconciliation as %s %q shows another organisation's agreement: %s", o.role, o.name, b)
			}
		})
	}
	// The documented equivalents of the real names (docs/SERVER.md:
	// "Organisation names compare exactly after Unicode NFC and white-space
	// folding"): other white space around and inside, but never another
	// case.
	for _, o := range []org{
		{access.RoleFunder, funderA, funderA}, {access.RoleFunder, "  Ministry A ", funderA}, {access.RoleFunder, "Ministry  A", funderA},
		{access.RoleFunder, "Ministry\u00a0A", funderA}, {access.RoleFunder, "Ministry\tA", funderA},
		{access.RoleGrantee, granteeA, granteeA}, {access.RoleGrantee, " NGO A\t", granteeA}, {access.RoleGrantee, "NGO\u00a0A", granteeA},
	} {
		t.Run(fmt.Sprintf("own %s %q", o.role, o.name), func(t *testing.T) {
			tok := token(o)
			if status, b, _ := f.do("GET", "/v1/agreements/"+agOwn, tok, nil); status != 200 {
				t.Errorf("GET own agreement as %s %q: got %d %s, want 200", o.role, o.name, status, b)
			}
			if status, b, _ := f.do("POST", "/v1/commands", tok, write(o)); status != 201 {
				t.Errorf("write own agreement as %s %q: got %d %s, want 201", o.role, o.name, status, b)
			}
			if status, b, _ := f.do("GET", "/v1/agreements/"+agOther, tok, nil); status != 403 {
				t.Errorf("GET other agreement as %s %q: got %d %s, want 403", o.role, o.name, status, b)
			}
		})
	}
}

// TestMaxBatch: docs/SERVER.md, --max-batch (default 1000) is the most
// commands in one batch; more is 413 too_large and nothing is applied.
func TestMaxBatch(t *testing.T) {
	t.Run("default 1000", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{})
		batch := make([]domain.Envelope, 1001)
		for i := range batch {
			batch[i] = spending(agOwn, "1.00")
		}
		status, b, _ := f.do("POST", "/v1/commands/batch", f.tok["grantee"], batch)
		if status != 413 || decodeProblem(t, b).Code != "too_large" {
			t.Fatalf("batch of 1001: got %d %s, want 413 too_large", status, b)
		}
		assertActual(t, f, "10.00")
	})
	t.Run("set to 3", func(t *testing.T) {
		f := newFixture(t, fixtureOpts{cfg: func(c *Config) { c.MaxBatch = 3 }})
		four := []domain.Envelope{spending(agOwn, "1.00"), spending(agOwn, "1.00"), spending(agOwn, "1.00"), spending(agOwn, "1.00")}
		status, b, _ := f.do("POST", "/v1/commands/batch", f.tok["grantee"], four)
		if status != 413 || decodeProblem(t, b).Code != "too_large" {
			t.Fatalf("batch of 4 with --max-batch 3: got %d %s, want 413 too_large", status, b)
		}
		assertActual(t, f, "10.00")
		status, b, _ = f.do("POST", "/v1/commands/batch", f.tok["grantee"], four[:3])
		var br struct{ Applied int }
		if err := json.Unmarshal(b, &br); status != 200 || err != nil || br.Applied != 3 {
			t.Fatalf("batch of 3 with --max-batch 3: got %d %s, want 200 with 3 applied", status, b)
		}
		assertActual(t, f, "13.00")
	})
}

// assertActual checks AG-1's year 1 spending as the auditor reads it (the
// fixture records 10.00).
func assertActual(t *testing.T, f *fixture, want string) {
	t.Helper()
	status, b, _ := f.do("GET", "/v1/reports/yearly?year=1&agreement="+agOwn, f.tok["auditor"], nil)
	var rep struct {
		Total struct {
			Actual string `json:"actual"`
		} `json:"total"`
	}
	if err := json.Unmarshal(b, &rep); status != 200 || err != nil {
		t.Fatalf("yearly report: %d %s %v", status, b, err)
	}
	if rep.Total.Actual != want {
		t.Errorf("AG-1 year 1 actual: got %s, want %s", rep.Total.Actual, want)
	}
}

// grepLines returns the lines of s that contain sub, for error messages.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
