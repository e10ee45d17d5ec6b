package projections

import (
	"fmt"
	"strings"
	"time"

	"github.com/grantledger/grantledger/domain"
)

// Finding codes: stable names automated tools can match on.
const (
	FindingOverspend            = "overspend"
	FindingUnexplainedRemainder = "unexplained_remainder"
	FindingOpenPastEnd          = "open_past_end"
	FindingIndicatorBehind      = "indicator_behind"
	FindingUnrecovered          = "unrecovered_ineligible"
)

// LineAmount is an amount on one budget line.
type LineAmount struct {
	Line   string       `json:"line"`
	Amount domain.Money `json:"amount"`
}

// Finding is something a reader of a report must not miss. Code is stable;
// Message is English prose; the other fields carry the figures so that a
// renderer can say the same in another language.
type Finding struct {
	Code      string        `json:"code"`
	Message   string        `json:"message"`
	Year      int           `json:"year"`
	Line      string        `json:"line,omitempty"`
	Indicator string        `json:"indicator,omitempty"`
	Amount    *domain.Money `json:"amount,omitempty"`
	CarriedIn *domain.Money `json:"carried_in,omitempty"`
	Lines     []LineAmount  `json:"lines,omitempty"`
	Target    *int64        `json:"target,omitempty"`
	Delivered *int64        `json:"delivered,omitempty"`
	Unit      string        `json:"unit,omitempty"`
	Date      *domain.Date  `json:"date,omitempty"`
	// Issue 15: when a late target was met, who answers for the task, and
	// the reporting obligation a finding is about.
	MetOn       *domain.Date `json:"met_on,omitempty"`
	Responsible []string     `json:"responsible,omitempty"`
	Report      string       `json:"report,omitempty"`
	// ActualChange is, for restated_after_closing, how the closed year's
	// actual spending changed after closing (a reversal into the closed
	// year); omitted when it did not.
	ActualChange *domain.Money `json:"actual_change,omitempty"`
}

// IndicatorFigures is an indicator's target and delivery in one year.
type IndicatorFigures struct {
	Indicator   string       `json:"indicator"`
	Name        string       `json:"name"`
	Unit        string       `json:"unit"`
	Aggregation string       `json:"aggregation"`
	Year        int          `json:"year"`
	Target      *int64       `json:"target"`
	Delivered   int64        `json:"delivered"`
	Achievement *Percent     `json:"achievement_pct"`
	Due         *domain.Date `json:"due,omitempty"`
	Deliveries  int          `json:"deliveries"`
	Behind      bool         `json:"behind"`
	// Issue 15 (work.go): each target of the year with its due date and
	// how it went; Late when one was met after its due date. Only
	// deliveries dated on or before the report's day count.
	Late        bool             `json:"late"`
	Milestones  []Milestone      `json:"milestones,omitempty"`
	Responsible []string         `json:"responsible,omitempty"`
	Place       string           `json:"place,omitempty"`
	Baseline    *domain.Baseline `json:"baseline,omitempty"`
}

