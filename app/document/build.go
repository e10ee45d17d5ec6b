package document

import (
	"fmt"
	"strings"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

func ordinalYear(l Lang, n int) string {
	if l == LV {
		return fmt.Sprintf("%d. %s", n, strings.ToLower(L(l, "impl_year")))
	}
	return fmt.Sprintf("%s %d", L(l, "impl_year"), n)
}

// YearN names implementation year n in a heading or a column: "1. gads"
// in Latvian (an ordinal before the noun), "Year 1" in English.
func YearN(n int, l Lang) string {
	if l == LV {
		return fmt.Sprintf("%d. %s", n, strings.ToLower(L(l, "year")))
	}
	return fmt.Sprintf("%s %d", L(l, "year"), n)
}

func asOfField(l Lang, t *time.Time) []Field {
	if t == nil {
		return nil
	}
	return []Field{{L(l, "as_of"), Text(t.UTC().Format(time.RFC3339))}}
}

// figureColumns are the amount columns of a per-line table.
var figureColumns = []string{"planned_original", "planned", "carried_in", "actual", "carried_over", "returned", "remainder", "overspend"}

func figureCells(f projections.Figures) []Cell {
	return []Cell{Money(f.PlannedOriginal), Money(f.Planned), Money(f.CarriedIn), Money(f.Actual), Money(f.CarriedOver), Money(f.Returned), Money(f.Remainder), Money(f.Overspend)}
}

func labelsOf(l Lang, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = L(l, k)
	}
	return out
}

// YearDocument lays out the yearly delegation report in the shape of the
// ministry summary: task, performer, period; planned against actual per
// line and in total; where the remainder went; ineligible and unrecovered
// funds ("none" when none); indicators; findings.
func YearDocument(r projections.YearReport, l Lang) Document {
	task, period := "task", "delegation_period"
	performer := "performer"
	if r.Kind == domain.KindGrant {
		task, period, performer = "project", "project_period", "grantee"
	}
	head := Section{Fields: []Field{
		{L(l, "agreement"), Text(r.Agreement)},
		{L(l, task), Text(r.Title)},
		{L(l, performer), Text(r.Performer)},
		{L(l, "funder"), Text(r.Funder)},
	}}
	if r.Programme != "" {
		head.Fields = append(head.Fields, Field{L(l, "programme"), Text(r.Programme)})
	}
	status := L(l, "open")
	if r.Closed {
		status = L(l, "closed")
	}
	head.Fields = append(head.Fields,
		Field{L(l, period), Text(FormatPeriod(r.DelegationPeriod, l))},
		Field{ordinalYear(l, r.Year), Text(FormatPeriod(r.Period, l))},
		Field{L(l, "status"), Text(status)})
	head.Fields = append(head.Fields, asOfField(l, r.AsOf)...)
	head.Fields = append(head.Fields, ceilingFields(r, l)...)

	lines := Table{Title: L(l, "planned_vs_actual"), Sheet: "Lines", Columns: append([]string{L(l, "line")}, labelsOf(l, figureColumns...)...)}
	for _, f := range r.Lines {
		lines.Rows = append(lines.Rows, append([]Cell{Text(f.Name)}, figureCells(f)...))
	}
	lines.Footer = [][]Cell{append([]Cell{Text(L(l, "total"))}, figureCells(r.Total)...)}
	money := Section{Heading: L(l, "planned_vs_actual"), Tables: []Table{lines}}

	names := LineNames{}
	for _, f := range r.Lines {
		if f.Line != "" && f.Name != "" {
			names[f.Line] = f.Name
		}
	}
	moves := Section{Heading: L(l, "remainder_moves")}
	moves.Fields = append(moves.Fields,
		Field{L(l, "carried_in_from"), Text(carrySummary(r.CarriedInFrom, r.Total.CarriedIn, l, true, names))},
		Field{L(l, "carried_over_to"), Text(carrySummary(r.CarriedOverTo, r.Total.CarriedOver, l, false, names))},
		Field{L(l, "returned_to"), Text(returnSummary(r.ReturnedTo, l, names))},
		Field{L(l, "ineligible"), Text(noneOr(r.Total.Ineligible, l))},
		Field{L(l, "unrecovered"), Text(noneOr(r.Total.Unrecovered, l))},
	)
	if len(r.Amendments) > 0 {
		t := Table{Title: L(l, "amendments"), Sheet: "Amendments", Columns: labelsOf(l, "line", "previous", "new_amount", "date", "reason")}
		for _, a := range r.Amendments {
			t.Rows = append(t.Rows, []Cell{Text(a.Line), Money(a.Previous), Money(a.Amount), Date(a.EffectiveDate), Text(a.Reason)})
		}
		moves.Tables = append(moves.Tables, t)
	}

	ind := Section{Heading: L(l, "indicators")}
	if len(r.Indicators) == 0 {
		ind.Notes = []string{L(l, "none")}
	} else {
		ind.Tables = []Table{indicatorTable(r.Indicators, l, false)}
	}
	return Document{Lang: l, Agreement: r.Agreement, Year: r.Year, Title: fmt.Sprintf("%s — %s, %s", L(l, "yearly.title"), r.Agreement, ordinalYear(l, r.Year)),
		Sections: append(append(append([]Section{head, money}, asClosedSection(r, l)...), moves, cashSection(r, l), ind), append(obligationsSection(r, l), findingsSection(r.Findings, l, names))...)}
}

