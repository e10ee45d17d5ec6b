package projections

import (
	"time"

	"github.com/grantledger/grantledger/domain"
)

// The whole-period summary (issue 15): one document per agreement covering
// every implementation year, as seed 004's Kopsavilkums does: the figures
// per year and in total, carry-overs and returns, indicators per year,
// findings, and the narratives "Apraksts un vērtējums" and "Cita
// informācija".

// PeriodYear is one implementation year of a period summary.
type PeriodYear struct {
	Year        int                `json:"year"`
	Period      domain.Period      `json:"period"`
	Closed      bool               `json:"closed"`
	Total       Figures            `json:"total"`
	Lines       []Figures          `json:"lines"`
	Indicators  []IndicatorFigures `json:"indicators"`
	Description string             `json:"description,omitempty"`
	Other       string             `json:"other,omitempty"`
}

// PeriodSummary is the summary of an agreement over all its years.
type PeriodSummary struct {
	Agreement        string        `json:"agreement"`
	Kind             string        `json:"kind"`
	Title            string        `json:"title"`
	Performer        string        `json:"performer"`
	Funder           string        `json:"funder"`
	Programme        string        `json:"programme,omitempty"`
	DelegationPeriod domain.Period `json:"delegation_period"`
	Years            []PeriodYear  `json:"years"`
	// Total adds the years up; its carried_in and carried_over are the
	// amounts moved between the agreement's own years (they cancel out in
	// the remainder, which is the sum of the years' remainders).
	Total       Figures     `json:"total"`
	CarriedOver []CarryRow  `json:"carried_over"`
	Returned    []ReturnRow `json:"returned"`
	Findings    []Finding   `json:"findings"`
	Description string      `json:"description,omitempty"`
	Other       string      `json:"other,omitempty"`
	Today       domain.Date `json:"today"`
	AsOf        *time.Time  `json:"as_of,omitempty"`
}

// PeriodSummary builds the whole-period summary of an agreement.
func (l *Ledger) PeriodSummary(number string, today domain.Date) (PeriodSummary, error) {
	v, err := l.Agreement(number)
	if err != nil {
		return PeriodSummary{}, err
	}
	a := v.Agg
	s := PeriodSummary{Agreement: a.AgreementNumber(), Kind: a.Registration().Kind, Title: a.Registration().Title, Performer: a.Registration().Grantee, Funder: a.Registration().Funder, Programme: a.Registration().Programme,
		DelegationPeriod: a.Registration().Period, Years: []PeriodYear{}, CarriedOver: []CarryRow{}, Returned: []ReturnRow{}, Findings: []Finding{},
		Description: a.Narrative(0, domain.NarrativeDescription), Other: a.Narrative(0, domain.NarrativeOther), Today: today}
	if !l.asOf.IsZero() {
		t := l.asOf.UTC()
		s.AsOf = &t
	}
	for _, y := range a.Years() {
		r, err := v.YearReport(y.Year, today)
		if err != nil {
			return PeriodSummary{}, err
		}
		s.Years = append(s.Years, PeriodYear{Year: y.Year, Period: r.Period, Closed: r.Closed, Total: r.Total, Lines: r.Lines, Indicators: r.Indicators,
			Description: a.Narrative(y.Year, domain.NarrativeDescription), Other: a.Narrative(y.Year, domain.NarrativeOther)})
		s.Total = s.Total.Add(r.Total)
		s.CarriedOver = append(s.CarriedOver, r.CarriedOverTo...)
		s.Returned = append(s.Returned, r.ReturnedTo...)
		s.Findings = append(s.Findings, r.Findings...)
	}
	return s, nil
}
