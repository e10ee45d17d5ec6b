package httpapi

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// Over the API: the funder requires an interim report of AG-1, the
// grantee submits it (sealed), the funder accepts it, the grantee records
// 5,00 more spending in year 1; the restatement shows actual 10,00 sealed
// and 15,00 now and that spending as the later event; the obligations and
// the period summary are read by whoever may read the agreement.
func TestReportsOfObligationsOverTheAPI(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	send := func(role, typ, data, reason string) {
		t.Helper()
		body := fmt.Sprintf(`{"type":%q,"command_id":%q,"reason":%q,"data":%s}`, typ, uuid.NewString(), reason, data)
		if status, b, _ := f.do("POST", "/v1/commands", f.tok[role], body); status != 201 {
			t.Fatalf("%s %s: %d %s", role, typ, status, b)
		}
	}
	sum := strings.Repeat("ab", 32)
	send("funder", "require_report", fmt.Sprintf(`{"agreement":%q,"report":"interim","kind":"interim","year":1,"due":"2024-07-31"}`, agOwn), "")
	send("grantee", "submit_report", fmt.Sprintf(`{"agreement":%q,"report":"interim","date":"2024-07-20","sha256":%q}`, agOwn, sum), "")
	send("funder", "accept_report", fmt.Sprintf(`{"agreement":%q,"report":"interim","date":"2024-07-25"}`, agOwn), "")
	send("grantee", "record_spending", fmt.Sprintf(`{"agreement":%q,"line":"L1","year":1,"amount":"5.00","date":"2024-06-30","document":"inv-late"}`, agOwn), "")

	status, b, _ := f.do("GET", "/v1/reports/restatement?agreement="+url.QueryEscape(agOwn)+"&report=interim", f.tok["funder"], nil)
	if status != 200 {
		t.Fatalf("restatement: %d %s", status, b)
	}
	var rs struct {
		Restated *bool `json:"restated"`
		Lines    []struct {
			Sealed, Now struct{ Actual string }
		} `json:"lines"`
		Later []struct {
			Type, Amount string
		} `json:"later_events"`
	}
	if err := json.Unmarshal(b, &rs); err != nil {
		t.Fatal(err)
	}
	if rs.Restated == nil || !*rs.Restated || len(rs.Lines) != 1 || rs.Lines[0].Sealed.Actual != "10.00" || rs.Lines[0].Now.Actual != "15.00" ||
		len(rs.Later) != 1 || rs.Later[0].Type != "SpendingRecorded" || rs.Later[0].Amount != "5.00" {
		t.Errorf("restatement: %s", b)
	}
	status, b, _ = f.do("GET", "/v1/reports/obligations", f.tok["grantee"], nil)
	if status != 200 || !strings.Contains(string(b), `"report":"interim"`) || !strings.Contains(string(b), `"status":"accepted"`) || strings.Contains(string(b), agOther) {
		t.Errorf("obligations as the grantee: %d %s", status, b)
	}
	status, b, _ = f.do("GET", "/v1/reports/period?agreement="+url.QueryEscape(agOwn), f.tok["auditor"], nil)
	if status != 200 || !strings.Contains(string(b), `"years":[`) {
		t.Errorf("period summary as the auditor: %d %.300s", status, b)
	}
	if status, _, _ := f.do("GET", "/v1/reports/period?agreement="+url.QueryEscape(agOwn)+"&format=md", f.tok["funder"], nil); status != 200 {
		t.Errorf("period summary in Markdown: %d", status)
	}
}
