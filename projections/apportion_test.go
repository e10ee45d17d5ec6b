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

// Issue 14: calendar-year reconciliation counted every overlapping
// implementation year's plan in full (seed 003's 19 998,58 in both 2022
// and 2023; seed 004's civil line 60 000,00 planned in 2023). The
// apportioned plan is the share by days, to the cent.
func TestCalendarYearApportionedPlans(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.All()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	l := mustFold(t, store, time.Time{})
	m := domain.MustMoney
	planned := func(number string, year int, line string) domain.Money {
		t.Helper()
		r, err := l.Reconcile(projections.Scope{Agreement: number}, projections.CalendarYear(year))
		if err != nil {
			t.Fatal(err)
		}
		for _, row := range r.Rows {
			if row.Line == line {
				if row.PlannedApportioned == nil {
					t.Fatalf("%s %d: no planned_apportioned", number, year)
				}
				return *row.PlannedApportioned
			}
		}
		return 0
	}
	// Seed 003, 01.09.2022–31.08.2023: 122 and 243 days of 365.
	p22, p23 := planned(seeds.Seed003, 2022, "project"), planned(seeds.Seed003, 2023, "project")
	if p22 != m("6684.46") || p23 != m("13314.12") || p22+p23 != m("19998.58") {
		t.Errorf("seed 003 apportioned: 2022 %s, 2023 %s; want 6684.46 + 13314.12 = 19998.58", p22, p23)
	}
	// Seed 004 civil in 2023: 195 of year 1's 365 days of 30 000,00
	// (16 027,40) and 170 of year 2's 366 days (13 934,43).
	if got := planned(seeds.Seed004, 2023, seeds.LineCivil); got != m("29961.83") {
		t.Errorf("seed 004 civil 2023 apportioned: %s, want 29961.83 (16027.40 + 13934.43)", got)
	}
	// Every calendar year of seed 004 together: the 3 x 30 000,00 planned.
	var sum domain.Money
	for y := 2022; y <= 2025; y++ {
		sum += planned(seeds.Seed004, y, seeds.LineCivil)
	}
	if sum != m("90000") {
		t.Errorf("seed 004 civil over 2022-2025: %s, want 90000.00", sum)
	}
}

// Reconciliation and multi-year rows carry each agreement's ceiling and
// intensity, as registered from the seeds: seed 001 6 460,64 at 100 %,
// seed 003 19 998,58 (no intensity stated).
func TestReconciliationRowsShowCeilingAndIntensity(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.All()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	l := mustFold(t, store, time.Time{})
	r, err := l.Reconcile(projections.Scope{}, projections.Window{Year: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{seeds.Seed001: {"6460.64", "100"}, seeds.Seed003: {"19998.58", ""}, seeds.Seed004: {"147000.00", "100"}}
	for _, row := range r.Rows {
		w := want[row.Agreement]
		if row.Ceiling == nil || row.Ceiling.String() != w[0] || row.SupportIntensity != w[1] {
			t.Errorf("%s: ceiling %v, intensity %q; want %s, %q", row.Agreement, row.Ceiling, row.SupportIntensity, w[0], w[1])
		}
	}
	for _, row := range l.MultiYear(projections.Scope{}).Rows {
		if w := want[row.Agreement]; row.Ceiling == nil || row.Ceiling.String() != w[0] {
			t.Errorf("multi-year %s: ceiling %v, want %s", row.Agreement, row.Ceiling, w[0])
		}
	}
}

// With the funder's split of seed 003's plan, the calendar years show the
// split, not the days.
func TestCalendarYearUsesTheFundersSplit(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC)).Now})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.All()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	m := domain.MustMoney
	if _, err := projtest.Cmd(ctx, svc, seeds.Ministry, "", domain.SplitPlan{Ref: domain.Ref{Agreement: seeds.Seed003}, Line: "project", Year: 1,
		Parts: []domain.CalendarPart{{CalendarYear: 2022, Amount: m("6 000,00")}, {CalendarYear: 2023, Amount: m("13 998,58")}}}); err != nil {
		t.Fatal(err)
	}
	l := mustFold(t, store, time.Time{})
	for y, want := range map[int]domain.Money{2022: m("6000"), 2023: m("13998.58")} {
		r, err := l.Reconcile(projections.Scope{Agreement: seeds.Seed003}, projections.CalendarYear(y))
		if err != nil {
			t.Fatal(err)
		}
		if got := r.Total.PlannedApportioned; got == nil || *got != want {
			t.Errorf("%d: planned_apportioned %v, want %s (the funder's split)", y, got, want)
		}
	}
}
