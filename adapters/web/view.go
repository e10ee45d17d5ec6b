package web

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/domain"
)

// view is what every page knows of its request: who is signed in, the
// language, the "as recorded at" moment, the CSRF token for its forms.
type view struct {
	Lang      document.Lang
	Who       *access.Principal
	CSRF      string
	AsOf      time.Time // zero: now
	AsOfDate  string    // the date picked, "2024-07-15"
	AsOfError string
	Path      string
	Title     string
	Flash     string
	Problem   string // a page-level error
	State     string // the Merkle log state the figures come from: "size · root"
	// Page names the page's template; Generated is when the page was
	// drawn, in the page's language (both set by render, for the printed
	// page's layout and footer).
	Page      string
	Generated string
	// SignedState is State signed as a checkpoint, when the server has a key.
	SignedState string
	query       url.Values
	defLang     document.Lang // the server's language: links name another one
}

// pageView gives render the view inside a page's data.
type pageView interface{ pageView() *view }

func (v *view) pageView() *view { return v }

// printWide lists the pages whose tables print on landscape A4.
var printWide = map[string]bool{"report": true, "agreements": true, "reconciliation": true, "audit": true}

// PrintWide reports whether the page prints on landscape A4.
func (v *view) PrintWide() bool { return printWide[v.Page] }

// DateTime formats a moment in the server's time zone, as people there
// write it: "01.10.2025. 03:00:00 EEST" in Latvian, "2025-10-01 03:00:00
// EEST" in English.
func (v *view) DateTime(t time.Time) string { return formatDateTime(t.In(time.Local), v.Lang) }

func formatDateTime(t time.Time, l document.Lang) string {
	return t.Format(document.DateTimeLayout(l) + " MST")
}

func (h *Handler) newView(r *http.Request, p *access.Principal, ss *session) *view {
	v := &view{Lang: document.EN, Who: p, Path: r.URL.Path, query: r.URL.Query()}
	if h.cfg.Lang == document.LV {
		v.Lang, v.defLang = document.LV, document.LV
	} else {
		v.defLang = document.EN
	}
	if ss != nil {
		v.CSRF = ss.csrf
	}
	if c, err := r.Cookie(langCookie); err == nil {
		switch c.Value {
		case string(document.LV):
			v.Lang = document.LV
		case string(document.EN):
			v.Lang = document.EN
		}
	}
	switch r.URL.Query().Get("lang") {
	case "lv":
		v.Lang = document.LV
	case "en":
		v.Lang = document.EN
	}
	if d := strings.TrimSpace(r.URL.Query().Get("as_of")); d != "" {
		day, err := domain.ParseDate(d)
		if err != nil {
			v.AsOfError = v.T("bad_date")
		} else {
			v.AsOfDate = day.String()
			v.AsOf = day.Time().Add(24*time.Hour - time.Nanosecond)
		}
	}
	return v
}

// T returns a message in the page's language.
func (v *view) T(key string) string { return translate(v.Lang, key) }

// Tf formats a message in the page's language.
func (v *view) Tf(key string, args ...any) string { return fmt.Sprintf(v.T(key), args...) }

// Past reports whether the page shows a past moment.
func (v *view) Past() bool { return !v.AsOf.IsZero() }

