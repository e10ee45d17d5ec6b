package projections

import (
	"math"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Issue 12 item 7 in the reports: totals over many agreements are checked.
// Each agreement's figures are within domain.MaxFigure, but nothing bounds
// how many agreements a total adds; 9 224 agreements at the bound would
// wrap a plain sum. The state is built here directly (two agreements
// above half of int64, which the command path cannot reach in a test's
// time): the reconciliation and the checked multi-year view must refuse,
// not report a wrapped, negative total.
func TestReportTotalsAcrossAgreementsDoNotWrap(t *testing.T) {
	l := NewLedger(time.Time{})
	huge := domain.Money(math.MaxInt64/2 + 1)
	y1, y1e := domain.MustDate("2024-01-01"), domain.MustDate("2024-12-31")
	for _, n := range []string{"BIG-1", "BIG-2"} {
		a := domain.NewAgreement()
		a.Apply(uuid.New(), domain.AgreementRegistered{Number: n, Kind: domain.KindGrant, Funder: "F", Grantee: "G",
			Period: domain.Period{From: y1, To: y1e}, Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}, Lines: []domain.LineSpec{{Line: "a"}}})
		a.Apply(uuid.New(), domain.SpendingRecorded{Line: "a", Year: 1, Amount: huge, Date: y1})
		v := &AgreementView{Stream: domain.StreamFor(n), Agg: a}
		l.byNumber[n] = v
		l.order = append(l.order, v)
	}
	if rec, err := l.Reconcile(Scope{}, Window{Year: 1}); err == nil || domain.ErrorCode(err) != domain.EInvalid {
		t.Fatalf("reconciliation: total actual %s, error %v; want a refusal", rec.Total.Actual, err)
	}
	if m, err := l.MultiYearChecked(Scope{}); err == nil {
		t.Fatalf("multi-year view: totals %+v, no error; want a refusal", m.Totals)
	}
	for _, n := range []string{"BIG-1", "BIG-2"} {
		rec, err := l.Reconcile(Scope{Agreement: n}, Window{Year: 1})
		if err != nil || rec.Total.Actual != huge {
			t.Fatalf("%s alone: actual %s, %v; want %s", n, rec.Total.Actual, err, huge)
		}
		if _, err := l.MultiYearChecked(Scope{Agreement: n}); err != nil {
			t.Fatalf("%s alone: %v", n, err)
		}
	}
}
