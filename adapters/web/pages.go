package web

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"strconv"
	"strings"

	"github.com/grantledger/grantledger/app/document"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

func langOf(s string) document.Lang {
	if s == "lv" {
		return document.LV
	}
	return document.EN
}

// listRow is one agreement in the list, with its totals.
type listRow struct {
	Number, Title, Funder, Grantee, Programme string
	Years                                     int
	Fig                                       projections.Figures
	Findings                                  int
	// Ceiling and Intensity as the agreement page shows them (issue 14:
	// every report that shows an agreement shows both); "" when none.
	Ceiling, Intensity string
}

type listPage struct {
	*view
	Rows        []listRow
	Total       projections.Figures
	Funders     []string
	Grantees    []string
	Programmes  []string
	YearChoices []int
}

// agreements lists the agreements the principal may read, filtered.
func (h *Handler) agreements(w http.ResponseWriter, r *http.Request, v *view) {
	v.Title = v.T("agreements")
	q := r.URL.Query()
	scope := projections.Scope{Funder: q.Get("funder"), Grantee: q.Get("grantee"), Programme: q.Get("programme"), Viewer: v.Who.Viewer()}
	year, _ := strconv.Atoi(q.Get("year"))
	onlyFindings := q.Get("findings") == "1"
	page := listPage{view: v}
	seen := map[string]map[string]bool{"f": {}, "g": {}, "p": {}}
	maxYears := 0
	today := h.today()
	err := h.withLedger(r.Context(), v, func(l *projections.Ledger) error {
		for _, av := range l.Agreements() {
			a := av.Agg
			if !v.Who.MayAccess(a.Registration().Funder, a.Registration().Grantee) {
				continue
			}
			for k, s := range map[string]string{"f": a.Registration().Funder, "g": a.Registration().Grantee, "p": a.Registration().Programme} {
				if s != "" && !seen[k][s] {
					seen[k][s] = true
					switch k {
					case "f":
						page.Funders = append(page.Funders, s)
					case "g":
						page.Grantees = append(page.Grantees, s)
					case "p":
						page.Programmes = append(page.Programmes, s)
					}
				}
			}
			maxYears = max(maxYears, len(a.Years()))
			if !scope.Matches(a) || (year > 0 && year > len(a.Years())) {
				continue
			}
			row := listRow{Number: a.AgreementNumber(), Title: a.Registration().Title, Funder: a.Registration().Funder, Grantee: a.Registration().Grantee, Programme: a.Registration().Programme, Years: len(a.Years())}
			row.Ceiling, row.Intensity = ceilingText(v, a)
			for _, y := range a.Years() {
				if year > 0 && y.Year != year {
					continue
				}
				row.Fig = row.Fig.Add(projections.FiguresOf(a.YearTotal(y.Year)))
				if rep, err := av.YearReport(y.Year, today); err == nil {
					row.Findings += len(rep.Findings)
				}
			}
			if onlyFindings && row.Findings == 0 {
				continue
			}
			page.Rows = append(page.Rows, row)
			page.Total = page.Total.Add(row.Fig)
		}
		return nil
	})
	if err != nil {
		h.fail(w, r, v, http.StatusInternalServerError, err.Error())
		return
	}
	for y := 1; y <= maxYears; y++ {
		page.YearChoices = append(page.YearChoices, y)
	}
	h.render(w, http.StatusOK, "agreements", page)
}

// figRow is one kind of figure of a budget line across the years.
type figRow struct {
	Label string
	Cells []domain.Money
	Total domain.Money
	Key   string
}

type lineBlock struct {
	Line, Name string
	Rows       []figRow
	IsTotal    bool
}

type yearCol struct {
	N      int
	Period domain.Period
	Closed bool
}

type indicatorRow struct {
	Name, Unit    string
	Year          int
	Delivered     int64
	Target        int64
	HasTarget     bool
	Achievement   string
	Behind        bool
	ProgressValue int64
	ProgressMax   int64
}

type agreementPage struct {
	*view
	A           *domain.Agreement
	Years       []yearCol
	Blocks      []lineBlock
	Chart       any
	Indicators  []indicatorRow
	Findings    []string
	Obligations []string // reports owed and where they stand (workforms.go)
	Forms       []*form
	Cash        *cashView
}

