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

// TestFindings records a year with an overspent line, an indicator behind
// its due date and unrecovered ineligible expenditure, and checks that each
// is reported with its figures, and only once its date has passed.
func TestFindings(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
	d, m := domain.MustDate, domain.MustMoney
	r := domain.Ref{Agreement: "F/1"}
	due := d("2024-06-30")
	for _, c := range []domain.Command{
		domain.RegisterAgreement{Ref: r, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f",
			Period: domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}, Years: []domain.YearSpec{{Year: 1, From: d("2024-01-01"), To: d("2024-12-31")}},
			Lines: []domain.LineSpec{{Line: "a"}, {Line: "b"}}},
		domain.PlanBudget{Ref: r, Line: "a", Year: 1, Amount: m("1000.00")},
		domain.PlanBudget{Ref: r, Line: "b", Year: 1, Amount: m("500.00")},
		domain.RecordSpending{Ref: r, Line: "a", Year: 1, Amount: m("1200.00"), Date: d("2024-03-01"), Document: "X-1"},
		domain.RecordSpending{Ref: r, Line: "b", Year: 1, Amount: m("500.00"), Date: d("2024-03-01"), Document: "X-2"},
		domain.DeclareIneligible{Ref: r, Line: "b", Year: 1, Amount: m("50.00"), Date: d("2024-04-01"), Description: "no receipt"},
		domain.DefineIndicator{Ref: r, Indicator: "sessions", Name: "Sessions", Unit: "sessions", Aggregation: domain.AggSum,
			Targets: []domain.IndicatorTarget{{Year: 1, Target: 10, Due: &due}}},
		domain.RecordDelivery{Ref: r, Indicator: "sessions", Year: 1, Quantity: 7, Date: d("2024-05-01"), Evidence: "list.pdf"},
	} {
		if _, err := projtest.Cmd(ctx, svc, "anna", "", c); err != nil {
			t.Fatal(err)
		}
	}
	l := mustFold(t, store, time.Time{})
	codes := func(today string) map[string]projections.Finding {
		rep, err := l.YearReport("F/1", 1, d(today))
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]projections.Finding{}
		for _, f := range rep.Findings {
			out[f.Code] = f
		}
		return out
	}
	t.Run("before the due date", func(t *testing.T) {
		got := codes("2024-06-30")
		if _, ok := got[projections.FindingIndicatorBehind]; ok {
			t.Error("indicator reported behind on its due date, want only after it")
		}
		if f, ok := got[projections.FindingOverspend]; !ok || f.Line != "a" || *f.Amount != m("200.00") {
			t.Errorf("overspend finding = %+v (present %v), want line a 200.00", f, ok)
		}
		if f, ok := got[projections.FindingUnrecovered]; !ok || *f.Amount != m("50.00") {
			t.Errorf("unrecovered finding = %+v (present %v), want 50.00", f, ok)
		}
		if _, ok := got[projections.FindingOpenPastEnd]; ok {
			t.Error("open_past_end before the year ended")
		}
	})
	t.Run("after the due date", func(t *testing.T) {
		got := codes("2024-07-01")
		f, ok := got[projections.FindingIndicatorBehind]
		if !ok || f.Indicator != "sessions" || *f.Target != 10 || *f.Delivered != 7 || *f.Date != due {
			t.Errorf("indicator finding = %+v (present %v), want sessions 7 of 10 due 2024-06-30", f, ok)
		}
	})
	t.Run("after the year", func(t *testing.T) {
		got := codes("2025-01-01")
		if _, ok := got[projections.FindingOpenPastEnd]; !ok {
			t.Error("no open_past_end after the year ended")
		}
		// Line a is overspent (remainder -200), line b has nothing left:
		// there is no unexplained remainder.
		if f, ok := got[projections.FindingUnexplainedRemainder]; ok {
			t.Errorf("unexplained remainder %+v, want none", f)
		}
	})
}
