package domain

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Money that moves (issue 14): what the funder pays the grantee
// (disbursements, planned in a schedule), what the grantee pays back
// (refunds of returned unspent funds and of recoveries), and the ceiling
// that the agreement's total funding sets on plans and payments.
//
// The grantee's cash position is derived, never stored:
//
//	held = disbursed − eligible spent − refunded
//
// where eligible spent is actual spending less what was declared
// ineligible. A negative held is pre-financing: the grantee spent more of
// its own money than it has received.

// Stable event type names of money that moves, as stored.
const (
	TypeDisbursementPlanned  = "DisbursementPlanned"
	TypeDisbursementRecorded = "DisbursementRecorded"
	TypeDisbursementReversed = "DisbursementReversed"
	TypeRefundRecorded       = "RefundRecorded"
)

// Command type names of money that moves.
const (
	CmdPlanDisbursement    = "plan_disbursement"
	CmdRecordDisbursement  = "record_disbursement"
	CmdReverseDisbursement = "reverse_disbursement"
	CmdRecordRefund        = "record_refund"
)

// Kinds of a disbursement: an advance before the work, a tranche after an
// interim report, the final payment after the final report.
const (
	PayAdvance = "advance"
	PayTranche = "tranche"
	PayFinal   = "final"
)

// Kinds of a due: what a refund pays back.
const (
	DueReturn   = "return"   // an UnspentReturned
	DueRecovery = "recovery" // an IneligibleExpenditureRecovered
)

// DisbursementPlanned is one payment of the agreement's schedule.
type DisbursementPlanned struct {
	Kind   string `json:"kind"`
	Year   int    `json:"year"`
	Amount Money  `json:"amount"`
	Date   Date   `json:"date"`
	Report string `json:"report,omitempty"`
}

// DisbursementRecorded is money the funder paid the grantee for an
// implementation year. Its event ID identifies it for a reversal.
type DisbursementRecorded struct {
	Kind      string `json:"kind,omitempty"`
	Year      int    `json:"year"`
	Amount    Money  `json:"amount"`
	Date      Date   `json:"date"`
	Reference string `json:"reference"`
}

// DisbursementReversed cancels an earlier DisbursementRecorded in full
// (a payment entered in error, or returned by the bank).
type DisbursementReversed struct {
	Disbursement uuid.UUID `json:"disbursement"`
	Year         int       `json:"year"`
	Amount       Money     `json:"amount"`
	Date         Date      `json:"date"`
	Reason       string    `json:"reason"`
}

// RefundRecorded is money the grantee paid back to the funder against a
// due: a return of unspent funds or a recovery.
type RefundRecorded struct {
	For       uuid.UUID `json:"for"`
	Kind      string    `json:"kind"`
	Line      string    `json:"line"`
	Year      int       `json:"year"`
	Amount    Money     `json:"amount"`
	Date      Date      `json:"date"`
	Reference string    `json:"reference"`
}

func (DisbursementPlanned) EventType() string  { return TypeDisbursementPlanned }
func (DisbursementRecorded) EventType() string { return TypeDisbursementRecorded }
func (DisbursementReversed) EventType() string { return TypeDisbursementReversed }
func (RefundRecorded) EventType() string       { return TypeRefundRecorded }

// PlanDisbursement adds a payment to the agreement's schedule.
type PlanDisbursement struct {
	Ref
	Kind   string `json:"kind"`
	Year   int    `json:"year"`
	Amount Money  `json:"amount"`
	Date   Date   `json:"date"`
	Report string `json:"report,omitempty"`
}

// RecordDisbursement records a payment from the funder to the grantee.
type RecordDisbursement struct {
	Ref
	Kind      string `json:"kind,omitempty"`
	Year      int    `json:"year"`
	Amount    Money  `json:"amount"`
	Date      Date   `json:"date"`
	Reference string `json:"reference"`
}

// ReverseDisbursement cancels a recorded disbursement in full; the
// envelope's reason is required.
type ReverseDisbursement struct {
	Ref
	Disbursement uuid.UUID `json:"disbursement"`
	Date         Date      `json:"date"`
}

