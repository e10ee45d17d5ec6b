package projections_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

const grant001 = "2021.LV/NVOF/MIC/031/10"

// TestInterimReportSealedAcceptedAndRestated: seed 001's grant (6 460,64,
// 01.02.2021–20.11.2021, one line here) owes an interim report by
// 2021-07-15 and a final one by 2021-12-20. The interim report is
// submitted on 2021-07-10 with 3 000,00 spent, sealed with the SHA-256 of
// the file, accepted; then a spending of 1 200,00 dated 2021-06-30 is
// entered. The restatement shows actual 3 000,00 sealed and 4 200,00 now,
// and names that spending as the later event. Figures by hand.
func TestInterimReportSealedAcceptedAndRestated(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2021, 2, 1, 9, 0, 0, 0, time.UTC))
	svc := command.New(store, command.Options{Clock: clock.Now})
	r := domain.Ref{Agreement: grant001}
	d, m := domain.MustDate, domain.MustMoney
	do := func(reason string, c domain.Command) command.Result {
		t.Helper()
		res, err := projtest.Cmd(ctx, svc, "someone", reason, c)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	do("", domain.RegisterAgreement{Ref: r, Kind: domain.KindGrant, Title: "NVO fonds project", Grantee: "Biedrība", Funder: "SIF", TotalFunding: m("6 460,64"),
		Period: domain.Period{From: d("2021-02-01"), To: d("2021-11-20")}, Years: []domain.YearSpec{{Year: 1, From: d("2021-02-01"), To: d("2021-11-20")}},
		Lines: []domain.LineSpec{{Line: "all", Name: "Project costs"}}})
	do("", domain.PlanBudget{Ref: r, Line: "all", Year: 1, Amount: m("6 460,64")})
	do("", domain.RequireReport{Ref: r, Report: "interim", Kind: domain.ReportInterim, Year: 1, Due: d("2021-07-15"), Name: "Starpposma atskaite"})
	do("", domain.RequireReport{Ref: r, Report: "final", Kind: domain.ReportFinal, Year: 1, Due: d("2021-12-20"), Name: "Noslēguma atskaite"})
	do("", domain.RecordSpending{Ref: r, Line: "all", Year: 1, Amount: m("3 000,00"), Date: d("2021-05-10"), Document: "INV-1"})

	file := []byte("Interim report of 2021.LV/NVOF/MIC/031/10: 3 000,00 spent\n")
	sum := sha256.Sum256(file)
	hexsum := hex.EncodeToString(sum[:])
	if _, err := projtest.Cmd(ctx, svc, "x", "", domain.AcceptReport{Ref: r, Report: "interim", Date: d("2021-07-11")}); !isRule(err, "report-not-submitted") {
		t.Errorf("accepting a report not submitted: %v, want rule report-not-submitted", err)
	}
	sub := do("", domain.SubmitReport{Ref: r, Report: "interim", Date: d("2021-07-10"), SHA256: hexsum, Size: int64(len(file)),
		Checkpoint: &domain.SealCheckpoint{TreeSize: 5, RootHash: hexsum}})
	if _, err := projtest.Cmd(ctx, svc, "x", "", domain.SubmitReport{Ref: r, Report: "interim", Date: d("2021-07-11"), SHA256: hexsum}); !isRule(err, "report-already-submitted") {
		t.Errorf("submitting twice: %v, want rule report-already-submitted", err)
	}
	do("", domain.AcceptReport{Ref: r, Report: "interim", Date: d("2021-07-20")})
	later := do("", domain.RecordSpending{Ref: r, Line: "all", Year: 1, Amount: m("1 200,00"), Date: d("2021-06-30"), Document: "INV-2 (found late)"})

	l := mustFold(t, store, time.Time{})
	rs, err := l.Restatement(grant001, "interim")
	if err != nil {
		t.Fatal(err)
	}
	if rs.SHA256 != hexsum || rs.Seal.EventID != sub.Events[0].ID || rs.Seal.Position != sub.Events[0].Position || rs.Checkpoint == nil || rs.Checkpoint.TreeSize != 5 {
		t.Errorf("seal %+v sha %s checkpoint %+v: want the submission event %s at %v with the file's SHA-256 %s", rs.Seal, rs.SHA256, rs.Checkpoint, sub.Events[0].ID, sub.Events[0].Position, hexsum)
	}
	if !rs.Restated || len(rs.Lines) != 1 || rs.Lines[0].Sealed.Actual != m("3000") || rs.Lines[0].Now.Actual != m("4200") || len(rs.Lines[0].Changed) != 1 || rs.Lines[0].Changed[0] != "actual" {
		t.Errorf("restatement lines %+v: want actual 3000.00 sealed, 4200.00 now, only actual changed", rs.Lines)
	}
	if len(rs.Later) != 1 || rs.Later[0].Type != domain.TypeSpendingRecorded || rs.Later[0].Amount == nil || *rs.Later[0].Amount != m("1200") || rs.Later[0].Position != later.Events[0].Position {
		t.Errorf("later events %+v: want the spending of 1200.00 entered after the seal", rs.Later)
	}
	if b, err := json.Marshal(rs); err != nil || !json.Valid(b) {
		t.Errorf("restatement JSON: %v", err)
	}

	obl := l.Obligations(projections.Scope{}, d("2021-11-25"))
	if len(obl.Rows) != 2 || obl.Rows[0].Report != "interim" || obl.Rows[0].Status != domain.ObligationAccepted || obl.Rows[0].Late ||
		obl.Rows[1].Report != "final" || obl.Rows[1].Status != domain.ObligationDue || obl.Rows[1].Overdue {
		t.Errorf("obligations on 2021-11-25: %+v; want interim accepted on time, final due", obl.Rows)
	}
	// The year ended 2021-11-20; the final report is due 2021-12-20. On
	// 2021-11-25 the 2 260,64 left (6 460,64 - 4 200,00) is not yet
	// reported; on 2021-12-21 it is unexplained and the report overdue.
	before, err := l.YearReport(grant001, 1, d("2021-11-25"))
	if err != nil {
		t.Fatal(err)
	}
	if before.NotYetReported == nil || *before.NotYetReported != m("2260.64") || hasFinding(before, projections.FindingUnexplainedRemainder) || hasFinding(before, projections.FindingReportOverdue) {
		t.Errorf("2021-11-25: not yet reported %v, findings %+v; want 2260.64 and no unexplained remainder or overdue report", before.NotYetReported, before.Findings)
	}
	after, err := l.YearReport(grant001, 1, d("2021-12-21"))
	if err != nil {
		t.Fatal(err)
	}
	if after.NotYetReported != nil || !hasFinding(after, projections.FindingUnexplainedRemainder) || !hasFinding(after, projections.FindingReportOverdue) {
		t.Errorf("2021-12-21: not yet reported %v, findings %+v; want unexplained_remainder and report_overdue", after.NotYetReported, after.Findings)
	}

	// Returned with a reason, the final report may be submitted again.
	do("", domain.SubmitReport{Ref: r, Report: "final", Date: d("2021-12-15"), SHA256: hexsum})
	if _, err := projtest.Cmd(ctx, svc, "x", "", domain.ReturnReport{Ref: r, Report: "final", Date: d("2021-12-18")}); domain.ErrorCode(err) != domain.EInvalid {
		t.Errorf("return without a reason: %v, want invalid", err)
	}
	do("the annex of invoices is missing", domain.ReturnReport{Ref: r, Report: "final", Date: d("2021-12-18")})
	do("", domain.SubmitReport{Ref: r, Report: "final", Date: d("2021-12-19"), SHA256: hexsum})
	l = mustFold(t, store, time.Time{})
	for _, row := range l.Obligations(projections.Scope{}, d("2021-12-21")).Rows {
		if row.Report == "final" && (row.Status != domain.ObligationSubmitted || row.Submissions != 2 || row.Returned != "the annex of invoices is missing" || row.Overdue) {
			t.Errorf("final after a return and a second submission: %+v", row)
		}
	}
}

func hasFinding(r projections.YearReport, code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

// isRule is in closedreversal_test.go.
