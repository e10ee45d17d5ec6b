package document

import (
	"fmt"
	"strings"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// cashLabels are the words of money that moves (issue 14); init adds them
// to labels.
var cashLabels = map[string][2]string{
	"ceiling":           {"Ceiling (total funding)", "Maksimālais apmērs (kopējais finansējums)"},
	"support_intensity": {"Support intensity", "Atbalsta intensitāte"},
	"no_ceiling":        {"none registered", "nav reģistrēts"},
	"cash":              {"Payments and the grantee's cash", "Maksājumi un finansējuma saņēmēja naudas līdzekļi"},
	"disbursed":         {"Received from the funder", "Saņemts no finansētāja"},
	"eligible_spent":    {"Eligible expenditure", "Attiecināmie izdevumi"},
	"refunded":          {"Refunded to the funder", "Atmaksāts finansētājam"},
	"held":              {"Held by the grantee (negative: pre-financed)", "Finansējuma saņēmēja rīcībā (negatīvs: priekšfinansēts)"},
	"outstanding_due":   {"Still to be refunded", "Vēl jāatmaksā"},
	"to_date":           {"to date", "kopā līdz šim"},
	"no_payments":       {"No payments to the grantee are recorded for this agreement.", "Par šo līgumu nav reģistrēts neviens maksājums finansējuma saņēmējam."},
	"funder_share":      {"Funder's share, planned / spent", "Finansētāja daļa, plānots / izlietots"},
	// Calendar-year reconciliation (a date range): the plans apportioned
	// by days.
	"planned_apportioned":     {"Planned, apportioned by days", "Plānots, proporcionāli dienām"},
	"apportioned_utilisation": {"Utilisation of apportioned", "Izpilde pret proporcionāli plānoto"},
	// Corrections after closing.
	"as_closed":           {"As closed and as restated after closing", "Slēgšanas brīdī un pēc slēgšanas precizēts"},
	"closed_actual":       {"Actual, as closed", "Faktiski, slēdzot"},
	"closed_ineligible":   {"Ineligible, as closed", "Neatbilstoši, slēdzot"},
	"closed_recovered":    {"Recovered, as closed", "Atgūts, slēdzot"},
	"restated_actual":     {"Actual, restated", "Faktiski, precizēts"},
	"restated_ineligible": {"Ineligible, restated", "Neatbilstoši, precizēts"},
	"restated_recovered":  {"Recovered, restated", "Atgūts, precizēts"},
	"closed_returned":     {"Returned, as closed", "Atgriezts, slēdzot"},
	"restated_returned":   {"Returned, restated", "Atgriezts, precizēts"},
}

func init() {
	for k, v := range cashLabels {
		labels[k] = v
	}
}

// ceilingFields are the head fields of the agreement's ceiling and support
// intensity, shown on every yearly report.
func ceilingFields(r projections.YearReport, l Lang) []Field {
	c := L(l, "no_ceiling")
	if r.Ceiling != nil {
		c = FormatEuro(*r.Ceiling, l)
	}
	out := []Field{{L(l, "ceiling"), Text(c)}}
	if r.SupportIntensity != "" {
		out = append(out, Field{L(l, "support_intensity"), Text(strings.Replace(r.SupportIntensity, ".", decimalMark(l), 1) + " %")})
	}
	if r.FunderSharePlanned != nil || r.FunderShareSpent != nil {
		out = append(out, Field{L(l, "funder_share"), Text(pctText(r.FunderSharePlanned, l) + " / " + pctText(r.FunderShareSpent, l))})
	}
	return out
}

func decimalMark(l Lang) string {
	if l == LV {
		return ","
	}
	return "."
}

// cashSection is the year's cash position and the agreement's to date:
// received − eligible spent − refunded = held. Fields, not a table, so
// that the spreadsheet keeps its sheets.
func cashSection(r projections.YearReport, l Lang) Section {
	if !r.RecordsPayments {
		return Section{Heading: L(l, "cash"), Notes: []string{L(l, "no_payments")}}
	}
	var fs []Field
	for _, part := range []struct {
		suffix string
		c      projections.CashFigures
	}{{"", r.Cash}, {" (" + L(l, "to_date") + ")", r.CashToDate}} {
		fs = append(fs,
			Field{L(l, "disbursed") + part.suffix, Text(FormatEuro(part.c.Disbursed, l))},
			Field{L(l, "eligible_spent") + part.suffix, Text(FormatEuro(part.c.EligibleSpent, l))},
			Field{L(l, "refunded") + part.suffix, Text(FormatEuro(part.c.Refunded, l))},
			Field{L(l, "held") + part.suffix, Text(FormatEuro(part.c.Held, l))},
			Field{L(l, "outstanding_due") + part.suffix, Text(noneOr(part.c.Outstanding, l))})
	}
	return Section{Heading: L(l, "cash"), Fields: fs}
}

// cashFindingText says a finding of money that moves in language l.
func cashFindingText(f projections.Finding, l Lang) (string, bool) {
	amt := ""
	if f.Amount != nil {
		amt = FormatEuro(*f.Amount, l)
	}
	lv := l == LV
	switch f.Code {
	case projections.FindingPaidAboveSchedule:
		if lv {
			return fmt.Sprintf("Izmaksāts par %s vairāk, nekā paredz maksājumu grafiks.", amt), true
		}
		return fmt.Sprintf("%s more was paid than the payment schedule provides.", amt), true
	case projections.FindingPaidAboveCeiling:
		if lv {
			return fmt.Sprintf("Izmaksāts par %s vairāk nekā līguma kopējais finansējums.", amt), true
		}
		return fmt.Sprintf("%s more was paid than the agreement's total funding.", amt), true
	case projections.FindingPlanAboveCeiling:
		if lv {
			return fmt.Sprintf("Plānots par %s vairāk nekā līguma kopējais finansējums.", amt), true
		}
		return fmt.Sprintf("%s more is planned than the agreement's total funding.", amt), true
	case projections.FindingRefundOverdue:
		d := ""
		if f.Date != nil {
			d = FormatDate(*f.Date, l)
		}
		if lv {
			return fmt.Sprintf("%d. gads, pozīcija %s: %s nav atmaksāti finansētājam; termiņš bija %s", f.Year, f.Line, amt, d), true
		}
		return fmt.Sprintf("Year %d, line %s: %s is not refunded to the funder; it was due on %s.", f.Year, f.Line, amt, d), true
	case projections.FindingIntensityExceeded:
		if lv {
			return fmt.Sprintf("Finansētāja daļa attiecināmajos izdevumos pārsniedz atbalsta intensitāti par %s.", amt), true
		}
		return fmt.Sprintf("The funder's share of the eligible spending exceeds the support intensity by %s.", amt), true
	case projections.FindingRestated:
		act := ""
		if f.ActualChange != nil {
			if lv {
				act = fmt.Sprintf(", faktiskie izdevumi mainīti par %s", FormatEuro(*f.ActualChange, l))
			} else {
				act = fmt.Sprintf(", actual spending changed by %s", FormatEuro(*f.ActualChange, l))
			}
		}
		if lv {
			return fmt.Sprintf("%d. gads pēc slēgšanas precizēts: neatbilstoši veiktie izdevumi mainīti par %s%s (skatīt slēgšanas brīža un precizētos datus).", f.Year, amt, act), true
		}
		return fmt.Sprintf("Year %d was restated after closing: ineligible expenditure changed by %s%s (see the figures as closed and as restated).", f.Year, amt, act), true
	case projections.FindingPrefinanced:
		if lv {
			return fmt.Sprintf("%d. gads: attiecināmie izdevumi par %s pārsniedz saņemto finansējumu (priekšfinansējums).", f.Year, amt), true
		}
		return fmt.Sprintf("Year %d: eligible spending exceeds the funds received by %s (pre-financed).", f.Year, amt), true
	}
	return "", false
}

// apportionedCells are a reconciliation row's apportioned plan and its
// utilisation, for a date range (none for an implementation year).
func apportionedCells(p *domain.Money, u *projections.Percent) []Cell {
	if p == nil {
		return nil
	}
	return []Cell{Money(*p), Pct(u)}
}

// asClosedSection shows a restated closed year's figures as closed next to
// the restated ones; nil when the year has no post-closure adjustment.
func asClosedSection(r projections.YearReport, l Lang) []Section {
	if r.AsClosed == nil {
		return nil
	}
	t := Table{Title: L(l, "as_closed"), Sheet: "Restated", Columns: labelsOf(l, "line", "closed_actual", "closed_ineligible", "closed_recovered", "restated_actual", "restated_ineligible", "restated_recovered", "closed_returned", "restated_returned")}
	row := func(name string, c, f projections.Figures) []Cell {
		return []Cell{Text(name), Money(c.Actual), Money(c.Ineligible), Money(c.Recovered), Money(f.Actual), Money(f.Ineligible), Money(f.Recovered), Money(c.Returned), Money(f.Returned)}
	}
	for i, c := range r.AsClosed.Lines {
		if i < len(r.Lines) {
			t.Rows = append(t.Rows, row(c.Name, c, r.Lines[i]))
		}
	}
	t.Footer = [][]Cell{row(L(l, "total"), r.AsClosed.Total, r.Total)}
	return []Section{{Heading: L(l, "as_closed"), Tables: []Table{t}}}
}

func pctText(p *projections.Percent, l Lang) string {
	if p == nil {
		return "—"
	}
	return strings.Replace(p.String(), ".", decimalMark(l), 1) + " %"
}

// PercentText writes a percentage in language l ("97,52 %"; "—" for none),
// for the pages that show the funder's share as the reports do.
func PercentText(p *projections.Percent, l Lang) string { return pctText(p, l) }