func noneOr(m domain.Money, l Lang) string {
	if m == 0 {
		return L(l, "none")
	}
	return FormatEuro(m, l)
}

// LineNames maps budget line codes ("civil") to the names people read in
// sentences ("Pilsoniskās sabiedrības attīstība Kurzemes reģionā"); a code
// it lacks is said as it is.
type LineNames map[string]string

func (n LineNames) of(code string) string {
	if name := n[code]; name != "" {
		return name
	}
	return code
}

func carrySummary(rows []projections.CarryRow, total domain.Money, l Lang, in bool, names LineNames) string {
	if total == 0 {
		return L(l, "none")
	}
	var parts []string
	for _, c := range rows {
		parts = append(parts, names.of(c.Line)+" "+FormatEuro(c.Amount, l))
	}
	y := 0
	if len(rows) > 0 {
		y = rows[0].ToYear
		if in {
			y = rows[0].FromYear
		}
	}
	var yr string
	switch {
	case l == LV && in:
		yr = fmt.Sprintf("no %d. gada", y)
	case l == LV:
		yr = fmt.Sprintf("uz %d. gadu", y)
	case in:
		yr = fmt.Sprintf("from year %d", y)
	default:
		yr = fmt.Sprintf("to year %d", y)
	}
	return fmt.Sprintf("%s %s (%s)", FormatEuro(total, l), yr, strings.Join(parts, "; "))
}

func returnSummary(rows []projections.ReturnRow, l Lang, names LineNames) string {
	if len(rows) == 0 {
		return L(l, "none")
	}
	var parts []string
	for _, r := range rows {
		parts = append(parts, fmt.Sprintf("%s: %s → %s (%s)", names.of(r.Line), FormatEuro(r.Amount, l), r.To, FormatDate(r.Date, l)))
	}
	return strings.Join(parts, "; ")
}

func indicatorTable(rows []projections.IndicatorFigures, l Lang, withAgreement bool) Table {
	t := Table{Title: L(l, "indicators"), Sheet: "Indicators", Columns: labelsOf(l, "indicator", "unit", "target", "delivered", "achievement", "due", "overdue")}
	for _, f := range rows {
		target := Empty()
		if f.Target != nil {
			target = Int(*f.Target)
		}
		due := Empty()
		if f.Due != nil {
			due = Date(*f.Due)
		}
		over := L(l, "no")
		if f.Behind {
			over = L(l, "yes")
		}
		t.Rows = append(t.Rows, []Cell{Text(f.Name), Text(f.Unit), target, Int(f.Delivered), Pct(f.Achievement), due, Text(over)})
	}
	return t
}

