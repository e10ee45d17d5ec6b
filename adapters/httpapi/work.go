package httpapi

import (
	"net/http"
	"time"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// The reports of issue 15: reporting obligations, the restatement of a
// sealed report and the summary of the whole period.

// workRoutes are the routes of issue 15's reports.
func (s *Server) workRoutes(readers []string) []route {
	return []route{
		{method: "GET", path: "/v1/reports/obligations", roles: readers, h: s.getObligations},
		{method: "GET", path: "/v1/reports/restatement", roles: readers, h: s.getRestatement},
		{method: "GET", path: "/v1/reports/period", roles: readers, h: s.getPeriod},
	}
}

func (s *Server) getObligations(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, f, err := s.readQuery(r, p, "funder", "grantee", "programme", "agreement", "as_of")
	if err != nil {
		return err
	}
	rep, err := s.cfg.Reports.Obligations(r.Context(), q)
	if err != nil {
		return err
	}
	return writeReport(s, w, r, f, rep, Renderer.Obligations)
}

// agreementReport reads the agreement (required), the named parameters and
// as_of, and authorizes the principal on the agreement.
func (s *Server) agreementReport(r *http.Request, p access.Principal, extra ...string) (map[string]string, string, time.Time, error) {
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

func (s *Server) getRestatement(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, f, asOf, err := s.agreementReport(r, p, "report")
	if err != nil {
		return err
	}
	rep, err := s.cfg.Reports.Restatement(r.Context(), q["agreement"], q["report"], asOf)
	if err != nil {
		return err
	}
	return writeReport(s, w, r, f, rep, Renderer.Restatement)
}

func (s *Server) getPeriod(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, f, asOf, err := s.agreementReport(r, p)
	if err != nil {
		return err
	}
	rep, err := s.cfg.Reports.PeriodSummary(r.Context(), q["agreement"], asOf)
	if err != nil {
		return err
	}
	return writeReport(s, w, r, f, rep, Renderer.PeriodSummary)
}
