package domain

import (
	"fmt"
	"sort"
	"strings"

	"github.com/google/uuid"
)

// Work plans (issue 15): indicators that can be corrected (a delivery
// reversed, a target amended, a baseline), targets on a schedule (several
// due dates in one year: "2 x gadā" is two targets), the organisations
// that answer for a task, the agreement's parties with their contact
// persons, and the memorandum: an agreement with tasks and no money
// (seed 000). Reporting obligations and documents are in obligations.go.

// Stable event type names of work plans, as stored.
const (
	TypeDeliveryReversed = "DeliveryReversed"
	TypeTargetAmended    = "TargetAmended"
	TypePartyAdded       = "PartyAdded"
)

// Command type names of work plans.
const (
	CmdReverseDelivery = "reverse_delivery"
	CmdAmendTarget     = "amend_target"
	CmdAddParty        = "add_party"
)

// Baseline is an indicator's value before the agreement's work started.
type Baseline struct {
	Value   int64  `json:"value"`
	Date    Date   `json:"date"`
	Comment string `json:"comment,omitempty"`
}

// ScheduledTarget is one target of a year in an amend_target: what is to
// be reached (counted from the start of the year) by when.
type ScheduledTarget struct {
	Target int64 `json:"target"`
	Due    *Date `json:"due,omitempty"`
}

// Contact is a contact person of a party.
type Contact struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Party roles, as IATI's OrganisationRole code list names them (1
// Funding, 2 Accountable, 3 Extending, 4 Implementing), and a partner
// that cooperates without one of them (a memorandum's NGOs).
const (
	PartyFunding      = "funding"
	PartyAccountable  = "accountable"
	PartyExtending    = "extending"
	PartyImplementing = "implementing"
	PartyPartner      = "partner"
)

// DeliveryReversed cancels an earlier IndicatorDelivered in full (a
// delivery entered wrong); the original stays and this points to it.
type DeliveryReversed struct {
	Delivery  uuid.UUID `json:"delivery"`
	Indicator string    `json:"indicator"`
	Year      int       `json:"year"`
	Date      Date      `json:"date"`
	Reason    string    `json:"reason"`
}

// TargetAmended replaces the targets of an indicator in one year. The
// targets as first defined stay on record in IndicatorDefined; Previous
// are the ones in force before this change.
type TargetAmended struct {
	Indicator string            `json:"indicator"`
	Year      int               `json:"year"`
	Previous  []IndicatorTarget `json:"previous"`
	Targets   []IndicatorTarget `json:"targets"`
	Date      Date              `json:"date"`
	Reason    string            `json:"reason"`
}

// PartyAdded names an organisation taking part in the agreement, its roles
// and its contact persons.
type PartyAdded struct {
	Organisation string    `json:"organisation"`
	Roles        []string  `json:"roles"`
	Contacts     []Contact `json:"contacts,omitempty"`
}

func (DeliveryReversed) EventType() string { return TypeDeliveryReversed }
func (TargetAmended) EventType() string    { return TypeTargetAmended }
func (PartyAdded) EventType() string       { return TypePartyAdded }

// ReverseDelivery cancels a recorded delivery; the envelope's reason is
// required.
type ReverseDelivery struct {
	Ref
	Delivery uuid.UUID `json:"delivery"`
	Date     Date      `json:"date"`
}

// AmendTarget replaces an indicator's targets in one year; the envelope's
// reason is required.
type AmendTarget struct {
	Ref
	Indicator string            `json:"indicator"`
	Year      int               `json:"year"`
	Targets   []ScheduledTarget `json:"targets"`
	Date      Date              `json:"date"`
}

// AddParty adds an organisation to the agreement's parties.
type AddParty struct {
	Ref
	Organisation string    `json:"organisation"`
	Roles        []string  `json:"roles"`
	Contacts     []Contact `json:"contacts,omitempty"`
}

func (ReverseDelivery) CommandType() string { return CmdReverseDelivery }
func (AmendTarget) CommandType() string     { return CmdAmendTarget }
func (AddParty) CommandType() string        { return CmdAddParty }

// registerWorkEvents adds the event types of work plans, obligations and
// documents.
func registerWorkEvents(r *EventRegistry) {
	r.Register(TypeDeliveryReversed, 1, func() Event { return &DeliveryReversed{} })
	r.Register(TypeTargetAmended, 1, func() Event { return &TargetAmended{} })
	r.Register(TypePartyAdded, 1, func() Event { return &PartyAdded{} })
	r.Register(TypeNarrativeRecorded, 1, func() Event { return &NarrativeRecorded{} })
	registerObligationEvents(r)
}

