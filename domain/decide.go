package domain

import (
	"fmt"
	"strings"

	"github.com/google/uuid"
)

// StreamPrefix starts the name of every stream grantledger writes.
const StreamPrefix = "grantledger-agreement-"

var agreementNamespace = uuid.MustParse("6f1c1a52-8d1e-4d0a-9a55-3f5b6f0d2c11")

// AgreementID is derived from the agreement's number, so that two attempts
// to register the same number meet in the same stream and the second fails.
func AgreementID(number string) uuid.UUID {
	return uuid.NewSHA1(agreementNamespace, []byte(number))
}

// StreamFor returns the stream that holds an agreement's events.
func StreamFor(number string) string { return StreamPrefix + AgreementID(number).String() }

// Decide checks cmd against the agreement's current state and returns the
// events that record it, or an error that says which rule it breaks and
// with which figures. It changes nothing: the caller appends the events and
// applies them. reason is the envelope's reason (required for amendments
// and reversals). A command that would take any figure past MaxFigure is
// refused (rule amount-overflow). The only thing it may set is the
// overflow check's cache of totals (overflow_totals.go), which does not
// change what the state says; like Apply, it is not for concurrent use on
// one Agreement (the ledger service holds the stream's lock).
func Decide(a *Agreement, cmd Command, reason string) ([]Event, error) {
	events, err := decide(a, cmd, reason)
	if err != nil {
		return nil, err
	}
	if err := a.checkOverflow(events); err != nil {
		return nil, err
	}
	return events, nil
}

func decide(a *Agreement, cmd Command, reason string) ([]Event, error) {
	if reg, ok := cmd.(RegisterAgreement); ok {
		if a.registered {
			return nil, &Error{Code: EDuplicate, Field: "agreement", Message: fmt.Sprintf("agreement %s is already registered", reg.Agreement), Err: ErrDuplicate}
		}
		return decideRegister(reg)
	}
	if !a.registered {
		return nil, &Error{Code: ENotFound, Field: "agreement", Message: fmt.Sprintf("agreement %q is not registered", cmd.AgreementNumber()), Err: ErrNotFound}
	}
	if evs, handled, err := a.decideWork(cmd, reason); handled {
		return evs, err
	}
	if evs, handled, err := a.decideCash(cmd, reason); handled {
		return evs, err
	}
	switch c := cmd.(type) {
	case AddBudgetLine:
		return a.decideAddBudgetLine(c, reason)
	case PlanBudget:
		return a.decidePlanBudget(c, reason)
	case AmendBudget:
		return a.decideAmendBudget(c, reason)
	case RecordSpending:
		return a.decideRecordSpending(c, reason)
	case ReverseSpending:
		return a.decideReverseSpending(c, reason)
	case CarryOver:
		return a.decideCarryOver(c, reason)
	case ReturnUnspent:
		return a.decideReturnUnspent(c, reason)
	case DeclareIneligible:
		return a.decideDeclareIneligible(c, reason)
	case RecordRecovery:
		return a.decideRecordRecovery(c, reason)
	case DefineIndicator:
		return a.decideDefineIndicator(c, reason)
	case RecordDelivery:
		return a.decideRecordDelivery(c, reason)
	case CloseYear:
		return a.decideCloseYear(c, reason)
	}
	return nil, Errorf(EInvalid, "command %T is not handled", cmd)
}

// The decisions per command type, one method each, dispatched by decide:
// each checks its command against the state and returns the events that
// record it, changing nothing. reason is the envelope's reason.

func (a *Agreement) decideAddBudgetLine(c AddBudgetLine, reason string) ([]Event, error) {
	if a.HasLine(c.Line) {
		return nil, &Error{Code: EDuplicate, Field: "line", Message: fmt.Sprintf("budget line %q already exists in %s", c.Line, a.reg.Number), Err: ErrDuplicate}
	}
	return []Event{BudgetLineAdded{Line: c.Line, Name: c.Name, OwnContribution: c.OwnContribution}}, nil
}