func figureRows(v *view, cells []projections.Figures, total projections.Figures) []figRow {
	kinds := []struct {
		key string
		get func(projections.Figures) domain.Money
	}{
		{"planned", func(f projections.Figures) domain.Money { return f.Planned }},
		{"carried_in", func(f projections.Figures) domain.Money { return f.CarriedIn }},
		{"actual", func(f projections.Figures) domain.Money { return f.Actual }},
		{"carried_over", func(f projections.Figures) domain.Money { return f.CarriedOver }},
		{"returned", func(f projections.Figures) domain.Money { return f.Returned }},
		{"remainder", func(f projections.Figures) domain.Money { return f.Remainder }},
	}
	out := make([]figRow, 0, len(kinds))
	for _, k := range kinds {
		row := figRow{Label: v.T(k.key), Key: k.key, Total: k.get(total)}
		for _, c := range cells {
			row.Cells = append(row.Cells, k.get(c))
		}
		out = append(out, row)
	}
	return out
}

// agreementScope selects the rows of one agreement for the principal: by
// its exact number and, as the API's report routes do, within the
// principal's organisation, so that no page filters by number alone.
func agreementScope(v *view, number string) projections.Scope {
	sc := projections.Scope{Agreement: number, Viewer: v.Who.Viewer()}
	if err := v.Who.Restrict(&sc.Funder, &sc.Grantee); err != nil {
		// Restrict refuses only a query naming another organisation;
		// this one names none. Match nothing rather than everything.
		return projections.Scope{Agreement: number, Funder: "\x00", Grantee: "\x00", Viewer: v.Who.Viewer()}
	}
	return sc
}

// loadAgreement reads the agreement's page data; forms (for the principal)
// are built by the caller.
func (h *Handler) loadAgreement(r *http.Request, v *view, number string) (*agreementPage, int, error) {
	page := &agreementPage{view: v}
	status := http.StatusOK
	today := h.today()
	err := h.withLedger(r.Context(), v, func(l *projections.Ledger) error {
		av, err := l.Agreement(number)
		if err != nil {
			status = http.StatusNotFound
			return errors.New(v.T("not_found") + " " + number)
		}
		a := av.Agg
		if !v.Who.MayAccess(a.Registration().Funder, a.Registration().Grantee) {
			status = http.StatusForbidden
			return errors.New(v.T("forbidden_agreement"))
		}
		page.A = cloneHeader(a)
		for _, y := range a.Years() {
			page.Years = append(page.Years, yearCol{N: y.Year, Period: domain.Period{From: y.From, To: y.To}, Closed: y.Closed})
		}
		scope := agreementScope(v, number)
		my := l.MultiYear(scope)
		yearTotals := make([]projections.Figures, len(a.Years()))
		var grand projections.Figures
		for _, row := range my.Rows {
			if row.Agreement != a.AgreementNumber() {
				continue
			}
			cells := padCells(row.Cells, len(a.Years()))
			page.Blocks = append(page.Blocks, lineBlock{Line: row.Line, Name: row.Name, Rows: figureRows(v, cells, row.Total)})
			for i := range yearTotals {
				yearTotals[i] = yearTotals[i].Add(cells[i])
			}
			grand = grand.Add(row.Total)
		}
		page.Blocks = append(page.Blocks, lineBlock{Name: v.T("total"), Rows: figureRows(v, yearTotals, grand), IsTotal: true})
		page.Chart = chartSVG(v, page.Years, yearTotals)
		for _, ir := range l.Indicators(scope, 0, today).Rows {
			row := indicatorRow{Name: ir.Name, Unit: ir.Unit, Year: ir.Year, Delivered: ir.Delivered, Behind: ir.Behind}
			if ir.Target != nil {
				row.HasTarget, row.Target = true, *ir.Target
				row.ProgressMax, row.ProgressValue = max(*ir.Target, 1), min(ir.Delivered, max(*ir.Target, 1))
			}
			if ir.Achievement != nil {
				row.Achievement = document.Pct(ir.Achievement).Format(v.Lang)
			}
			page.Indicators = append(page.Indicators, row)
		}
		names := document.LineNames{}
		for _, ls := range a.Lines() {
			names[ls.Line] = ls.Name
		}
		for _, y := range a.Years() {
			rep, err := av.YearReport(y.Year, today)
			if err != nil {
				continue
			}
			for _, f := range rep.Findings {
				page.Findings = append(page.Findings, v.YearN(y.Year)+": "+document.FindingTextNamed(f, v.Lang, names))
			}
			page.Obligations = append(page.Obligations, obligationLines(v, rep.Obligations)...)
		}
		page.Cash = newCashView(v, av, today)
		return nil
	})
	if err != nil && status == http.StatusOK {
		status = http.StatusInternalServerError
	}
	return page, status, err
}

