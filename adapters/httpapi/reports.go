package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/domain"
)

// Reports answers the report queries. The server depends only on this
// interface; LiveReports implements it over the projections package.
// Each method returns a value that marshals to the report's JSON contract.
type Reports interface {
	YearReport(ctx context.Context, agreement string, year int, asOf time.Time) (any, error)
	Reconciliation(ctx context.Context, q Query) (any, error)
	Indicators(ctx context.Context, q Query) (any, error)
	Audit(ctx context.Context, q AuditQuery) (any, error)
	Verify(ctx context.Context) (any, error)
	// Ready reports whether the read model is caught up with the store
	// within its bound.
	Ready(ctx context.Context) error
}

// Query selects agreements and a window for reconciliation and indicators.
// Empty scope fields match every agreement.
type Query struct {
	Funder, Grantee, Programme, Agreement string
	Year                                  int         // implementation year; 0: all (or the date range)
	From, To                              domain.Date // a date range (reconciliation)
	Today                                 domain.Date
	AsOf                                  time.Time // zero: now
	// Viewer is the principal the query is answered for (set by the
	// report routes and Principal.ScopeQuery): every row is kept only
	// when access.MaySee lets it see the row's agreement. nil: no
	// principal (the CLI), every row.
	Viewer *access.Principal
}

// AuditQuery filters the audit trail.
type AuditQuery struct {
	Agreement, Actor string
	From, To         time.Time
	Types            []string
	AsOf             time.Time
}

// Renderer renders reports in formats other than JSON (CSV, XLSX, ...).
type Renderer interface {
	// ContentType returns the media type of format and whether the
	// renderer can produce it.
	ContentType(format string) (string, bool)
	// Render writes report in format.
	Render(w io.Writer, format string, report any) error
}

// LangRenderer is a Renderer that also takes per-request options: a
// report route's ?lang= (en or lv) picks the language of CSV, XLSX,
// Markdown and HTML labels, amounts and dates, and ?csv= (machine or
// excel) the CSV dialect.
type LangRenderer interface {
	RenderWith(w io.Writer, format string, o RenderOptions, report any) error
}