// YearReport is the yearly delegation report of one agreement and
// implementation year, in the shape of the ministry summary (seed 004).
// Its JSON form is the contract documented in docs/REPORTS.md.
type YearReport struct {
	Agreement        string             `json:"agreement"`
	Kind             string             `json:"kind"`
	Title            string             `json:"title"`
	Performer        string             `json:"performer"`
	Funder           string             `json:"funder"`
	Programme        string             `json:"programme,omitempty"`
	DelegationPeriod domain.Period      `json:"delegation_period"`
	Years            int                `json:"years"`
	Year             int                `json:"year"`
	Period           domain.Period      `json:"period"`
	Closed           bool               `json:"closed"`
	Lines            []Figures          `json:"lines"`
	Total            Figures            `json:"total"`
	CarriedInFrom    []CarryRow         `json:"carried_in_from"`
	CarriedOverTo    []CarryRow         `json:"carried_over_to"`
	ReturnedTo       []ReturnRow        `json:"returned_to"`
	Amendments       []AmendmentRow     `json:"amendments"`
	Indicators       []IndicatorFigures `json:"indicators"`
	Findings         []Finding          `json:"findings"`
	Today            domain.Date        `json:"today"`
	AsOf             *time.Time         `json:"as_of,omitempty"`
	// Money that moves (see cash.go): the agreement's ceiling (null when
	// it has none), its support intensity, and the year's cash position.
	Ceiling          *domain.Money `json:"ceiling"`
	SupportIntensity string        `json:"support_intensity,omitempty"`
	Cash             CashFigures   `json:"cash"`
	CashToDate       CashFigures   `json:"cash_to_date"`     // every year of the agreement
	RecordsPayments  bool          `json:"records_payments"` // a payment or a scheduled payment is on record (TracksCash)
	// The funder's share of the plan and of the eligible spending, all
	// years, against the support intensity (cofinancing.go).
	FunderSharePlanned *Percent `json:"funder_share_planned_pct,omitempty"`
	FunderShareSpent   *Percent `json:"funder_share_spent_pct,omitempty"`
	// Corrections after closing (adjust.go): how many findings were
	// recorded into the closed year, and its figures as closed, shown
	// next to the restated ones (lines, total) when there are any.
	Adjustments int       `json:"post_closure_adjustments,omitempty"`
	AsClosed    *AsClosed `json:"as_closed,omitempty"`
	// Issue 15 (obligations.go): the year's reporting obligations, and
	// the remainder of an ended year whose report is not due yet: not yet
	// reported, rather than unexplained.
	Obligations    []ObligationRow `json:"obligations,omitempty"`
	NotYetReported *domain.Money   `json:"not_yet_reported,omitempty"`
}

// YearReport builds the report of year n as the ledger stands, judging
// what is overdue against today (passed in: projections read no clock).
func (l *Ledger) YearReport(number string, n int, today domain.Date) (YearReport, error) {
	v, err := l.Agreement(number)
	if err != nil {
		return YearReport{}, err
	}
	r, err := v.YearReport(n, today)
	if err == nil && !l.asOf.IsZero() {
		t := l.asOf.UTC()
		r.AsOf = &t
	}
	return r, err
}

// YearReport builds the report of implementation year n of the agreement.
func (v *AgreementView) YearReport(n int, today domain.Date) (YearReport, error) {
	a := v.Agg
	y := a.Year(n)
	if y == nil {
		return YearReport{}, &domain.Error{Code: domain.ENotFound, Field: "year", Err: domain.ErrNotFound,
			Message: fmt.Sprintf("%s has no implementation year %d (it has %d)", a.AgreementNumber(), n, len(a.Years()))}
	}
	r := YearReport{
		Agreement: a.AgreementNumber(), Kind: a.Registration().Kind, Title: a.Registration().Title, Performer: a.Registration().Grantee, Funder: a.Registration().Funder, Programme: a.Registration().Programme,
		DelegationPeriod: a.Registration().Period, Years: len(a.Years()), Year: n, Period: y.Period(), Closed: y.Closed, Today: today,
		Lines: make([]Figures, 0, len(a.Lines())), CarriedInFrom: []CarryRow{}, CarriedOverTo: []CarryRow{},
		ReturnedTo: []ReturnRow{}, Amendments: []AmendmentRow{}, Indicators: []IndicatorFigures{}, Findings: []Finding{},
	}
	for _, ls := range a.Lines() {
		f := FiguresOf(a.Cell(ls.Line, n))
		f.Line, f.Name = ls.Line, a.LineName(ls.Line)
		r.Lines = append(r.Lines, f)
		r.Total = r.Total.Add(f)
	}
	for _, c := range v.Carries {
		if c.ToYear == n {
			r.CarriedInFrom = append(r.CarriedInFrom, c)
		}
		if c.FromYear == n {
			r.CarriedOverTo = append(r.CarriedOverTo, c)
		}
	}
	for _, rt := range v.Returns {
		if rt.Year == n {
			r.ReturnedTo = append(r.ReturnedTo, rt)
		}
	}
	for _, am := range v.Amendments {
		if am.Year == n {
			r.Amendments = append(r.Amendments, am)
		}
	}
	for _, id := range a.SortedIndicatorIDs() {
		if f, ok := indicatorFigures(v, a.Indicators()[id], n, today); ok {
			r.Indicators = append(r.Indicators, f)
		}
	}
	r.Findings = yearFindings(&r, today)
	addObligations(&r, a, n, today)
	addCash(&r, a, n, today)
	return r, nil
}