func (a *Agreement) decidePlanBudget(c PlanBudget, reason string) ([]Event, error) {
	if err := a.openCell(c.Line, c.Year, "year"); err != nil {
		return nil, err
	}
	if cell := a.Cell(c.Line, c.Year); cell.IsPlanned {
		return nil, rule("already-planned", fmt.Sprintf("line %s year %d is already planned at %s; use amend_budget to revise it", c.Line, c.Year, cell.Planned), map[string]Money{"planned": cell.Planned})
	}
	if err := a.checkPlanCeiling(c.Line, 0, c.Amount); err != nil {
		return nil, err
	}
	return []Event{BudgetPlanned{Line: c.Line, Year: c.Year, Amount: c.Amount}}, nil
}

func (a *Agreement) decideAmendBudget(c AmendBudget, reason string) ([]Event, error) {
	if err := requireReason(reason, "an amendment"); err != nil {
		return nil, err
	}
	if err := a.openCell(c.Line, c.Year, "year"); err != nil {
		return nil, err
	}
	cell := a.Cell(c.Line, c.Year)
	if !cell.IsPlanned {
		return nil, rule("not-planned", fmt.Sprintf("line %s year %d has no plan to amend; use plan_budget first", c.Line, c.Year), nil)
	}
	if c.Amount == cell.Planned {
		return nil, rule("amendment-changes-nothing", fmt.Sprintf("line %s year %d is already planned at %s", c.Line, c.Year, c.Amount), map[string]Money{"planned": cell.Planned})
	}
	if moved := cell.CarriedOver + cell.Returned; c.Amount+cell.CarriedIn < moved {
		return nil, rule("amendment-below-moved-funds", fmt.Sprintf("line %s year %d: planned %s + carried in %s would not cover the %s already carried over or returned", c.Line, c.Year, c.Amount, cell.CarriedIn, moved),
			map[string]Money{"amount": c.Amount, "carried_in": cell.CarriedIn, "carried_over": cell.CarriedOver, "returned": cell.Returned})
	}
	if err := a.checkPlanCeiling(c.Line, cell.Planned, c.Amount); err != nil {
		return nil, err
	}
	return []Event{BudgetAmended{Line: c.Line, Year: c.Year, Previous: cell.Planned, Amount: c.Amount, EffectiveDate: c.EffectiveDate, Reason: reason}}, nil
}

func (a *Agreement) decideRecordSpending(c RecordSpending, reason string) ([]Event, error) {
	if err := a.openCell(c.Line, c.Year, "year"); err != nil {
		return nil, err
	}
	if err := a.inYear(c.Year, c.Date, "date"); err != nil {
		return nil, err
	}
	return []Event{SpendingRecorded{Line: c.Line, Year: c.Year, Amount: c.Amount, Date: c.Date, Document: c.Document, Description: c.Description}}, nil
}

func (a *Agreement) decideReverseSpending(c ReverseSpending, reason string) ([]Event, error) {
	if err := requireReason(reason, "a reversal"); err != nil {
		return nil, err
	}
	s := a.spendings[c.Spending]
	if s == nil {
		return nil, &Error{Code: ENotFound, Field: "spending", Message: fmt.Sprintf("no spending with event id %s in %s", c.Spending, a.reg.Number), Err: ErrNotFound}
	}
	if s.Reversed {
		return nil, rule("already-reversed", fmt.Sprintf("spending %s of %s was already reversed", c.Spending, s.Amount), map[string]Money{"amount": s.Amount})
	}
	if err := a.openCell(s.Line, s.Year, "spending"); err != nil {
		return nil, err
	}
	// Ineligible expenditure is part of the spending; a reversal may
	// not leave less spending than was declared ineligible.
	if cell := a.Cell(s.Line, s.Year); cell.Actual-s.Amount < cell.Ineligible {
		return nil, rule("reversal-below-ineligible", fmt.Sprintf("line %s year %d: reversing spending %s of %s would leave %s of spending, less than the %s declared ineligible",
			s.Line, s.Year, s.ID, s.Amount, cell.Actual-s.Amount, cell.Ineligible),
			map[string]Money{"amount": s.Amount, "actual": cell.Actual, "ineligible": cell.Ineligible})
	}
	return []Event{SpendingReversed{Spending: s.ID, Line: s.Line, Year: s.Year, Amount: s.Amount, Date: c.Date, Reason: reason}}, nil
}