// RenderOptions are a request's choices for a rendered report; empty
// fields keep the renderer's own.
type RenderOptions struct {
	Lang string // en or lv
	CSV  string // machine or excel
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
// first so that a failure is still a clean problem.
func (s *Server) writeReport(w http.ResponseWriter, r *http.Request, format string, rep any) error {
	w.Header().Set("Cache-Control", "no-store") // ledger figures: no cache keeps them
	if format == "json" {
		writeJSON(w, http.StatusOK, rep)
		return nil
	}
	var buf bytes.Buffer
	o := RenderOptions{Lang: r.URL.Query().Get("lang"), CSV: r.URL.Query().Get("csv")}
	st, stated := rep.(Stated)
	sr, canState := s.cfg.Renderer.(StateRenderer)
	lr, canOpt := s.cfg.Renderer.(LangRenderer)
	switch {
	case stated && canState && format != "csv":
		// Markdown, HTML and XLSX name the log state (a last section;
		// the XLSX summary sheet). CSV stays one table of figures.
		if err := sr.RenderWithState(&buf, format, o, st.Report, st.State); err != nil {
			return fmt.Errorf("render %s: %w", format, err)
		}
	default:
		if stated {
			rep = st.Report
		}
		render := func() error { return s.cfg.Renderer.Render(&buf, format, rep) }
		if canOpt && o != (RenderOptions{}) {
			render = func() error { return lr.RenderWith(&buf, format, o, rep) }
		}
		if err := render(); err != nil {
			return fmt.Errorf("render %s: %w", format, err)
		}
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

func (s *Server) today() domain.Date {
	t := time.Now().UTC()
	return domain.NewDate(t.Year(), t.Month(), t.Day())
}

// scopeFor restricts a query to the principal's organisation: a funder or
// grantee may name only their own (or nothing, which means their own).
func scopeFor(p Principal, q *Query) error {
	q.Viewer = p.Access()
	switch p.Role {
	case RoleFunder:
		if q.Funder != "" && !access.MaySee(*q.Viewer, access.Parties{Funder: q.Funder}) {
			return &httpError{code: codeForbidden, field: "funder", msg: fmt.Sprintf("your token acts for funder %q only", p.Funder)}
		}
		q.Funder = p.Funder
	case RoleGrantee:
		if q.Grantee != "" && !access.MaySee(*q.Viewer, access.Parties{Grantee: q.Grantee}) {
			return &httpError{code: codeForbidden, field: "grantee", msg: fmt.Sprintf("your token acts for grantee %q only", p.Grantee)}
		}
		q.Grantee = p.Grantee
	}
	return nil
}

func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request, p Principal) error {
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
	Agreement string             `json:"agreement"`
	Kind      string             `json:"kind"`
	Title     string             `json:"title"`
	Funder    string             `json:"funder"`
	Grantee   string             `json:"grantee"`
	Programme string             `json:"programme,omitempty"`
	Period    domain.Period      `json:"period"`
	Years     []domain.YearSpec  `json:"years"`
	Closed    []int              `json:"closed_years"`
	Lines     []domain.LineSpec  `json:"lines"`
	Totals    map[string]Figures `json:"totals_by_year"`
}

// Figures are the amounts of a year, summed over its lines.
type Figures struct {
	Planned     domain.Money `json:"planned"`
	CarriedIn   domain.Money `json:"carried_in"`
	Actual      domain.Money `json:"actual"`
	CarriedOver domain.Money `json:"carried_over"`
	Returned    domain.Money `json:"returned"`
	Remainder   domain.Money `json:"remainder"`
}

func summarize(a *domain.Agreement) AgreementSummary {
	out := AgreementSummary{Agreement: a.AgreementNumber(), Kind: a.Registration().Kind, Title: a.Registration().Title, Funder: a.Registration().Funder, Grantee: a.Registration().Grantee,
		Programme: a.Registration().Programme, Period: a.Registration().Period, Lines: append([]domain.LineSpec{}, a.Lines()...), Closed: []int{}, Totals: map[string]Figures{}}
	for _, y := range a.Years() {
		out.Years = append(out.Years, y.YearSpec)
		if y.Closed {
			out.Closed = append(out.Closed, y.Year)
		}
		c := a.YearTotal(y.Year)
		out.Totals[strconv.Itoa(y.Year)] = Figures{Planned: c.Planned, CarriedIn: c.CarriedIn, Actual: c.Actual,
			CarriedOver: c.CarriedOver, Returned: c.Returned, Remainder: c.Remainder()}
	}
	return out
}

func (s *Server) getYearly(w http.ResponseWriter, r *http.Request, p Principal) error {
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
	return s.writeReport(w, r, f, rep)
}

func (s *Server) readQuery(r *http.Request, p Principal, allowed ...string) (Query, string, error) {
	q, err := queryParams(r, allowed...)
	if err != nil {
		return Query{}, "", err
	}
	f, err := s.format(r)
	if err != nil {
		return Query{}, "", err
	}
	out := Query{Funder: q["funder"], Grantee: q["grantee"], Programme: q["programme"], Agreement: q["agreement"], Today: s.today()}
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

func (s *Server) getReconciliation(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, f, err := s.readQuery(r, p, "funder", "grantee", "programme", "agreement", "year", "from", "to", "as_of")
	if err != nil {
		return err
	}
	rep, err := s.cfg.Reports.Reconciliation(r.Context(), q)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, f, rep)
}

func (s *Server) getIndicators(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, f, err := s.readQuery(r, p, "funder", "grantee", "programme", "agreement", "year", "as_of")
	if err != nil {
		return err
	}
	rep, err := s.cfg.Reports.Indicators(r.Context(), q)
	if err != nil {
		return err
	}
	return s.writeReport(w, r, f, rep)
}

func (s *Server) getAudit(w http.ResponseWriter, r *http.Request, p Principal) error {
	q, err := queryParams(r, "agreement", "actor", "from", "to", "type", "as_of")
	if err != nil {
		return err
	}
	f, err := s.format(r)
	if err != nil {
		return err
	}
	aq := AuditQuery{Agreement: q["agreement"], Actor: q["actor"]}
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
	return s.writeReport(w, r, f, rep)
}

func (s *Server) getVerify(w http.ResponseWriter, r *http.Request, p Principal) error {
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