// RecordRefund records money the grantee paid back against a return of
// unspent funds or a recovery, named by that event's id.
type RecordRefund struct {
	Ref
	For       uuid.UUID `json:"for"`
	Amount    Money     `json:"amount"`
	Date      Date      `json:"date"`
	Reference string    `json:"reference"`
}

func (PlanDisbursement) CommandType() string    { return CmdPlanDisbursement }
func (RecordDisbursement) CommandType() string  { return CmdRecordDisbursement }
func (ReverseDisbursement) CommandType() string { return CmdReverseDisbursement }
func (RecordRefund) CommandType() string        { return CmdRecordRefund }

// registerCashEvents adds the event types of money that moves.
func registerCashEvents(r *EventRegistry) {
	r.Register(TypeDisbursementPlanned, 1, func() Event { return &DisbursementPlanned{} })
	r.Register(TypeDisbursementRecorded, 1, func() Event { return &DisbursementRecorded{} })
	r.Register(TypeDisbursementReversed, 1, func() Event { return &DisbursementReversed{} })
	r.Register(TypeRefundRecorded, 1, func() Event { return &RefundRecorded{} })
	r.Register(TypePlanSplit, 1, func() Event { return &PlanSplit{} })
}

// derefCash returns a cash event or command by value, or nil.
func derefCash(x any) any {
	switch v := x.(type) {
	case *DisbursementPlanned:
		return *v
	case *DisbursementRecorded:
		return *v
	case *DisbursementReversed:
		return *v
	case *RefundRecorded:
		return *v
	case *PlanSplit:
		return *v
	}
	return nil
}

// Disbursement is a recorded payment as the aggregate remembers it.
type Disbursement struct {
	ID        uuid.UUID
	Kind      string
	Year      int
	Amount    Money
	Date      Date
	Reference string
	Reversed  bool
}

// Due is money the grantee owes back: a return of unspent funds or a
// recovery, and what has been refunded against it.
type Due struct {
	ID       uuid.UUID
	Kind     string // DueReturn or DueRecovery
	Line     string
	Year     int
	Amount   Money
	Date     Date
	Refunded Money
}

// Outstanding is what is still to be refunded.
func (d Due) Outstanding() Money { return d.Amount - d.Refunded }

// CashState is the part of an agreement's state about money that moves.
type CashState struct {
	Schedule      []DisbursementPlanned
	Disbursements map[uuid.UUID]*Disbursement
	Dues          map[uuid.UUID]*Due
	Disbursed     map[int]Money // by year, net of reversals
	Refunded      map[int]Money // by year of the due
}

// Init makes the maps of an empty state (NewAgreement and a read model
// restored from a snapshot, where gob leaves empty maps nil, call it), so
// that a state restored equals one built by Apply.
func (c *CashState) Init() {
	if c.Disbursements == nil {
		c.Disbursements = map[uuid.UUID]*Disbursement{}
	}
	if c.Dues == nil {
		c.Dues = map[uuid.UUID]*Due{}
	}
	if c.Disbursed == nil {
		c.Disbursed = map[int]Money{}
	}
	if c.Refunded == nil {
		c.Refunded = map[int]Money{}
	}
}

// applyCash folds the events that concern money that moves; Apply calls
// it for every event.
func (a *Agreement) applyCash(id uuid.UUID, e Event) {
	c := &a.cash
	c.Init() // four nil checks; a state not made by NewAgreement still works
	switch ev := e.(type) {
	case UnspentReturned:
		c.Dues[id] = &Due{ID: id, Kind: DueReturn, Line: ev.Line, Year: ev.Year, Amount: ev.Amount, Date: ev.Date}
	case IneligibleExpenditureRecovered:
		c.Dues[id] = &Due{ID: id, Kind: DueRecovery, Line: ev.Line, Year: ev.Year, Amount: ev.Amount, Date: ev.Date}
	case DisbursementPlanned:
		c.Schedule = append(c.Schedule, ev)
	case DisbursementRecorded:
		c.Disbursements[id] = &Disbursement{ID: id, Kind: ev.Kind, Year: ev.Year, Amount: ev.Amount, Date: ev.Date, Reference: ev.Reference}
		c.Disbursed[ev.Year] += ev.Amount
	case DisbursementReversed:
		if d := c.Disbursements[ev.Disbursement]; d != nil {
			d.Reversed = true
		}
		c.Disbursed[ev.Year] -= ev.Amount
	case RefundRecorded:
		if d := c.Dues[ev.For]; d != nil {
			d.Refunded += ev.Amount
		}
		c.Refunded[ev.Year] += ev.Amount
	}
}

