package httpapi

import (
	"fmt"
	"io"

	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/projections"
)

// ReportRenderer renders the projections' reports with adapters/report as
// CSV, XLSX, Markdown or HTML, in one language.
type ReportRenderer struct {
	Lang rpt.Lang
	CSV  string // CSV dialect: "" or machine, or excel (report.CSVExcel)
}

var _ Renderer = ReportRenderer{}

var rendererTypes = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"md":   "text/markdown; charset=utf-8",
	"html": "text/html; charset=utf-8",
}

// ContentType implements Renderer.
func (ReportRenderer) ContentType(format string) (string, bool) {
	ct, ok := rendererTypes[format]
	return ct, ok
}

var _ LangRenderer = ReportRenderer{}

// RenderWith implements LangRenderer: the report in o's language and CSV
// dialect.
func (r ReportRenderer) RenderWith(w io.Writer, format string, o RenderOptions, report any) error {
	if o.Lang != "" {
		l, err := rpt.ParseLang(o.Lang)
		if err != nil {
			return err
		}
		r.Lang = l
	}
	if o.CSV != "" {
		d, err := rpt.ParseCSVDialect(o.CSV)
		if err != nil {
			return err
		}
		r.CSV = d
	}
	return r.Render(w, format, report)
}

// Render implements Renderer.
func (r ReportRenderer) Render(w io.Writer, format string, report any) error {
	var d rpt.Document
	switch v := report.(type) {
	case projections.YearReport:
		d = rpt.YearDocument(v, r.Lang)
	case projections.Reconciliation:
		d = rpt.ReconDocument(v, r.Lang)
	case projections.MultiYear:
		d = rpt.MultiYearDocument(v, r.Lang)
	case projections.IndicatorsReport:
		d = rpt.IndicatorsDocument(v, r.Lang)
	case projections.AuditReport:
		d = rpt.AuditDocument(v, r.Lang)
	case projections.ObligationsReport:
		d = rpt.ObligationsDocument(v, r.Lang)
	case projections.Restatement:
		d = rpt.RestatementDocument(v, r.Lang)
	case projections.PeriodSummary:
		d = rpt.PeriodDocument(v, r.Lang)
	case projections.CashReport:
		d = rpt.CashDocument(v, r.Lang)
	default:
		return fmt.Errorf("no %s rendering for %T", format, report)
	}
	switch format {
	case "csv":
		return rpt.WriteCSVDialect(w, d, r.CSV)
	case "xlsx":
		return rpt.WriteXLSX(w, d)
	case "md":
		return rpt.WriteMarkdown(w, d)
	case "html":
		return rpt.WriteHTML(w, d)
	}
	return fmt.Errorf("unknown format %q", format)
}
