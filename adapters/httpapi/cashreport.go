package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// CashReports is what GET /v1/reports/cash needs of the configured
// Reports (issue 14): the grantee's cash position of one agreement. A
// separate interface, so that Reports implementations written before it
// keep compiling; LiveReports has it.
type CashReports interface {
	CashReport(ctx context.Context, agreement string, today domain.Date, asOf time.Time) (any, error)
}

var _ CashReports = (*LiveReports)(nil)

// CashReport implements CashReports.
func (lr *LiveReports) CashReport(ctx context.Context, agreement string, today domain.Date, asOf time.Time) (any, error) {
	return lr.with(ctx, asOf, func(l *projections.Ledger) (any, error) {
		r, err := l.CashReport(agreement, today)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}

// getCash answers GET /v1/reports/cash?agreement=&as_of=: the cash
// position, scoped as the yearly report is (authorizeAgreement: a funder
// or grantee only their own organisation's agreements, an auditor every
// one). "Today", against which refunds are overdue, is the as_of date
// when given, else the server's date.
func (s *Server) getCash(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := queryParams(r, "agreement", "as_of")
	if err != nil {
		return err
	}
	f, err := s.format(r)
	if err != nil {
		return err
	}
	number := q["agreement"]
	if number == "" {
		return domain.FieldError("agreement", "missing; give the agreement number")
	}
	asOf, err := timeParam(q, "as_of")
	if err != nil {
		return err
	}
	if err := s.authorizeAgreement(r.Context(), p, number, ""); err != nil {
		return err
	}
	cr, ok := s.cfg.Reports.(CashReports)
	if !ok {
		return fmt.Errorf("the configured reports (%T) have no cash position", s.cfg.Reports)
	}
	today := s.today()
	if !asOf.IsZero() {
		today = domain.DateOf(asOf)
	}
	rep, err := cr.CashReport(r.Context(), number, today, asOf)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, f, rep)
}