// overflow refuses a command whose total of field would pass the largest
// figure the ledger keeps (rule amount-overflow, as every other figure).
func overflow(field string) error {
	return overflowRule("the total of "+field, nil)
}

// TotalDisbursed is the net of all disbursements (reversals deducted).
func (a *Agreement) TotalDisbursed() Money {
	var t Money
	for _, m := range a.cash.Disbursed {
		t += m
	}
	return t
}

// TotalScheduled is the sum of the planned disbursements. Decide keeps it
// within an int64 of cents (each addition is checked), as it keeps the net
// disbursements; refunds are bounded by what is due, and the total planned
// by 50 years x 200 lines x 100 000 000 000,00 (about 10^17 cents).
func (a *Agreement) TotalScheduled() Money {
	var t Money
	for _, p := range a.cash.Schedule {
		t += p.Amount
	}
	return t
}

// TotalPlanned is the plan in force of every line the funder funds (not
// the grantee's own contribution) in every year: what the ceiling limits.
func (a *Agreement) TotalPlanned() Money {
	var t Money
	for k, c := range a.cells {
		if !a.IsOwn(k.Line) {
			t += c.Planned
		}
	}
	return t
}

// Ceiling returns the agreement's total funding, and false when none was
// registered (no ceiling applies).
func (a *Agreement) Ceiling() (Money, bool) { return a.reg.TotalFunding, a.reg.TotalFunding > 0 }

// checkPlanCeiling refuses a plan in force of a funded line that would
// take the total planned above the ceiling. old is the cell's plan being
// replaced. The grantee's own contribution is not limited by it.
func (a *Agreement) checkPlanCeiling(line string, old, amount Money) error {
	ceiling, ok := a.Ceiling()
	if !ok || a.IsOwn(line) {
		return nil
	}
	total, fits := addChecked(a.TotalPlanned(), -old, amount)
	if !fits {
		return overflow("amount")
	}
	if total > ceiling {
		others := a.TotalPlanned() - old
		return rule("plan-exceeds-ceiling", fmt.Sprintf("%s: a plan of %s would bring the total planned to %s (%s planned on the other lines and years), above the agreement's total funding of %s", a.reg.Number, amount, total, others, ceiling),
			map[string]Money{"amount": amount, "planned": others, "ceiling": ceiling})
	}
	return nil
}

// decideCash decides the commands of money that moves; ok is false for
// other commands.
func (a *Agreement) decideCash(cmd Command, reason string) (events []Event, handled bool, err error) {
	switch c := cmd.(type) {
	case SplitPlan:
		evs, err := a.decideSplit(c)
		return evs, true, err
	case ReverseClosedSpending:
		evs, err := a.decideClosedReversal(c, reason)
		return evs, true, err
	case PlanDisbursement:
		evs, err := a.decidePlanDisbursement(c, reason)
		return evs, true, err
	case RecordDisbursement:
		evs, err := a.decideRecordDisbursement(c, reason)
		return evs, true, err
	case ReverseDisbursement:
		evs, err := a.decideReverseDisbursement(c, reason)
		return evs, true, err
	case RecordRefund:
		evs, err := a.decideRecordRefund(c, reason)
		return evs, true, err
	}
	return nil, false, nil
}