func findingsSection(fs []projections.Finding, l Lang, names LineNames) Section {
	s := Section{Heading: L(l, "findings")}
	if len(fs) == 0 {
		s.Notes = []string{L(l, "no_findings")}
	}
	for _, f := range fs {
		s.Notes = append(s.Notes, FindingTextNamed(f, l, names))
	}
	return s
}

// FindingText says a finding in language l from its figures, naming
// budget lines by their codes.
func FindingText(f projections.Finding, l Lang) string { return FindingTextNamed(f, l, nil) }

// FindingTextNamed says a finding in language l, naming budget lines by
// their names where names has them (a sentence reads "Pilsoniskās
// sabiedrības attīstība … 1 040,13 euro", not "civil 1 040,13 euro").
func FindingTextNamed(f projections.Finding, l Lang, names LineNames) string {
	amt := func(p *domain.Money) string {
		if p == nil {
			return ""
		}
		return FormatEuro(*p, l)
	}
	date := func(p *domain.Date) string {
		if p == nil {
			return ""
		}
		return FormatDate(*p, l)
	}
	var parts []string
	for _, la := range f.Lines {
		parts = append(parts, names.of(la.Line)+" "+FormatEuro(la.Amount, l))
	}
	lv := l == LV
	switch f.Code {
	case projections.FindingOverspend:
		if lv {
			return fmt.Sprintf("Pozīcijā %s pārtērēti %s.", names.of(f.Line), amt(f.Amount))
		}
		return fmt.Sprintf("Line %s is overspent by %s.", names.of(f.Line), amt(f.Amount))
	case projections.FindingUnexplainedRemainder:
		var s string
		if lv {
			s = fmt.Sprintf("%d. īstenošanas gads beidzās, bet %s nav ne izlietoti, ne pārcelti uz nākamo periodu, ne atgriezti (%s)", f.Year, amt(f.Amount), strings.Join(parts, "; "))
			if f.CarriedIn != nil {
				s += fmt.Sprintf("; no %d. gada bija pārcelti %s", f.Year-1, amt(f.CarriedIn))
			}
		} else {
			s = fmt.Sprintf("Year %d has ended but %s is neither spent, carried over nor returned (%s)", f.Year, amt(f.Amount), strings.Join(parts, "; "))
			if f.CarriedIn != nil {
				s += fmt.Sprintf("; %s was carried in from year %d", amt(f.CarriedIn), f.Year-1)
			}
		}
		return s + "."
	case projections.FindingOpenPastEnd:
		if lv {
			return fmt.Sprintf("%d. īstenošanas gads beidzās %s, bet nav slēgts.", f.Year, date(f.Date))
		}
		return fmt.Sprintf("Year %d ended on %s and is still open.", f.Year, date(f.Date))
	case projections.FindingIndicatorBehind:
		if lv {
			return fmt.Sprintf("Rādītājs %s: līdz %s sasniegti %d no %d (%s).", f.Indicator, date(f.Date), *f.Delivered, *f.Target, f.Unit)
		}
		return fmt.Sprintf("Indicator %s: %d of %d %s delivered by %s.", f.Indicator, *f.Delivered, *f.Target, f.Unit, date(f.Date))
	case projections.FindingUnrecovered:
		if lv {
			return fmt.Sprintf("Neatgūti %s no neatbilstoši veiktajiem izdevumiem.", amt(f.Amount))
		}
		return fmt.Sprintf("%s of ineligible expenditure is not recovered.", amt(f.Amount))
	}
	if s, ok := cashFindingText(f, l); ok {
		return s
	}
	if s, ok := workFindingText(f, l); ok {
		return s
	}
	return f.Message
}

