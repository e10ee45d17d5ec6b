package domain

import (
	"encoding/json"
	"fmt"
	"sort"

	"github.com/google/uuid"
)

// Event is a fact recorded in an agreement's stream. Every event type has a
// stable name, written into the store, that never changes when Go types are
// renamed.
type Event interface {
	EventType() string
}

// Stable event type names as stored.
const (
	TypeAgreementRegistered  = "AgreementRegistered"
	TypeBudgetLineAdded      = "BudgetLineAdded"
	TypeBudgetPlanned        = "BudgetPlanned"
	TypeBudgetAmended        = "BudgetAmended"
	TypeSpendingRecorded     = "SpendingRecorded"
	TypeSpendingReversed     = "SpendingReversed"
	TypeRemainderCarriedOver = "RemainderCarriedOver"
	TypeUnspentReturned      = "UnspentReturned"
	TypeIneligibleDeclared   = "IneligibleExpenditureDeclared"
	TypeIneligibleRecovered  = "IneligibleExpenditureRecovered"
	TypeIndicatorDefined     = "IndicatorDefined"
	TypeIndicatorDelivered   = "IndicatorDelivered"
	TypeYearClosed           = "YearClosed"
)

// YearSpec is one implementation year: a numbered period with its own dates.
type YearSpec struct {
	Year int  `json:"year"`
	From Date `json:"from"`
	To   Date `json:"to"`
}

// Period returns the year's dates.
func (y YearSpec) Period() Period { return Period{From: y.From, To: y.To} }

// LineSpec is a budget line: a short code used in commands and a name.
type LineSpec struct {
	Line string `json:"line"`
	Name string `json:"name"`
	// OwnContribution marks a line the grantee funds itself
	// (co-financing): it counts in the plan and the spending, not in the
	// funder's ceiling or the grantee's grant cash (see cofinancing.go).
	OwnContribution bool `json:"own_contribution,omitempty"`
}

// AgreementRegistered opens an agreement's stream.
type AgreementRegistered struct {
	AgreementID      uuid.UUID  `json:"agreement_id"`
	Number           string     `json:"agreement"`
	Kind             string     `json:"kind"`
	Title            string     `json:"title"`
	Grantee          string     `json:"grantee"`
	Funder           string     `json:"funder"`
	Programme        string     `json:"programme,omitempty"`
	SupportIntensity string     `json:"support_intensity,omitempty"`
	TotalFunding     Money      `json:"total_funding,omitempty"`
	Period           Period     `json:"period"`
	Years            []YearSpec `json:"years"`
	Lines            []LineSpec `json:"lines,omitempty"`
}

// BudgetLineAdded adds a budget line to an agreement.
type BudgetLineAdded struct {
	Line            string `json:"line"`
	Name            string `json:"name,omitempty"`
	OwnContribution bool   `json:"own_contribution,omitempty"` // co-financing (cofinancing.go)
}

// BudgetPlanned sets the original planned amount of a line in a year.
type BudgetPlanned struct {
	Line   string `json:"line"`
	Year   int    `json:"year"`
	Amount Money  `json:"amount"`
}

// BudgetAmended revises the planned amount of a line in a year. The original
// plan stays on record; Previous is the amount in force before this change.
type BudgetAmended struct {
	Line          string `json:"line"`
	Year          int    `json:"year"`
	Previous      Money  `json:"previous"`
	Amount        Money  `json:"amount"`
	EffectiveDate Date   `json:"effective_date"`
	Reason        string `json:"reason"`
}

// SpendingRecorded is money spent on a line in a year. Its event ID
// identifies it for a later reversal.
type SpendingRecorded struct {
	Line        string `json:"line"`
	Year        int    `json:"year"`
	Amount      Money  `json:"amount"`
	Date        Date   `json:"date"`
	Document    string `json:"document"`
	Description string `json:"description,omitempty"`
}

// SpendingReversed cancels an earlier SpendingRecorded in full. The
// original event stays; this one points to it.
type SpendingReversed struct {
	Spending    uuid.UUID `json:"spending"`
	Line        string    `json:"line"`
	Year        int       `json:"year"`
	Amount      Money     `json:"amount"`
	Date        Date      `json:"date"`
	Reason      string    `json:"reason"`
	PostClosure bool      `json:"post_closure,omitempty"` // into a closed year (closedreversal.go)
}

// RemainderCarriedOver moves unspent funds of a line from one
// implementation year to the next.
type RemainderCarriedOver struct {
	Line     string `json:"line"`
	FromYear int    `json:"from_year"`
	ToYear   int    `json:"to_year"`
	Amount   Money  `json:"amount"`
	Date     Date   `json:"date"`
}

