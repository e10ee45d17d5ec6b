package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Renderer renders reports in formats other than JSON (CSV, XLSX, ...),
// one method per report type (report.Renderer is one). Each takes the
// format, the request's language and CSV dialect (?lang= and ?csv=; empty:
// the renderer's own) and, when not nil, the Merkle log state the report
// was computed from, which the rendering names in a last section.
type Renderer interface {
	// ContentType returns the media type of format and whether the
	// renderer can produce it.
	ContentType(format string) (string, bool)
	YearReport(w io.Writer, format, lang, csv string, r projections.YearReport, st *LogState) error
	Reconciliation(w io.Writer, format, lang, csv string, r projections.Reconciliation, st *LogState) error
	MultiYear(w io.Writer, format, lang, csv string, r projections.MultiYear, st *LogState) error
	Indicators(w io.Writer, format, lang, csv string, r projections.IndicatorsReport, st *LogState) error
	Audit(w io.Writer, format, lang, csv string, r projections.AuditReport, st *LogState) error
	Obligations(w io.Writer, format, lang, csv string, r projections.ObligationsReport, st *LogState) error
	Restatement(w io.Writer, format, lang, csv string, r projections.Restatement, st *LogState) error
	PeriodSummary(w io.Writer, format, lang, csv string, r projections.PeriodSummary, st *LogState) error
	CashReport(w io.Writer, format, lang, csv string, r projections.CashReport, st *LogState) error
}

// formatByMediaType maps Accept media types to format names.
var formatByMediaType = map[string]string{
	"application/json": "json",
	"text/csv":         "csv",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "xlsx",
	"text/markdown": "md",
	"text/html":     "html",
}

// format picks the output format: ?format=, else the first Accept media
// type the server knows, else JSON.
func (s *Server) format(r *http.Request) (string, error) {
	if l := r.URL.Query().Get("lang"); l != "" && l != "en" && l != "lv" {
		return "", domain.FieldError("lang", "%q is not a language of the reports; give en or lv", l)
	}
	if c := r.URL.Query().Get("csv"); c != "" && c != "machine" && c != "excel" {
		return "", domain.FieldError("csv", "%q is not a CSV dialect; give machine or excel", c)
	}
	if f := strings.ToLower(r.URL.Query().Get("format")); f != "" {
		return f, s.canRender(f)
	}
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		if mt == "*/*" || mt == "application/*" {
			return "json", nil
		}
		if f, ok := formatByMediaType[mt]; ok && s.canRender(f) == nil {
			return f, nil
		}
	}
	if r.Header.Get("Accept") != "" && !strings.Contains(r.Header.Get("Accept"), "json") {
		return "", errorf(codeNotAcceptable, fmt.Sprintf("cannot answer in %s; formats: %s", r.Header.Get("Accept"), strings.Join(s.formats(), ", ")))
	}
	return "json", nil
}

func (s *Server) formats() []string {
	out := []string{"json"}
	for _, f := range []string{"csv", "xlsx", "md", "html"} {
		if s.cfg.Renderer != nil {
			if _, ok := s.cfg.Renderer.ContentType(f); ok {
				out = append(out, f)
			}
		}
	}
	return out
}

func (s *Server) canRender(f string) error {
	if f == "json" {
		return nil
	}
	if s.cfg.Renderer != nil {
		if _, ok := s.cfg.Renderer.ContentType(f); ok {
			return nil
		}
	}
	return &httpError{code: codeNotAcceptable, field: "format", msg: fmt.Sprintf("unknown format %q; formats: %s", f, strings.Join(s.formats(), ", "))}
}

// writeReport writes a report in the chosen format, rendering into memory
// first so that a failure is still a clean problem. JSON carries the
// report's log state as "checkpoint"; Markdown, HTML and XLSX name it in a
// last section (the XLSX summary sheet); CSV stays one table of figures.
func writeReport[R any](s *Server, w http.ResponseWriter, r *http.Request, format string, rep readmodel.Stated[R],
	render func(Renderer, io.Writer, string, string, string, R, *LogState) error) error {
	w.Header().Set("Cache-Control", "no-store") // ledger figures: no cache keeps them
	if format == "json" {
		if rep.State == nil {
			writeJSON(w, http.StatusOK, rep.Report) // encoded once, not marshalled then re-read
		} else {
			writeJSON(w, http.StatusOK, rep)
		}
		return nil
	}
	var buf bytes.Buffer
	st := rep.State
	if format == "csv" {
		st = nil
	}
	if err := render(s.cfg.Renderer, &buf, format, r.URL.Query().Get("lang"), r.URL.Query().Get("csv"), rep.Report, st); err != nil {
		return fmt.Errorf("render %s: %w", format, err)
	}
	ct, _ := s.cfg.Renderer.ContentType(format)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, err := buf.WriteTo(w)
	if err != nil {
		return nil // the client went away; the status is written
	}
	return nil
}

