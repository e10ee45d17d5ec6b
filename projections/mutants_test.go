package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// docs/REPORTS.md, findings: restated_after_closing's amount is "the
// change of its ineligible expenditure": restated less as closed. Here
// 100,00 was ineligible when the year closed and 40,00 more was found
// after: the change is 40,00.
func TestRestatedAmountIsTheChange(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	m, d := domain.MustMoney, domain.MustDate
	do := func(reason string, c domain.Command) uuid.UUID {
		t.Helper()
		res, err := projtest.Cmd(ctx, svc, "auditor", reason, c)
		if err != nil {
			t.Fatal(err)
		}
		return res.Events[0].ID
	}
	ref := domain.Ref{Agreement: "R-1"}
	y := domain.YearSpec{Year: 1, From: d("2023-01-01"), To: d("2023-12-31")}
	do("", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "NGO", Funder: "Ministry",
		Period: y.Period(), Years: []domain.YearSpec{y}, Lines: []domain.LineSpec{{Line: "L1", Name: "one"}}})
	do("", domain.PlanBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("1000")})
	do("", domain.RecordSpending{Ref: ref, Line: "L1", Year: 1, Amount: m("1000"), Date: d("2023-05-01"), Document: "inv"})
	first := do("", domain.DeclareIneligible{Ref: ref, Line: "L1", Year: 1, Amount: m("100"), Date: d("2023-11-01"), Description: "first"})
	do("", domain.RecordRecovery{Ref: ref, Ineligible: first, Amount: m("100"), Date: d("2023-12-01")})
	do("", domain.CloseYear{Ref: ref, Year: 1, Date: d("2024-01-31")})
	do("ex-post audit", domain.DeclareIneligible{Ref: ref, Line: "L1", Year: 1, Amount: m("40"), Date: d("2024-06-01"), Description: "later"})

	l := mustFold(t, store, time.Time{})
	rep, err := l.YearReport("R-1", 1, d("2024-07-01"))
	if err != nil {
		t.Fatal(err)
	}
	var got *domain.Money
	for _, f := range rep.Findings {
		if f.Code == projections.FindingRestated {
			a := domain.Money(*f.Amount)
			got = &a
		}
	}
	if got == nil || *got != m("40") {
		t.Errorf("restated_after_closing amount %v, want 40.00 (140.00 restated less 100.00 as closed); findings %+v", got, rep.Findings)
	}
}