// UnspentReturned gives unspent funds of a line in a year back to the funder.
type UnspentReturned struct {
	Line        string `json:"line"`
	Year        int    `json:"year"`
	Amount      Money  `json:"amount"`
	To          string `json:"to"`
	Date        Date   `json:"date"`
	PostClosure bool   `json:"post_closure,omitempty"` // into a closed year (closedreversal.go)
}

// IneligibleExpenditureDeclared marks part of a year's spending on a line as
// ineligible: the grantee owes it back. Its event ID identifies it for
// recoveries.
type IneligibleExpenditureDeclared struct {
	Line        string     `json:"line"`
	Year        int        `json:"year"`
	Amount      Money      `json:"amount"`
	Date        Date       `json:"date"`
	Description string     `json:"description"`
	Spending    *uuid.UUID `json:"spending,omitempty"`
	PostClosure bool       `json:"post_closure,omitempty"` // recorded into a closed year (adjust.go)
}

// IneligibleExpenditureRecovered records money recovered against an
// ineligible expenditure.
type IneligibleExpenditureRecovered struct {
	Ineligible  uuid.UUID `json:"ineligible"`
	Line        string    `json:"line"`
	Year        int       `json:"year"`
	Amount      Money     `json:"amount"`
	Date        Date      `json:"date"`
	PostClosure bool      `json:"post_closure,omitempty"` // recorded into a closed year (adjust.go)
}

// Indicator aggregations: how deliveries add up to an achieved value.
const (
	AggSum      = "sum"      // deliveries' quantities are added (sessions held)
	AggDistinct = "distinct" // distinct identifiers are counted (unique NGOs reached)
	AggLatest   = "latest"   // the latest delivery's quantity is the value (page followers)
)

// IndicatorTarget is the target of an indicator in one year.
type IndicatorTarget struct {
	Year   int   `json:"year"`
	Target int64 `json:"target"`
	Due    *Date `json:"due,omitempty"`
}

// IndicatorDefined defines a performance indicator and its yearly targets.
type IndicatorDefined struct {
	Indicator   string            `json:"indicator"`
	Name        string            `json:"name"`
	Unit        string            `json:"unit"`
	Aggregation string            `json:"aggregation"`
	Targets     []IndicatorTarget `json:"targets"`
	Responsible []string          `json:"responsible,omitempty"` // work.go
	Place       string            `json:"place,omitempty"`
	Baseline    *Baseline         `json:"baseline,omitempty"`
}

// IndicatorDelivered records delivered output of an indicator.
type IndicatorDelivered struct {
	Indicator   string   `json:"indicator"`
	Year        int      `json:"year"`
	Quantity    int64    `json:"quantity"`
	Identifiers []string `json:"identifiers,omitempty"`
	Date        Date     `json:"date"`
	Evidence    string   `json:"evidence,omitempty"`
}

// YearClosed closes an implementation year: nothing more is recorded into it.
type YearClosed struct {
	Year int  `json:"year"`
	Date Date `json:"date"`
}

func (AgreementRegistered) EventType() string            { return TypeAgreementRegistered }
func (BudgetLineAdded) EventType() string                { return TypeBudgetLineAdded }
func (BudgetPlanned) EventType() string                  { return TypeBudgetPlanned }
func (BudgetAmended) EventType() string                  { return TypeBudgetAmended }
func (SpendingRecorded) EventType() string               { return TypeSpendingRecorded }
func (SpendingReversed) EventType() string               { return TypeSpendingReversed }
func (RemainderCarriedOver) EventType() string           { return TypeRemainderCarriedOver }
func (UnspentReturned) EventType() string                { return TypeUnspentReturned }
func (IneligibleExpenditureDeclared) EventType() string  { return TypeIneligibleDeclared }
func (IneligibleExpenditureRecovered) EventType() string { return TypeIneligibleRecovered }
func (IndicatorDefined) EventType() string               { return TypeIndicatorDefined }
func (IndicatorDelivered) EventType() string             { return TypeIndicatorDelivered }
func (YearClosed) EventType() string                     { return TypeYearClosed }

// Upcaster turns the stored JSON of one schema version of an event type into
// the JSON of the next version.
type Upcaster func(data []byte) ([]byte, error)

type eventType struct {
	version  int
	newEvent func() Event
	upcast   map[int]Upcaster // from version -> to version+1
}

// EventRegistry knows every event type by its stored name, its current
// schema version, and how to bring older versions up to date. It is a value
// built by NewEventRegistry, not a global.
type EventRegistry struct {
	types map[string]*eventType
}