func (a *Agreement) decideCarryOver(c CarryOver, reason string) ([]Event, error) {
	if err := a.openCell(c.Line, c.FromYear, "from_year"); err != nil {
		return nil, err
	}
	to := c.FromYear + 1
	if y := a.Year(to); y == nil {
		return nil, rule("no-next-year", fmt.Sprintf("year %d is the last implementation year of %s: there is no year %d to carry over to; return the remainder instead", c.FromYear, a.reg.Number, to), nil)
	} else if y.Closed {
		return nil, rule("year-closed", fmt.Sprintf("year %d of %s is closed: nothing can be carried into it", to, a.reg.Number), nil)
	}
	amt, err := a.fromRemainder(c.Line, c.FromYear, c.Amount, "carry-over")
	if err != nil {
		return nil, err
	}
	return []Event{RemainderCarriedOver{Line: c.Line, FromYear: c.FromYear, ToYear: to, Amount: amt, Date: c.Date}}, nil
}

func (a *Agreement) decideReturnUnspent(c ReturnUnspent, reason string) ([]Event, error) {
	// Into a closed year only as a post-closure adjustment, with a
	// reason: what a reversal into the closed year freed
	// (closedreversal.go).
	postClosure, err := a.findingCell(c.Line, c.Year, "year", reason)
	if err != nil {
		return nil, err
	}
	amt, err := a.fromRemainder(c.Line, c.Year, c.Amount, "return")
	if err != nil {
		return nil, err
	}
	to := c.To
	if to == "" {
		to = a.reg.Funder
	}
	return []Event{UnspentReturned{Line: c.Line, Year: c.Year, Amount: amt, To: to, Date: c.Date, PostClosure: postClosure}}, nil
}

func (a *Agreement) decideDeclareIneligible(c DeclareIneligible, reason string) ([]Event, error) {
	postClosure, err := a.findingCell(c.Line, c.Year, "year", reason)
	if err != nil {
		return nil, err
	}
	cell := a.Cell(c.Line, c.Year)
	if eligible := cell.Actual - cell.Ineligible; c.Amount > eligible {
		return nil, rule("ineligible-exceeds-spending", fmt.Sprintf("line %s year %d: %s declared ineligible exceeds the %s of spending not yet declared ineligible", c.Line, c.Year, c.Amount, eligible),
			map[string]Money{"amount": c.Amount, "actual": cell.Actual, "ineligible": cell.Ineligible})
	}
	if c.Spending != nil {
		s := a.spendings[*c.Spending]
		if s == nil || s.Line != c.Line || s.Year != c.Year {
			return nil, &Error{Code: ENotFound, Field: "spending", Message: fmt.Sprintf("no spending %s on line %s in year %d", *c.Spending, c.Line, c.Year), Err: ErrNotFound}
		}
		if s.Reversed {
			return nil, rule("ineligible-reversed-spending", fmt.Sprintf("spending %s was reversed: it is no longer part of the actual spending and cannot be declared ineligible", s.ID), map[string]Money{"amount": s.Amount})
		}
		if c.Amount > s.Amount {
			return nil, rule("ineligible-exceeds-spending", fmt.Sprintf("line %s year %d: %s declared ineligible exceeds the %s of spending %s", c.Line, c.Year, c.Amount, s.Amount, s.ID),
				map[string]Money{"amount": c.Amount, "spending": s.Amount})
		}
	}
	return []Event{IneligibleExpenditureDeclared{Line: c.Line, Year: c.Year, Amount: c.Amount, Date: c.Date, Description: c.Description, Spending: c.Spending, PostClosure: postClosure}}, nil
}

func (a *Agreement) decideRecordRecovery(c RecordRecovery, reason string) ([]Event, error) {
	in := a.ineligible[c.Ineligible]
	if in == nil {
		return nil, &Error{Code: ENotFound, Field: "ineligible", Message: fmt.Sprintf("no ineligible expenditure with event id %s in %s", c.Ineligible, a.reg.Number), Err: ErrNotFound}
	}
	postClosure, err := a.findingCell(in.Line, in.Year, "ineligible", reason)
	if err != nil {
		return nil, err
	}
	if out := in.Amount - in.Recovered; c.Amount > out {
		return nil, rule("recovery-exceeds-outstanding", fmt.Sprintf("recovery of %s exceeds the %s outstanding of ineligible expenditure %s (%s declared, %s recovered)", c.Amount, out, in.ID, in.Amount, in.Recovered),
			map[string]Money{"amount": c.Amount, "outstanding": out, "declared": in.Amount, "recovered": in.Recovered})
	}
	return []Event{IneligibleExpenditureRecovered{Ineligible: in.ID, Line: in.Line, Year: in.Year, Amount: c.Amount, Date: c.Date, PostClosure: postClosure}}, nil
}

