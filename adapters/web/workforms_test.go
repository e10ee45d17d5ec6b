package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/domain"
)

// Through the pages: the funder requires year 3's final report of seed
// 004, the grantee submits it (sealed by the file's SHA-256), the funder
// returns it with a reason, the grantee submits it again and the funder
// accepts it. Each side is offered only its own forms (docs/SERVER.md).
func TestReportObligationForms(t *testing.T) {
	f := newFixture(t)
	funder := f.client(false)
	funder.signIn(f, "funder")
	grantee := f.client(false)
	grantee.signIn(f, "grantee")
	send := func(c *client, typ string, vals url.Values, want int) string {
		t.Helper()
		_, page := c.get(agreementPath(seeds.Seed004))
		vals.Set("csrf", hidden(t, page, "", "csrf"))
		vals.Set("type", typ)
		vals.Set("command_id", hidden(t, page, `id="form-`+typ+`"`, "command_id"))
		resp, body := c.post(agreementPath(seeds.Seed004), vals)
		if resp.StatusCode != want {
			t.Fatalf("%s: %d %s, want %d", typ, resp.StatusCode, problemOf(body), want)
		}
		return body
	}
	_, page := grantee.get(agreementPath(seeds.Seed004))
	if strings.Contains(page, `id="form-require_report"`) || strings.Contains(page, `id="form-accept_report"`) || !strings.Contains(page, `id="form-submit_report"`) {
		t.Error("the grantee's page offers the funder's report forms, or not its own submit form")
	}
	_, page = funder.get(agreementPath(seeds.Seed004))
	if strings.Contains(page, `id="form-submit_report"`) || !strings.Contains(page, `id="form-register_document"`) {
		t.Error("the funder's page offers the grantee's submit form, or not the document form")
	}
	send(funder, "require_report", url.Values{"report": {"final-3"}, "kind": {"final"}, "year": {"3"}, "due": {"2025-09-30"}, "name": {"Kopsavilkums 2024/2025"}}, http.StatusSeeOther)
	sum := "bd01be0405fba412132fa07f567318627444a1820a88b2630d5ee575f093a73c"
	send(grantee, "submit_report", url.Values{"report": {"final-3"}, "date": {"2025-09-15"}, "sha256": {strings.ToUpper(sum)}, "size": {"35"}}, http.StatusSeeOther)
	// Submitted twice: refused in words.
	if body := send(grantee, "submit_report", url.Values{"report": {"final-3"}, "date": {"2025-09-16"}, "sha256": {sum}}, http.StatusUnprocessableEntity); !strings.Contains(body, "waits for the funder") {
		t.Errorf("a second submission: %s", problemOf(body))
	}
	send(funder, "return_report", url.Values{"report": {"final-3"}, "date": {"2025-09-20"}, "reason": {"Sign the summary"}}, http.StatusSeeOther)
	send(grantee, "submit_report", url.Values{"report": {"final-3"}, "date": {"2025-09-25"}, "sha256": {sum}}, http.StatusSeeOther)
	send(funder, "accept_report", url.Values{"report": {"final-3"}, "date": {"2025-09-29"}}, http.StatusSeeOther)
	// The page lists the report owed and where it stands.
	if _, page := grantee.get(agreementPath(seeds.Seed004)); !strings.Contains(page, `id="h-obl"`) || !strings.Contains(page, "final-3 (final, ") || !strings.Contains(page, "accepted") {
		t.Errorf("the agreement page does not list report final-3 as accepted")
	}
	err := f.svc.View(context.Background(), seeds.Seed004, func(a *domain.Agreement) error {
		o := a.Work().Obligations["final-3"]
		if o == nil || o.Status != domain.ObligationAccepted || o.Submissions != 2 || o.Returned != "Sign the summary" || o.Submitted.SHA256 != sum {
			t.Errorf("obligation after the forms: %+v", o)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
