package domain

import (
	"sort"

	"github.com/google/uuid"
)

// Agreement kinds.
const (
	KindDelegation = "delegation" // delegation of a state administration task
	KindGrant      = "grant"      // grant project
	// KindMemorandum is a cooperation memorandum with a work plan and no
	// money (seed 000): tasks and their deadlines, no budget (work.go).
	KindMemorandum = "memorandum"
)

// Cell holds the figures of one budget line in one implementation year.
// Every amount is the running sum of events; Remainder is derived.
type Cell struct {
	Planned     Money // revised plan in force (equals Original until amended)
	Original    Money // plan as first set
	IsPlanned   bool  // a BudgetPlanned was recorded
	Amendments  int
	CarriedIn   Money
	Actual      Money // spending less reversals
	CarriedOver Money
	Returned    Money
	Ineligible  Money // declared ineligible (part of Actual)
	Recovered   Money // recovered against ineligible
}

// Remainder is what is left to account for:
// planned + carried_in - actual - carried_over - returned. It is negative
// when the line is overspent.
func (c Cell) Remainder() Money {
	return c.Planned + c.CarriedIn - c.Actual - c.CarriedOver - c.Returned
}

// Available is planned + carried in: the funds the line may use this year.
func (c Cell) Available() Money { return c.Planned + c.CarriedIn }

// Overspend is how far actual spending (plus what left the line) exceeds
// the available funds; zero when it does not.
func (c Cell) Overspend() Money {
	if r := c.Remainder(); r < 0 {
		return -r
	}
	return 0
}

// Unrecovered is ineligible expenditure not yet recovered.
func (c Cell) Unrecovered() Money { return c.Ineligible - c.Recovered }

// Add returns the field-by-field sum of two cells.
func (c Cell) Add(o Cell) Cell {
	return Cell{
		Planned: c.Planned + o.Planned, Original: c.Original + o.Original,
		IsPlanned: c.IsPlanned || o.IsPlanned, Amendments: c.Amendments + o.Amendments,
		CarriedIn: c.CarriedIn + o.CarriedIn, Actual: c.Actual + o.Actual,
		CarriedOver: c.CarriedOver + o.CarriedOver, Returned: c.Returned + o.Returned,
		Ineligible: c.Ineligible + o.Ineligible, Recovered: c.Recovered + o.Recovered,
	}
}

// Year is the state of one implementation year.
type Year struct {
	YearSpec
	Closed bool
}

// Spending is a recorded spending as the aggregate remembers it, so that it
// can be reversed exactly once.
type Spending struct {
	ID       uuid.UUID
	Line     string
	Year     int
	Amount   Money
	Reversed bool
}

// Ineligible is a declared ineligible expenditure and what was recovered.
type Ineligible struct {
	ID        uuid.UUID
	Line      string
	Year      int
	Amount    Money
	Recovered Money
}

// Indicator is a performance indicator with its targets and deliveries.
type Indicator struct {
	IndicatorDefined
	// Original are the targets as first defined, kept once amend_target
	// replaces some (work.go); nil until then.
	Original  []IndicatorTarget
	Delivered map[int]*IndicatorYear // by year
}

// IndicatorYear is what was delivered of an indicator in one year.
type IndicatorYear struct {
	Sum        int64
	Latest     int64
	LatestDate Date
	Distinct   map[string]struct{}
	Deliveries int
}

// Value returns the achieved value under the indicator's aggregation.
func (i *Indicator) Value(year int) int64 {
	d := i.Delivered[year]
	if d == nil {
		return 0
	}
	switch i.Aggregation {
	case AggDistinct:
		return int64(len(d.Distinct))
	case AggLatest:
		return d.Latest
	}
	return d.Sum
}

// Target returns the target for year and whether one was set. With a
// schedule of several targets in the year (work.go) it is the year's last,
// the one due latest.
func (i *Indicator) Target(year int) (IndicatorTarget, bool) {
	var out IndicatorTarget
	found := false
	for _, t := range i.Targets {
		if t.Year == year {
			out, found = t, true
		}
	}
	return out, found
}

