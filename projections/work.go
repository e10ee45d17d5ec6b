package projections

import (
	"fmt"
	"sort"

	"github.com/grantledger/grantledger/domain"
)

// Work plans (issue 15): what an indicator had delivered on a given day,
// targets on a schedule and whether each was met on time.

// Finding codes of work plans and obligations.
const (
	// FindingIndicatorLate is a target met after its due date.
	FindingIndicatorLate = "indicator_late"
	// FindingReportOverdue is a reporting obligation past its due date
	// and not submitted (or returned and not submitted again).
	FindingReportOverdue = "report_overdue"
)

// Milestone is one target of an indicator in a year: what was to be
// reached (counted from the start of the year) by its due date, and how it
// went, judged on the report's day.
type Milestone struct {
	Due            domain.Date  `json:"due"`
	Target         int64        `json:"target"`
	DeliveredByDue int64        `json:"delivered_by_due"`
	Met            bool         `json:"met"`
	MetOn          *domain.Date `json:"met_on,omitempty"`
	Late           bool         `json:"late"`
	Overdue        bool         `json:"overdue"`
}

// valueOf is what the deliveries rows (one indicator, one year, in the
// order recorded) add up to under the aggregation, counting only those
// dated on or before until and not reversed.
func valueOf(agg string, rows []DeliveryRow, until domain.Date) (v int64, n int) {
	var latest domain.Date
	distinct := map[string]struct{}{}
	for _, d := range rows {
		if d.Reversed || d.Date > until {
			continue
		}
		n++
		switch agg {
		case domain.AggDistinct:
			for _, id := range d.Identifiers {
				distinct[id] = struct{}{}
			}
		case domain.AggLatest:
			if n == 1 || d.Date >= latest {
				v, latest = d.Quantity, d.Date
			}
		default:
			v += d.Quantity
		}
	}
	if agg == domain.AggDistinct {
		v = int64(len(distinct))
	}
	return v, n
}

// metOn returns the first delivery date on or before today on which the
// value reached target, if it did.
func metOn(agg string, rows []DeliveryRow, target int64, today domain.Date) *domain.Date {
	if target <= 0 {
		return nil
	}
	var dates []domain.Date
	for _, d := range rows {
		if !d.Reversed && d.Date <= today {
			dates = append(dates, d.Date)
		}
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i] < dates[j] })
	for i, day := range dates {
		if i > 0 && dates[i-1] == day {
			continue
		}
		if v, _ := valueOf(agg, rows, day); v >= target {
			d := day
			return &d
		}
	}
	return nil
}

// deliveriesOf returns the delivery rows of one indicator in one year, in
// the order recorded.
func (v *AgreementView) deliveriesOf(indicator string, year int) []DeliveryRow {
	var out []DeliveryRow
	for _, d := range v.Deliveries {
		if d.Indicator == indicator && d.Year == year {
			out = append(out, d)
		}
	}
	return out
}

// milestones judges each target of the year on today.
func milestones(a *domain.Agreement, ind *domain.Indicator, n int, rows []DeliveryRow, today domain.Date) []Milestone {
	var out []Milestone
	for _, t := range ind.Targets {
		if t.Year != n {
			continue
		}
		due := a.Year(n).To
		if t.Due != nil {
			due = *t.Due
		}
		upto := due
		if today < upto {
			upto = today
		}
		byDue, _ := valueOf(ind.Aggregation, rows, upto)
		now, _ := valueOf(ind.Aggregation, rows, today)
		m := Milestone{Due: due, Target: t.Target, DeliveredByDue: byDue, Met: now >= t.Target}
		m.MetOn = metOn(ind.Aggregation, rows, t.Target, today)
		m.Late = m.MetOn != nil && *m.MetOn > due
		m.Overdue = !m.Met && today > due
		out = append(out, m)
	}
	return out
}

// milestoneFindings lists the late and overdue targets of an indicator.
func milestoneFindings(year int, f IndicatorFigures) []Finding {
	var out []Finding
	for _, m := range f.Milestones {
		t, d, due := m.Target, m.DeliveredByDue, m.Due
		switch {
		case m.Overdue:
			got := f.Delivered
			out = append(out, Finding{Code: FindingIndicatorBehind, Year: year, Indicator: f.Indicator, Target: &t, Delivered: &got, Unit: f.Unit, Date: &due, Responsible: f.Responsible,
				Message: fmt.Sprintf("indicator %s (%s): %d of %d %s delivered by %s", f.Indicator, f.Name, got, t, f.Unit, due)})
		case m.Late:
			on := *m.MetOn
			out = append(out, Finding{Code: FindingIndicatorLate, Year: year, Indicator: f.Indicator, Target: &t, Delivered: &d, Unit: f.Unit, Date: &due, MetOn: &on, Responsible: f.Responsible,
				Message: fmt.Sprintf("indicator %s (%s): target %d %s due %s was met late, on %s (%d delivered by the due date)", f.Indicator, f.Name, t, f.Unit, due, on, d)})
		}
	}
	return out
}

// ResponsibleGroup is the indicator rows one organisation answers for.
type ResponsibleGroup struct {
	Organisation string         `json:"organisation"`
	Rows         []IndicatorRow `json:"rows"`
}

// ByResponsible groups indicator rows by responsible organisation, in the
// order each organisation first appears; a row with several responsible
// organisations is in each of their groups, a row with none under the
// agreement's grantee (who answers for the agreement).
func ByResponsible(rows []IndicatorRow, grantee func(agreement string) string) []ResponsibleGroup {
	var out []ResponsibleGroup
	at := map[string]int{}
	for _, r := range rows {
		orgs := r.Responsible
		if len(orgs) == 0 {
			orgs = []string{grantee(r.Agreement)}
		}
		for _, o := range orgs {
			i, ok := at[o]
			if !ok {
				i = len(out)
				at[o] = i
				out = append(out, ResponsibleGroup{Organisation: o})
			}
			out[i].Rows = append(out[i].Rows, r)
		}
	}
	return out
}

// Grantee returns the grantee of an agreement by its number ("" when it is
// not registered), for ByResponsible.
func (l *Ledger) Grantee(number string) string {
	if v := l.byNumber[number]; v != nil {
		return v.Agg.Registration().Grantee
	}
	return ""
}