func (a *Agreement) decidePlanDisbursement(c PlanDisbursement, reason string) ([]Event, error) {
	if a.Year(c.Year) == nil {
		return nil, a.noYear(c.Year)
	}
	total, fits := addChecked(a.TotalScheduled(), c.Amount)
	if !fits {
		return nil, overflow("amount")
	}
	if ceiling, has := a.Ceiling(); has {
		if total > ceiling {
			return nil, rule("schedule-exceeds-ceiling", fmt.Sprintf("%s: scheduling %s more would bring the payment schedule to %s, above the agreement's total funding of %s", a.reg.Number, c.Amount, total, ceiling),
				map[string]Money{"amount": c.Amount, "scheduled": a.TotalScheduled(), "ceiling": ceiling})
		}
	}
	return []Event{DisbursementPlanned{Kind: c.Kind, Year: c.Year, Amount: c.Amount, Date: c.Date, Report: c.Report}}, nil
}

func (a *Agreement) decideRecordDisbursement(c RecordDisbursement, reason string) ([]Event, error) {
	// A year may be closed: the final payment often follows the final
	// report and the year's closing.
	if a.Year(c.Year) == nil {
		return nil, a.noYear(c.Year)
	}
	total, fits := addChecked(a.TotalDisbursed(), c.Amount)
	if !fits {
		return nil, overflow("amount")
	}
	if ceiling, has := a.Ceiling(); has && total > ceiling {
		return nil, rule("disbursement-exceeds-ceiling", fmt.Sprintf("%s: paying %s would bring the disbursements to %s (%s paid so far), above the agreement's total funding of %s", a.reg.Number, c.Amount, total, a.TotalDisbursed(), ceiling),
			map[string]Money{"amount": c.Amount, "disbursed": a.TotalDisbursed(), "ceiling": ceiling})
	}
	return []Event{DisbursementRecorded{Kind: c.Kind, Year: c.Year, Amount: c.Amount, Date: c.Date, Reference: c.Reference}}, nil
}

func (a *Agreement) decideReverseDisbursement(c ReverseDisbursement, reason string) ([]Event, error) {
	if err := requireReason(reason, "a reversal"); err != nil {
		return nil, err
	}
	d := a.cash.Disbursements[c.Disbursement]
	if d == nil {
		return nil, &Error{Code: ENotFound, Field: "disbursement", Message: fmt.Sprintf("no disbursement with event id %s in %s", c.Disbursement, a.reg.Number), Err: ErrNotFound}
	}
	if d.Reversed {
		return nil, rule("disbursement-already-reversed", fmt.Sprintf("disbursement %s of %s (%s) was already reversed", d.ID, d.Amount, d.Reference), map[string]Money{"amount": d.Amount})
	}
	return []Event{DisbursementReversed{Disbursement: d.ID, Year: d.Year, Amount: d.Amount, Date: c.Date, Reason: reason}}, nil
}

func (a *Agreement) decideRecordRefund(c RecordRefund, reason string) ([]Event, error) {
	due := a.cash.Dues[c.For]
	if due == nil {
		return nil, &Error{Code: ENotFound, Field: "for", Message: fmt.Sprintf("no return of unspent funds or recovery with event id %s in %s", c.For, a.reg.Number), Err: ErrNotFound}
	}
	if out := due.Outstanding(); c.Amount > out {
		return nil, rule("refund-exceeds-due", fmt.Sprintf("refund of %s exceeds the %s still due of %s %s (%s due, %s refunded)", c.Amount, out, due.Kind, due.ID, due.Amount, due.Refunded),
			map[string]Money{"amount": c.Amount, "outstanding": out, "due": due.Amount, "refunded": due.Refunded})
	}
	return []Event{RefundRecorded{For: due.ID, Kind: due.Kind, Line: due.Line, Year: due.Year, Amount: c.Amount, Date: c.Date, Reference: c.Reference}}, nil
}

func (a *Agreement) noYear(n int) error {
	return &Error{Code: ENotFound, Field: "year", Message: fmt.Sprintf("%s has no implementation year %d (it has %d)", a.reg.Number, n, len(a.years)), Err: ErrNotFound}
}

// SortedDues returns the dues by date, then id.
func (a *Agreement) SortedDues() []*Due {
	return sortedByDateID(a.cash.Dues, func(d *Due) (Date, uuid.UUID) { return d.Date, d.ID })
}

