package domain

import (
	"fmt"

	"github.com/google/uuid"
)

// Reversals into a closed year (issue 14, "corrections after closing"):
// the funder may reverse a spending of a closed implementation year as a
// post-closure adjustment, without reopening the year (a spending booked
// twice or on the wrong agreement, found after the final report). The
// grantee's reverse_spending stays refused there (year-closed): a closed
// year's figures are the funder's to restate, and the restatement is
// shown next to the figures as closed (adjust.go). The reversal frees part
// of the year's funds; the funder records it as returned with
// return_unspent into the closed year (also a post-closure adjustment,
// with a reason), which makes it due until refunded.

// CmdReverseClosedSpending is the command type.
const CmdReverseClosedSpending = "reverse_closed_spending"

// ReverseClosedSpending cancels in full a spending of a closed year; the
// envelope's reason is required.
type ReverseClosedSpending struct {
	Ref
	Spending uuid.UUID `json:"spending"`
	Date     Date      `json:"date"`
}

// CommandType implements Command.
func (ReverseClosedSpending) CommandType() string { return CmdReverseClosedSpending }

// decideClosedReversal decides a ReverseClosedSpending.
func (a *Agreement) decideClosedReversal(c ReverseClosedSpending, reason string) ([]Event, error) {
	if err := requireReason(reason, "a reversal into a closed year (a post-closure adjustment)"); err != nil {
		return nil, err
	}
	s := a.spendings[c.Spending]
	if s == nil {
		return nil, &Error{Code: ENotFound, Field: "spending", Message: fmt.Sprintf("no spending with event id %s in %s", c.Spending, a.reg.Number), Err: ErrNotFound}
	}
	if s.Reversed {
		return nil, rule("already-reversed", fmt.Sprintf("spending %s of %s was already reversed", c.Spending, s.Amount), map[string]Money{"amount": s.Amount})
	}
	if y := a.Year(s.Year); y != nil && !y.Closed {
		return nil, rule("year-open", fmt.Sprintf("year %d of %s is open: reverse spending %s with reverse_spending", s.Year, a.reg.Number, s.ID), nil)
	}
	if cell := a.Cell(s.Line, s.Year); cell.Actual-s.Amount < cell.Ineligible {
		return nil, rule("reversal-below-ineligible", fmt.Sprintf("line %s year %d: reversing spending %s of %s would leave %s of spending, less than the %s declared ineligible",
			s.Line, s.Year, s.ID, s.Amount, cell.Actual-s.Amount, cell.Ineligible),
			map[string]Money{"amount": s.Amount, "actual": cell.Actual, "ineligible": cell.Ineligible})
	}
	return []Event{SpendingReversed{Spending: s.ID, Line: s.Line, Year: s.Year, Amount: s.Amount, Date: c.Date, Reason: reason, PostClosure: true}}, nil
}
