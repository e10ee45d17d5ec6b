package domain

import (
	"fmt"
	"sort"
	"strings"
)

// Calendar-year plans (issue 14): a plan for an implementation year that
// straddles calendar years is apportioned to them by days (apportion.go),
// unless the funder records an explicit split with split_plan. The split
// applies while it adds up to the plan in force; after an amendment that
// changes the plan it no longer does, and the plan is apportioned by days
// again until a new split is recorded.

// Stable names of the split.
const (
	TypePlanSplit = "PlanSplit"
	CmdSplitPlan  = "split_plan"
)

// CalendarPart is the part of a plan for one calendar year.
type CalendarPart struct {
	CalendarYear int   `json:"calendar_year"`
	Amount       Money `json:"amount"`
}

// PlanSplit records the funder's split of a line's plan in a year over
// the calendar years the year touches, in calendar order.
type PlanSplit struct {
	Line  string         `json:"line"`
	Year  int            `json:"year"`
	Parts []CalendarPart `json:"parts"`
}

// SplitPlan is the command that records a PlanSplit.
type SplitPlan struct {
	Ref
	Line  string         `json:"line"`
	Year  int            `json:"year"`
	Parts []CalendarPart `json:"parts"`
}

func (PlanSplit) EventType() string   { return TypePlanSplit }
func (SplitPlan) CommandType() string { return CmdSplitPlan }

// Split returns the funder's split of a line's plan in year n, when one
// was recorded and it adds up to the plan in force.
func (a *Agreement) Split(line string, n int) ([]CalendarPart, bool) {
	parts, ok := a.adjust.Splits[CellKey{Line: line, Year: n}]
	if !ok {
		return nil, false
	}
	var sum Money
	for _, p := range parts {
		sum += p.Amount
	}
	return parts, sum == a.Cell(line, n).Planned
}

func (a *Agreement) decideSplit(c SplitPlan) ([]Event, error) {
	if err := a.openCell(c.Line, c.Year, "year"); err != nil {
		return nil, err
	}
	y := a.Year(c.Year)
	var want []string
	cal := y.Period().CalendarParts()
	for _, p := range cal {
		want = append(want, fmt.Sprint(p.From.Time().Year()))
	}
	parts := append([]CalendarPart(nil), c.Parts...)
	sort.SliceStable(parts, func(i, j int) bool { return parts[i].CalendarYear < parts[j].CalendarYear })
	if len(parts) != len(cal) {
		return nil, FieldError("parts", "year %d (%s) touches the calendar years %s: give one part for each (got %d)", c.Year, y.Period(), strings.Join(want, ", "), len(parts))
	}
	var sum Money
	for i, p := range parts {
		if p.CalendarYear != cal[i].From.Time().Year() {
			return nil, FieldError("parts", "year %d (%s) touches the calendar years %s: give one part for each, not %d", c.Year, y.Period(), strings.Join(want, ", "), p.CalendarYear)
		}
		var ok bool
		if sum, ok = addChecked(sum, p.Amount); !ok {
			return nil, overflow("parts")
		}
	}
	if planned := a.Cell(c.Line, c.Year).Planned; sum != planned {
		return nil, rule("split-does-not-add-up", fmt.Sprintf("line %s year %d: the parts add up to %s, the plan in force is %s", c.Line, c.Year, sum, planned),
			map[string]Money{"split": sum, "planned": planned})
	}
	return []Event{PlanSplit{Line: c.Line, Year: c.Year, Parts: parts}}, nil
}

// ApportionedToSplit is ApportionedTo with the calendar years' shares
// given (parts, in calendar order, one per calendar year of p).
func ApportionedToSplit(parts []CalendarPart, p, w Period) Money {
	var in Money
	for i, c := range p.CalendarParts() {
		if i >= len(parts) {
			break
		}
		inside := Period{From: max(c.From, w.From), To: min(c.To, w.To)}
		before := Period{From: c.From, To: min(c.To, w.From-1)}
		after := Period{From: max(c.From, w.To+1), To: c.To}
		in += ApportionByDays(parts[i].Amount, []int64{before.Days(), inside.Days(), after.Days()})[1]
	}
	return in
}
