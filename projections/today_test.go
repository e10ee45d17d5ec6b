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

// TestIndicatorsTodayCountsOnlyDeliveriesUpToToday reproduces issue 15's
// report: a survey due 2024-05-31 (seed 000, task 2: "2024. gada I cet.",
// here moved to the end of May) and delivered on 2024-06-20. Asked on
// 2024-06-10 the task is overdue with nothing delivered (docs/REPORTS.md:
// "--today D" judges the ledger as it stood on D); asked on 2024-07-01 it is
// no longer overdue but was met late, which is a finding.
func TestIndicatorsTodayCountsOnlyDeliveriesUpToToday(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2024, 1, 2, 9, 0, 0, 0, time.UTC))
	svc := command.New(store, command.Options{Clock: clock.Now})
	r := domain.Ref{Agreement: "AIZK-2023"}
	d := domain.MustDate
	due := d("2024-05-31")
	for _, c := range []domain.Command{
		domain.RegisterAgreement{Ref: r, Kind: domain.KindGrant, Title: "Sadarbības memorands", Grantee: "Aizkraukles rajona partnerība", Funder: "Aizkraukles novada pašvaldība",
			Period: domain.Period{From: d("2023-01-01"), To: d("2024-12-31")},
			Years:  []domain.YearSpec{{Year: 1, From: d("2023-01-01"), To: d("2023-12-31")}, {Year: 2, From: d("2024-01-01"), To: d("2024-12-31")}}},
		domain.DefineIndicator{Ref: r, Indicator: "survey", Name: "NVO aptauja", Unit: "surveys", Aggregation: domain.AggSum,
			Targets: []domain.IndicatorTarget{{Year: 2, Target: 1, Due: &due}}},
		domain.RecordDelivery{Ref: r, Indicator: "survey", Year: 2, Quantity: 1, Date: d("2024-06-20"), Evidence: "survey report"},
	} {
		if _, err := projtest.Cmd(ctx, svc, "officer", "", c); err != nil {
			t.Fatal(err)
		}
	}
	l := mustFold(t, store, time.Time{})
	row := func(today string) projections.IndicatorRow {
		t.Helper()
		rep := l.Indicators(projections.Scope{}, 2, d(today))
		if len(rep.Rows) != 1 {
			t.Fatalf("today %s: %d rows, want 1", today, len(rep.Rows))
		}
		return rep.Rows[0]
	}
	on10 := row("2024-06-10")
	if on10.Delivered != 0 || !on10.Overdue || on10.Deliveries != 0 || len(on10.DeliveriesList) != 0 {
		t.Errorf("on 2024-06-10: delivered %d, overdue %v, %d deliveries listed %d; want 0, true, 0, 0 (the delivery of 2024-06-20 had not happened yet)",
			on10.Delivered, on10.Overdue, on10.Deliveries, len(on10.DeliveriesList))
	}
	on01 := row("2024-07-01")
	if on01.Delivered != 1 || on01.Overdue || !on01.Late {
		t.Errorf("on 2024-07-01: delivered %d, overdue %v, late %v; want 1, false, true (met on 2024-06-20, after the due date 2024-05-31)", on01.Delivered, on01.Overdue, on01.Late)
	}
	yr, err := l.YearReport("AIZK-2023", 2, d("2024-07-01"))
	if err != nil {
		t.Fatal(err)
	}
	var late []projections.Finding
	for _, f := range yr.Findings {
		if f.Code == projections.FindingIndicatorLate {
			late = append(late, f)
		}
	}
	if len(late) != 1 || late[0].Indicator != "survey" || late[0].Date == nil || *late[0].Date != due || late[0].MetOn == nil || *late[0].MetOn != d("2024-06-20") {
		t.Errorf("year 2 findings %+v: want one indicator_late for survey, due 2024-05-31, met 2024-06-20", yr.Findings)
	}
}
