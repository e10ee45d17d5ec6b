package domain

// Co-financing (issue 14): budget lines the grantee funds itself are
// marked own_contribution. They are planned and spent like any line, but
// the funder's ceiling (total funding) limits only the funded lines, and
// the grantee's grant cash pays only for them. The funder's share of the
// plan and of the spending is compared with the support intensity.

// IsOwn reports whether line is the grantee's own contribution.
func (a *Agreement) IsOwn(line string) bool {
	for _, l := range a.lines {
		if l.Line == line {
			return l.OwnContribution
		}
	}
	return false
}

// Shares returns the funded and total planned amounts (plans in force)
// and the funded and total eligible spending (actual less ineligible), of
// every year.
func (a *Agreement) Shares() (fundedPlanned, planned, fundedSpent, spent Money) {
	for _, l := range a.lines {
		for _, y := range a.years {
			c := a.Cell(l.Line, y.Year)
			e := c.Actual - c.Ineligible
			planned += c.Planned
			spent += e
			if !l.OwnContribution {
				fundedPlanned += c.Planned
				fundedSpent += e
			}
		}
	}
	return
}
