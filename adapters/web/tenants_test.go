package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/legacytest"
)

// Issue 12 item 1: another funder's "knvoc-2022-2025" (differing from seed
// 004's KNVOC-2022-2025 only by case; a ledger written before such numbers
// were refused can hold it) showed seed 004's lines, figures, chart and
// indicators on its web page, and its planned budget showed up as a line
// in seed 004's totals. Each page shows one agreement's rows, looked up by
// its exact number, within the principal's organisation.
func TestAgreementPagesKeepTenantsApart(t *testing.T) {
	f := newFixture(t)
	const other, otherFunder = "knvoc-2022-2025", "Citas ministrija"
	legacytest.Register(t, f.store, other, otherFunder, "Cita NVO")
	env := domain.NewEnvelope(uuid.New(), "other", "", domain.PlanBudget{Ref: domain.Ref{Agreement: other}, Line: "a", Year: 1, Amount: domain.MustMoney("777 777,77")})
	if _, err := commandtest.Handle(context.Background(), f.svc, env); err != nil {
		t.Fatalf("plan on the look-alike: %v", err)
	}
	tok, _, err := f.tokens.Create(access.Principal{Name: "Other officer", Role: access.RoleFunder, Funder: otherFunder})
	if err != nil {
		t.Fatal(err)
	}
	f.tok["otherFunder"] = tok

	c := f.client(true)
	c.signIn(f, "otherFunder")
	resp, body := c.get(agreementPath(other))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("other funder's own page: status %d: %.300s", resp.StatusCode, body)
	}
	for _, leak := range []string{"47,786.53", "49,000.00", "1,213.47", "Civil society", "civil"} {
		if strings.Contains(body, leak) {
			t.Errorf("the page of %s shows %q of %s", other, leak, seeds.Seed004)
		}
	}
	if !strings.Contains(body, "777,777.77") {
		t.Errorf("the page of %s lacks its own plan 777,777.77", other)
	}
	if resp, _ := c.get(agreementPath(seeds.Seed004)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("other funder reading %s: status %d, want 403", seeds.Seed004, resp.StatusCode)
	}

	own := f.client(true)
	own.signIn(f, "funder")
	resp, body = own.get(agreementPath(seeds.Seed004))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("seed funder's page: status %d", resp.StatusCode)
	}
	if strings.Contains(body, "777,777.77") || strings.Contains(body, "Line A") {
		t.Errorf("the page of %s shows the look-alike's plan", seeds.Seed004)
	}
	for _, want := range []string{"47,786.53", "49,000.00"} {
		if !strings.Contains(body, want) {
			t.Errorf("the page of %s lacks %q", seeds.Seed004, want)
		}
	}
	if resp, _ := own.get(agreementPath(other)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("seed funder reading %s: status %d, want 403", other, resp.StatusCode)
	}
}
