package domain

import "fmt"

// Corrections after closing (issue 14). An auditor or the funder may record
// ineligible expenditure and recoveries into a closed implementation year
// without reopening it: the events are the usual ones with post_closure
// set, a reason is required, and the year's figures as they stood when it
// was closed are kept, so a report can show them next to the restated
// ones. Nothing else is recorded into a closed year.

// AdjustState keeps each closed year's figures as closed.
type AdjustState struct {
	// Closed holds, per closed year, every line's cell at the moment the
	// year was closed.
	Closed map[int]map[string]Cell
	// After counts the post-closure adjustments per year.
	After map[int]int
	// Splits are the funder's calendar-year splits of plans (calendar.go).
	Splits map[CellKey][]CalendarPart
}

// ClosedFigures returns a line's figures of year n as they stood when the
// year was closed, and false when the year is not closed.
func (a *Agreement) ClosedFigures(line string, n int) (Cell, bool) {
	cells, ok := a.adjust.Closed[n]
	if !ok {
		return Cell{}, false
	}
	return cells[line], true
}

// Adjusted reports how many post-closure adjustments year n has.
func (a *Agreement) Adjusted(n int) int { return a.adjust.After[n] }

func (a *Agreement) applyAdjust(e Event) {
	s := &a.adjust
	switch ev := e.(type) {
	case YearClosed:
		if s.Closed == nil {
			s.Closed = map[int]map[string]Cell{}
		}
		cells := map[string]Cell{}
		for _, l := range a.lines {
			cells[l.Line] = a.Cell(l.Line, ev.Year)
		}
		s.Closed[ev.Year] = cells
	case IneligibleExpenditureDeclared:
		if ev.PostClosure {
			s.count(ev.Year)
		}
	case IneligibleExpenditureRecovered:
		if ev.PostClosure {
			s.count(ev.Year)
		}
	case SpendingReversed:
		if ev.PostClosure {
			s.count(ev.Year)
		}
	case UnspentReturned:
		if ev.PostClosure {
			s.count(ev.Year)
		}
	case PlanSplit:
		if s.Splits == nil {
			s.Splits = map[CellKey][]CalendarPart{}
		}
		s.Splits[CellKey{Line: ev.Line, Year: ev.Year}] = ev.Parts
	}
}

func (s *AdjustState) count(year int) {
	if s.After == nil {
		s.After = map[int]int{}
	}
	s.After[year]++
}

// fillClosedFigures gives every closed year without figures as closed the
// figures it has now. A read model restored from a snapshot written before
// corrections after closing existed holds none; no adjustment could be
// recorded then, so the figures now are the figures as closed.
func (a *Agreement) fillClosedFigures() {
	for _, y := range a.years {
		if y.Closed {
			if _, ok := a.adjust.Closed[y.Year]; !ok && a.adjust.After[y.Year] == 0 {
				a.applyAdjust(YearClosed{Year: y.Year})
			}
		}
	}
}

// findingCell checks where a finding (ineligible expenditure, a recovery)
// may go: the line and year exist; an open year takes it as usual, a
// closed one as a post-closure adjustment, which needs a reason.
func (a *Agreement) findingCell(line string, n int, field, reason string) (postClosure bool, err error) {
	if err := a.openCell(line, n, field); err == nil {
		return false, nil
	} else if _, isRule := err.(*RuleError); !isRule {
		return false, err
	}
	if err := requireReason(reason, fmt.Sprintf("a finding recorded into closed year %d (a post-closure adjustment)", n)); err != nil {
		return false, err
	}
	return true, nil
}
