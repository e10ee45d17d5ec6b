package projections

import (
	"time"

	"github.com/grantledger/grantledger/domain"
)

// IndicatorRow is an indicator of one agreement in one year, with its
// deliveries and their evidence.
type IndicatorRow struct {
	Agreement string `json:"agreement"`
	IndicatorFigures
	Overdue        bool          `json:"overdue"`
	DeliveriesList []DeliveryRow `json:"delivery_list"`
	YearEnd        domain.Date   `json:"year_end"`
}

// IndicatorsReport lists targets against deliveries.
type IndicatorsReport struct {
	Scope Scope          `json:"scope"`
	Year  int            `json:"year,omitempty"`
	Today domain.Date    `json:"today"`
	Rows  []IndicatorRow `json:"rows"`
	AsOf  *time.Time     `json:"as_of,omitempty"`
}

// Indicators reports every indicator of the agreements in scope, for one
// implementation year (year > 0) or all. Overdue marks a target whose due
// date (or, without one, the end of its year) has passed unmet.
func (l *Ledger) Indicators(scope Scope, year int, today domain.Date) IndicatorsReport {
	r := IndicatorsReport{Scope: scope, Year: year, Today: today, Rows: []IndicatorRow{}}
	if !l.asOf.IsZero() {
		t := l.asOf.UTC()
		r.AsOf = &t
	}
	for _, v := range l.order {
		a := v.Agg
		if !scope.Matches(a) {
			continue
		}
		for _, id := range a.SortedIndicatorIDs() {
			ind := a.Indicators()[id]
			for _, y := range a.Years() {
				if year > 0 && y.Year != year {
					continue
				}
				f, ok := indicatorFigures(v, ind, y.Year, today)
				if !ok {
					continue
				}
				row := IndicatorRow{Agreement: a.AgreementNumber(), IndicatorFigures: f, Overdue: f.Behind, YearEnd: y.To, DeliveriesList: []DeliveryRow{}}
				for _, d := range v.Deliveries {
					if d.Indicator == id && d.Year == y.Year && d.Date <= today {
						row.DeliveriesList = append(row.DeliveriesList, d)
					}
				}
				r.Rows = append(r.Rows, row)
			}
		}
	}
	return r
}
