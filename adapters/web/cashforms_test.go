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

// The funder pays seed 004's year 3 through the page and records the
// refund of its 80,00 return (civil) from the list of what is due; the
// grantee sees no payment forms (the API's role table: the funder records
// payments and refunds).
func TestPaymentAndRefundForms(t *testing.T) {
	f := newFixture(t)
	g := f.client(false)
	g.signIn(f, "grantee")
	if _, page := g.get(agreementPath(seeds.Seed004)); strings.Contains(page, `id="form-record_disbursement"`) || strings.Contains(page, `id="form-record_refund"`) {
		t.Error("the grantee is offered the funder's payment forms")
	}
	c := f.client(false)
	c.signIn(f, "funder")
	_, page := c.get(agreementPath(seeds.Seed004))
	csrf := hidden(t, page, "", "csrf")
	pay := url.Values{"csrf": {csrf}, "type": {"record_disbursement"}, "command_id": {hidden(t, page, `id="form-record_disbursement"`, "command_id")},
		"kind": {"final"}, "year": {"3"}, "amount": {"49 000,00"}, "date": {"2025-08-15"}, "reference": {"MK-2025-0815"}}
	if resp, body := c.post(agreementPath(seeds.Seed004), pay); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("payment: %d %s", resp.StatusCode, problemOf(body))
	}
	// The refund form lists the two returns of year 3 (80,00 and 48,28) as due.
	_, page = c.get(agreementPath(seeds.Seed004))
	i := strings.Index(page, `id="form-record_refund"`)
	if i < 0 {
		t.Fatal("no refund form for the funder")
	}
	form := page[i:]
	form = form[:strings.Index(form, "</form>")]
	var due string
	for _, opt := range strings.Split(form, "<option ")[1:] {
		if strings.Contains(opt, "80.00") && strings.Contains(opt, "civil") { // the English page's money format
			due = opt[strings.Index(opt, `value="`)+7:]
			due = due[:strings.Index(due, `"`)]
		}
	}
	if due == "" || !strings.Contains(form, "48.28") {
		t.Fatalf("the refund form does not list the returns of 80,00 and 48,28: %.600s", form)
	}
	refund := url.Values{"csrf": {csrf}, "type": {"record_refund"}, "command_id": {hidden(t, page, `id="form-record_refund"`, "command_id")},
		"for": {due}, "amount": {"80,00"}, "date": {"2025-09-01"}, "reference": {"VK-0901"}}
	if resp, body := c.post(agreementPath(seeds.Seed004), refund); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("refund: %d %s", resp.StatusCode, problemOf(body))
	}
	err := f.svc.View(context.Background(), seeds.Seed004, func(a *domain.Agreement) error {
		if got := a.Cash().Disbursed[3]; got != domain.MustMoney("49000") {
			t.Errorf("year 3 disbursed %s, want 49000.00", got)
		}
		if got := a.Cash().Refunded[3]; got != domain.MustMoney("80") {
			t.Errorf("year 3 refunded %s, want 80.00", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A refund above what is due is refused in the page's language.
	_, page = c.get(agreementPath(seeds.Seed004))
	refund.Set("command_id", hidden(t, page, `id="form-record_refund"`, "command_id"))
	refund.Set("amount", "80,01")
	if resp, body := c.post(agreementPath(seeds.Seed004), refund); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "still due") {
		t.Errorf("refund above the due: %d %s", resp.StatusCode, problemOf(body))
	}
}

// The funder splits seed 004's year 2 civil plan (30 000,00, 15.07.2023–
// 14.07.2024) over 2023 and 2024 through the page; a split that does not
// add up is refused in words.
func TestSplitPlanForm(t *testing.T) {
	f := newFixture(t)
	c := f.client(false)
	c.signIn(f, "funder")
	_, page := c.get(agreementPath(seeds.Seed004))
	csrf := hidden(t, page, "", "csrf")
	form := url.Values{"csrf": {csrf}, "type": {"split_plan"}, "command_id": {hidden(t, page, `id="form-split_plan"`, "command_id")},
		"line": {"civil"}, "year": {"2"}, "parts": {"2023: 15 000,00\n2024: 14 999,99"}}
	if resp, body := c.post(agreementPath(seeds.Seed004), form); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "add up to") {
		t.Errorf("a split a cent short: %d %s", resp.StatusCode, problemOf(body))
	}
	_, page = c.get(agreementPath(seeds.Seed004))
	form.Set("command_id", hidden(t, page, `id="form-split_plan"`, "command_id"))
	form.Set("parts", "2023: 15 000,00\n2024: 15 000,00")
	if resp, body := c.post(agreementPath(seeds.Seed004), form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("split: %d %s", resp.StatusCode, problemOf(body))
	}
	err := f.svc.View(context.Background(), seeds.Seed004, func(a *domain.Agreement) error {
		parts, ok := a.Split("civil", 2)
		if !ok || len(parts) != 2 || parts[1].CalendarYear != 2024 || parts[1].Amount != domain.MustMoney("15000") {
			t.Errorf("split in force: %v %v", parts, ok)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
