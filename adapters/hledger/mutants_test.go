package hledger

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
)

// docs/INTEROP.md, "Payments, refunds and the grantee's cash": the journal
// holds the grantee's cash only for an agreement that records payments
// (a record_disbursement *or* a plan_disbursement); the query it prints,
// '^assets:AG:grantee-cash:', selects that agreement's cash and no
// other's, also when the number holds a dot (a regular-expression
// character: "2021.LV/…" must not select "2021XLV/…"); and "Everything
// else": an ineligible expenditure naming its spending carries the tag
// spending:<event id>. hledger itself runs the query.
func TestCashAccountsAndQuery(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{})
	m, d := domain.MustMoney, domain.MustDate
	do := func(c domain.Command) uuid.UUID {
		t.Helper()
		res, err := projtest.Cmd(ctx, svc, "tester", "", c)
		if err != nil {
			t.Fatal(err)
		}
		return res.Events[0].ID
	}
	const paid, scheduled, none = "2021.LV/NVOF/MIC/031/10", "2021XLV/NVOF/MIC/031/10", "2021.LV/NVOF/MIC/031/11"
	year := domain.YearSpec{Year: 1, From: d("2022-01-01"), To: d("2022-12-31")}
	spendings := map[string]uuid.UUID{}
	for _, n := range []string{paid, scheduled, none} {
		ref := domain.Ref{Agreement: n}
		do(domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "NGO", Funder: "Ministry",
			Period: year.Period(), Years: []domain.YearSpec{year}, Lines: []domain.LineSpec{{Line: "L1", Name: "one"}}})
		do(domain.PlanBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("1000")})
		spendings[n] = do(domain.RecordSpending{Ref: ref, Line: "L1", Year: 1, Amount: m("300"), Date: d("2022-03-01"), Document: "inv"})
	}
	do(domain.RecordDisbursement{Ref: domain.Ref{Agreement: paid}, Kind: domain.PayAdvance, Year: 1, Amount: m("500"), Date: d("2022-02-01"), Reference: "PU-1"})
	do(domain.PlanDisbursement{Ref: domain.Ref{Agreement: scheduled}, Kind: domain.PayAdvance, Year: 1, Amount: m("500"), Date: d("2022-02-01")})
	sp := spendings[paid]
	do(domain.DeclareIneligible{Ref: domain.Ref{Agreement: paid}, Line: "L1", Year: 1, Amount: m("100"), Date: d("2022-04-01"), Description: "no invoice", Spending: &sp})

	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{}); err != nil {
		t.Fatal(err)
	}
	journal := buf.String()
	for n, want := range map[string]bool{paid: true, scheduled: true, none: false} {
		if got := strings.Contains(journal, "assets:"+Segment(n)+":grantee-cash:"); got != want {
			t.Errorf("%s: grantee cash account in the journal %v, want %v", n, got, want)
		}
	}
	if !strings.Contains(journal, "spending:"+sp.String()) {
		t.Errorf("the ineligible expenditure does not carry spending:%s", sp)
	}

	hl := needHledger(t)
	file := filepath.Join(t.TempDir(), "g.journal")
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out := runHledger(t, hl, file, "bal", "--flat", "--no-total", CashQuery(paid))
	if !strings.Contains(out, Segment(paid)+":grantee-cash:y1") {
		t.Errorf("hledger bal %s: no cash account of %s:\n%s", CashQuery(paid), paid, out)
	}
	for _, other := range []string{scheduled, none} {
		if strings.Contains(out, Segment(other)+":") {
			t.Errorf("hledger bal %s selects %s too:\n%s", CashQuery(paid), other, out)
		}
	}
	// 500 paid − (300 spent − 100 ineligible) = 300 held.
	if !strings.Contains(out, "300") {
		t.Errorf("hledger bal %s: want 300 held:\n%s", CashQuery(paid), out)
	}
}

// docs/INTEROP.md: "An amendment whose effective date lies before the
// year began (or after it ended) is dated on the year's first (or last)
// day, and its description says so": one effective on the first or the
// last day itself lies inside the year and is described plainly.
func TestAmendmentOnTheYearsEdgesNotClamped(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{})
	m, d := domain.MustMoney, domain.MustDate
	do := func(c domain.Command) {
		t.Helper()
		if _, err := projtest.Cmd(ctx, svc, "tester", "annex", c); err != nil {
			t.Fatal(err)
		}
	}
	ref := domain.Ref{Agreement: "E-1"}
	y := domain.YearSpec{Year: 1, From: d("2023-01-01"), To: d("2023-12-31")}
	do(domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "NGO", Funder: "Ministry",
		Period: y.Period(), Years: []domain.YearSpec{y}, Lines: []domain.LineSpec{{Line: "L1", Name: "one"}}})
	do(domain.PlanBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("1000")})
	do(domain.AmendBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("900"), EffectiveDate: d("2023-01-01")})
	do(domain.AmendBudget{Ref: ref, Line: "L1", Year: 1, Amount: m("800"), EffectiveDate: d("2023-12-31")})
	var buf bytes.Buffer
	if err := Export(ctx, store, &buf, Options{}); err != nil {
		t.Fatal(err)
	}
	j := buf.String()
	for _, edge := range []string{"2023-01-01", "2023-12-31"} {
		if !strings.Contains(j, "~ "+edge+" ") {
			t.Errorf("no transaction dated %s:\n%s", edge, j)
		}
	}
	if strings.Contains(j, "before the year began") || strings.Contains(j, "after the year ended") {
		t.Errorf("an amendment effective on the year's first or last day is described as outside it:\n%s", j)
	}
}
