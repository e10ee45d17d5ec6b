package httpapi

import (
	"net/http"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// getCash answers GET /v1/reports/cash?agreement=&as_of=: the cash
// position, scoped as the yearly report is (authorizeAgreement: a funder
// or grantee only their own organisation's agreements, an auditor every
// one). "Today", against which refunds are overdue, is the as_of date
// when given, else the read model's clock (readmodel.Service.CashReport).
func (s *Server) getCash(w http.ResponseWriter, r *http.Request, p access.Principal) error {
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
	rep, err := s.cfg.Reports.CashReport(r.Context(), number, asOf)
	if err != nil {
		return err
	}
	return writeReport(s, w, r, f, rep, Renderer.CashReport)
}
