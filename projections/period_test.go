package projections_test

import (
	"context"
	"testing"
	"time"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
)

// TestSeed004PeriodSummary: the whole-period summary of seed 004 adds up
// the three years of DOMAIN.md: planned 3 x 49 000,00 = 147 000,00; actual
// 47 786,53 + 49 000,00 + 48 871,72 = 145 658,25; 1 213,47 carried from
// year 1 to year 2; 128,28 returned; remainder 147 000,00 − 145 658,25 −
// 128,28 = 1 213,47 (the gap of year 2 the seed leaves open). The
// narratives recorded per year and for the whole period are in it.
func TestSeed004PeriodSummary(t *testing.T) {
	store, _ := seed004(t)
	svc := command.New(store, command.Options{})
	ctx := context.Background()
	r := domain.Ref{Agreement: projtest.Seed004}
	for _, c := range []domain.RecordNarrative{
		{Ref: r, Year: 1, Field: domain.NarrativeDescription, Text: "Deleģētais uzdevums 1. gadā izpildīts pilnībā."},
		{Ref: r, Year: 0, Field: domain.NarrativeOther, Text: "Neatbilstoši veiktie izdevumi: nav."},
	} {
		if _, err := projtest.Cmd(ctx, svc, "biedriba", "", c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := projtest.Cmd(ctx, svc, "biedriba", "", domain.RecordNarrative{Ref: r, Year: 4, Field: domain.NarrativeOther, Text: "x"}); domain.ErrorCode(err) != domain.ENotFound {
		t.Errorf("a narrative of year 4 of three: %v, want not found", err)
	}
	l := mustFold(t, store, time.Time{})
	s, err := l.PeriodSummary(projtest.Seed004, today)
	if err != nil {
		t.Fatal(err)
	}
	m := domain.MustMoney
	if len(s.Years) != 3 {
		t.Fatalf("%d years, want 3", len(s.Years))
	}
	if s.Total.Planned != m("147000") || s.Total.Actual != m("145658.25") || s.Total.Returned != m("128.28") || s.Total.Remainder != m("1213.47") ||
		s.Total.CarriedOver != m("1213.47") || s.Total.CarriedIn != m("1213.47") {
		t.Errorf("total %+v; want planned 147000.00, actual 145658.25, returned 128.28, remainder 1213.47, 1213.47 moved between years", s.Total)
	}
	if s.Years[0].Total.Actual != m("47786.53") || s.Years[1].Total.Actual != m("49000") || s.Years[2].Total.Actual != m("48871.72") {
		t.Errorf("actual per year %s, %s, %s", s.Years[0].Total.Actual, s.Years[1].Total.Actual, s.Years[2].Total.Actual)
	}
	var moved domain.Money
	for _, c := range s.CarriedOver {
		moved += c.Amount
	}
	if moved != m("1213.47") || len(s.Returned) == 0 {
		t.Errorf("carried over %v (sum %s), returned %v", s.CarriedOver, moved, s.Returned)
	}
	if s.Years[0].Description != "Deleģētais uzdevums 1. gadā izpildīts pilnībā." || s.Other != "Neatbilstoši veiktie izdevumi: nav." || s.Years[1].Description != "" {
		t.Errorf("narratives: year 1 %q, whole %q, year 2 %q", s.Years[0].Description, s.Other, s.Years[1].Description)
	}
	unexplained := false
	for _, f := range s.Findings {
		unexplained = unexplained || (f.Code == "unexplained_remainder" && f.Year == 2 && *f.Amount == m("1213.47"))
	}
	if !unexplained {
		t.Errorf("findings %+v: want year 2's unexplained 1213.47", s.Findings)
	}
}
