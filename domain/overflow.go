package domain

import (
	"fmt"
)

// MaxFigure bounds every figure the ledger keeps for one agreement: each
// field of a cell (planned, carried in, actual, carried over, returned,
// ineligible, recovered), the cell's available funds and remainder, and the
// same figures summed over a year's lines, over a line's years and over
// the whole agreement. It is a hundred times MaxMoney: ten trillion euro.
// A command that would take any of them past ±MaxFigure is refused (rule
// amount-overflow) and nothing is recorded, so no sum within an agreement
// wraps; reports that add agreements together check their own sums
// (projections: a scope past int64 cents is refused).
const MaxFigure Money = 100 * MaxMoney

// MaxDelivered bounds an indicator's delivered quantity in one year (the
// running sum of a "sum" indicator): a thousand times the largest quantity
// one delivery may carry.
const MaxDelivered int64 = 1000 * 1_000_000_000_000

// addChecked returns the sum of ms and whether it is within ±MaxFigure
// (and so did not wrap on the way).
func addChecked(ms ...Money) (Money, bool) {
	var s Money
	for _, m := range ms {
		t := s + m
		if (m > 0 && t < s) || (m < 0 && t > s) {
			return 0, false
		}
		s = t
	}
	return s, s <= MaxFigure && s >= -MaxFigure
}

// overflowRule is the refusal of a command that would overflow a figure.
func overflowRule(what string, figures map[string]Money) *RuleError {
	return rule("amount-overflow", fmt.Sprintf("%s would exceed the largest figure the ledger keeps (%s either way); nothing was recorded", what, MaxFigure), figures)
}

// moneyFields lists a cell's summed fields by name, for checks and messages.
func moneyFields(c *Cell) []struct {
	name string
	p    *Money
} {
	return []struct {
		name string
		p    *Money
	}{
		{"planned", &c.Planned}, {"original", &c.Original}, {"carried_in", &c.CarriedIn}, {"actual", &c.Actual},
		{"carried_over", &c.CarriedOver}, {"returned", &c.Returned}, {"ineligible", &c.Ineligible}, {"recovered", &c.Recovered},
	}
}

// checkCell checks one cell's fields and derived figures against the bound;
// where names the cell (called only for a refusal).
func checkCell(c Cell, whereFn func() string) error {
	where := ""
	if !cellInBounds(c) {
		where = whereFn()
	} else {
		return nil
	}
	for _, f := range moneyFields(&c) {
		if *f.p > MaxFigure || *f.p < -MaxFigure {
			return overflowRule(fmt.Sprintf("%s: %s", where, f.name), map[string]Money{f.name: *f.p})
		}
	}
	avail, ok := addChecked(c.Planned, c.CarriedIn)
	if !ok {
		return overflowRule(where+": planned + carried in", map[string]Money{"planned": c.Planned, "carried_in": c.CarriedIn})
	}
	rem := avail
	for _, m := range []Money{-c.Actual, -c.CarriedOver, -c.Returned} {
		if rem, ok = addChecked(rem, m); !ok {
			return overflowRule(where+": the remainder", map[string]Money{"planned": c.Planned, "carried_in": c.CarriedIn, "actual": c.Actual, "carried_over": c.CarriedOver, "returned": c.Returned})
		}
	}
	return nil
}