// indicatorFigures returns the figures of an indicator in year n, if it
// has a target or a delivery there. Only deliveries dated on or before
// today and not reversed count: a report judged on a day shows what had
// been delivered by then.
func indicatorFigures(v *AgreementView, ind *domain.Indicator, n int, today domain.Date) (IndicatorFigures, bool) {
	a := v.Agg
	t, hasTarget := ind.Target(n)
	rows := v.deliveriesOf(ind.Indicator, n)
	if !hasTarget && len(rows) == 0 {
		return IndicatorFigures{}, false
	}
	f := IndicatorFigures{Indicator: ind.Indicator, Name: ind.Name, Unit: ind.Unit, Aggregation: ind.Aggregation, Year: n,
		Responsible: ind.Responsible, Place: ind.Place, Baseline: ind.Baseline}
	f.Delivered, f.Deliveries = valueOf(ind.Aggregation, rows, today)
	if hasTarget {
		tv := t.Target
		f.Target = &tv
		f.Due = t.Due
		if p, ok := PercentOf(f.Delivered, tv); ok {
			f.Achievement = &p
		}
		f.Milestones = milestones(a, ind, n, rows, today)
		for _, m := range f.Milestones {
			f.Behind = f.Behind || m.Overdue
			f.Late = f.Late || m.Late
		}
	}
	return f, true
}

func money(m domain.Money) *domain.Money { return &m }

func yearFindings(r *YearReport, today domain.Date) []Finding {
	out := []Finding{}
	for _, f := range r.Lines {
		if f.Overspend > 0 {
			out = append(out, Finding{Code: FindingOverspend, Year: r.Year, Line: f.Line, Amount: money(f.Overspend),
				Message: fmt.Sprintf("line %s is overspent by %s: actual %s, carried over %s and returned %s exceed planned %s + carried in %s",
					f.Line, f.Overspend, f.Actual, f.CarriedOver, f.Returned, f.Planned, f.CarriedIn)})
		}
	}
	ended := today > r.Period.To
	if ended {
		var left domain.Money
		var parts []LineAmount
		var words []string
		for _, f := range r.Lines {
			if f.Remainder > 0 {
				left += f.Remainder
				parts = append(parts, LineAmount{Line: f.Line, Amount: f.Remainder})
				words = append(words, fmt.Sprintf("%s %s", f.Line, f.Remainder))
			}
		}
		if left > 0 {
			msg := fmt.Sprintf("year %d ended on %s but %s is neither spent, carried over nor returned (%s)", r.Year, r.Period.To, left, strings.Join(words, ", "))
			var cin *domain.Money
			if r.Total.CarriedIn > 0 {
				cin = money(r.Total.CarriedIn)
				msg += fmt.Sprintf("; %s was carried in from year %d", r.Total.CarriedIn, r.Year-1)
			}
			out = append(out, Finding{Code: FindingUnexplainedRemainder, Year: r.Year, Amount: money(left), CarriedIn: cin, Lines: parts, Message: msg})
		}
		if !r.Closed {
			end := r.Period.To
			out = append(out, Finding{Code: FindingOpenPastEnd, Year: r.Year, Date: &end,
				Message: fmt.Sprintf("year %d ended on %s and is still open", r.Year, r.Period.To)})
		}
	}
	for _, ind := range r.Indicators {
		out = append(out, milestoneFindings(r.Year, ind)...)
	}
	if r.Total.Unrecovered > 0 {
		out = append(out, Finding{Code: FindingUnrecovered, Year: r.Year, Amount: money(r.Total.Unrecovered),
			Message: fmt.Sprintf("%s of ineligible expenditure declared, %s recovered: %s not recovered", r.Total.Ineligible, r.Total.Recovered, r.Total.Unrecovered)})
	}
	return out
}
