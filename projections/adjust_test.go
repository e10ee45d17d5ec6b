package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// Issue 14, done when: "an auditor records an ineligible expense into
// closed year 1 and both the closed and the restated figures are visible";
// --as-of before the adjustment shows the original.
func TestPostClosureIneligibleRestatesYear1(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC))
	svc := command.New(store, command.Options{Clock: clock.Now})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.Scenario004()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	m, d := domain.MustMoney, domain.MustDate
	before := clock.Now()
	clock.Set(time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC))
	ref := domain.Ref{Agreement: seeds.Seed004}
	inel := domain.DeclareIneligible{Ref: ref, Line: seeds.LineCivil, Year: 1, Amount: m("350,00"), Date: d("2025-10-30"), Description: "Catering without a participant list"}
	if _, err := projtest.Cmd(ctx, svc, "auditor@vk.example.lv", "", inel); domain.ErrorCode(err) != domain.EInvalid {
		t.Fatalf("a post-closure finding without a reason: %v, want invalid (reason)", err)
	}
	res, err := projtest.Cmd(ctx, svc, "auditor@vk.example.lv", "Ex-post audit 2025/7", inel)
	if err != nil {
		t.Fatal(err)
	}
	if ev := res.Events[0].Event.(domain.IneligibleExpenditureDeclared); !ev.PostClosure {
		t.Errorf("event %+v is not marked post_closure", ev)
	}
	if _, err := projtest.Cmd(ctx, svc, "auditor@vk.example.lv", "Ex-post audit 2025/7", domain.RecordRecovery{Ref: ref, Ineligible: res.Events[0].ID, Amount: m("350,00"), Date: d("2025-10-31")}); err != nil {
		t.Fatal(err)
	}
	// Nothing else goes into the closed year.
	if _, err := projtest.Cmd(ctx, svc, "auditor@vk.example.lv", "x", domain.RecordSpending{Ref: ref, Line: seeds.LineCivil, Year: 1, Amount: m("1"), Date: d("2023-01-10"), Document: "X"}); domain.ErrorCode(err) != domain.ERule {
		t.Errorf("spending into closed year 1: %v, want the year-closed rule", err)
	}

	l := mustFold(t, store, time.Time{})
	rep, err := l.YearReport(seeds.Seed004, 1, d("2025-11-02"))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Closed || rep.Adjustments != 2 || rep.AsClosed == nil {
		t.Fatalf("closed %v, adjustments %d, as closed %v; want closed, 2, the figures as closed", rep.Closed, rep.Adjustments, rep.AsClosed)
	}
	// As closed: the summary's year 1, 47 786,53 spent, none ineligible.
	if c := rep.AsClosed.Total; c.Actual != m("47786.53") || c.Ineligible != 0 || c.Recovered != 0 {
		t.Errorf("as closed: %+v, want actual 47786.53, nothing ineligible", c)
	}
	// Restated: the same spending, 350,00 of it ineligible and recovered.
	if r := rep.Total; r.Actual != m("47786.53") || r.Ineligible != m("350") || r.Recovered != m("350") || r.Remainder != 0 {
		t.Errorf("restated: %+v, want actual 47786.53, 350.00 ineligible and recovered, remainder 0", r)
	}
	var restated bool
	for _, f := range rep.Findings {
		restated = restated || (f.Code == projections.FindingRestated && *f.Amount == m("350"))
	}
	if !restated {
		t.Errorf("no restated_after_closing finding of 350.00 in %+v", rep.Findings)
	}
	// The recovery is due until refunded.
	if rep.Cash.Outstanding != m("350") {
		t.Errorf("year 1 outstanding %s, want the 350.00 recovery", rep.Cash.Outstanding)
	}

	// As of before the adjustment: the original, with no sign of it.
	old := mustFold(t, store, before)
	orig, err := old.YearReport(seeds.Seed004, 1, d("2025-11-02"))
	if err != nil {
		t.Fatal(err)
	}
	if orig.AsClosed != nil || orig.Adjustments != 0 || orig.Total.Ineligible != 0 {
		t.Errorf("as of %s: %+v adjustments %d ineligible %s; want the year as closed", before, orig.AsClosed, orig.Adjustments, orig.Total.Ineligible)
	}
}
