package document

import (
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// "Every report that shows an agreement shows its ceiling and intensity"
// (issue 14): the reconciliation and multi-year tables end with two
// columns, the agreement's ceiling (its total funding; empty when none was
// registered) and its support intensity (a percentage; empty when none).

func ceilingColumns(l Lang) []string { return labelsOf(l, "ceiling", "support_intensity") }

func ceilingCells(c *domain.Money, intensity string) []Cell {
	out := []Cell{Empty(), Empty()}
	if c != nil {
		out[0] = Money(*c)
	}
	if intensity != "" {
		// In hundredths of a percent, as projections.Percent counts.
		if h, err := domain.ParseIntensity(intensity); err == nil {
			p := projections.Percent(h)
			out[1] = Pct(&p)
		} else {
			out[1] = Text(intensity)
		}
	}
	return out
}
