package projections

import (
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// SpendingRow is a recorded spending with what reports need around it: its
// date and document for calendar-year reconciliation, and whether a later
// reversal cancelled it.
type SpendingRow struct {
	ID          uuid.UUID
	Line        string
	Year        int
	Amount      domain.Money
	Date        domain.Date
	Document    string
	Description string
	RecordedAt  time.Time
	Reversed    bool
}

// ReturnRow is unspent money given back, and to whom.
type ReturnRow struct {
	Line   string       `json:"line"`
	Year   int          `json:"year"`
	Amount domain.Money `json:"amount"`
	To     string       `json:"to"`
	Date   domain.Date  `json:"date"`
}

// CarryRow is a remainder moved from one year to the next.
type CarryRow struct {
	Line     string       `json:"line"`
	FromYear int          `json:"from_year"`
	ToYear   int          `json:"to_year"`
	Amount   domain.Money `json:"amount"`
	Date     domain.Date  `json:"date"`
}

// AmendmentRow is a revision of a planned amount.
type AmendmentRow struct {
	Line          string       `json:"line"`
	Year          int          `json:"year"`
	Previous      domain.Money `json:"previous"`
	Amount        domain.Money `json:"amount"`
	EffectiveDate domain.Date  `json:"effective_date"`
	Reason        string       `json:"reason"`
}

// DeliveryRow is a delivery of an indicator with its evidence reference.
type DeliveryRow struct {
	ID          uuid.UUID   `json:"id"` // names it for reverse_delivery
	Indicator   string      `json:"indicator"`
	Year        int         `json:"year"`
	Quantity    int64       `json:"quantity"`
	Identifiers []string    `json:"identifiers,omitempty"`
	Date        domain.Date `json:"date"`
	Evidence    string      `json:"evidence,omitempty"`
	Reversed    bool        `json:"reversed,omitempty"` // by a DeliveryReversed
}

// AgreementView is the read model of one agreement: the aggregate's own
// figures (domain.Agreement, the single source of the arithmetic) plus the
// lists the reports need.
type AgreementView struct {
	Stream     string
	Agg        *domain.Agreement
	Spendings  []SpendingRow
	Returns    []ReturnRow
	Carries    []CarryRow
	Amendments []AmendmentRow
	Deliveries []DeliveryRow
	// Issue 15 (obligations.go): target revisions and where submitted
	// reports were sealed.
	TargetAmendments []TargetAmendmentRow
	Seals            []SealRow
	Events           int
	LastAt           time.Time // recorded_at of the last event applied
}

// AuditRow is one event of the audit trail.
type AuditRow struct {
	Position   domain.Position `json:"position"`
	Stream     string          `json:"stream"`
	Agreement  string          `json:"agreement"`
	Revision   uint64          `json:"revision"`
	Type       string          `json:"type"`
	RecordedAt time.Time       `json:"recorded_at"`
	Actor      string          `json:"actor"`
	CommandID  uuid.UUID       `json:"command_id"`
	Reason     string          `json:"reason,omitempty"`
	Hash       string          `json:"hash"`
	Line       string          `json:"line,omitempty"`
	Year       int             `json:"year,omitempty"`
	Amount     *domain.Money   `json:"amount,omitempty"`
}

// AuditBlock is how many audit rows one block holds: the trail holds the
// rows of its open block as structs, and encodes the block into one chunk
// of bytes when it is full (audittrail.go).
const AuditBlock = 4096

// AuditEntry is an audit row as a Ledger's open block holds it (and as a
// query decodes it): the amount by value in
// Value (with HasValue), AuditRow.Amount nil, so folding an event
// allocates nothing for it.
type AuditEntry struct {
	AuditRow
	Value    domain.Money
	HasValue bool
}

// Ledger is the read model of the whole store: every agreement's view and
// the audit trail. Apply folds one event; the runner keeps Position as its
// checkpoint. A Ledger with AsOf set folds only events recorded at or before
// that moment (by metadata recorded_at), so every report shows the ledger as
// it stood then. A Ledger is changed only by Apply; RestoreLedger builds one
// from stored state (package projections/codec reads and writes
// snapshots). Apply must not run concurrently with any other method; the other methods may run concurrently with each other
// (a query decodes the audit chunks it reads into memory of its own; a
// restored ledger finds its stored chunks once, under a sync.Once).
type Ledger struct {
	asOf     time.Time
	position domain.Position
	applied  int
	skipped  int
	views    map[string]*AgreementView // by stream
	byNumber map[string]*AgreementView
	order    []*AgreementView // by registration
	audit    auditTrail       // encoded but for the open block (audittrail.go)
}

// NewLedger returns an empty read model. A non-zero asOf limits it to
// events recorded at or before asOf.
func NewLedger(asOf time.Time) *Ledger {
	return &Ledger{asOf: asOf, views: map[string]*AgreementView{}, byNumber: map[string]*AgreementView{}}
}

// AsOf returns the moment the ledger is limited to (zero: none).
func (l *Ledger) AsOf() time.Time { return l.asOf }

// Position returns the global position of the last event folded (or
// skipped for as-of): the checkpoint.
func (l *Ledger) Position() domain.Position { return l.position }

// Applied returns how many events were folded.
func (l *Ledger) Applied() int { return l.applied }

// Apply folds one event. Events must come in global order; an event at or
// before the current position is ignored, so feeding one twice is
// harmless. Events of streams grantledger did not write are ignored.
func (l *Ledger) Apply(e Event) {
	if !l.position.Less(e.Position) {
		return
	}
	l.position = e.Position
	if !l.asOf.IsZero() && e.Meta.RecordedAt.After(l.asOf) {
		l.skipped++
		return
	}
	if e.Stream == domain.TokenStream {
		l.applyToken(e)
		return
	}
	v := l.views[e.Stream]
	if v == nil {
		reg, ok := e.Data.(domain.AgreementRegistered)
		if !ok {
			l.skipped++
			return // not an agreement stream, or its opening event is missing
		}
		v = &AgreementView{Stream: e.Stream, Agg: domain.NewAgreement()}
		l.views[e.Stream] = v
		l.byNumber[reg.Number] = v
		l.order = append(l.order, v)
	}
	l.applied++
	v.Events++
	v.LastAt = e.Meta.RecordedAt
	v.Agg.Apply(e.ID, e.Data)
	row := AuditEntry{AuditRow: AuditRow{Position: e.Position, Stream: e.Stream, Agreement: v.Agg.AgreementNumber(), Revision: e.Revision, Type: e.Type,
		RecordedAt: e.Meta.RecordedAt, Actor: e.Meta.Actor, CommandID: e.Meta.CommandID, Reason: e.Meta.Reason, Hash: e.Meta.Hash}}
	switch ev := e.Data.(type) {
	case domain.SpendingRecorded:
		v.Spendings = append(v.Spendings, SpendingRow{ID: e.ID, Line: ev.Line, Year: ev.Year, Amount: ev.Amount, Date: ev.Date,
			Document: ev.Document, Description: ev.Description, RecordedAt: e.Meta.RecordedAt})
		row.Line, row.Year, row.Value, row.HasValue = ev.Line, ev.Year, ev.Amount, true
	case domain.SpendingReversed:
		for i := len(v.Spendings) - 1; i >= 0; i-- { // reversals are rare: a scan is cheaper than an index
			if v.Spendings[i].ID == ev.Spending {
				v.Spendings[i].Reversed = true
				break
			}
		}
		row.Line, row.Year, row.Value, row.HasValue = ev.Line, ev.Year, ev.Amount, true
	case domain.UnspentReturned:
		v.Returns = append(v.Returns, ReturnRow{Line: ev.Line, Year: ev.Year, Amount: ev.Amount, To: ev.To, Date: ev.Date})
		row.Line, row.Year, row.Value, row.HasValue = ev.Line, ev.Year, ev.Amount, true
	case domain.RemainderCarriedOver:
		v.Carries = append(v.Carries, CarryRow(ev))
		row.Line, row.Year, row.Value, row.HasValue = ev.Line, ev.FromYear, ev.Amount, true
	case domain.BudgetPlanned:
		row.Line, row.Year, row.Value, row.HasValue = ev.Line, ev.Year, ev.Amount, true
	case domain.BudgetAmended:
		v.Amendments = append(v.Amendments, AmendmentRow(ev))
		row.Line, row.Year, row.Value, row.HasValue = ev.Line, ev.Year, ev.Amount, true
	case domain.IneligibleExpenditureDeclared:
		row.Line, row.Year, row.Value, row.HasValue = ev.Line, ev.Year, ev.Amount, true
	case domain.IneligibleExpenditureRecovered:
		row.Line, row.Year, row.Value, row.HasValue = ev.Line, ev.Year, ev.Amount, true
	case domain.IndicatorDelivered:
		v.Deliveries = append(v.Deliveries, DeliveryRow{ID: e.ID, Indicator: ev.Indicator, Year: ev.Year, Quantity: ev.Quantity,
			Identifiers: ev.Identifiers, Date: ev.Date, Evidence: ev.Evidence})
		row.Year = ev.Year
	default:
		v.applyWork(e, &row.AuditRow)
	case domain.YearClosed:
		row.Year = ev.Year
	}
	l.audit.add(row)
}

// Agreement returns the view of an agreement by its number.
func (l *Ledger) Agreement(number string) (*AgreementView, error) {
	v := l.byNumber[number]
	if v == nil {
		return nil, &domain.Error{Code: domain.ENotFound, Field: "agreement", Err: domain.ErrNotFound,
			Message: fmt.Sprintf("agreement %q is not registered%s", number, l.asOfNote())}
	}
	return v, nil
}

func (l *Ledger) asOfNote() string {
	if l.asOf.IsZero() {
		return ""
	}
	return " as of " + l.asOf.UTC().Format(time.RFC3339)
}

// Agreements returns every agreement's view in the order registered.
func (l *Ledger) Agreements() []*AgreementView { return l.order }

// AuditRows returns the audit trail rows in global order, decoding the
// whole trail (the ledger keeps none of it decoded).
func (l *Ledger) AuditRows() []AuditRow {
	out := make([]AuditRow, 0, l.audit.rows)
	l.audit.scan(auditScan{}, func(e *AuditEntry) bool {
		out = append(out, entryRow(e))
		return true
	})
	return out
}