// cloneHeader copies what the page shows of the agreement (the read model
// must not be kept beyond View).
func cloneHeader(a *domain.Agreement) *domain.Agreement {
	s := domain.AgreementState{AgreementRegistered: a.Registration(), Registered: a.Registered()}
	s.Lines = append([]domain.LineSpec(nil), a.Lines()...)
	s.IndicatorOrder = append([]string(nil), a.SortedIndicatorIDs()...)
	s.Indicators = map[string]*domain.Indicator{}
	for k, ind := range a.Indicators() {
		cp := *ind
		s.Indicators[k] = &cp
	}
	for _, y := range a.Years() {
		cp := *y
		s.Years = append(s.Years, &cp)
	}
	s.Cells = map[domain.CellKey]*domain.Cell{}
	for k, c := range a.Cells() {
		cp := *c
		s.Cells[k] = &cp
	}
	s.Adjust = cloneAdjust(a.Adjust())
	s.Cash = cloneCash(a.Cash())
	s.Work = cloneWork(a.Work())
	s.Ineligible = cloneIneligible(a.Ineligibles())
	s.Spendings = cloneSpendings(a.Spendings())
	c, err := domain.RestoreAgreement(s)
	if err != nil {
		// A copy of a state Apply built passes the checks a snapshot's
		// state must pass.
		panic(fmt.Sprintf("web: the copy of agreement %s is refused: %v", a.AgreementNumber(), err))
	}
	return c
}

// cloneAdjust copies the figures as closed (cloneHeader).
func cloneAdjust(s domain.AdjustState) domain.AdjustState {
	out := domain.AdjustState{}
	if s.Closed != nil {
		out.Closed = make(map[int]map[string]domain.Cell, len(s.Closed))
		for y, cells := range s.Closed {
			out.Closed[y] = maps.Clone(cells)
		}
	}
	out.After = maps.Clone(s.After)
	if s.Splits != nil {
		out.Splits = make(map[domain.CellKey][]domain.CalendarPart, len(s.Splits))
		for k, parts := range s.Splits {
			out.Splits[k] = append([]domain.CalendarPart(nil), parts...)
		}
	}
	return out
}

func padCells(cells []projections.Figures, n int) []projections.Figures {
	out := make([]projections.Figures, n)
	copy(out, cells)
	return out
}

// agreement shows one agreement: years side by side, chart, indicators,
// findings and the forms the principal may send.
func (h *Handler) agreement(w http.ResponseWriter, r *http.Request, v *view) {
	number := r.URL.Query().Get("no")
	page, status, err := h.loadAgreement(r, v, number)
	if err != nil {
		h.fail(w, r, v, status, err.Error())
		return
	}
	v.Title = number
	switch {
	case r.URL.Query().Get("dup") != "":
		v.Flash = v.Tf("duplicate", v.T("cmd_"+r.URL.Query().Get("dup")))
	case r.URL.Query().Get("saved") != "":
		v.Flash = v.Tf("saved", v.T("cmd_"+r.URL.Query().Get("saved")))
	}
	page.Forms = h.formsFor(v, page.A, nil)
	h.render(w, http.StatusOK, "agreement", page)
}

type docPage struct {
	*view
	Doc       document.Document
	Number    string
	Year      int
	Years     []int
	XLSX, CSV string
	CSVExcel  string // the CSV in the spreadsheet dialect
	Banner    string
	BannerBad bool
	Filters   bool
}