// derefWork returns a work-plan event or command by value, or nil.
func derefWork(x any) any {
	switch v := x.(type) {
	case *DeliveryReversed:
		return *v
	case *TargetAmended:
		return *v
	case *PartyAdded:
		return *v
	case *NarrativeRecorded:
		return *v
	}
	return derefObligation(x)
}

// Delivery is a recorded delivery as the aggregate remembers it, so that
// it can be reversed once and its year's value counted again without it.
type Delivery struct {
	ID          uuid.UUID
	Indicator   string
	Year        int
	Quantity    int64
	Identifiers []string
	Date        Date
	Reversed    bool
	// Seq is the delivery's place in the order the agreement recorded
	// its deliveries (1, 2, …): of two deliveries on the same day the
	// later-recorded one is a "latest" indicator's value, here as in
	// Apply and in the reports.
	Seq int
}

// Party is an organisation of the agreement with its roles and contacts.
type Party = PartyAdded

// WorkState is the part of an agreement's state about work plans,
// reporting obligations and documents.
type WorkState struct {
	Deliveries  map[uuid.UUID]*Delivery
	Parties     []Party
	Obligations map[string]*Obligation
	ObligOrder  []string
	Documents   map[string]*Document
	DocOrder    []string
	Narratives  map[NarrativeKey]string // narrative.go
}

// Init makes the maps of an empty state (see CashState.Init).
func (w *WorkState) Init() {
	if w.Deliveries == nil {
		w.Deliveries = map[uuid.UUID]*Delivery{}
	}
	if w.Obligations == nil {
		w.Obligations = map[string]*Obligation{}
	}
	if w.Documents == nil {
		w.Documents = map[string]*Document{}
	}
	if w.Narratives == nil {
		w.Narratives = map[NarrativeKey]string{}
	}
}

// applyWork folds the events of work plans; Apply calls it for every
// event, before its own switch.
func (a *Agreement) applyWork(id uuid.UUID, e Event) {
	w := &a.work
	w.Init()
	switch ev := e.(type) {
	case IndicatorDelivered:
		if a.indicators[ev.Indicator] != nil {
			w.Deliveries[id] = &Delivery{ID: id, Indicator: ev.Indicator, Year: ev.Year, Quantity: ev.Quantity, Identifiers: ev.Identifiers, Date: ev.Date,
				Seq: len(w.Deliveries) + 1}
		}
	case DeliveryReversed:
		if d := w.Deliveries[ev.Delivery]; d != nil {
			d.Reversed = true
		}
		a.recount(ev.Indicator, ev.Year)
	case TargetAmended:
		ind := a.indicators[ev.Indicator]
		if ind == nil {
			return
		}
		if ind.Original == nil {
			ind.Original = append([]IndicatorTarget{}, ind.Targets...)
		}
		kept := make([]IndicatorTarget, 0, len(ind.Targets)+len(ev.Targets))
		for _, t := range ind.Targets {
			if t.Year != ev.Year {
				kept = append(kept, t)
			}
		}
		// A fresh slice: the IndicatorDefined event's own targets stay as
		// first defined.
		ind.Targets = sortTargets(append(kept, ev.Targets...))
	case PartyAdded:
		w.Parties = append(w.Parties, ev)
	case NarrativeRecorded:
		w.Narratives[NarrativeKey{ev.Year, ev.Field}] = ev.Text
	}
	a.applyObligation(id, e)
}

// OriginalTargets returns the targets as first defined.
func (i *Indicator) OriginalTargets() []IndicatorTarget {
	if i.Original != nil {
		return i.Original
	}
	return i.Targets
}

// recount folds an indicator's year again from the deliveries not
// reversed, in the order they were recorded.
func (a *Agreement) recount(indicator string, year int) {
	ind := a.indicators[indicator]
	if ind == nil {
		return
	}
	var ds []*Delivery
	for _, d := range a.work.Deliveries {
		if d.Indicator == indicator && d.Year == year && !d.Reversed {
			ds = append(ds, d)
		}
	}
	// By date, then in the order they were recorded, so that of two
	// deliveries on the same day the later-recorded one stays the latest
	// value, as Apply and the reports keep it.
	sort.Slice(ds, func(i, j int) bool {
		if ds[i].Date != ds[j].Date {
			return ds[i].Date < ds[j].Date
		}
		return ds[i].Seq < ds[j].Seq
	})
	y := &IndicatorYear{Distinct: map[string]struct{}{}}
	for _, d := range ds {
		y.Deliveries++
		y.Sum += d.Quantity
		if y.Deliveries == 1 || d.Date >= y.LatestDate {
			y.Latest, y.LatestDate = d.Quantity, d.Date
		}
		for _, id := range d.Identifiers {
			y.Distinct[id] = struct{}{}
		}
	}
	ind.Delivered[year] = y
}

