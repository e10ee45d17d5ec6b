package httpapi

import (
	"context"
	"time"

	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Reports is what the report routes need of the read model (declared
// here, where it is used; *readmodel.Service implements it, and serve
// hands the same service to the web pages). Every method returns its
// report's own type, stated with the Merkle log state it was computed
// from; "today" (what is due or overdue) is the service's one clock.
type Reports interface {
	// Today is the date, by the read model's clock, that decides what is
	// due or overdue.
	Today() domain.Date
	YearReport(ctx context.Context, agreement string, year int, asOf time.Time) (readmodel.Stated[projections.YearReport], error)
	Reconciliation(ctx context.Context, q Query) (readmodel.Stated[projections.Reconciliation], error)
	MultiYear(ctx context.Context, q Query) (readmodel.Stated[projections.MultiYear], error)
	Indicators(ctx context.Context, q Query) (readmodel.Stated[projections.IndicatorsReport], error)
	Audit(ctx context.Context, q AuditQuery) (readmodel.Stated[projections.AuditReport], error)
	Obligations(ctx context.Context, q Query) (readmodel.Stated[projections.ObligationsReport], error)
	Restatement(ctx context.Context, agreement, report string, asOf time.Time) (readmodel.Stated[projections.Restatement], error)
	PeriodSummary(ctx context.Context, agreement string, asOf time.Time) (readmodel.Stated[projections.PeriodSummary], error)
	CashReport(ctx context.Context, agreement string, asOf time.Time) (readmodel.Stated[projections.CashReport], error)
	Verify(ctx context.Context) (VerifyReport, error)
	// Ready reports whether the read model is caught up with the store
	// within its bound.
	Ready(ctx context.Context) error
}

var _ Reports = (*readmodel.Service)(nil)

// Query selects agreements and a window for reconciliation, indicators
// and obligations (readmodel.Query: a projections.Scope, whose Viewer the
// report routes set to the principal, and a window).
type Query = readmodel.Query

// AuditQuery filters the audit trail.
type AuditQuery = readmodel.AuditQuery

// LogState is the Merkle log state a report was computed from, carried in
// JSON answers as "checkpoint".
type LogState = readmodel.LogState

// VerifyReport is what GET /v1/verify answers: the hash chains'
// verification and the ledger's findings.
type VerifyReport = readmodel.VerifyReport