// NewEventRegistry returns a registry of all grantledger event types at
// their current schema versions.
func NewEventRegistry() *EventRegistry {
	r := &EventRegistry{types: map[string]*eventType{}}
	r.Register(TypeAgreementRegistered, 1, func() Event { return &AgreementRegistered{} })
	r.Register(TypeBudgetLineAdded, 1, func() Event { return &BudgetLineAdded{} })
	r.Register(TypeBudgetPlanned, 1, func() Event { return &BudgetPlanned{} })
	r.Register(TypeBudgetAmended, 1, func() Event { return &BudgetAmended{} })
	r.Register(TypeSpendingRecorded, 1, func() Event { return &SpendingRecorded{} })
	r.Register(TypeSpendingReversed, 1, func() Event { return &SpendingReversed{} })
	r.Register(TypeRemainderCarriedOver, 1, func() Event { return &RemainderCarriedOver{} })
	r.Register(TypeUnspentReturned, 1, func() Event { return &UnspentReturned{} })
	r.Register(TypeIneligibleDeclared, 1, func() Event { return &IneligibleExpenditureDeclared{} })
	r.Register(TypeIneligibleRecovered, 1, func() Event { return &IneligibleExpenditureRecovered{} })
	r.Register(TypeIndicatorDefined, 1, func() Event { return &IndicatorDefined{} })
	r.Register(TypeIndicatorDelivered, 1, func() Event { return &IndicatorDelivered{} })
	r.Register(TypeYearClosed, 1, func() Event { return &YearClosed{} })
	r.Register(TypeTokenCreated, 1, func() Event { return &TokenCreated{} })
	r.Register(TypeTokenRevoked, 1, func() Event { return &TokenRevoked{} })
	registerCashEvents(r)
	registerWorkEvents(r)
	return r
}

// Register adds or replaces an event type at its current schema version.
func (r *EventRegistry) Register(typ string, version int, newEvent func() Event) {
	old := r.types[typ]
	et := &eventType{version: version, newEvent: newEvent, upcast: map[int]Upcaster{}}
	if old != nil {
		et.upcast = old.upcast
	}
	r.types[typ] = et
}

// AddUpcaster registers how to turn version from of typ into version from+1.
func (r *EventRegistry) AddUpcaster(typ string, from int, u Upcaster) {
	r.types[typ].upcast[from] = u
}

// Version returns the current schema version of typ (0 if unknown).
func (r *EventRegistry) Version(typ string) int {
	if et := r.types[typ]; et != nil {
		return et.version
	}
	return 0
}

// Types returns the registered type names, sorted.
func (r *EventRegistry) Types() []string {
	out := make([]string, 0, len(r.types))
	for t := range r.types {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Decode turns stored JSON of schema version into the current event struct,
// upcasting older versions step by step.
func (r *EventRegistry) Decode(typ string, version int, data []byte) (Event, error) {
	et := r.types[typ]
	if et == nil {
		return nil, fmt.Errorf("unknown event type %q", typ)
	}
	if version == 0 {
		version = 1
	}
	if version > et.version {
		return nil, fmt.Errorf("event %s has schema version %d, newer than this program knows (%d): upgrade grantledger", typ, version, et.version)
	}
	for v := version; v < et.version; v++ {
		up := et.upcast[v]
		if up == nil {
			return nil, fmt.Errorf("event %s: no upcaster from schema version %d", typ, v)
		}
		var err error
		if data, err = up(data); err != nil {
			return nil, fmt.Errorf("event %s: upcast from version %d: %w", typ, v, err)
		}
	}
	ev := et.newEvent()
	if err := json.Unmarshal(data, ev); err != nil {
		return nil, fmt.Errorf("event %s: decode: %w", typ, err)
	}
	return deref(ev), nil
}

// deref returns the event struct by value, so type switches match on values.
func deref(e Event) Event {
	switch v := e.(type) {
	case *AgreementRegistered:
		return *v
	case *BudgetLineAdded:
		return *v
	case *BudgetPlanned:
		return *v
	case *BudgetAmended:
		return *v
	case *SpendingRecorded:
		return *v
	case *SpendingReversed:
		return *v
	case *RemainderCarriedOver:
		return *v
	case *UnspentReturned:
		return *v
	case *IneligibleExpenditureDeclared:
		return *v
	case *IneligibleExpenditureRecovered:
		return *v
	case *IndicatorDefined:
		return *v
	case *IndicatorDelivered:
		return *v
	case *YearClosed:
		return *v
	case *TokenCreated:
		return *v
	case *TokenRevoked:
		return *v
	}
	if v, ok := derefWork(e).(Event); ok {
		return v
	}
	if v, ok := derefCash(e).(Event); ok {
		return v
	}
	return e
}
