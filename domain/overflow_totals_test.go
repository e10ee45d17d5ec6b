package domain

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// sumCells is the oracle for the kept totals: every cell added with
// Cell.Add, as YearTotal and the reports add them.
func sumCells(a *Agreement) (grand Cell, years map[int]Cell, lines map[string]Cell) {
	years, lines = map[int]Cell{}, map[string]Cell{}
	for k, c := range a.cells {
		grand = grand.Add(*c)
		years[k.Year] = years[k.Year].Add(*c)
		lines[k.Line] = lines[k.Line].Add(*c)
	}
	return
}

// money keeps only the summed fields, which is what the totals hold.
func money(c Cell) Cell {
	return Cell{Planned: c.Planned, Original: c.Original, CarriedIn: c.CarriedIn, Actual: c.Actual,
		CarriedOver: c.CarriedOver, Returned: c.Returned, Ineligible: c.Ineligible, Recovered: c.Recovered}
}

// The overflow check's totals, once built, must follow every event Apply
// gives a cell: after thousands of random events of every kind that
// changes a cell (a carry-over within one year too), they equal the sum of
// the cells.
func TestKeptTotalsFollowEveryCellEvent(t *testing.T) {
	a := NewAgreement()
	lines := []string{"A", "B", "C"}
	a.Apply(uuid.New(), AgreementRegistered{Number: "T-1", Lines: []LineSpec{{Line: "A"}, {Line: "B"}, {Line: "C"}},
		Years: []YearSpec{{Year: 1}, {Year: 2}, {Year: 3}}})
	if a.tot != nil {
		t.Fatal("totals built before any check")
	}
	rng := rand.New(rand.NewPCG(11, 11))
	for i := 0; i < 5000; i++ {
		l, y, y2 := lines[rng.IntN(3)], 1+rng.IntN(3), 1+rng.IntN(3)
		amt := Money(rng.Int64N(1_000_000))
		var e Event
		switch rng.IntN(9) {
		case 0:
			e = BudgetPlanned{Line: l, Year: y, Amount: amt}
		case 1:
			e = BudgetAmended{Line: l, Year: y, Amount: amt}
		case 2:
			e = SpendingRecorded{Line: l, Year: y, Amount: amt}
		case 3:
			e = SpendingReversed{Line: l, Year: y, Amount: amt}
		case 4:
			e = RemainderCarriedOver{Line: l, FromYear: y, ToYear: y2, Amount: amt}
		case 5:
			e = UnspentReturned{Line: l, Year: y, Amount: amt}
		case 6:
			e = IneligibleExpenditureDeclared{Line: l, Year: y, Amount: amt}
		case 7:
			e = IneligibleExpenditureRecovered{Line: l, Year: y, Amount: amt}
		case 8:
			e = YearClosed{Year: y}
		}
		if i == 100 {
			// The first check builds the totals; Apply keeps them after.
			if err := a.checkOverflow([]Event{SpendingRecorded{Line: "A", Year: 1, Amount: 1}}); err != nil {
				t.Fatal(err)
			}
			if a.tot == nil {
				t.Fatal("a check left no totals to keep")
			}
		}
		a.Apply(uuid.New(), e)
		if a.tot == nil {
			continue
		}
		g, ys, ls := sumCells(a)
		if a.tot.grand != money(g) {
			t.Fatalf("after event %d (%T): kept grand total %+v, the cells sum to %+v", i, e, a.tot.grand, money(g))
		}
		for y, c := range ys {
			if *a.tot.years[y] != money(c) {
				t.Fatalf("after event %d (%T): kept year %d total %+v, the cells sum to %+v", i, e, y, *a.tot.years[y], money(c))
			}
		}
		for l, c := range ls {
			if *a.tot.lines[l] != money(c) {
				t.Fatalf("after event %d (%T): kept line %s total %+v, the cells sum to %+v", i, e, l, *a.tot.lines[l], money(c))
			}
		}
	}
}

// The kept totals only let a command through: a year total driven to the
// bound by events applied after the totals were built still refuses the
// spending that would pass it.
func TestKeptTotalsStillRefuseAnOverflowingTotal(t *testing.T) {
	a := NewAgreement()
	a.Apply(uuid.New(), AgreementRegistered{Number: "T-2", Lines: []LineSpec{{Line: "A"}, {Line: "B"}}, Years: []YearSpec{{Year: 1}}})
	if err := a.checkOverflow([]Event{SpendingRecorded{Line: "A", Year: 1, Amount: 1}}); err != nil || a.tot == nil {
		t.Fatalf("first check: %v, totals %v", err, a.tot)
	}
	a.Apply(uuid.New(), SpendingRecorded{Line: "A", Year: 1, Amount: MaxFigure - 1})
	err := a.checkOverflow([]Event{SpendingRecorded{Line: "B", Year: 1, Amount: 2}})
	re, ok := err.(*RuleError)
	if !ok || re.Rule != "amount-overflow" {
		t.Fatalf("spending past the year's total: got %v, want rule amount-overflow", err)
	}
}

// Each total is checked on its own: a year's lines, a line's years and
// the whole agreement (domain.MaxFigure's doc), with the totals kept. A
// negative actual elsewhere (a reversal applied as a trusted event) keeps
// the other totals in bounds, so only the named one is past the bound.
func TestKeptTotalsRefuseEachTotalPastTheBound(t *testing.T) {
	big := MaxFigure - 1
	for _, c := range []struct {
		name   string
		setup  []Event
		spend  SpendingRecorded
		reason string
	}{
		{"year total", []Event{SpendingRecorded{Line: "A", Year: 1, Amount: big}, SpendingReversed{Line: "A", Year: 2, Amount: big}},
			SpendingRecorded{Line: "B", Year: 1, Amount: 2}, "year 1 total"},
		{"line total", []Event{SpendingRecorded{Line: "A", Year: 1, Amount: big}, SpendingReversed{Line: "B", Year: 2, Amount: big}},
			SpendingRecorded{Line: "A", Year: 2, Amount: 2}, "line A total"},
		{"grand total", []Event{SpendingRecorded{Line: "A", Year: 1, Amount: big}},
			SpendingRecorded{Line: "B", Year: 2, Amount: 2}, "the agreement's total"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := NewAgreement()
			a.Apply(uuid.New(), AgreementRegistered{Number: "T-3", Lines: []LineSpec{{Line: "A"}, {Line: "B"}}, Years: []YearSpec{{Year: 1}, {Year: 2}}})
			if err := a.checkOverflow([]Event{SpendingRecorded{Line: "A", Year: 1, Amount: 1}}); err != nil || a.tot == nil {
				t.Fatalf("first check: %v", err)
			}
			for _, e := range c.setup {
				a.Apply(uuid.New(), e)
			}
			err := a.checkOverflow([]Event{c.spend})
			re, ok := err.(*RuleError)
			if !ok || re.Rule != "amount-overflow" || !strings.Contains(re.Error(), c.reason) {
				t.Fatalf("got %v, want rule amount-overflow naming %s", err, c.reason)
			}
		})
	}
}
