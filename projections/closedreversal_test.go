package projections_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// Issue 14, "corrections after closing": reversals into a closed year are
// post-closure adjustments too. Seed 004's year 1 is closed; its civil
// spending KNVOC-2022-H2-CIV (14 480,00) turns out to belong to another
// agreement. The grantee's reverse_spending stays refused (year-closed);
// the funder's reverse_closed_spending needs a reason, restates the year
// without reopening it, and the freed 14 480,00 is returned into the
// closed year (with a reason) and due until refunded. The year's report
// shows the figures as closed (actual 47 786,53) next to the restated ones
// (actual 33 306,53, returned 14 480,00), and --as-of before the reversal
// shows the original.
func TestFunderReversesSpendingIntoClosedYear(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2025, 9, 1, 0, 0, 0, 0, time.UTC))
	svc := command.New(store, command.Options{Clock: clock.Now})
	envs := seeds.Scenario004()
	var wrong, open uuid.UUID
	for i, r := range commandtest.HandleBatch(ctx, svc, envs) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
		if envs[i].Type == domain.CmdRecordSpending {
			switch r.Result.Events[0].Event.(domain.SpendingRecorded).Document {
			case "KNVOC-2022-H2-CIV":
				wrong = r.Result.Events[0].ID
			case "KNVOC-2023-H2-CIV": // year 2, open
				open = r.Result.Events[0].ID
			}
		}
	}
	m, d := domain.MustMoney, domain.MustDate
	ref := domain.Ref{Agreement: seeds.Seed004}
	before := clock.Now()
	clock.Set(time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC))
	const why = "KNVOC-2022-H2-CIV belongs to another agreement (audit 2025/9)"

	if _, err := projtest.Cmd(ctx, svc, seeds.Accountant, why, domain.ReverseSpending{Ref: ref, Spending: wrong, Date: d("2025-10-30")}); domain.ErrorCode(err) != domain.ERule {
		t.Errorf("grantee's reverse_spending into closed year 1: %v, want the year-closed rule", err)
	}
	rev := domain.ReverseClosedSpending{Ref: ref, Spending: wrong, Date: d("2025-10-30")}
	if _, err := projtest.Cmd(ctx, svc, seeds.Ministry, "", rev); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("reverse_closed_spending without a reason: %v, want invalid (reason)", err)
	}
	if _, err := projtest.Cmd(ctx, svc, seeds.Ministry, why, domain.ReverseClosedSpending{Ref: ref, Spending: open, Date: d("2025-10-30")}); !isRule(err, "year-open") {
		t.Errorf("reverse_closed_spending of an open year's spending: %v, want the year-open rule", err)
	}
	res, err := projtest.Cmd(ctx, svc, seeds.Ministry, why, rev)
	if err != nil {
		t.Fatal(err)
	}
	if ev := res.Events[0].Event.(domain.SpendingReversed); !ev.PostClosure || ev.Amount != m("14 480,00") {
		t.Errorf("event %+v: want a post_closure reversal of 14480.00", ev)
	}
	if _, err := projtest.Cmd(ctx, svc, seeds.Ministry, why, rev); !isRule(err, "already-reversed") {
		t.Errorf("the same reversal twice: %v, want already-reversed", err)
	}
	ret := domain.ReturnUnspent{Ref: ref, Line: seeds.LineCivil, Year: 1, Date: d("2025-10-31")}
	if _, err := projtest.Cmd(ctx, svc, seeds.Ministry, "", ret); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("return into closed year 1 without a reason: %v, want invalid (reason)", err)
	}
	if _, err := projtest.Cmd(ctx, svc, seeds.Ministry, why, ret); err != nil {
		t.Fatalf("return of the freed 14 480,00 into closed year 1: %v", err)
	}

	l := mustFold(t, store, time.Time{})
	rep, err := l.YearReport(seeds.Seed004, 1, d("2025-11-02"))
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Closed || rep.Adjustments != 2 || rep.AsClosed == nil {
		t.Fatalf("closed %v, adjustments %d, as closed %v; want closed, 2, the figures as closed", rep.Closed, rep.Adjustments, rep.AsClosed)
	}
	if c := rep.AsClosed.Total; c.Actual != m("47786.53") || c.Returned != 0 || c.Remainder != 0 {
		t.Errorf("as closed: %+v, want actual 47786.53, nothing returned, remainder 0", c)
	}
	if r := rep.Total; r.Actual != m("33306.53") || r.Returned != m("14480") || r.Remainder != 0 {
		t.Errorf("restated: %+v, want actual 33306.53, returned 14480.00, remainder 0", r)
	}
	var restated bool
	for _, f := range rep.Findings {
		restated = restated || (f.Code == projections.FindingRestated && f.ActualChange != nil && *f.ActualChange == -m("14480"))
	}
	if !restated {
		t.Errorf("no restated_after_closing finding with the actual changed by -14480.00 in %+v", rep.Findings)
	}
	if rep.Cash.Outstanding != m("14480") {
		t.Errorf("year 1 outstanding %s, want the 14480.00 return", rep.Cash.Outstanding)
	}
	old := mustFold(t, store, before)
	orig, err := old.YearReport(seeds.Seed004, 1, d("2025-11-02"))
	if err != nil {
		t.Fatal(err)
	}
	if orig.AsClosed != nil || orig.Adjustments != 0 || orig.Total.Actual != m("47786.53") {
		t.Errorf("as of %s: adjustments %d actual %s; want the year as closed", before, orig.Adjustments, orig.Total.Actual)
	}
}

func isRule(err error, name string) bool {
	var re *domain.RuleError
	return errors.As(err, &re) && re.Rule == name
}