// checkOverflow refuses events that would take a figure of the agreement
// past ±MaxFigure: it applies their amounts to copies of the cells they
// touch, with checked arithmetic, then checks those cells, the totals of
// the years and lines they are in, and the agreement's grand total. It
// changes nothing.
func (a *Agreement) checkOverflow(events []Event) error {
	// The cells the events touch, as copies: one or two for almost every
	// command, so a list, not a map.
	var buf [4]touchedCell
	list := buf[:0]
	cell := func(line string, year int) *Cell {
		k := CellKey{line, year}
		for i := range list {
			if list[i].k == k {
				return list[i].c
			}
		}
		c := a.Cell(line, year)
		list = append(list, touchedCell{k, &c})
		return &c
	}
	add := func(p *Money, m Money, field, line string, year int) error {
		s, ok := addChecked(*p, m)
		if !ok {
			return overflowRule(fmt.Sprintf("line %s year %d: %s", line, year, field), map[string]Money{"current": *p, "amount": m})
		}
		*p = s
		return nil
	}
	for _, e := range events {
		var err error
		switch ev := e.(type) {
		case AgreementRegistered:
			if ev.TotalFunding > MaxFigure || ev.TotalFunding < 0 {
				return overflowRule("total_funding", map[string]Money{"total_funding": ev.TotalFunding})
			}
		case BudgetPlanned:
			c := cell(ev.Line, ev.Year)
			c.Planned, c.Original = ev.Amount, ev.Amount
		case BudgetAmended:
			cell(ev.Line, ev.Year).Planned = ev.Amount
		case SpendingRecorded:
			err = add(&cell(ev.Line, ev.Year).Actual, ev.Amount, "actual spending", ev.Line, ev.Year)
		case SpendingReversed:
			err = add(&cell(ev.Line, ev.Year).Actual, -ev.Amount, "actual spending", ev.Line, ev.Year)
		case RemainderCarriedOver:
			if err = add(&cell(ev.Line, ev.FromYear).CarriedOver, ev.Amount, "carried over", ev.Line, ev.FromYear); err == nil {
				err = add(&cell(ev.Line, ev.ToYear).CarriedIn, ev.Amount, "carried in", ev.Line, ev.ToYear)
			}
		case UnspentReturned:
			err = add(&cell(ev.Line, ev.Year).Returned, ev.Amount, "returned", ev.Line, ev.Year)
		case IneligibleExpenditureDeclared:
			err = add(&cell(ev.Line, ev.Year).Ineligible, ev.Amount, "ineligible", ev.Line, ev.Year)
		case IneligibleExpenditureRecovered:
			err = add(&cell(ev.Line, ev.Year).Recovered, ev.Amount, "recovered", ev.Line, ev.Year)
		case IndicatorDelivered:
			if ind := a.indicators[ev.Indicator]; ind != nil {
				var sum int64
				if d := ind.Delivered[ev.Year]; d != nil {
					sum = d.Sum
				}
				if ev.Quantity > MaxDelivered-sum || sum+ev.Quantity > MaxDelivered || ev.Quantity < 0 {
					return rule("amount-overflow", fmt.Sprintf("indicator %s year %d: delivered %d + %d would exceed the largest quantity the ledger keeps (%d); nothing was recorded", ev.Indicator, ev.Year, sum, ev.Quantity, MaxDelivered), nil)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if len(list) == 0 {
		return nil
	}
	for _, t := range list {
		if err := checkCell(*t.c, func() string { return fmt.Sprintf("line %s year %d", t.k.Line, t.k.Year) }); err != nil {
			return err
		}
	}
	// Totals: by year, by line and over the agreement, with the touched
	// cells in their new state. The kept totals (overflow_totals.go) pass
	// a command whose totals stay in bounds; anything else is decided,
	// and a refusal worded, by the sum over every cell below.
	if a.totalsInBounds(list) {
		return nil
	}
	touched := make(map[CellKey]*Cell, len(list))
	for _, t := range list {
		touched[t.k] = t.c
	}
	years, lines := map[int]*Cell{}, map[string]*Cell{}
	for k := range touched {
		years[k.Year], lines[k.Line] = &Cell{}, &Cell{}
	}
	var grand Cell
	sum := func(dst *Cell, c *Cell, what func() string) error {
		df, cf := moneyFields(dst), moneyFields(c)
		for i := range df {
			s, ok := addChecked(*df[i].p, *cf[i].p)
			if !ok {
				return overflowRule(what()+": "+df[i].name, map[string]Money{df[i].name: *df[i].p, "adding": *cf[i].p})
			}
			*df[i].p = s
		}
		return nil
	}
	visit := func(k CellKey, c *Cell) error {
		if err := sum(&grand, c, func() string { return "the agreement's total" }); err != nil {
			return err
		}
		if y := years[k.Year]; y != nil {
			if err := sum(y, c, func() string { return fmt.Sprintf("year %d total", k.Year) }); err != nil {
				return err
			}
		}
		if l := lines[k.Line]; l != nil {
			if err := sum(l, c, func() string { return fmt.Sprintf("line %s total", k.Line) }); err != nil {
				return err
			}
		}
		return nil
	}
	for k, c := range a.cells {
		if _, ok := touched[k]; ok {
			continue
		}
		if err := visit(k, c); err != nil {
			return err
		}
	}
	for k, c := range touched {
		if err := visit(k, c); err != nil {
			return err
		}
	}
	for n, y := range years {
		if err := checkCell(*y, func() string { return fmt.Sprintf("year %d total", n) }); err != nil {
			return err
		}
	}
	for n, l := range lines {
		if err := checkCell(*l, func() string { return fmt.Sprintf("line %s total", n) }); err != nil {
			return err
		}
	}
	return checkCell(grand, func() string { return "the agreement's total" })
}

// cellInBounds is checkCell's test without building a refusal.
func cellInBounds(c Cell) bool {
	in := func(m Money) bool { return m <= MaxFigure && m >= -MaxFigure }
	if !in(c.Planned) || !in(c.Original) || !in(c.CarriedIn) || !in(c.Actual) || !in(c.CarriedOver) ||
		!in(c.Returned) || !in(c.Ineligible) || !in(c.Recovered) {
		return false
	}
	// Each field is within ±MaxFigure, far from int64's limits, so these
	// sums cannot wrap.
	return in(c.Planned+c.CarriedIn) && in(c.Planned+c.CarriedIn-c.Actual-c.CarriedOver-c.Returned)
}