// yearReport builds the yearly report for the request.
func (h *Handler) yearReport(r *http.Request, v *view) (projections.YearReport, int, error) {
	number := r.URL.Query().Get("no")
	year, err := strconv.Atoi(r.URL.Query().Get("year"))
	if err != nil || year < 1 {
		return projections.YearReport{}, http.StatusBadRequest, errors.New(v.T("f_year") + ": " + v.T("bad_number"))
	}
	var rep projections.YearReport
	status := http.StatusOK
	err = h.withLedger(r.Context(), v, func(l *projections.Ledger) error {
		av, err := l.Agreement(number)
		if err != nil {
			status = http.StatusNotFound
			return errors.New(v.T("not_found") + " " + number)
		}
		if !v.Who.MayAccess(av.Agg.Registration().Funder, av.Agg.Registration().Grantee) || !v.Who.MayReadReports() {
			status = http.StatusForbidden
			return errors.New(v.T("forbidden_agreement"))
		}
		rep, err = av.YearReport(year, h.today())
		if err != nil {
			status = http.StatusNotFound
		}
		return err
	})
	if err != nil && status == http.StatusOK {
		status = http.StatusInternalServerError
	}
	return rep, status, err
}

// report is the yearly delegation report, laid out for printing.
func (h *Handler) report(w http.ResponseWriter, r *http.Request, v *view) {
	rep, status, err := h.yearReport(r, v)
	if err != nil {
		h.fail(w, r, v, status, err.Error())
		return
	}
	doc := document.YearDocument(rep, v.Lang)
	v.Title = doc.Title
	page := docPage{view: v, Doc: doc, Number: rep.Agreement, Year: rep.Year,
		XLSX: v.U("/report.xlsx", "no", rep.Agreement, "year", rep.Year)}
	for y := 1; y <= rep.Years; y++ {
		page.Years = append(page.Years, y)
	}
	h.render(w, http.StatusOK, "report", page)
}

func (h *Handler) reportXLSX(w http.ResponseWriter, r *http.Request, v *view) {
	rep, status, err := h.yearReport(r, v)
	if err != nil {
		h.fail(w, r, v, status, err.Error())
		return
	}
	h.download(w, v, document.YearDocument(rep, v.Lang), "xlsx", fmt.Sprintf("report-%s-year-%d", fileSafe(rep.Agreement), rep.Year))
}

// download writes a document as CSV (its main table) or XLSX.
func (h *Handler) download(w http.ResponseWriter, v *view, doc document.Document, format, name string) {
	var buf bytes.Buffer
	var err error
	ct := "text/csv; charset=utf-8"
	if format == "xlsx" {
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		err = h.cfg.Files.WriteXLSX(&buf, doc)
	} else {
		err = h.cfg.Files.WriteCSV(&buf, doc, v.Q("csv"))
	}
	if err != nil {
		http.Error(w, "render "+format+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+"."+format))
	w.Header().Set("Cache-Control", "no-store")
	buf.WriteTo(w)
}

func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '_'
	}, s)
}

// reconDoc builds the reconciliation the request asks for, scoped to the
// principal's organisation with the API's rule.
func (h *Handler) reconDoc(r *http.Request, v *view) (document.Document, int, error) {
	qs := r.URL.Query()
	q := readmodel.Query{Scope: projections.Scope{Funder: qs.Get("funder"), Grantee: qs.Get("grantee"), Programme: qs.Get("programme"), Agreement: qs.Get("agreement")}}
	if s := qs.Get("year"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 50 {
			return document.Document{}, http.StatusBadRequest, errors.New(v.T("f_year") + ": " + v.T("bad_number"))
		}
		q.Year = n
	}
	for _, f := range []struct {
		name string
		dst  *domain.Date
	}{{"from", &q.From}, {"to", &q.To}} {
		if s := strings.TrimSpace(qs.Get(f.name)); s != "" {
			d, err := domain.ParseDate(s)
			if err != nil {
				return document.Document{}, http.StatusBadRequest, errors.New(v.T(map[string]string{"from": "from", "to": "to_date"}[f.name]) + ": " + v.T("bad_date"))
			}
			*f.dst = d
		}
	}
	if !v.Who.MayReadReports() {
		return document.Document{}, http.StatusForbidden, errors.New(v.T("forbidden_agreement"))
	}
	q.Viewer = v.Who.Viewer()
	if err := v.Who.Restrict(&q.Funder, &q.Grantee); err != nil {
		return document.Document{}, http.StatusForbidden, err
	}
	scope := q.Scope
	var doc document.Document
	status := http.StatusOK
	err := h.withLedger(r.Context(), v, func(l *projections.Ledger) error {
		if q.Year == 0 && q.From == 0 && q.To == 0 {
			my, err := l.MultiYearChecked(scope)
			if err != nil {
				status = http.StatusBadRequest
				return err
			}
			doc = document.MultiYearDocument(my, v.Lang)
			return nil
		}
		rec, err := l.Reconcile(scope, projections.Window{Year: q.Year, From: q.From, To: q.To})
		if err != nil {
			status = http.StatusBadRequest
			return err
		}
		doc = document.ReconDocument(rec, v.Lang)
		return nil
	})
	if err != nil && status == http.StatusOK {
		status = http.StatusInternalServerError
	}
	return doc, status, err
}

