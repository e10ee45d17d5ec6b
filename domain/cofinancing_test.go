package domain_test

import (
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// Co-financing: the grantee's own contribution lines are planned and
// spent like any line, but neither the ceiling nor the grant cash covers
// them.
func TestOwnContributionLines(t *testing.T) {
	f := newFixture(t)
	reg := registerCmd()
	reg.TotalFunding = m("1000")
	reg.SupportIntensity = "80"
	reg.Lines = []domain.LineSpec{{Line: civil}, {Line: "own", OwnContribution: true}}
	f.do(reg)
	f.do(domain.AddBudgetLine{Ref: ref, LineSpec: domain.LineSpec{Line: "own2", OwnContribution: true}})
	if !f.a.IsOwn("own") || !f.a.IsOwn("own2") || f.a.IsOwn(civil) {
		t.Fatalf("own lines: own %v own2 %v civil %v", f.a.IsOwn("own"), f.a.IsOwn("own2"), f.a.IsOwn(civil))
	}
	f.do(plan(civil, 1, "1000"))
	f.do(plan("own", 1, "250")) // beyond the ceiling: the grantee's own money
	err := refuse(t, f, plan(civil, 2, "0,01"), "")
	if r, figs := ruleOf(t, err); r != "plan-exceeds-ceiling" || figs["planned"] != m("1000") {
		t.Errorf("funded plan above the ceiling: %s %v", r, figs)
	}
	f.do(disburse(1, "800", "2022-08-01"))
	f.do(spend(civil, 1, "700", "2022-10-01"))
	f.do(spend("own", 1, "200", "2022-10-01"))
	// Grant cash: 800 received − 700 spent on the funded line = 100 held.
	if got := f.a.EligibleSpent(1); got != m("700") {
		t.Errorf("eligible spent from the grant: %s, want 700.00", got)
	}
	if got := f.a.Held(1); got != m("100") {
		t.Errorf("held: %s, want 100.00", got)
	}
	fp, p, fs, s := f.a.Shares()
	if fp != m("1000") || p != m("1250") || fs != m("700") || s != m("900") {
		t.Errorf("shares: funded planned %s of %s, funded spent %s of %s; want 1000/1250, 700/900", fp, p, fs, s)
	}
}