func scopeText(s projections.Scope, l Lang) string {
	var parts []string
	for _, kv := range [][2]string{{"funder", s.Funder}, {"programme", s.Programme}, {"grantee", s.Grantee}, {"agreement", s.Agreement}} {
		if kv[1] != "" {
			parts = append(parts, strings.ToLower(L(l, kv[0]))+" "+kv[1])
		}
	}
	if len(parts) == 0 {
		return L(l, "all")
	}
	return strings.Join(parts, ", ")
}

// ReconDocument lays out a reconciliation: one row per agreement and line.
func ReconDocument(r projections.Reconciliation, l Lang) Document {
	win := ordinalYear(l, r.Window.Year)
	if r.Window.Year == 0 {
		win = FormatPeriod(domain.Period{From: r.Window.From, To: r.Window.To}, l)
	}
	head := Section{Fields: append([]Field{
		{L(l, "scope"), Text(scopeText(r.Scope, l))},
		{L(l, "window"), Text(win)},
		{L(l, "basis"), Text(L(l, "basis."+r.Basis))},
		{L(l, "agreements"), Int(int64(r.Agreements))},
	}, asOfField(l, r.AsOf)...)}
	cols := append(labelsOf(l, "agreement", "line", "years"), labelsOf(l, figureColumns...)...)
	cols = append(cols, L(l, "variance"), L(l, "utilisation"))
	t := Table{Title: L(l, "recon.title"), Sheet: "Reconciliation", Columns: cols}
	for _, row := range r.Rows {
		ys := make([]string, len(row.Years))
		for i, y := range row.Years {
			ys[i] = fmt.Sprint(y)
		}
		c := append([]Cell{Text(row.Agreement), Text(row.Name), Text(strings.Join(ys, ","))}, figureCells(row.Figures)...)
		c = append(c, Money(row.Variance), Pct(row.Utilisation))
		c = append(c, apportionedCells(row.PlannedApportioned, row.ApportionedUtilisation)...)
		t.Rows = append(t.Rows, append(c, ceilingCells(row.Ceiling, row.SupportIntensity)...))
	}
	tot := append([]Cell{Text(L(l, "total")), Empty(), Empty()}, figureCells(r.Total.Figures)...)
	tot = append(tot, Money(r.Total.Variance), Pct(r.Total.Utilisation))
	tot = append(tot, apportionedCells(r.Total.PlannedApportioned, r.Total.ApportionedUtilisation)...)
	t.Footer = [][]Cell{append(tot, Empty(), Empty())}
	if r.Window.Year == 0 {
		t.Columns = append(t.Columns, L(l, "planned_apportioned"), L(l, "apportioned_utilisation"))
	}
	t.Columns = append(t.Columns, ceilingColumns(l)...)
	return Document{Lang: l, Title: L(l, "recon.title"), Sections: []Section{head, {Tables: []Table{t}}}}
}

// MultiYearDocument lays out the multi-year view: per agreement and line,
// planned, actual and remainder of each implementation year side by side.
func MultiYearDocument(m projections.MultiYear, l Lang) Document {
	cols := labelsOf(l, "agreement", "line")
	for y := 1; y <= m.Years; y++ {
		for _, k := range []string{"planned", "actual", "remainder"} {
			cols = append(cols, YearN(y, l)+": "+L(l, k))
		}
	}
	cols = append(cols, L(l, "total")+": "+L(l, "planned"), L(l, "total")+": "+L(l, "actual"))
	cols = append(cols, ceilingColumns(l)...)
	t := Table{Title: L(l, "multi.title"), Sheet: "Years", Columns: cols}
	for _, row := range m.Rows {
		c := []Cell{Text(row.Agreement), Text(row.Name)}
		for _, f := range row.Cells {
			c = append(c, Money(f.Planned), Money(f.Actual), Money(f.Remainder))
		}
		c = append(c, Money(row.Total.Planned), Money(row.Total.Actual))
		t.Rows = append(t.Rows, append(c, ceilingCells(row.Ceiling, row.SupportIntensity)...))
	}
	foot := []Cell{Text(L(l, "total")), Empty()}
	var all projections.Figures
	for _, f := range m.Totals {
		foot = append(foot, Money(f.Planned), Money(f.Actual), Money(f.Remainder))
		all = all.Add(f)
	}
	t.Footer = [][]Cell{append(foot, Money(all.Planned), Money(all.Actual), Empty(), Empty())}
	head := Section{Fields: append([]Field{{L(l, "scope"), Text(scopeText(m.Scope, l))}}, asOfField(l, m.AsOf)...)}
	return Document{Lang: l, Title: L(l, "multi.title"), Sections: []Section{head, {Tables: []Table{t}}}}
}