func reconParams(r *http.Request) []any {
	var kv []any
	for _, k := range []string{"funder", "grantee", "programme", "agreement", "year", "from", "to"} {
		kv = append(kv, k, r.URL.Query().Get(k))
	}
	return kv
}

func (h *Handler) reconciliation(w http.ResponseWriter, r *http.Request, v *view) {
	v.Title = v.T("reconciliation")
	doc, status, err := h.reconDoc(r, v)
	page := docPage{view: v, Doc: doc, Filters: true,
		CSV: v.U("/reconciliation.csv", reconParams(r)...), XLSX: v.U("/reconciliation.xlsx", reconParams(r)...),
		CSVExcel: v.U("/reconciliation.csv", append(reconParams(r), "csv", "excel")...)}
	if err != nil {
		v.Problem = err.Error()
		page.Doc = document.Document{}
		page.CSV, page.XLSX, page.CSVExcel = "", "", ""
	}
	h.render(w, status, "reconciliation", page)
}

func (h *Handler) reconciliationFile(w http.ResponseWriter, r *http.Request, v *view) {
	doc, status, err := h.reconDoc(r, v)
	if err != nil {
		h.fail(w, r, v, status, err.Error())
		return
	}
	format := "csv"
	if strings.HasSuffix(r.URL.Path, ".xlsx") {
		format = "xlsx"
	}
	h.download(w, v, doc, format, "reconciliation")
}

// audit shows the audit trail with the chain verification result; only
// auditors may read it, as in the API.
func (h *Handler) audit(w http.ResponseWriter, r *http.Request, v *view) {
	v.Title = v.T("audit")
	if !v.Who.MayAudit() {
		h.fail(w, r, v, http.StatusForbidden, v.T("auditor_only"))
		return
	}
	qs := r.URL.Query()
	f := projections.AuditFilter{Agreement: qs.Get("agreement"), Actor: qs.Get("actor")}
	if t := strings.TrimSpace(qs.Get("type")); t != "" {
		f.Types = strings.Split(t, ",")
	}
	for _, p := range []struct {
		name string
		end  bool
	}{{"from", false}, {"to", true}} {
		s := strings.TrimSpace(qs.Get(p.name))
		if s == "" {
			continue
		}
		d, err := domain.ParseDate(s)
		if err != nil {
			v.Problem = v.T(map[string]string{"from": "from", "to": "to_date"}[p.name]) + ": " + v.T("bad_date")
			continue
		}
		if p.end {
			f.To = d.Time().Add(24*60*60*1e9 - 1)
		} else {
			f.From = d.Time()
		}
	}
	ver, verr := h.cfg.Reads.VerifyChains(r.Context())
	var rep projections.AuditReport
	err := h.withLedger(r.Context(), v, func(l *projections.Ledger) error {
		rep = l.Audit(f)
		return nil
	})
	if err != nil {
		h.fail(w, r, v, http.StatusInternalServerError, err.Error())
		return
	}
	page := auditPage{docPage: docPage{view: v, Filters: true}}
	switch {
	case verr != nil:
		page.Banner, page.BannerBad = verr.Error(), true
	case ver.OK:
		page.Banner = v.Tf("verify_ok", ver.Events, ver.Streams)
	default:
		b := ver.Breaks[0]
		page.Banner, page.BannerBad = v.Tf("verify_broken", b.Stream, b.Revision, b.Problem), true
		for _, b := range ver.Breaks {
			page.Breaks = append(page.Breaks, fmt.Sprintf("%s #%d (%s): %s", b.Stream, b.Revision, b.Position, b.Problem))
		}
	}
	page.paginate(rep.Rows, qs.Get("page"))
	page.Types = auditTypeChoices(v, qs.Get("type"))
	h.render(w, http.StatusOK, "audit", page)
}
