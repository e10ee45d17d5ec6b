package report

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
	// Calendar-year reconciliation (a date range): the plans apportioned
	// by days.
	"planned_apportioned":     {"Planned, apportioned by days", "Plānots, proporcionāli dienām"},
	"apportioned_utilisation": {"Utilisation of apportioned", "Izpilde pret proporcionāli plānoto"},
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
	return out
}

func decimalMark(l Lang) string {
	if l == LV {
		return ","
	}
	return "."
}

// cashSection is the year's cash position: received − eligible spent −
// refunded = held.
func cashSection(r projections.YearReport, l Lang) Section {
	c := r.Cash
	return Section{Heading: L(l, "cash"), Fields: []Field{
		{L(l, "disbursed"), Text(FormatEuro(c.Disbursed, l))},
		{L(l, "eligible_spent"), Text(FormatEuro(c.EligibleSpent, l))},
		{L(l, "refunded"), Text(FormatEuro(c.Refunded, l))},
		{L(l, "held"), Text(FormatEuro(c.Held, l))},
		{L(l, "outstanding_due"), Text(noneOr(c.Outstanding, l))},
	}}
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
