package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Issue 14: "The auditor role may record findings (ineligible, recovery
// demand) but nothing else", also into a closed year as a post-closure
// adjustment with a reason (docs/SERVER.md, role table; docs/commands.md,
// "Findings after a year is closed"). Through the page: the auditor is
// offered the two findings forms and no other, records 100,00 of year 1
// of seed 004 (closed) as ineligible, and the year's report then shows the
// figures as closed next to the restated ones; the grantee is offered no
// findings form and is refused one it forges.
func TestAuditorFindingFormsIntoClosedYear(t *testing.T) {
	f := newFixture(t)
	a := f.client(false)
	a.signIn(f, "auditor")
	_, page := a.get(agreementPath(seeds.Seed004))
	for _, typ := range []string{"declare_ineligible", "record_recovery"} {
		if !strings.Contains(page, `id="form-`+typ+`"`) {
			t.Errorf("the auditor is not offered the %s form", typ)
		}
	}
	for _, typ := range []string{"record_spending", "plan_budget", "close_year", "record_disbursement", "record_refund", "split_plan"} {
		if strings.Contains(page, `id="form-`+typ+`"`) {
			t.Errorf("the auditor is offered the %s form", typ)
		}
	}
	csrf := hidden(t, page, "", "csrf")
	finding := url.Values{"csrf": {csrf}, "type": {"declare_ineligible"}, "command_id": {hidden(t, page, `id="form-declare_ineligible"`, "command_id")},
		"line": {"civil"}, "year": {"1"}, "amount": {"100,00"}, "date": {"2025-09-20"}, "description": {"Ex-post audit: catering is not eligible"}}
	// Year 1 is closed: without a reason the ledger refuses it.
	if resp, body := a.post(agreementPath(seeds.Seed004), finding); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("finding into closed year 1 without a reason: %d %s, want 422", resp.StatusCode, problemOf(body))
	}
	_, page = a.get(agreementPath(seeds.Seed004))
	finding.Set("command_id", hidden(t, page, `id="form-declare_ineligible"`, "command_id"))
	finding.Set("reason", "Audit report 2025/7")
	finding.Set("spending", "not-an-id")
	if resp, body := a.post(agreementPath(seeds.Seed004), finding); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Not an event id") {
		t.Errorf("a spending that is not an event id: %d %s", resp.StatusCode, problemOf(body))
	}
	finding.Del("spending")
	if resp, body := a.post(agreementPath(seeds.Seed004), finding); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("auditor's finding into closed year 1: %d %s", resp.StatusCode, problemOf(body))
	}
	var inel uuid.UUID
	err := f.svc.View(context.Background(), seeds.Seed004, func(ag *domain.Agreement) error {
		if got := ag.Cell("civil", 1).Ineligible; got != domain.MustMoney("100") {
			t.Errorf("civil year 1 ineligible %s, want 100.00", got)
		}
		if ag.Adjusted(1) != 1 || !ag.Year(1).Closed {
			t.Errorf("year 1: %d post-closure adjustments, closed %v; want 1, closed", ag.Adjusted(1), ag.Year(1).Closed)
		}
		for id := range ag.Ineligibles() {
			inel = id
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The recovery form lists it; the demand is recorded.
	_, page = a.get(agreementPath(seeds.Seed004))
	if !strings.Contains(page, `value="`+inel.String()+`"`) {
		t.Fatal("the recovery form does not list the declared ineligible expenditure")
	}
	rec := url.Values{"csrf": {csrf}, "type": {"record_recovery"}, "command_id": {hidden(t, page, `id="form-record_recovery"`, "command_id")},
		"ineligible": {inel.String()}, "amount": {"100,00"}, "date": {"2025-09-21"}, "reason": {"Audit report 2025/7"}}
	if resp, body := a.post(agreementPath(seeds.Seed004), rec); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("recovery demand: %d %s", resp.StatusCode, problemOf(body))
	}
	// The year's report shows the figures as closed and as restated.
	_, rep := a.get("/report?no=" + url.QueryEscape(seeds.Seed004) + "&year=1")
	for _, want := range []string{"Ineligible, as closed", "Ineligible, restated", "restated after closing"} {
		if !strings.Contains(rep, want) {
			t.Errorf("year 1 report lacks %q", want)
		}
	}
	// The grantee is offered no finding form and is refused a forged one.
	g := f.client(false)
	g.signIn(f, "grantee")
	_, page = g.get(agreementPath(seeds.Seed004))
	if strings.Contains(page, `id="form-declare_ineligible"`) || strings.Contains(page, `id="form-record_recovery"`) {
		t.Error("the grantee is offered a findings form")
	}
	finding.Set("csrf", hidden(t, page, "", "csrf"))
	finding.Set("command_id", uuid.NewString())
	if resp, body := g.post(agreementPath(seeds.Seed004), finding); resp.StatusCode != http.StatusForbidden {
		t.Errorf("grantee sends declare_ineligible: %d %s, want 403", resp.StatusCode, problemOf(body))
	}
	// The funder may record findings too (the role table).
	fu := f.client(false)
	fu.signIn(f, "funder")
	if _, page = fu.get(agreementPath(seeds.Seed004)); !strings.Contains(page, `id="form-declare_ineligible"`) {
		t.Error("the funder is not offered the declare_ineligible form")
	}
}

// Issue 14 on the agreement page: received, eligible spent, refunded and
// held per year and to date, the ceiling and the intensity, in English and
// Latvian. Seed 004's year 1 is paid as an advance of 50 % and a final
// payment (24 500,00 each); the seed spent 47 786,53 in year 1 and
// carried 1 213,47 over, which the grantee holds. The ceiling is the seed's
// total funding of 147 000,00 at 100 % intensity.
func TestAgreementPageShowsCash(t *testing.T) {
	f := newFixture(t)
	c := f.client(false)
	c.signIn(f, "grantee")
	if _, page := c.get(agreementPath(seeds.Seed004)); !strings.Contains(page, "No payments to the grantee are recorded") {
		t.Error("without payments the page does not say so")
	}
	ref := domain.Ref{Agreement: seeds.Seed004}
	for i, d := range []string{"2022-07-20", "2023-08-15"} {
		env := domain.NewEnvelope(uuid.New(), seeds.Ministry, "", domain.RecordDisbursement{Ref: ref, Year: 1, Amount: domain.MustMoney("24 500,00"), Date: domain.MustDate(d), Reference: "MO-" + d, Kind: []string{domain.PayAdvance, domain.PayFinal}[i]})
		if _, err := commandtest.Handle(context.Background(), f.svc, env); err != nil {
			t.Fatal(err)
		}
	}
	_, page := c.get(agreementPath(seeds.Seed004))
	row := cashRowOf(t, page, "1")
	for _, want := range []string{"49,000.00", "47,786.53", "1,213.47"} {
		if !strings.Contains(row, want) {
			t.Errorf("year 1 cash row lacks %s: %s", want, row)
		}
	}
	if !strings.Contains(page, `id="ceiling">147,000.00 EUR`) || !strings.Contains(page, `id="intensity">100 %`) {
		t.Error("the page does not show the ceiling 147,000.00 EUR and intensity 100 %")
	}
	_, page = c.get(agreementPath(seeds.Seed004) + "&lang=lv")
	row = cashRowOf(t, page, "to-date")
	for _, want := range []string{"49 000,00", "Kopā līdz šim"} {
		if !strings.Contains(row, want) {
			t.Errorf("Latvian to-date cash row lacks %s: %s", want, row)
		}
	}
	if !strings.Contains(page, "Saņemts no finansētāja") || !strings.Contains(page, `id="ceiling">147 000,00 euro`) {
		t.Error("the Latvian page lacks the cash heading words or the ceiling")
	}
}

func cashRowOf(t *testing.T, page, year string) string {
	t.Helper()
	i := strings.Index(page, `<tr data-year="`+year+`">`)
	if i < 0 {
		t.Fatalf("no cash row of year %s", year)
	}
	row := page[i:]
	return row[:strings.Index(row, "</tr>")]
}

// The funder reverses a spending of closed year 1 of seed 004 through the
// page (docs/commands.md, reverse_closed_spending: the funder's, with a
// reason) and returns what it freed into the closed year; the grantee is
// offered no such form.
func TestClosedYearReversalForm(t *testing.T) {
	f := newFixture(t)
	var wrong uuid.UUID
	var amount domain.Money
	err := f.svc.View(context.Background(), seeds.Seed004, func(ag *domain.Agreement) error {
		for _, sp := range ag.SortedSpendings() {
			if sp.Year == 1 && sp.Line == "civil" {
				wrong, amount = sp.ID, sp.Amount
				break
			}
		}
		return nil
	})
	if err != nil || wrong == uuid.Nil {
		t.Fatalf("no civil spending in year 1 of seed 004: %v", err)
	}
	g := f.client(false)
	g.signIn(f, "grantee")
	if _, page := g.get(agreementPath(seeds.Seed004)); strings.Contains(page, `id="form-reverse_closed_spending"`) {
		t.Error("the grantee is offered the closed-year reversal")
	}
	c := f.client(false)
	c.signIn(f, "funder")
	_, page := c.get(agreementPath(seeds.Seed004))
	if !strings.Contains(page, `value="`+wrong.String()+`"`) {
		t.Fatal("the closed-year reversal form does not list year 1's civil spending")
	}
	csrf := hidden(t, page, "", "csrf")
	rev := url.Values{"csrf": {csrf}, "type": {"reverse_closed_spending"}, "command_id": {hidden(t, page, `id="form-reverse_closed_spending"`, "command_id")},
		"spending": {wrong.String()}, "date": {"2025-09-20"}}
	if resp, body := c.post(agreementPath(seeds.Seed004), rev); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("closed-year reversal without a reason: %d %s, want 422", resp.StatusCode, problemOf(body))
	}
	_, page = c.get(agreementPath(seeds.Seed004))
	rev.Set("command_id", hidden(t, page, `id="form-reverse_closed_spending"`, "command_id"))
	rev.Set("reason", "Booked on the wrong agreement (audit 2025/9)")
	if resp, body := c.post(agreementPath(seeds.Seed004), rev); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("closed-year reversal: %d %s", resp.StatusCode, problemOf(body))
	}
	_, page = c.get(agreementPath(seeds.Seed004))
	ret := url.Values{"csrf": {csrf}, "type": {"return_unspent"}, "command_id": {hidden(t, page, `id="form-return_unspent"`, "command_id")},
		"line": {"civil"}, "year": {"1"}, "date": {"2025-09-21"}, "reason": {"What the reversal freed"}}
	if resp, body := c.post(agreementPath(seeds.Seed004), ret); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("return into closed year 1: %d %s", resp.StatusCode, problemOf(body))
	}
	err = f.svc.View(context.Background(), seeds.Seed004, func(ag *domain.Agreement) error {
		c := ag.Cell("civil", 1)
		if c.Returned != amount || c.Remainder() != 0 || ag.Adjusted(1) != 2 || !ag.Year(1).Closed {
			t.Errorf("civil year 1 returned %s remainder %s, %d adjustments; want %s returned, 0, 2, closed", c.Returned, c.Remainder(), ag.Adjusted(1), amount)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The agreements list shows each agreement's ceiling and intensity too
// (issue 14: "Every report that shows an agreement shows its ceiling and
// intensity"): seed 004 registers 147 000,00 at 100 %.
func TestAgreementsListShowsCeilingAndIntensity(t *testing.T) {
	f := newFixture(t)
	c := f.client(false)
	c.signIn(f, "auditor")
	_, page := c.get("/agreements?lang=lv")
	i := strings.Index(page, url.QueryEscape(seeds.Seed004))
	if i < 0 {
		t.Fatal("seed 004 is not listed")
	}
	row := page[i:]
	row = row[:strings.Index(row, "</tr>")]
	if !strings.Contains(row, "147 000,00 euro") || !strings.Contains(row, "100 %") {
		t.Errorf("seed 004's row lacks the ceiling 147 000,00 euro or 100 %%: %s", row)
	}
	if !strings.Contains(page, "Atbalsta intensitāte") {
		t.Error("the list has no intensity column")
	}
}
