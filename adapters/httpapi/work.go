package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Reports of issue 15: reporting obligations, the restatement of a sealed
// report and the summary of the whole period. They are an interface of
// their own, so that a Reports that predates them still builds; the routes
// answer 501 for one that lacks them.
type WorkReports interface {
	Obligations(ctx context.Context, q Query) (any, error)
	Restatement(ctx context.Context, agreement, report string, asOf time.Time) (any, error)
	PeriodSummary(ctx context.Context, agreement string, today domain.Date, asOf time.Time) (any, error)
}

// workRoutes are the routes of issue 15's reports.
func (s *Server) workRoutes(readers []string) []route {
	return []route{
		{method: "GET", path: "/v1/reports/obligations", roles: readers, h: s.getObligations},
		{method: "GET", path: "/v1/reports/restatement", roles: readers, h: s.getRestatement},
		{method: "GET", path: "/v1/reports/period", roles: readers, h: s.getPeriod},
	}
}

func (s *Server) workReports() (WorkReports, error) {
	if wr, ok := s.cfg.Reports.(WorkReports); ok {
		return wr, nil
	}
	return nil, domain.Errorf(domain.EInternal, "this server's reports do not include obligations, restatements or period summaries")
}

func (s *Server) getObligations(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, f, err := s.readQuery(r, p, "funder", "grantee", "programme", "agreement", "as_of")
	if err != nil {
		return err
	}
	wr, err := s.workReports()
	if err != nil {
		return err
	}
	rep, err := wr.Obligations(r.Context(), q)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, f, rep)
}

// agreementReport reads the agreement (required), the named parameters and
// as_of, and authorizes the principal on the agreement.
func (s *Server) agreementReport(r *http.Request, p Principal, extra ...string) (map[string]string, string, time.Time, error) {
	q, err := queryParams(r, append([]string{"agreement", "as_of"}, extra...)...)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	f, err := s.format(r)
	if err != nil {
		return nil, "", time.Time{}, err
	}
	if q["agreement"] == "" {
		return nil, "", time.Time{}, domain.FieldError("agreement", "missing; give the agreement number")
	}
	for _, k := range extra {
		if q[k] == "" {
			return nil, "", time.Time{}, domain.FieldError(k, "missing")
		}
	}
	asOf, err := timeParam(q, "as_of")
	if err != nil {
		return nil, "", time.Time{}, err
	}
	if err := s.authorizeAgreement(r.Context(), p, q["agreement"], ""); err != nil {
		return nil, "", time.Time{}, err
	}
	return q, f, asOf, nil
}

func (s *Server) getRestatement(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, f, asOf, err := s.agreementReport(r, p, "report")
	if err != nil {
		return err
	}
	wr, err := s.workReports()
	if err != nil {
		return err
	}
	rep, err := wr.Restatement(r.Context(), q["agreement"], q["report"], asOf)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, f, rep)
}

func (s *Server) getPeriod(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, f, asOf, err := s.agreementReport(r, p)
	if err != nil {
		return err
	}
	wr, err := s.workReports()
	if err != nil {
		return err
	}
	rep, err := wr.PeriodSummary(r.Context(), q["agreement"], s.today(), asOf)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, f, rep)
}

// Obligations implements WorkReports.
func (lr *LiveReports) Obligations(ctx context.Context, q Query) (any, error) {
	return lr.with(ctx, q.AsOf, func(l *projections.Ledger) (any, error) {
		return l.Obligations(scopeOf(q), q.Today), nil
	})
}

// Restatement implements WorkReports.
func (lr *LiveReports) Restatement(ctx context.Context, agreement, report string, asOf time.Time) (any, error) {
	return lr.with(ctx, asOf, func(l *projections.Ledger) (any, error) {
		r, err := l.Restatement(agreement, report)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}

// PeriodSummary implements WorkReports.
func (lr *LiveReports) PeriodSummary(ctx context.Context, agreement string, today domain.Date, asOf time.Time) (any, error) {
	return lr.with(ctx, asOf, func(l *projections.Ledger) (any, error) {
		r, err := l.PeriodSummary(agreement, today)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}
