package document

import (
	"fmt"
	"strings"

	"github.com/grantledger/grantledger/projections"
)

// cashReportLabels are the words of the cash report (grantledger cash,
// GET /v1/reports/cash); init adds them to labels.
var cashReportLabels = map[string][2]string{
	"cash.title":      {"Payments and the grantee's cash position", "Maksājumi un finansējuma saņēmēja naudas līdzekļi"},
	"planned_total":   {"Planned in total (plans in force)", "Plānots kopā (spēkā esošie plāni)"},
	"scheduled_total": {"Scheduled payments in total", "Plānotie maksājumi kopā"},
	"cash_by_year":    {"Cash position per implementation year and to date", "Naudas līdzekļi pa īstenošanas gadiem un kopā"},
	"schedule":        {"Payment schedule", "Maksājumu grafiks"},
	"payments":        {"Payments to the grantee", "Maksājumi finansējuma saņēmējam"},
	"dues":            {"Returns and recoveries due back", "Atmaksājamās atgriešanas un atgūšanas"},
	"pay_kind":        {"Payment", "Maksājums"},
	"reference":       {"Reference", "Atsauce"},
	"reversed":        {"Reversed", "Stornēts"},
	"waits_for":       {"Waits for", "Gaida"},
	"due_kind":        {"Due for", "Pamats"},
	"due_date":        {"Due by", "Termiņš"},
	"kind.advance":    {"advance", "avanss"},
	"kind.tranche":    {"tranche", "starpmaksājums"},
	"kind.final":      {"final payment", "noslēguma maksājums"},
	"kind.return":     {"return", "atgriešana"},
	"kind.recovery":   {"recovery", "atgūšana"},
}

func init() {
	for k, v := range cashReportLabels {
		labels[k] = v
	}
}

func kindText(l Lang, k string) string {
	if k == "" {
		return ""
	}
	if _, ok := labels["kind."+k]; ok {
		return L(l, "kind."+k)
	}
	return k
}

// CashDocument lays out the grantee's cash position of one agreement: the
// ceiling and intensity, what was planned and scheduled, received − eligible
// spent − refunded = held per implementation year and to date, the
// schedule, every payment, every return and recovery with what is still
// due, and the cash findings.
func CashDocument(r projections.CashReport, l Lang) Document {
	head := Section{Fields: []Field{
		{L(l, "agreement"), Text(r.Agreement)},
		{L(l, "grantee"), Text(r.Performer)},
		{L(l, "funder"), Text(r.Funder)},
	}}
	head.Fields = append(head.Fields, asOfField(l, r.AsOf)...)
	c := L(l, "no_ceiling")
	if r.Ceiling != nil {
		c = FormatEuro(*r.Ceiling, l)
	}
	head.Fields = append(head.Fields, Field{L(l, "ceiling"), Text(c)})
	if r.SupportIntensity != "" {
		head.Fields = append(head.Fields, Field{L(l, "support_intensity"), Text(strings.Replace(r.SupportIntensity, ".", decimalMark(l), 1) + " %")})
	}
	head.Fields = append(head.Fields,
		Field{L(l, "planned_total"), Money(r.Planned)},
		Field{L(l, "scheduled_total"), Money(r.Scheduled)})

	// Without a payment on record every year would read as pre-financed:
	// say so instead of showing the position (as the yearly report does).
	pos := Section{Heading: L(l, "cash_by_year")}
	t := Table{Title: L(l, "cash_by_year"), Sheet: "Cash", Columns: labelsOf(l, "year", "disbursed", "eligible_spent", "refunded", "held", "outstanding_due")}
	for _, y := range r.Years {
		t.Rows = append(t.Rows, []Cell{Int(int64(y.Year)), Money(y.Disbursed), Money(y.EligibleSpent), Money(y.Refunded), Money(y.Held), Money(y.Outstanding)})
	}
	t.Footer = [][]Cell{{Text(L(l, "to_date")), Money(r.Total.Disbursed), Money(r.Total.EligibleSpent), Money(r.Total.Refunded), Money(r.Total.Held), Money(r.Total.Outstanding)}}
	if r.RecordsPayments {
		pos.Tables = []Table{t}
	} else {
		pos.Notes = []string{L(l, "no_payments")}
	}

	sched := Table{Title: L(l, "schedule"), Sheet: "Schedule", Columns: labelsOf(l, "date", "pay_kind", "year", "amount", "waits_for")}
	for _, p := range r.Schedule {
		sched.Rows = append(sched.Rows, []Cell{Date(p.Date), Text(kindText(l, p.Kind)), Int(int64(p.Year)), Money(p.Amount), Text(p.Report)})
	}
	pays := Table{Title: L(l, "payments"), Sheet: "Payments", Columns: labelsOf(l, "date", "pay_kind", "year", "amount", "reference", "reversed")}
	for _, p := range r.Disbursements {
		rev := L(l, "no")
		if p.Reversed {
			rev = L(l, "yes")
		}
		pays.Rows = append(pays.Rows, []Cell{Date(p.Date), Text(kindText(l, p.Kind)), Int(int64(p.Year)), Money(p.Amount), Text(p.Reference), Text(rev)})
	}
	dues := Table{Title: L(l, "dues"), Sheet: "Dues", Columns: labelsOf(l, "date", "due_kind", "line", "year", "amount", "due_date", "refunded", "outstanding_due")}
	for _, d := range r.Dues {
		dues.Rows = append(dues.Rows, []Cell{Date(d.Date), Text(kindText(l, d.Kind)), Text(d.Line), Int(int64(d.Year)), Money(d.Amount), Date(d.DueDate), Money(d.Refunded), Money(d.Outstanding)})
	}
	secs := []Section{head, pos}
	for _, t := range []Table{sched, pays, dues} {
		if len(t.Rows) == 0 {
			secs = append(secs, Section{Heading: t.Title, Notes: []string{L(l, "none")}})
			continue
		}
		secs = append(secs, Section{Tables: []Table{t}})
	}
	return Document{Lang: l, Agreement: r.Agreement, Title: fmt.Sprintf("%s — %s", L(l, "cash.title"), r.Agreement),
		Sections: append(secs, findingsSection(r.Findings, l, nil))}
}