// sortTargets returns the targets ordered by year, then due date (a target
// without a due date, due at the year's end, last).
func sortTargets(ts []IndicatorTarget) []IndicatorTarget {
	out := append([]IndicatorTarget(nil), ts...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Year != out[j].Year {
			return out[i].Year < out[j].Year
		}
		return dueKey(out[i]) < dueKey(out[j])
	})
	return out
}

func dueKey(t IndicatorTarget) Date {
	if t.Due == nil {
		return Date(1 << 30)
	}
	return *t.Due
}

// checkTargets checks an indicator's targets: every year exists; a year
// with one target may leave its due date out (the year's end); a year with
// several (a schedule, "2 x gadā") gives each a due date, inside the
// year, no two alike.
func (a *Agreement) checkTargets(ts []IndicatorTarget, field string) error {
	byYear := map[int][]int{}
	for i, t := range ts {
		f := fmt.Sprintf("%s[%d].year", field, i)
		if a.Year(t.Year) == nil {
			return FieldError(f, "%s has no implementation year %d (it has %d)", a.reg.Number, t.Year, len(a.years))
		}
		byYear[t.Year] = append(byYear[t.Year], i)
	}
	for _, idx := range byYear {
		if len(idx) < 2 {
			continue
		}
		seen := map[Date]bool{}
		for _, i := range idx {
			t := ts[i]
			f := fmt.Sprintf("%s[%d].due", field, i)
			if t.Due == nil {
				return FieldError(f, "year %d has %d targets (a schedule): each needs its due date", t.Year, len(idx))
			}
			if !a.Year(t.Year).Period().Contains(*t.Due) {
				return FieldError(f, "due date %s of a scheduled target lies outside year %d (%s)", *t.Due, t.Year, a.Year(t.Year).Period())
			}
			if seen[*t.Due] {
				return FieldError(f, "year %d has two targets due %s", t.Year, *t.Due)
			}
			seen[*t.Due] = true
		}
	}
	return nil
}

// moneyCommand reports whether a command moves or plans money, which a
// memorandum does not hold.
func moneyCommand(cmd Command) bool {
	switch cmd.(type) {
	case AddBudgetLine, PlanBudget, AmendBudget, RecordSpending, ReverseSpending, CarryOver, ReturnUnspent,
		DeclareIneligible, RecordRecovery, PlanDisbursement, RecordDisbursement, ReverseDisbursement, RecordRefund, SplitPlan:
		return true
	}
	return false
}

// decideWork decides the commands of work plans, obligations and
// documents, and refuses money on a memorandum; handled is false for
// other commands.
func (a *Agreement) decideWork(cmd Command, reason string) (events []Event, handled bool, err error) {
	if a.reg.Kind == KindMemorandum && moneyCommand(cmd) {
		return nil, true, rule("memorandum-without-money", fmt.Sprintf("%s is a memorandum: it records tasks and deadlines, not money; %s does not apply", a.reg.Number, cmd.CommandType()), nil)
	}
	switch c := cmd.(type) {
	case ReverseDelivery:
		evs, err := a.decideReverseDelivery(c, reason)
		return evs, true, err
	case AmendTarget:
		evs, err := a.decideAmendTarget(c, reason)
		return evs, true, err
	case RecordNarrative:
		evs, err := a.decideNarrative(c)
		return evs, true, err
	case AddParty:
		evs, err := a.decideAddParty(c, reason)
		return evs, true, err
	}
	return a.decideObligation(cmd, reason)
}

func (a *Agreement) decideReverseDelivery(c ReverseDelivery, reason string) ([]Event, error) {
	if err := requireReason(reason, "a reversal"); err != nil {
		return nil, err
	}
	d := a.work.Deliveries[c.Delivery]
	if d == nil {
		return nil, &Error{Code: ENotFound, Field: "delivery", Message: fmt.Sprintf("no delivery with event id %s in %s", c.Delivery, a.reg.Number), Err: ErrNotFound}
	}
	if d.Reversed {
		return nil, rule("delivery-already-reversed", fmt.Sprintf("delivery %s of indicator %s (%d on %s) was already reversed", d.ID, d.Indicator, d.Quantity, d.Date), nil)
	}
	if err := a.openYear(d.Year, "delivery"); err != nil {
		return nil, err
	}
	return []Event{DeliveryReversed{Delivery: d.ID, Indicator: d.Indicator, Year: d.Year, Date: c.Date, Reason: reason}}, nil
}