// CellKey addresses a Cell.
type CellKey struct {
	Line string
	Year int
}

// Agreement is the state of one agreement, rebuilt by applying its events
// in order. Apply is the only code that changes it; RestoreAgreement
// rebuilds one from stored state (a read model's snapshot). Its fields are
// unexported: callers read them through the accessors below, whose maps
// and slices are the agreement's own and must not be changed.
type Agreement struct {
	reg            AgreementRegistered
	registered     bool
	lines          []LineSpec // in the order added
	years          []*Year    // ordered by number, years[i].Year == i+1
	cells          map[CellKey]*Cell
	spendings      map[uuid.UUID]*Spending
	ineligible     map[uuid.UUID]*Ineligible
	indicators     map[string]*Indicator
	indicatorOrder []string
	cash           CashState   // money that moves: see disbursement.go
	adjust         AdjustState // figures as closed: see adjust.go
	work           WorkState   // deliveries by id, parties, obligations, documents: see work.go

	tot *cellTotals // the overflow check's sums, nil until first needed
}

// NewAgreement returns the empty state before the first event.
func NewAgreement() *Agreement {
	a := &Agreement{
		cells:      map[CellKey]*Cell{},
		spendings:  map[uuid.UUID]*Spending{},
		ineligible: map[uuid.UUID]*Ineligible{},
		indicators: map[string]*Indicator{},
	}
	a.cash.Init()
	a.work.Init()
	return a
}

// AgreementState is an Agreement's state as plain data: what a snapshot of
// the read model stores (package projections/codec), and what
// RestoreAgreement rebuilds an Agreement from. Its field names are the
// ones the snapshots were written with (gob matches fields by name): keep
// them.
type AgreementState struct {
	AgreementRegistered
	Registered     bool
	Lines          []LineSpec
	Years          []*Year
	Cells          map[CellKey]*Cell
	Spendings      map[uuid.UUID]*Spending
	Ineligible     map[uuid.UUID]*Ineligible
	Indicators     map[string]*Indicator
	IndicatorOrder []string
	Cash           CashState
	Adjust         AdjustState
	Work           WorkState
}

// RestoreAgreement rebuilds an Agreement from stored state, keeping s's
// maps and slices (the caller must not use them after): it makes the empty
// maps a decoder leaves nil, so the state equals one built by Apply, fills
// in what older snapshots lack (FillClosedFigures), and refuses a state
// that cannot name its dues or deliveries by event id (CashConsistent,
// WorkConsistent), which the caller rebuilds from the events instead.
func RestoreAgreement(s AgreementState) (*Agreement, error) {
	a := &Agreement{reg: s.AgreementRegistered, registered: s.Registered, lines: s.Lines, years: s.Years, cells: s.Cells,
		spendings: s.Spendings, ineligible: s.Ineligible, indicators: s.Indicators, indicatorOrder: s.IndicatorOrder,
		cash: s.Cash, adjust: s.Adjust, work: s.Work}
	if a.cells == nil {
		a.cells = map[CellKey]*Cell{}
	}
	if a.spendings == nil {
		a.spendings = map[uuid.UUID]*Spending{}
	}
	if a.ineligible == nil {
		a.ineligible = map[uuid.UUID]*Ineligible{}
	}
	if a.indicators == nil {
		a.indicators = map[string]*Indicator{}
	}
	a.cash.Init()
	a.work.Init()
	a.fillClosedFigures()
	for _, ind := range a.indicators {
		if ind.Delivered == nil {
			ind.Delivered = map[int]*IndicatorYear{}
		}
		for _, d := range ind.Delivered {
			if d.Distinct == nil {
				d.Distinct = map[string]struct{}{}
			}
		}
	}
	if err := a.CashConsistent(); err != nil {
		return nil, err
	}
	if err := a.WorkConsistent(); err != nil {
		return nil, err
	}
	return a, nil
}