func (a *Agreement) decideDefineIndicator(c DefineIndicator, reason string) ([]Event, error) {
	if _, ok := a.indicators[c.Indicator]; ok {
		return nil, &Error{Code: EDuplicate, Field: "indicator", Message: fmt.Sprintf("indicator %q is already defined in %s", c.Indicator, a.reg.Number), Err: ErrDuplicate}
	}
	if err := a.checkTargets(c.Targets, "targets"); err != nil {
		return nil, err
	}
	return []Event{IndicatorDefined{Indicator: c.Indicator, Name: c.Name, Unit: c.Unit, Aggregation: c.Aggregation, Targets: sortTargets(c.Targets),
		Responsible: c.Responsible, Place: c.Place, Baseline: c.Baseline}}, nil
}

func (a *Agreement) decideRecordDelivery(c RecordDelivery, reason string) ([]Event, error) {
	ind := a.indicators[c.Indicator]
	if ind == nil {
		return nil, &Error{Code: ENotFound, Field: "indicator", Message: fmt.Sprintf("indicator %q is not defined in %s", c.Indicator, a.reg.Number), Err: ErrNotFound}
	}
	if err := a.openYear(c.Year, "year"); err != nil {
		return nil, err
	}
	if err := a.inYear(c.Year, c.Date, "date"); err != nil {
		return nil, err
	}
	switch ind.Aggregation {
	case AggDistinct:
		if len(c.Identifiers) == 0 {
			return nil, FieldError("identifiers", "indicator %s counts distinct identifiers: name who was reached (e.g. the organisations' registration numbers)", c.Indicator)
		}
		if c.Quantity != 0 && c.Quantity != int64(len(c.Identifiers)) {
			return nil, FieldError("quantity", "indicator %s counts distinct identifiers; leave quantity out (got %d for %d identifiers)", c.Indicator, c.Quantity, len(c.Identifiers))
		}
	case AggSum:
		if c.Quantity <= 0 {
			return nil, FieldError("quantity", "indicator %s adds up quantities: quantity must be more than 0", c.Indicator)
		}
	}
	return []Event{IndicatorDelivered{Indicator: c.Indicator, Year: c.Year, Quantity: c.Quantity, Identifiers: c.Identifiers, Date: c.Date, Evidence: c.Evidence}}, nil
}

func (a *Agreement) decideCloseYear(c CloseYear, reason string) ([]Event, error) {
	if err := a.openYear(c.Year, "year"); err != nil {
		return nil, err
	}
	var parts []string
	figures := map[string]Money{}
	var total Money
	for _, l := range a.lines {
		cell := a.Cell(l.Line, c.Year)
		if r := cell.Remainder(); r != 0 {
			total += r
			figures[l.Line] = r
			if r > 0 {
				parts = append(parts, fmt.Sprintf("%s: %s neither spent, carried over nor returned", l.Line, r))
			} else {
				parts = append(parts, fmt.Sprintf("%s: overspent by %s", l.Line, -r))
			}
		}
	}
	if len(parts) > 0 {
		figures["remainder"] = total
		return nil, rule("remainder-not-zero", fmt.Sprintf("year %d of %s cannot be closed: its remainder is %s (%s); carry it over, return it, or correct the figures first", c.Year, a.reg.Number, total, strings.Join(parts, "; ")), figures)
	}
	return []Event{YearClosed{Year: c.Year, Date: c.Date}}, nil
}