// SortedDisbursements returns the disbursements by date, then id.
func (a *Agreement) SortedDisbursements() []*Disbursement {
	return sortedByDateID(a.cash.Disbursements, func(d *Disbursement) (Date, uuid.UUID) { return d.Date, d.ID })
}

// sortedByDateID returns m's values ordered by date, then id.
func sortedByDateID[T any](m map[uuid.UUID]*T, key func(*T) (Date, uuid.UUID)) []*T {
	out := make([]*T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		di, ii := key(out[i])
		dj, ij := key(out[j])
		if di != dj {
			return di < dj
		}
		return ii.String() < ij.String()
	})
	return out
}

// CheckIntensity is ParseIntensity as a new command must write it
// (docs/commands.md, register_agreement): also no decimal separator
// without a digit after it ("85," or "85."). Reading keeps ParseIntensity,
// so an agreement an older grantledger registered with "85," still reports.
func CheckIntensity(s string) (int64, error) {
	if t := strings.TrimSpace(s); strings.HasSuffix(t, ",") || strings.HasSuffix(t, ".") {
		return 0, fmt.Errorf("support intensity %q: write a percentage from 0 to 100 with at most two decimals, with a digit after the comma", s)
	}
	return ParseIntensity(s)
}

// ParseIntensity reads a support intensity in percent ("100", "85",
// "62.5", "62,50") into hundredths of a percent, and refuses anything
// outside 0–100 % or with more than two decimals.
func ParseIntensity(s string) (int64, error) {
	t := strings.Replace(strings.TrimSpace(s), ",", ".", 1)
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" || len(frac) > 2 || strings.ContainsAny(whole+frac, "+-") {
		return 0, fmt.Errorf("support intensity %q: write a percentage from 0 to 100 with at most two decimals", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 100 {
		return 0, fmt.Errorf("support intensity %q: write a percentage from 0 to 100 with at most two decimals", s)
	}
	var f int64
	if frac != "" {
		for len(frac) < 2 {
			frac += "0"
		}
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil {
			return 0, fmt.Errorf("support intensity %q: write a percentage from 0 to 100 with at most two decimals", s)
		}
	}
	v := w*100 + f
	if v > 10000 {
		return 0, fmt.Errorf("support intensity %q is above 100 %%", s)
	}
	return v, nil
}

// EligibleSpent is a year's actual spending on the funded lines less what
// was declared ineligible there: what the grant's cash paid for. Spending
// on the grantee's own contribution lines is paid from its own money.
func (a *Agreement) EligibleSpent(year int) Money {
	var t Money
	for _, l := range a.lines {
		if !l.OwnContribution {
			c := a.Cell(l.Line, year)
			t += c.Actual - c.Ineligible
		}
	}
	return t
}

// Held is the grantee's cash position of year n: disbursed − eligible
// spent − refunded. Negative: the grantee pre-financed the difference.
func (a *Agreement) Held(year int) Money {
	return a.cash.Disbursed[year] - a.EligibleSpent(year) - a.cash.Refunded[year]
}

// CashConsistent checks that the dues the state holds are the returns and
// recoveries its cells add up to. A state restored from a read-model
// snapshot written before money that moves was recorded (snapshot version
// 4 and older) holds returns and recoveries but no dues, which only their
// events can give (a refund names a due by its event id): such a snapshot
// must be rebuilt from the events, and this says so.
func (a *Agreement) CashConsistent() error {
	var returned, recovered, dueReturn, dueRecovery Money
	for _, c := range a.cells {
		returned += c.Returned
		recovered += c.Recovered
	}
	for _, d := range a.cash.Dues {
		if d.Kind == DueRecovery {
			dueRecovery += d.Amount
		} else {
			dueReturn += d.Amount
		}
	}
	if returned != dueReturn || recovered != dueRecovery {
		return fmt.Errorf("agreement %s holds %s returned and %s recovered but dues of %s and %s: the snapshot predates refunds (or is damaged); rebuild the read model from the events",
			a.reg.Number, returned, recovered, dueReturn, dueRecovery)
	}
	return nil
}
