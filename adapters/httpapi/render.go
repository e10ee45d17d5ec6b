package httpapi

import (
	"fmt"
	"io"

	rpt "github.com/grantledger/grantledger/adapters/report"
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

// withOptions is r in o's language and CSV dialect.
func (r ReportRenderer) withOptions(o RenderOptions) (ReportRenderer, error) {
	if o.Lang != "" {
		l, err := rpt.ParseLang(o.Lang)
		if err != nil {
			return r, err
		}
		r.Lang = l
	}
	if o.CSV != "" {
		d, err := rpt.ParseCSVDialect(o.CSV)
		if err != nil {
			return r, err
		}
		r.CSV = d
	}
	return r, nil
}

// Render implements Renderer: the report's document in o's language (the
// renderer's own when o names none) and CSV dialect. With st, the document
// gets a last section, "Ledger state (Merkle log checkpoint)", as the
// command line writes it (issue 11: every report names its state): the
// log's size and root hash, and the signed checkpoint when the server has
// a key. In XLSX the section is on the summary sheet.
func (r ReportRenderer) Render(w io.Writer, format string, o RenderOptions, doc Document, st *LogState) error {
	r, err := r.withOptions(o)
	if err != nil {
		return err
	}
	d := doc(r.Lang)
	if st != nil {
		// serve checks its log before serving and refuses a broken one
		// unless --allow-broken-chain says otherwise (and logs it); its
		// reports carry no "not verified" note.
		d = rpt.WithState(d, st.Size, st.Root.String(), true, st.Signed)
	}
	return r.write(w, format, d)
}

func (r ReportRenderer) write(w io.Writer, format string, d rpt.Document) error {
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
