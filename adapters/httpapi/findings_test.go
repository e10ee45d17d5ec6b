package httpapi

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// Issue 14: "The auditor role may record findings (ineligible, recovery
// demand) but nothing else" — also into a closed year, as a post-closure
// adjustment with a reason. The actor on record is the auditor's token.
func TestAuditorRecordsFindingsOnly(t *testing.T) {
	f := newFixture(t, fixtureOpts{})
	ctx := context.Background()
	// Close year 1 of the agreement: return its remainder, then close.
	for _, c := range []domain.Command{
		domain.ReturnUnspent{Ref: domain.Ref{Agreement: agOwn}, Line: "L1", Year: 1, Date: domain.MustDate("2024-12-31")},
		domain.CloseYear{Ref: domain.Ref{Agreement: agOwn}, Year: 1, Date: domain.MustDate("2025-01-31")},
	} {
		if _, err := commandtest.Handle(ctx, f.svc, domain.NewEnvelope(uuid.New(), "setup", "", c)); err != nil {
			t.Fatal(err)
		}
	}
	body := func(typ, reason, data string) string {
		return fmt.Sprintf(`{"type":%q,"command_id":%q,"reason":%q,"data":%s}`, typ, uuid.NewString(), reason, data)
	}
	inel := fmt.Sprintf(`{"agreement":%q,"line":"L1","year":1,"amount":"4.00","date":"2025-03-01","description":"ex-post audit"}`, agOwn)
	if status, b, _ := f.do("POST", "/v1/commands", f.tok["auditor"], body("declare_ineligible", "", inel)); status != 400 {
		t.Errorf("auditor's finding into a closed year without a reason: %d %s, want 400", status, b)
	}
	status, b, _ := f.do("POST", "/v1/commands", f.tok["auditor"], body("declare_ineligible", "Audit report 2025/3", inel))
	if status != 201 {
		t.Fatalf("auditor's finding into closed year 1: %d %s, want 201", status, b)
	}
	var inelID uuid.UUID
	err := f.svc.View(ctx, agOwn, func(a *domain.Agreement) error {
		for id, in := range a.Ineligibles() {
			if in.Amount == domain.MustMoney("4") {
				inelID = id
			}
		}
		if a.Adjusted(1) != 1 {
			t.Errorf("post-closure adjustments of year 1: %d, want 1", a.Adjusted(1))
		}
		return nil
	})
	if err != nil || inelID == uuid.Nil {
		t.Fatalf("the finding is not in the ledger: %v", err)
	}
	rec := fmt.Sprintf(`{"agreement":%q,"ineligible":%q,"amount":"4.00","date":"2025-03-02"}`, agOwn, inelID)
	if status, b, _ := f.do("POST", "/v1/commands", f.tok["auditor"], body("record_recovery", "Audit report 2025/3", rec)); status != 201 {
		t.Errorf("auditor's recovery demand: %d %s, want 201", status, b)
	}
	// Nothing else.
	for typ, data := range map[string]string{
		"record_spending":     fmt.Sprintf(`{"agreement":%q,"line":"L1","year":2,"amount":"1.00","date":"2025-03-01","document":"x"}`, agOwn),
		"close_year":          fmt.Sprintf(`{"agreement":%q,"year":2,"date":"2025-12-31"}`, agOwn),
		"record_disbursement": fmt.Sprintf(`{"agreement":%q,"year":2,"amount":"1.00","date":"2025-03-01","reference":"x"}`, agOwn),
	} {
		if status, b, _ := f.do("POST", "/v1/commands", f.tok["auditor"], body(typ, "r", data)); status != 403 {
			t.Errorf("auditor sends %s: %d %s, want 403", typ, status, b)
		}
	}
}