// queryParams reads the query string strictly: unknown parameters are
// errors that name them.
func queryParams(r *http.Request, allowed ...string) (map[string]string, error) {
	out := map[string]string{}
	for k, vs := range r.URL.Query() {
		ok := k == "format" || k == "lang" || k == "csv"
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return nil, domain.FieldError(k, "unknown query parameter; this route takes %s", strings.Join(append(allowed, "format", "lang", "csv"), ", "))
		}
		if len(vs) > 1 {
			return nil, domain.FieldError(k, "given %d times; give it once", len(vs))
		}
		out[k] = vs[0]
	}
	return out, nil
}

func intParam(q map[string]string, name string, required bool) (int, error) {
	v, ok := q[name]
	if !ok || v == "" {
		if required {
			return 0, domain.FieldError(name, "missing")
		}
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 50 {
		return 0, domain.FieldError(name, "%q is not an implementation year (1 to 50)", v)
	}
	return n, nil
}

func dateParam(q map[string]string, name string) (domain.Date, error) {
	v := q[name]
	if v == "" {
		return 0, nil
	}
	d, err := domain.ParseDate(v)
	if err != nil {
		return 0, domain.FieldError(name, "%q is not a date (2024-07-15): %v", v, err)
	}
	return d, nil
}

// timeParam reads an instant: RFC 3339, or a date meaning the end of that
// day in UTC.
func timeParam(q map[string]string, name string) (time.Time, error) {
	v := q[name]
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t.Add(24*time.Hour - time.Nanosecond), nil
	}
	return time.Time{}, domain.FieldError(name, "%q is not a time (2024-07-15T12:00:00Z) or a date (2024-07-15)", v)
}

// scopeFor restricts a query to the principal's organisation
// (access.Principal.Restrict): a funder or grantee may name only their own
// (or nothing, which means their own); naming another is forbidden. Every
// row is kept only when the principal may see its agreement (Viewer).
func scopeFor(p access.Principal, q *Query) error {
	q.Viewer = p.Viewer()
	if err := p.Restrict(&q.Funder, &q.Grantee); err != nil {
		var se *access.ScopeError
		if errors.As(err, &se) {
			return &httpError{code: codeForbidden, field: se.Field, msg: se.Msg}
		}
		return err
	}
	return nil
}

