package domain_test

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// Seed 003: 19 998,58 for 01.09.2022–31.08.2023: 122 days in 2022 and 243
// in 2023 of 365. Exact shares 6 684,45688… and 13 314,12311…: the whole
// cents give 6 684,45 + 13 314,12 = 19 998,57, and the cent left goes to
// the larger fraction (0,688 of a cent, 2022).
func TestApportionSeed003(t *testing.T) {
	p := domain.Period{From: d("2022-09-01"), To: d("2023-08-31")}
	y22 := domain.ApportionedTo(m("19 998,58"), p, domain.Period{From: d("2022-01-01"), To: d("2022-12-31")})
	y23 := domain.ApportionedTo(m("19 998,58"), p, domain.Period{From: d("2023-01-01"), To: d("2023-12-31")})
	if y22 != m("6 684,46") || y23 != m("13 314,12") || y22+y23 != m("19 998,58") {
		t.Errorf("2022 %s, 2023 %s; want 6684.46 and 13314.12, adding up to 19998.58", y22, y23)
	}
}

func TestApportionByDaysLargestRemainder(t *testing.T) {
	// 1,00 over three equal parts: 0,33 each and the cent left to the
	// first (equal fractions: the earlier part first).
	got := domain.ApportionByDays(100, []int64{1, 1, 1})
	if got[0] != 34 || got[1] != 33 || got[2] != 33 {
		t.Errorf("1.00 in three: %v, want [0.34 0.33 0.33]", got)
	}
	if got := domain.ApportionByDays(100, []int64{0, 0}); got[0] != 100 || got[1] != 0 {
		t.Errorf("no days: %v", got)
	}
	// Random plans and periods: consecutive calendar years always add up
	// to the plan exactly, and no part is off by a cent or more from its
	// exact share.
	r := rand.New(rand.NewPCG(14, 14))
	for i := 0; i < 2000; i++ {
		from := d("2020-01-01").AddDays(r.IntN(2000))
		p := domain.Period{From: from, To: from.AddDays(r.IntN(1200))}
		amt := domain.Money(r.Int64N(int64(domain.MaxMoney)))
		var sum domain.Money
		for y := p.From.Time().Year(); y <= p.To.Time().Year(); y++ {
			w := domain.Period{From: domain.NewDate(y, 1, 1), To: domain.NewDate(y, 12, 31)}
			part := domain.ApportionedTo(amt, p, w)
			in := domain.Period{From: max(p.From, w.From), To: min(p.To, w.To)}
			// |part - amt*in/p| < 1 cent, checked in integers.
			exact := int64(part)*p.Days() - int64(amt)*in.Days()
			if exact <= -p.Days() || exact >= p.Days() {
				t.Fatalf("%s over %s: %d in %d is %s, more than a cent from its share", amt, p, y, in.Days(), part)
			}
			sum += part
		}
		if sum != amt {
			t.Fatalf("%s over %s: calendar years add up to %s", amt, p, sum)
		}
	}
}

// The funder's explicit split of seed 003's plan replaces the split by
// days while it adds up to the plan in force.
func TestSplitPlan(t *testing.T) {
	f := newFixture(t)
	r := domain.Ref{Agreement: "AIF/2022/KAPAC2/104"}
	y := domain.YearSpec{Year: 1, From: d("2022-09-01"), To: d("2023-08-31")}
	f.do(domain.RegisterAgreement{Ref: r, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", TotalFunding: m("19 998,58"),
		Period: y.Period(), Years: []domain.YearSpec{y}, Lines: []domain.LineSpec{{Line: "project"}}})
	f.do(domain.PlanBudget{Ref: r, Line: "project", Year: 1, Amount: m("19 998,58")})
	split := func(a, b string) domain.SplitPlan {
		return domain.SplitPlan{Ref: r, Line: "project", Year: 1, Parts: []domain.CalendarPart{{CalendarYear: 2023, Amount: m(b)}, {CalendarYear: 2022, Amount: m(a)}}}
	}
	err := refuse(t, f, split("6 000,00", "13 998,57"), "")
	if rl, figs := ruleOf(t, err); rl != "split-does-not-add-up" || figs["split"] != m("19998.57") || figs["planned"] != m("19998.58") {
		t.Errorf("a split a cent short: %s %v", rl, figs)
	}
	bad := domain.SplitPlan{Ref: r, Line: "project", Year: 1, Parts: []domain.CalendarPart{{CalendarYear: 2022, Amount: m("19 998,58")}}}
	var de *domain.Error
	if _, err := domain.Decide(f.a, bad, ""); !errors.As(err, &de) || de.Field != "parts" {
		t.Errorf("a split missing 2023: %v, want an error on parts", err)
	}
	f.do(split("6 000,00", "13 998,58"))
	parts, ok := f.a.Split("project", 1)
	if !ok || parts[0].CalendarYear != 2022 || parts[0].Amount != m("6000") {
		t.Fatalf("split in force: %v %v", parts, ok)
	}
	w22 := domain.Period{From: d("2022-01-01"), To: d("2022-12-31")}
	if got := domain.ApportionedToSplit(parts, y.Period(), w22); got != m("6000") {
		t.Errorf("2022 under the split: %s, want 6000.00", got)
	}
	// An amendment makes the split stale: back to days.
	f.do(domain.AmendBudget{Ref: r, Line: "project", Year: 1, Amount: m("19 000"), EffectiveDate: d("2023-01-01")})
	if _, ok := f.a.Split("project", 1); ok {
		t.Error("a split that no longer adds up to the plan is still in force")
	}
}