// U builds a link to path that keeps the page's language and "as recorded
// at" date; kv are further query parameters, in pairs.
func (v *view) U(path string, kv ...any) string {
	q := url.Values{}
	if v.Lang != v.defLang {
		q.Set("lang", string(v.Lang))
	}
	if v.AsOfDate != "" {
		q.Set("as_of", v.AsOfDate)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if s := fmt.Sprint(kv[i+1]); s != "" && s != "0" {
			q.Set(fmt.Sprint(kv[i]), s)
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// LangURL is the current page in the other language.
func (v *view) LangURL(l string) string {
	q := url.Values{}
	for k, vs := range v.query {
		q[k] = vs
	}
	q.Set("lang", l)
	return v.Path + "?" + q.Encode()
}

// Q returns a query parameter of the request (to keep filters filled in).
func (v *view) Q(name string) string { return v.query.Get(name) }

// Now is the link to the current page without the "as recorded at" date.
func (v *view) NowURL() string {
	q := url.Values{}
	for k, vs := range v.query {
		if k != "as_of" {
			q[k] = vs
		}
	}
	if len(q) == 0 {
		return v.Path
	}
	return v.Path + "?" + q.Encode()
}

// Hidden lists the query parameters a GET form must carry along besides
// its own fields (language, and the as-of date unless the form sets it).
func (v *view) Hidden(own ...string) [][2]string {
	var out [][2]string
	skip := map[string]bool{}
	for _, o := range own {
		skip[o] = true
	}
	if v.Lang != v.defLang && !skip["lang"] {
		out = append(out, [2]string{"lang", string(v.Lang)})
	}
	if v.AsOfDate != "" && !skip["as_of"] {
		out = append(out, [2]string{"as_of", v.AsOfDate})
	}
	return out
}

// YearN names implementation year n: "1. gads" in Latvian, "Year 1" in
// English.
func (v *view) YearN(n int) string { return document.YearN(n, v.Lang) }

// Money formats an amount for tables.
func (v *view) Money(m domain.Money) string { return document.FormatAmount(m, v.Lang) }

// Euro formats an amount with its currency.
func (v *view) Euro(m domain.Money) string { return document.FormatEuro(m, v.Lang) }

// Date formats a date.
func (v *view) Date(d domain.Date) string { return document.FormatDate(d, v.Lang) }

// Period formats a period.
func (v *view) Period(p domain.Period) string { return document.FormatPeriod(p, v.Lang) }

// Cell formats a report cell.
func (v *view) Cell(c document.Cell) string { return c.Format(v.Lang) }

// pageTemplate is one page: the layout plus the page's own templates.
type pageTemplate = *template.Template

var funcs = template.FuncMap{
	"numeric": func(t document.Table) []bool {
		out := make([]bool, len(t.Columns))
		for _, rows := range [][][]document.Cell{t.Rows, t.Footer} {
			for _, row := range rows {
				for i, c := range row {
					if i < len(out) && c.Numeric() {
						out[i] = true
					}
				}
			}
		}
		return out
	},
	"idx": func(b []bool, i int) bool { return i < len(b) && b[i] },
	"add": func(a, b int) int { return a + b },
}

// parseTemplates parses every page with the shared layout and partials.
func parseTemplates() (map[string]pageTemplate, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]pageTemplate{}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if strings.HasPrefix(base, "_") {
			continue
		}
		t, err := template.New(base).Funcs(funcs).ParseFS(templateFS, "templates/_*.html", n)
		if err != nil {
			return nil, fmt.Errorf("web: template %s: %w", n, err)
		}
		out[base] = t
	}
	return out, nil
}

// render executes a page into memory first, so that a template error is a
// clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, status int, page string, data any) {
	t, ok := h.pages[page]
	if !ok {
		http.Error(w, "no page "+page, http.StatusInternalServerError)
		return
	}
	if pv, ok := data.(pageView); ok {
		v := pv.pageView()
		v.Page = page
		v.Generated = v.DateTime(h.cfg.Now())
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		h.log.Error("web: render", "page", page, "error", err)
		http.Error(w, "internal error while drawing the page", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	buf.WriteTo(w)
}

// messagePage is a page that only says something (an error).
type messagePage struct {
	*view
	Message string
}

// fail answers with a page that says what went wrong.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, v *view, status int, msg string) {
	if v == nil {
		v = h.newView(r, nil, nil)
	}
	v.Title = v.T("error")
	h.render(w, status, "message", messagePage{view: v, Message: msg})
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	v := h.newView(r, nil, nil)
	h.fail(w, r, v, http.StatusNotFound, v.T("not_found"))
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }

// localPath accepts a sign-in "next" only when it is a path on this site,
// and otherwise sends the user to the agreements list. Browsers are lenient
// where net/url is not (they drop tabs and newlines anywhere in a URL, strip
// leading spaces and controls, and read "\" as "/"), so "/\t/evil.example"
// would lead a browser to evil.example. Only printable ASCII without space
// or backslash is accepted (a page's own links are percent-encoded), and
// the result must parse as a path with no scheme and no host that does not
// start with "//".
func localPath(s string) string {
	const home = "/agreements"
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") {
		return home
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '\\' {
			return home
		}
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
		return home
	}
	return s
}

// KeepQuery lists the page's query parameters except the "as recorded
// at" date, for the date picker's form to carry along.
func (v *view) KeepQuery() [][2]string {
	var out [][2]string
	for k, vs := range v.query {
		if k == "as_of" || k == "saved" || k == "dup" {
			continue
		}
		for _, s := range vs {
			out = append(out, [2]string{k, s})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