func decideRegister(c RegisterAgreement) ([]Event, error) {
	if err := CheckNumber(c.Agreement); err != nil {
		return nil, err
	}
	if err := checkMemorandum(c); err != nil {
		return nil, err
	}
	if c.Period.From == 0 || c.Period.To == 0 {
		return nil, FieldError("period", "needs both from and to")
	}
	if c.Period.To < c.Period.From {
		return nil, FieldError("period", "ends (%s) before it starts (%s)", c.Period.To, c.Period.From)
	}
	for i, y := range c.Years {
		f := fmt.Sprintf("years[%d]", i)
		if y.Year != i+1 {
			return nil, FieldError(f+".year", "implementation years are numbered 1, 2, 3… in order; expected %d, got %d", i+1, y.Year)
		}
		if y.To < y.From {
			return nil, FieldError(f, "year %d ends (%s) before it starts (%s)", y.Year, y.To, y.From)
		}
		if !c.Period.Contains(y.From) || !c.Period.Contains(y.To) {
			return nil, FieldError(f, "year %d (%s) lies outside the agreement period %s", y.Year, y.Period(), c.Period)
		}
		if i > 0 && y.From <= c.Years[i-1].To {
			return nil, FieldError(f, "year %d starts %s, before year %d ends (%s)", y.Year, y.From, i, c.Years[i-1].To)
		}
	}
	if c.SupportIntensity != "" {
		if _, err := CheckIntensity(c.SupportIntensity); err != nil {
			return nil, FieldError("support_intensity", "%v; nothing was registered", err)
		}
	}
	seen := map[string]bool{}
	for i, l := range c.Lines {
		if seen[l.Line] {
			return nil, FieldError(fmt.Sprintf("lines[%d].line", i), "budget line %q appears twice", l.Line)
		}
		seen[l.Line] = true
	}
	return []Event{AgreementRegistered{
		AgreementID: AgreementID(c.Agreement), Number: c.Agreement, Kind: c.Kind, Title: c.Title,
		Grantee: c.Grantee, Funder: c.Funder, Programme: c.Programme, SupportIntensity: c.SupportIntensity,
		TotalFunding: c.TotalFunding, Period: c.Period, Years: c.Years, Lines: c.Lines,
	}}, nil
}

func rule(name, msg string, figures map[string]Money) *RuleError {
	return &RuleError{Rule: name, Message: msg, Figures: figures}
}

func requireReason(reason, what string) error {
	if strings.TrimSpace(reason) == "" {
		return FieldError("reason", "%s needs a reason, kept on record with it", what)
	}
	return nil
}

// openYear checks that year n exists and is open.
func (a *Agreement) openYear(n int, field string) error {
	y := a.Year(n)
	if y == nil {
		return &Error{Code: ENotFound, Field: field, Message: fmt.Sprintf("%s has no implementation year %d (it has %d)", a.reg.Number, n, len(a.years)), Err: ErrNotFound}
	}
	if y.Closed {
		return rule("year-closed", fmt.Sprintf("year %d of %s (%s) is closed: nothing more is recorded into it", n, a.reg.Number, y.Period()), nil)
	}
	return nil
}

// openCell checks that the line exists and year n exists and is open.
func (a *Agreement) openCell(line string, n int, field string) error {
	if !a.HasLine(line) {
		names := make([]string, len(a.lines))
		for i, l := range a.lines {
			names[i] = l.Line
		}
		return &Error{Code: ENotFound, Field: "line", Message: fmt.Sprintf("%s has no budget line %q (it has: %s)", a.reg.Number, line, strings.Join(names, ", ")), Err: ErrNotFound}
	}
	return a.openYear(n, field)
}

func (a *Agreement) inYear(n int, d Date, field string) error {
	y := a.Year(n)
	if !y.Period().Contains(d) {
		return rule("date-outside-year", fmt.Sprintf("%s %s is outside year %d of %s (%s)", field, d, n, a.reg.Number, y.Period()), nil)
	}
	return nil
}

// fromRemainder checks an amount leaving a line's remainder (carry-over or
// return). Zero means the whole remainder.
func (a *Agreement) fromRemainder(line string, year int, amount Money, what string) (Money, error) {
	cell := a.Cell(line, year)
	rem := cell.Remainder()
	if amount == 0 {
		if rem <= 0 {
			return 0, rule("nothing-to-"+what, fmt.Sprintf("line %s year %d has no remainder to %s (remainder %s)", line, year, what, rem), map[string]Money{"remainder": rem})
		}
		return rem, nil
	}
	if amount > rem {
		return 0, rule(what+"-exceeds-remainder", fmt.Sprintf("line %s year %d: %s of %s exceeds the remainder %s (planned %s + carried in %s - actual %s - carried over %s - returned %s)",
			line, year, what, amount, rem, cell.Planned, cell.CarriedIn, cell.Actual, cell.CarriedOver, cell.Returned),
			map[string]Money{"amount": amount, "remainder": rem, "planned": cell.Planned, "carried_in": cell.CarriedIn, "actual": cell.Actual, "carried_over": cell.CarriedOver, "returned": cell.Returned})
	}
	return amount, nil
}
