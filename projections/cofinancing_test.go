package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// Support intensity 80 %: the funder pays 800,00 of a 1 000,00 plan, the
// grantee 200,00 on its own line. Spent: 850,00 funded and 150,00 own, so
// the funder carries 85 % of the spending, 50,00 above 80 % of 1 000,00.
func TestFunderShareAgainstIntensity(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
	d, m := domain.MustDate, domain.MustMoney
	r := domain.Ref{Agreement: "CO/1"}
	for _, c := range []domain.Command{
		domain.RegisterAgreement{Ref: r, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", TotalFunding: m("800"), SupportIntensity: "80",
			Period: domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}, Years: []domain.YearSpec{{Year: 1, From: d("2024-01-01"), To: d("2024-12-31")}},
			Lines: []domain.LineSpec{{Line: "grant"}, {Line: "own", OwnContribution: true}}},
		domain.PlanBudget{Ref: r, Line: "grant", Year: 1, Amount: m("800")},
		domain.PlanBudget{Ref: r, Line: "own", Year: 1, Amount: m("200")},
		domain.RecordSpending{Ref: r, Line: "grant", Year: 1, Amount: m("850"), Date: d("2024-03-01"), Document: "X-1"},
		domain.RecordSpending{Ref: r, Line: "own", Year: 1, Amount: m("150"), Date: d("2024-03-01"), Document: "X-2"},
	} {
		if _, err := projtest.Cmd(ctx, svc, "anna", "", c); err != nil {
			t.Fatal(err)
		}
	}
	l := mustFold(t, store, time.Time{})
	rep, err := l.YearReport("CO/1", 1, d("2024-04-01"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.FunderSharePlanned == nil || rep.FunderSharePlanned.String() != "80.00" || rep.FunderShareSpent == nil || rep.FunderShareSpent.String() != "85.00" {
		t.Errorf("funder's share planned %v, spent %v; want 80.00 and 85.00", rep.FunderSharePlanned, rep.FunderShareSpent)
	}
	var over *domain.Money
	for _, f := range rep.Findings {
		if f.Code == projections.FindingIntensityExceeded {
			over = f.Amount
		}
	}
	if over == nil || *over != m("50") {
		t.Errorf("intensity_exceeded finding: %v, want 50.00 (850.00 − 80 %% of 1000.00)", over)
	}
}