// IndicatorsDocument lays out targets against deliveries, with a second
// table of every delivery and its evidence.
func IndicatorsDocument(r projections.IndicatorsReport, l Lang) Document {
	t := Table{Title: L(l, "ind.title"), Sheet: "Indicators", Columns: labelsOf(l, "agreement", "year", "indicator", "unit", "target", "delivered", "achievement", "due", "overdue")}
	d := Table{Title: L(l, "evidence"), Sheet: "Deliveries", Columns: labelsOf(l, "agreement", "year", "indicator", "date", "quantity", "evidence")}
	for _, row := range r.Rows {
		it := indicatorTable([]projections.IndicatorFigures{row.IndicatorFigures}, l, true)
		t.Rows = append(t.Rows, append([]Cell{Text(row.Agreement), Int(int64(row.Year))}, it.Rows[0]...))
		for _, dl := range row.DeliveriesList {
			q := dl.Quantity
			if len(dl.Identifiers) > 0 {
				q = int64(len(dl.Identifiers))
			}
			d.Rows = append(d.Rows, []Cell{Text(row.Agreement), Int(int64(row.Year)), Text(row.Name), Date(dl.Date), Int(q), Text(dl.Evidence)})
		}
	}
	head := Section{Fields: append([]Field{{L(l, "scope"), Text(scopeText(r.Scope, l))}}, asOfField(l, r.AsOf)...)}
	return Document{Lang: l, Title: L(l, "ind.title"), Sections: []Section{head, {Tables: []Table{t, d}}}}
}

// AuditDocument lays out the audit trail with the verification result.
func AuditDocument(r projections.AuditReport, l Lang) Document {
	chain := L(l, "chain_not_checked")
	var notes []string
	if v := r.Verification; v != nil {
		if v.OK {
			chain = fmt.Sprintf(L(l, "chain_ok"), v.Events, v.Streams)
		} else {
			chain = fmt.Sprintf(L(l, "chain_broken"), len(v.Breaks))
			for _, b := range v.Breaks {
				notes = append(notes, fmt.Sprintf("%s #%d (%s): %s", b.Stream, b.Revision, b.Position, b.Problem))
			}
		}
	}
	head := Section{Fields: append([]Field{{L(l, "chain"), Text(chain)}}, asOfField(l, r.AsOf)...), Notes: notes}
	t := Table{Title: L(l, "audit.title"), Sheet: "Audit", Columns: labelsOf(l, "position", "recorded_at", "agreement", "type", "line", "year", "amount", "actor", "reason", "command_id", "hash")}
	t.Columns[1] += " (UTC)" // TimeCell writes the times in UTC
	for _, row := range r.Rows {
		amt, yr := Empty(), Empty()
		if row.Amount != nil {
			amt = Money(*row.Amount)
		}
		if row.Year > 0 {
			yr = Int(int64(row.Year))
		}
		t.Rows = append(t.Rows, []Cell{Text(row.Position.String()), TimeCell(row.RecordedAt, l), Text(row.Agreement), CodeCell(row.Type, l),
			Text(row.Line), yr, amt, Text(row.Actor), Text(row.Reason), Text(row.CommandID.String()), Text(row.Hash)})
	}
	return Document{Lang: l, Title: L(l, "audit.title"), Sections: []Section{head, {Tables: []Table{t}}}}
}