func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	number := r.PathValue("agreement")
	if err := s.authorizeAgreement(r.Context(), p, number, ""); err != nil {
		return err
	}
	var out AgreementSummary
	err := s.cfg.Ledger.View(r.Context(), number, func(a *domain.Agreement) error {
		out = summarize(a)
		return nil
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// AgreementSummary is the answer of GET /v1/agreements/{agreement}.
type AgreementSummary struct {
	Agreement string                `json:"agreement"`
	Kind      string                `json:"kind"`
	Title     string                `json:"title"`
	Funder    string                `json:"funder"`
	Grantee   string                `json:"grantee"`
	Programme string                `json:"programme,omitempty"`
	Period    domain.Period         `json:"period"`
	Years     []domain.YearSpec     `json:"years"`
	Closed    []int                 `json:"closed_years"`
	Lines     []domain.LineSpec     `json:"lines"`
	Totals    map[string]YearTotals `json:"totals_by_year"`
}

// YearTotals are the amounts of a year, summed over its lines: the few
// figures GET /v1/agreements/{agreement} answers, not a report's row
// (projections.Figures, the one type of a report's figures).
type YearTotals struct {
	Planned     domain.Money `json:"planned"`
	CarriedIn   domain.Money `json:"carried_in"`
	Actual      domain.Money `json:"actual"`
	CarriedOver domain.Money `json:"carried_over"`
	Returned    domain.Money `json:"returned"`
	Remainder   domain.Money `json:"remainder"`
}

func summarize(a *domain.Agreement) AgreementSummary {
	out := AgreementSummary{Agreement: a.AgreementNumber(), Kind: a.Registration().Kind, Title: a.Registration().Title, Funder: a.Registration().Funder, Grantee: a.Registration().Grantee,
		Programme: a.Registration().Programme, Period: a.Registration().Period, Lines: append([]domain.LineSpec{}, a.Lines()...), Closed: []int{}, Totals: map[string]YearTotals{}}
	for _, y := range a.Years() {
		out.Years = append(out.Years, y.YearSpec)
		if y.Closed {
			out.Closed = append(out.Closed, y.Year)
		}
		c := a.YearTotal(y.Year)
		out.Totals[strconv.Itoa(y.Year)] = YearTotals{Planned: c.Planned, CarriedIn: c.CarriedIn, Actual: c.Actual,
			CarriedOver: c.CarriedOver, Returned: c.Returned, Remainder: c.Remainder()}
	}
	return out
}

func (s *Server) getYearly(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, err := queryParams(r, "agreement", "year", "as_of")
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
	year, err := intParam(q, "year", true)
	if err != nil {
		return err
	}
	asOf, err := timeParam(q, "as_of")
	if err != nil {
		return err
	}
	if err := s.authorizeAgreement(r.Context(), p, number, ""); err != nil {
		return err
	}
	rep, err := s.cfg.Reports.YearReport(r.Context(), number, year, asOf)
	if err != nil {
		return err
	}
	return writeReport(s, w, r, f, rep, Renderer.YearReport)
}

func (s *Server) readQuery(r *http.Request, p access.Principal, allowed ...string) (Query, string, error) {
	q, err := queryParams(r, allowed...)
	if err != nil {
		return Query{}, "", err
	}
	f, err := s.format(r)
	if err != nil {
		return Query{}, "", err
	}
	out := Query{Scope: projections.Scope{Funder: q["funder"], Grantee: q["grantee"], Programme: q["programme"], Agreement: q["agreement"]}}
	if out.Year, err = intParam(q, "year", false); err != nil {
		return out, f, err
	}
	if out.From, err = dateParam(q, "from"); err != nil {
		return out, f, err
	}
	if out.To, err = dateParam(q, "to"); err != nil {
		return out, f, err
	}
	if out.AsOf, err = timeParam(q, "as_of"); err != nil {
		return out, f, err
	}
	if err := scopeFor(p, &out); err != nil {
		return out, f, err
	}
	return out, f, nil
}

func (s *Server) getReconciliation(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, f, err := s.readQuery(r, p, "funder", "grantee", "programme", "agreement", "year", "from", "to", "as_of")
	if err != nil {
		return err
	}
	if q.Year == 0 && q.From == 0 && q.To == 0 {
		rep, err := s.cfg.Reports.MultiYear(r.Context(), q)
		if err != nil {
			return err
		}
		return writeReport(s, w, r, f, rep, Renderer.MultiYear)
	}
	rep, err := s.cfg.Reports.Reconciliation(r.Context(), q)
	if err != nil {
		return err
	}
	return writeReport(s, w, r, f, rep, Renderer.Reconciliation)
}

func (s *Server) getIndicators(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, f, err := s.readQuery(r, p, "funder", "grantee", "programme", "agreement", "year", "as_of")
	if err != nil {
		return err
	}
	rep, err := s.cfg.Reports.Indicators(r.Context(), q)
	if err != nil {
		return err
	}
	return writeReport(s, w, r, f, rep, Renderer.Indicators)
}

func (s *Server) getAudit(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	q, err := queryParams(r, "agreement", "actor", "from", "to", "type", "as_of")
	if err != nil {
		return err
	}
	f, err := s.format(r)
	if err != nil {
		return err
	}
	aq := AuditQuery{AuditFilter: projections.AuditFilter{Agreement: q["agreement"], Actor: q["actor"]}}
	if q["type"] != "" {
		aq.Types = strings.Split(q["type"], ",")
	}
	if aq.From, err = timeParam(q, "from"); err != nil {
		return err
	}
	if aq.To, err = timeParam(q, "to"); err != nil {
		return err
	}
	if aq.AsOf, err = timeParam(q, "as_of"); err != nil {
		return err
	}
	rep, err := s.cfg.Reports.Audit(r.Context(), aq)
	if err != nil {
		return err
	}
	return writeReport(s, w, r, f, rep, Renderer.Audit)
}

func (s *Server) getVerify(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	if _, err := queryParams(r); err != nil {
		return err
	}
	rep, err := s.cfg.Reports.Verify(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, rep)
	return nil
}
