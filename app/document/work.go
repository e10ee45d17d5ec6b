package document

import (
	"fmt"
	"strings"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// Work plans, reporting obligations and restatements (issue 15).

var workLabels = map[string][2]string{
	"obligations":      {"Reporting obligations", "Atskaišu iesniegšanas pienākumi"},
	"report_code":      {"Report", "Atskaite"},
	"kind":             {"Kind", "Veids"},
	"status":           {"Status", "Statuss"},
	"submitted_on":     {"Submitted", "Iesniegta"},
	"accepted_on":      {"Accepted", "Pieņemta"},
	"returned_reason":  {"Returned, reason", "Atdota, iemesls"},
	"sha256":           {"SHA-256 of the file", "Datnes SHA-256"},
	"not_yet_reported": {"Not yet reported (the year's report is not due yet)", "Vēl nav atskaitīts (gada atskaites termiņš vēl nav pienācis)"},
	"obl.title":        {"Reporting obligations", "Atskaišu iesniegšanas pienākumi"},
	"responsible":      {"Responsible", "Atbildīgā organizācija"},
	"late":             {"Late", "Nokavēts"},
	"restate.title":    {"Restatement of a sealed report", "Iesniegtās atskaites pārrēķins"},
	"sealed":           {"Sealed", "Iesniegts"},
	"now":              {"Now", "Tagad"},
	"changed":          {"Changed", "Mainīts"},
	"later_events":     {"Later events that change the figures", "Vēlāki notikumi, kas maina skaitļus"},
	"seal_position":    {"Sealed at ledger position", "Iesniegts virsgrāmatas pozīcijā"},
	"restated":         {"Restated", "Pārrēķināts"},
	"obl_due":          {"due", "jāiesniedz"},
	"obl_overdue":      {"overdue", "nokavēta"},
	"obl_submitted":    {"submitted", "iesniegta"},
	"obl_accepted":     {"accepted", "pieņemta"},
	"obl_returned":     {"returned", "atdota"},
	"today":            {"Judged on", "Vērtēts"},
}

func init() {
	for k, v := range workLabels {
		labels[k] = v
	}
}

// workFindingText says the findings of work plans and obligations.
func workFindingText(f projections.Finding, l Lang) (string, bool) {
	lv := l == LV
	d := func(p *domain.Date) string {
		if p == nil {
			return ""
		}
		return FormatDate(*p, l)
	}
	who := ""
	if len(f.Responsible) > 0 {
		if lv {
			who = " Atbildīgā organizācija: " + strings.Join(f.Responsible, ", ") + "."
		} else {
			who = " Responsible: " + strings.Join(f.Responsible, ", ") + "."
		}
	}
	switch f.Code {
	case projections.FindingIndicatorLate:
		if lv {
			return fmt.Sprintf("Rādītājs %s: mērķis %d (%s) ar termiņu %s sasniegts novēloti, %s.%s", f.Indicator, *f.Target, f.Unit, d(f.Date), d(f.MetOn), who), true
		}
		return fmt.Sprintf("Indicator %s: target %d %s due %s was met late, on %s.%s", f.Indicator, *f.Target, f.Unit, d(f.Date), d(f.MetOn), who), true
	case projections.FindingReportOverdue:
		if lv {
			return fmt.Sprintf("Atskaite %s (%d. gads) bija jāiesniedz līdz %s, un tā nav iesniegta.%s", f.Report, f.Year, d(f.Date), who), true
		}
		return fmt.Sprintf("Report %s (year %d) was due on %s and has not been submitted.%s", f.Report, f.Year, d(f.Date), who), true
	}
	return "", false
}

// obligationTable lists obligations; withAgreement adds the agreement.
func obligationTable(rows []projections.ObligationRow, l Lang, withAgreement bool) Table {
	cols := []string{"report_code", "kind", "year", "due", "status", "submitted_on", "accepted_on", "returned_reason", "sha256"}
	if withAgreement {
		cols = append([]string{"agreement"}, cols...)
	}
	t := Table{Title: L(l, "obligations"), Sheet: "Obligations", Columns: labelsOf(l, cols...)}
	for _, o := range rows {
		opt := func(p *domain.Date) Cell {
			if p == nil {
				return Empty()
			}
			return Date(*p)
		}
		row := []Cell{Text(o.Report), Text(o.Kind), Int(int64(o.Year)), Date(o.Due), Text(L(l, "obl_"+o.Status)), opt(o.SubmittedOn), opt(o.AcceptedOn), Text(o.Returned), Text(o.SHA256)}
		if withAgreement {
			row = append([]Cell{Text(o.Agreement)}, row...)
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// obligationsSection is the year's obligations and the money not yet
// reported, when there are any.
func obligationsSection(r projections.YearReport, l Lang) []Section {
	if len(r.Obligations) == 0 && r.NotYetReported == nil {
		return nil
	}
	s := Section{Heading: L(l, "obligations")}
	if r.NotYetReported != nil {
		s.Fields = []Field{{L(l, "not_yet_reported"), Money(*r.NotYetReported)}}
	}
	if len(r.Obligations) > 0 {
		s.Tables = []Table{obligationTable(r.Obligations, l, false)}
	}
	return []Section{s}
}

// ObligationsDocument lays out the reporting obligations of a scope.
func ObligationsDocument(r projections.ObligationsReport, l Lang) Document {
	head := Section{Fields: append([]Field{{L(l, "scope"), Text(scopeText(r.Scope, l))}, {L(l, "today"), Date(r.Today)}}, asOfField(l, r.AsOf)...)}
	return Document{Lang: l, Title: L(l, "obl.title"), Sections: []Section{head, {Tables: []Table{obligationTable(r.Rows, l, true)}}}}
}

// RestatementDocument lays out a sealed report against the ledger now.
func RestatementDocument(r projections.Restatement, l Lang) Document {
	restated := L(l, "no")
	if r.Restated {
		restated = L(l, "yes")
	}
	head := Section{Fields: []Field{
		{L(l, "agreement"), Text(r.Agreement)},
		{L(l, "report_code"), Text(fmt.Sprintf("%s (%d)", r.Report, r.Submission))},
		{L(l, "year"), Int(int64(r.Year))},
		{L(l, "submitted_on"), Date(r.SealedOn)},
		{L(l, "seal_position"), Text(r.Seal.Position.String())},
		{L(l, "sha256"), Text(r.SHA256)},
		{L(l, "restated"), Text(restated)},
	}}
	head.Fields = append(head.Fields, asOfField(l, r.AsOf)...)
	t := Table{Title: L(l, "planned_vs_actual"), Sheet: "Lines", Columns: []string{L(l, "line"), L(l, "changed"),
		L(l, "sealed") + ": " + L(l, "actual"), L(l, "now") + ": " + L(l, "actual"),
		L(l, "sealed") + ": " + L(l, "planned"), L(l, "now") + ": " + L(l, "planned")}}
	for _, ln := range r.Lines {
		t.Rows = append(t.Rows, []Cell{Text(ln.Line), Text(strings.Join(ln.Changed, ", ")), Money(ln.Sealed.Actual), Money(ln.Now.Actual), Money(ln.Sealed.Planned), Money(ln.Now.Planned)})
	}
	it := Table{Title: L(l, "indicators"), Sheet: "Indicators", Columns: []string{L(l, "indicator"), L(l, "sealed"), L(l, "now")}}
	for _, in := range r.Indicators {
		it.Rows = append(it.Rows, []Cell{Text(in.Indicator), Int(in.Sealed), Int(in.Now)})
	}
	ev := Table{Title: L(l, "later_events"), Sheet: "Later", Columns: labelsOf(l, "position", "recorded_at", "type", "line", "year", "amount", "actor", "reason")}
	for _, row := range r.Later {
		amt := Empty()
		if row.Amount != nil {
			amt = Money(*row.Amount)
		}
		ev.Rows = append(ev.Rows, []Cell{Text(row.Position.String()), Text(row.RecordedAt.UTC().Format("2006-01-02 15:04:05Z")), Text(row.Type), Text(row.Line), Int(int64(row.Year)), amt, Text(row.Actor), Text(row.Reason)})
	}
	return Document{Lang: l, Title: L(l, "restate.title"), Sections: []Section{head, {Tables: []Table{t, it, ev}}}}
}

// IndicatorsByResponsibleDocument lays out indicator rows grouped by the
// organisation responsible for them, one table each.
func IndicatorsByResponsibleDocument(r projections.IndicatorsReport, groups []projections.ResponsibleGroup, l Lang) Document {
	doc := IndicatorsDocument(projections.IndicatorsReport{Scope: r.Scope, Today: r.Today, AsOf: r.AsOf}, l)
	out := Document{Lang: l, Title: doc.Title, Sections: doc.Sections[:1]}
	for _, g := range groups {
		sub := IndicatorsDocument(projections.IndicatorsReport{Scope: r.Scope, Today: r.Today, Rows: g.Rows}, l)
		s := sub.Sections[1]
		s.Heading = L(l, "responsible") + ": " + g.Organisation
		out.Sections = append(out.Sections, s)
	}
	return out
}

var periodLabels = map[string][2]string{
	"period.title":     {"Summary of the whole period", "Kopsavilkums par visu periodu"},
	"by_year":          {"Figures per implementation year", "Skaitļi pa īstenošanas gadiem"},
	"narr_description": {"Description and assessment", "Apraksts un vērtējums"},
	"narr_other":       {"Other information", "Cita informācija"},
	"whole_period":     {"Whole period", "Viss periods"},
	"period_total":     {"Total (carried in and over: moved between the years)", "Kopā (pārcelts: starp gadiem)"},
}

func init() {
	for k, v := range periodLabels {
		labels[k] = v
	}
}

// PeriodDocument lays out the whole-period summary: the head, the figures
// per year and in total, where the remainders went, the indicators per
// year, the findings and the narratives.
func PeriodDocument(s projections.PeriodSummary, l Lang) Document {
	task, period, performer := "task", "delegation_period", "performer"
	if s.Kind == domain.KindGrant {
		task, period, performer = "project", "project_period", "grantee"
	}
	head := Section{Fields: []Field{
		{L(l, "agreement"), Text(s.Agreement)},
		{L(l, task), Text(s.Title)},
		{L(l, performer), Text(s.Performer)},
		{L(l, "funder"), Text(s.Funder)},
		{L(l, period), Text(FormatPeriod(s.DelegationPeriod, l))},
	}}
	head.Fields = append(head.Fields, asOfField(l, s.AsOf)...)
	years := Table{Title: L(l, "by_year"), Sheet: "Years", Columns: append([]string{L(l, "year")}, labelsOf(l, figureColumns...)...)}
	for _, y := range s.Years {
		years.Rows = append(years.Rows, append([]Cell{Text(ordinalYear(l, y.Year) + " (" + FormatPeriod(y.Period, l) + ")")}, figureCells(y.Total)...))
	}
	years.Footer = [][]Cell{append([]Cell{Text(L(l, "period_total"))}, figureCells(s.Total)...)}
	money := Section{Heading: L(l, "by_year"), Tables: []Table{years}}
	moves := Section{Heading: L(l, "remainder_moves")}
	names := LineNames{}
	for _, y := range s.Years {
		for _, f := range y.Lines {
			if f.Line != "" && f.Name != "" {
				names[f.Line] = f.Name
			}
		}
	}
	var cin domain.Money
	for _, c := range s.CarriedOver {
		cin += c.Amount
	}
	moves.Fields = append(moves.Fields,
		Field{L(l, "carried_over_to"), Text(carrySummary(s.CarriedOver, cin, l, false, names))},
		Field{L(l, "returned_to"), Text(returnSummary(s.Returned, l, names))},
		Field{L(l, "ineligible"), Text(noneOr(s.Total.Ineligible, l))},
		Field{L(l, "unrecovered"), Text(noneOr(s.Total.Unrecovered, l))})
	ind := Section{Heading: L(l, "indicators")}
	it := Table{Title: L(l, "indicators"), Sheet: "Indicators", Columns: append([]string{L(l, "year")}, labelsOf(l, "indicator", "unit", "target", "delivered", "achievement", "due", "overdue")...)}
	for _, y := range s.Years {
		t := indicatorTable(y.Indicators, l, false)
		for _, row := range t.Rows {
			it.Rows = append(it.Rows, append([]Cell{Int(int64(y.Year))}, row...))
		}
	}
	if len(it.Rows) == 0 {
		ind.Notes = []string{L(l, "none")}
	} else {
		ind.Tables = []Table{it}
	}
	narr := Section{Heading: L(l, "narr_description") + "; " + L(l, "narr_other")}
	add := func(label, text string) {
		if text != "" {
			narr.Fields = append(narr.Fields, Field{label, Text(text)})
		}
	}
	for _, y := range s.Years {
		add(ordinalYear(l, y.Year)+": "+L(l, "narr_description"), y.Description)
		add(ordinalYear(l, y.Year)+": "+L(l, "narr_other"), y.Other)
	}
	add(L(l, "whole_period")+": "+L(l, "narr_description"), s.Description)
	add(L(l, "whole_period")+": "+L(l, "narr_other"), s.Other)
	if len(narr.Fields) == 0 {
		narr.Notes = []string{L(l, "none")}
	}
	return Document{Lang: l, Agreement: s.Agreement, Title: fmt.Sprintf("%s — %s", L(l, "period.title"), s.Agreement),
		Sections: []Section{head, money, moves, ind, narr, findingsSection(s.Findings, l, names)}}
}