// State returns the agreement's state as plain data for a snapshot. It
// shares the agreement's maps and slices: the caller only reads them.
func (a *Agreement) State() AgreementState {
	return AgreementState{AgreementRegistered: a.reg, Registered: a.registered, Lines: a.lines, Years: a.years, Cells: a.cells,
		Spendings: a.spendings, Ineligible: a.ineligible, Indicators: a.indicators, IndicatorOrder: a.indicatorOrder,
		Cash: a.cash, Adjust: a.adjust, Work: a.work}
}

// Registration returns the event that registered the agreement (zero
// before it).
func (a *Agreement) Registration() AgreementRegistered { return a.reg }

// AgreementNumber returns the agreement's number ("" before it is
// registered).
func (a *Agreement) AgreementNumber() string { return a.reg.Number }

// Registered reports whether the agreement was registered.
func (a *Agreement) Registered() bool { return a.registered }

// Lines returns the budget lines in the order added.
func (a *Agreement) Lines() []LineSpec { return a.lines }

// Years returns the implementation years, ordered by number
// (Years()[i].Year == i+1).
func (a *Agreement) Years() []*Year { return a.years }

// Cells returns the figures of every line and year recorded.
func (a *Agreement) Cells() map[CellKey]*Cell { return a.cells }

// Spendings returns the recorded spendings by event id.
func (a *Agreement) Spendings() map[uuid.UUID]*Spending { return a.spendings }

// Ineligibles returns the declared ineligible expenditures by event id.
func (a *Agreement) Ineligibles() map[uuid.UUID]*Ineligible { return a.ineligible }

// Indicators returns the indicators by code.
func (a *Agreement) Indicators() map[string]*Indicator { return a.indicators }

// Cash returns the money that moves (disbursement.go).
func (a *Agreement) Cash() CashState { return a.cash }

// Adjust returns the figures as closed and the post-closure adjustments
// (adjust.go).
func (a *Agreement) Adjust() AdjustState { return a.adjust }

// Work returns deliveries, parties, obligations and documents (work.go).
func (a *Agreement) Work() WorkState { return a.work }

// HasLine reports whether the agreement has the budget line.
func (a *Agreement) HasLine(line string) bool {
	for _, l := range a.lines {
		if l.Line == line {
			return true
		}
	}
	return false
}

// LineName returns the line's name, or its code when it has none.
func (a *Agreement) LineName(line string) string {
	for _, l := range a.lines {
		if l.Line == line && l.Name != "" {
			return l.Name
		}
	}
	return line
}

// Year returns implementation year n, or nil.
func (a *Agreement) Year(n int) *Year {
	if n < 1 || n > len(a.years) {
		return nil
	}
	return a.years[n-1]
}

// Cell returns the figures of a line in a year (zero if none recorded).
func (a *Agreement) Cell(line string, year int) Cell {
	if c := a.cells[CellKey{line, year}]; c != nil {
		return *c
	}
	return Cell{}
}

// YearTotal returns the sum of all lines' cells in a year.
func (a *Agreement) YearTotal(year int) Cell {
	var t Cell
	for _, l := range a.lines {
		t = t.Add(a.Cell(l.Line, year))
	}
	return t
}

func (a *Agreement) cell(line string, year int) *Cell {
	k := CellKey{line, year}
	c := a.cells[k]
	if c == nil {
		c = &Cell{}
		a.cells[k] = c
	}
	return c
}

// Apply changes the state by one event. id is the event's id (used to name
// spendings and ineligible expenditures for later reference). Events are
// trusted: they were checked by Decide before they were recorded.
func (a *Agreement) Apply(id uuid.UUID, e Event) {
	if a.tot == nil {
		a.apply(id, e)
		return
	}
	// Keep the overflow check's totals (overflow_totals.go) up to date.
	var keys [2]CellKey
	n := cellKeys(e, &keys)
	var before [2]Cell
	for i := 0; i < n; i++ {
		before[i] = a.Cell(keys[i].Line, keys[i].Year)
	}
	a.apply(id, e)
	for i := 0; i < n; i++ {
		a.tot.move(a, keys[i], before[i], a.Cell(keys[i].Line, keys[i].Year))
	}
}

