package report

import (
	"fmt"
	"io"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/projections"
)

// Renderer renders the projections' reports as CSV, XLSX, Markdown or
// HTML, in one language: the API's renderer (httpapi.Renderer), one method
// per report type. Each method takes the request's language and CSV
// dialect (empty: the renderer's own) and, when not nil, the Merkle log
// state the report was computed from, written as a last section, "Ledger
// state (Merkle log checkpoint)", as the command line writes it: the log's
// size and root hash, and the signed checkpoint when the server has a key
// (in XLSX on the summary sheet).
type Renderer struct {
	Lang document.Lang
	CSV  string // CSV dialect: "" or machine, or excel (CSVExcel)
}

var contentTypes = map[string]string{
	"csv":  "text/csv; charset=utf-8",
	"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"md":   "text/markdown; charset=utf-8",
	"html": "text/html; charset=utf-8",
}

// ContentType returns the media type of format and whether the renderer
// writes it.
func (Renderer) ContentType(format string) (string, bool) {
	ct, ok := contentTypes[format]
	return ct, ok
}

// YearReport writes a yearly report.
func (r Renderer) YearReport(w io.Writer, format, lang, csv string, rep projections.YearReport, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.YearDocument(rep, l) })
}

// Reconciliation writes a reconciliation.
func (r Renderer) Reconciliation(w io.Writer, format, lang, csv string, rep projections.Reconciliation, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.ReconDocument(rep, l) })
}

// MultiYear writes a multi-year reconciliation.
func (r Renderer) MultiYear(w io.Writer, format, lang, csv string, rep projections.MultiYear, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.MultiYearDocument(rep, l) })
}

// Indicators writes an indicators report.
func (r Renderer) Indicators(w io.Writer, format, lang, csv string, rep projections.IndicatorsReport, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.IndicatorsDocument(rep, l) })
}

// Audit writes an audit trail.
func (r Renderer) Audit(w io.Writer, format, lang, csv string, rep projections.AuditReport, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.AuditDocument(rep, l) })
}

// Obligations writes the reporting obligations.
func (r Renderer) Obligations(w io.Writer, format, lang, csv string, rep projections.ObligationsReport, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.ObligationsDocument(rep, l) })
}

// Restatement writes the restatement of a sealed report.
func (r Renderer) Restatement(w io.Writer, format, lang, csv string, rep projections.Restatement, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.RestatementDocument(rep, l) })
}

// PeriodSummary writes the summary of an agreement's whole period.
func (r Renderer) PeriodSummary(w io.Writer, format, lang, csv string, rep projections.PeriodSummary, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.PeriodDocument(rep, l) })
}

// CashReport writes a cash position.
func (r Renderer) CashReport(w io.Writer, format, lang, csv string, rep projections.CashReport, st *readmodel.LogState) error {
	return r.render(w, format, lang, csv, st, func(l document.Lang) document.Document { return document.CashDocument(rep, l) })
}

// render writes the document doc builds in the request's language.
func (r Renderer) render(w io.Writer, format, lang, csv string, st *readmodel.LogState, doc func(document.Lang) document.Document) error {
	if lang != "" {
		l, err := document.ParseLang(lang)
		if err != nil {
			return err
		}
		r.Lang = l
	}
	if csv != "" {
		d, err := ParseCSVDialect(csv)
		if err != nil {
			return err
		}
		r.CSV = d
	}
	d := doc(r.Lang)
	if st != nil {
		// serve checks its log before serving and refuses a broken one
		// unless --allow-broken-chain says otherwise (and logs it); its
		// reports carry no "not verified" note.
		d = document.WithState(d, st.Size, st.Root.String(), true, st.Signed)
	}
	switch format {
	case "csv":
		return WriteCSVDialect(w, d, r.CSV)
	case "xlsx":
		return WriteXLSX(w, d)
	case "md":
		return WriteMarkdown(w, d)
	case "html":
		return WriteHTML(w, d)
	}
	return fmt.Errorf("unknown format %q", format)
}
