package projections

import (
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// FindingRestated is the finding code of a closed year whose figures were
// restated by post-closure adjustments.
const FindingRestated = "restated_after_closing"

// AsClosed is a closed year's figures as they stood when it was closed.
type AsClosed struct {
	Lines []Figures `json:"lines"`
	Total Figures   `json:"total"`
}

// addAsClosed puts a closed year's figures as closed next to the restated
// ones, when findings were recorded into it after closing.
func addAsClosed(r *YearReport, a *domain.Agreement, n int) {
	r.Adjustments = a.Adjusted(n)
	if r.Adjustments == 0 {
		return
	}
	c := &AsClosed{Lines: []Figures{}}
	for _, ls := range a.Lines() {
		cell, _ := a.ClosedFigures(ls.Line, n)
		f := FiguresOf(cell)
		f.Line, f.Name = ls.Line, a.LineName(ls.Line)
		c.Lines = append(c.Lines, f)
		c.Total = c.Total.Add(f)
	}
	r.AsClosed = c
	d := r.Total.Ineligible - c.Total.Ineligible
	f := Finding{Code: FindingRestated, Year: n, Amount: money(d),
		Message: fmt.Sprintf("year %d was restated after closing by %d adjustment(s): ineligible %s as closed, %s restated; recovered %s as closed, %s restated",
			n, r.Adjustments, c.Total.Ineligible, r.Total.Ineligible, c.Total.Recovered, r.Total.Recovered)}
	if da := r.Total.Actual - c.Total.Actual; da != 0 {
		f.ActualChange = money(da)
		f.Message += fmt.Sprintf("; actual %s as closed, %s restated; returned %s as closed, %s restated",
			c.Total.Actual, r.Total.Actual, c.Total.Returned, r.Total.Returned)
	}
	r.Findings = append(r.Findings, f)
}