func (a *Agreement) apply(id uuid.UUID, e Event) {
	a.applyCash(id, e)
	a.applyWork(id, e)
	a.applyAdjust(e)
	switch ev := e.(type) {
	case AgreementRegistered:
		a.reg = ev
		a.registered = true
		a.lines = append([]LineSpec(nil), ev.Lines...)
		a.years = make([]*Year, len(ev.Years))
		for i, y := range ev.Years {
			a.years[i] = &Year{YearSpec: y}
		}
	case BudgetLineAdded:
		a.lines = append(a.lines, LineSpec{Line: ev.Line, Name: ev.Name, OwnContribution: ev.OwnContribution})
	case BudgetPlanned:
		c := a.cell(ev.Line, ev.Year)
		c.Planned, c.Original, c.IsPlanned = ev.Amount, ev.Amount, true
	case BudgetAmended:
		c := a.cell(ev.Line, ev.Year)
		c.Planned = ev.Amount
		c.Amendments++
	case SpendingRecorded:
		a.cell(ev.Line, ev.Year).Actual += ev.Amount
		a.spendings[id] = &Spending{ID: id, Line: ev.Line, Year: ev.Year, Amount: ev.Amount}
	case SpendingReversed:
		a.cell(ev.Line, ev.Year).Actual -= ev.Amount
		if s := a.spendings[ev.Spending]; s != nil {
			s.Reversed = true
		}
	case RemainderCarriedOver:
		a.cell(ev.Line, ev.FromYear).CarriedOver += ev.Amount
		a.cell(ev.Line, ev.ToYear).CarriedIn += ev.Amount
	case UnspentReturned:
		a.cell(ev.Line, ev.Year).Returned += ev.Amount
	case IneligibleExpenditureDeclared:
		a.cell(ev.Line, ev.Year).Ineligible += ev.Amount
		a.ineligible[id] = &Ineligible{ID: id, Line: ev.Line, Year: ev.Year, Amount: ev.Amount}
	case IneligibleExpenditureRecovered:
		a.cell(ev.Line, ev.Year).Recovered += ev.Amount
		if in := a.ineligible[ev.Ineligible]; in != nil {
			in.Recovered += ev.Amount
		}
	case IndicatorDefined:
		if _, ok := a.indicators[ev.Indicator]; !ok {
			a.indicatorOrder = append(a.indicatorOrder, ev.Indicator)
		}
		a.indicators[ev.Indicator] = &Indicator{IndicatorDefined: ev, Delivered: map[int]*IndicatorYear{}}
	case IndicatorDelivered:
		ind := a.indicators[ev.Indicator]
		if ind == nil {
			return
		}
		d := ind.Delivered[ev.Year]
		if d == nil {
			d = &IndicatorYear{Distinct: map[string]struct{}{}}
			ind.Delivered[ev.Year] = d
		}
		d.Deliveries++
		d.Sum += ev.Quantity
		if d.Deliveries == 1 || ev.Date >= d.LatestDate {
			d.Latest, d.LatestDate = ev.Quantity, ev.Date
		}
		for _, id := range ev.Identifiers {
			d.Distinct[id] = struct{}{}
		}
	case YearClosed:
		if y := a.Year(ev.Year); y != nil {
			y.Closed = true
		}
	}
}

// SortedIndicatorIDs returns indicator codes in the order they were defined.
func (a *Agreement) SortedIndicatorIDs() []string { return a.indicatorOrder }

// SortedSpendings returns spendings ordered by id, for deterministic output.
func (a *Agreement) SortedSpendings() []*Spending {
	out := make([]*Spending, 0, len(a.spendings))
	for _, s := range a.spendings {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID.String() < out[j].ID.String() })
	return out
}