func (a *Agreement) decideAmendTarget(c AmendTarget, reason string) ([]Event, error) {
	if err := requireReason(reason, "an amendment"); err != nil {
		return nil, err
	}
	ind := a.indicators[c.Indicator]
	if ind == nil {
		return nil, &Error{Code: ENotFound, Field: "indicator", Message: fmt.Sprintf("indicator %q is not defined in %s", c.Indicator, a.reg.Number), Err: ErrNotFound}
	}
	if err := a.openYear(c.Year, "year"); err != nil {
		return nil, err
	}
	ts := make([]IndicatorTarget, len(c.Targets))
	for i, t := range c.Targets {
		ts[i] = IndicatorTarget{Year: c.Year, Target: t.Target, Due: t.Due}
	}
	if err := a.checkTargets(ts, "targets"); err != nil {
		return nil, err
	}
	ts = sortTargets(ts)
	var prev []IndicatorTarget
	for _, t := range ind.Targets {
		if t.Year == c.Year {
			prev = append(prev, t)
		}
	}
	if sameTargets(prev, ts) {
		return nil, rule("targets-change-nothing", fmt.Sprintf("indicator %s year %d already has these targets", c.Indicator, c.Year), nil)
	}
	if prev == nil {
		prev = []IndicatorTarget{}
	}
	return []Event{TargetAmended{Indicator: c.Indicator, Year: c.Year, Previous: prev, Targets: ts, Date: c.Date, Reason: reason}}, nil
}

func (a *Agreement) decideAddParty(c AddParty, reason string) ([]Event, error) {
	for _, p := range a.work.Parties {
		if SameOrganisation(p.Organisation, c.Organisation) {
			return nil, &Error{Code: EDuplicate, Field: "organisation", Message: fmt.Sprintf("%s is already a party of %s (roles %s)", p.Organisation, a.reg.Number, strings.Join(p.Roles, ", ")), Err: ErrDuplicate}
		}
	}
	return []Event{PartyAdded{Organisation: c.Organisation, Roles: c.Roles, Contacts: c.Contacts}}, nil
}

func sameTargets(a, b []IndicatorTarget) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Year != b[i].Year || a[i].Target != b[i].Target || dueKey(a[i]) != dueKey(b[i]) {
			return false
		}
	}
	return true
}

// checkMemorandum refuses a memorandum registered with money.
func checkMemorandum(c RegisterAgreement) error {
	if c.Kind != KindMemorandum {
		return nil
	}
	if len(c.Lines) > 0 {
		return FieldError("lines", "a memorandum records tasks, not money: it has no budget lines")
	}
	if c.TotalFunding != 0 {
		return FieldError("total_funding", "a memorandum records tasks, not money: it has no total funding")
	}
	return nil
}

// SortedDeliveries returns the deliveries recorded, ordered by date and id.
func (a *Agreement) SortedDeliveries() []*Delivery {
	return sortedByDateID(a.work.Deliveries, func(d *Delivery) (Date, uuid.UUID) { return d.Date, d.ID })
}

// WorkConsistent checks that the deliveries the state holds are the ones
// its indicators count. A state restored from a read-model snapshot
// written before issue 15 (version 5 and older) counts deliveries but
// holds none of them by id, which only their events can give (a reversal
// names a delivery by its event id): such a snapshot must be rebuilt from
// the events, and this says so.
func (a *Agreement) WorkConsistent() error {
	counted := 0
	for _, ind := range a.indicators {
		for _, y := range ind.Delivered {
			counted += y.Deliveries
		}
	}
	held := 0
	for _, d := range a.work.Deliveries {
		if !d.Reversed {
			held++
		}
		if d.Seq == 0 {
			return fmt.Errorf("agreement %s holds delivery %s without its place in the recording order: the snapshot was written by an earlier version; rebuild the read model from the events", a.reg.Number, d.ID)
		}
	}
	if counted != held {
		return fmt.Errorf("agreement %s counts %d indicator deliveries but holds %d: the snapshot predates delivery reversals (or is damaged); rebuild the read model from the events", a.reg.Number, counted, held)
	}
	return nil
}
