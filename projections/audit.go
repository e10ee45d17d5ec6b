package projections

import (
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/grantledger/grantledger/domain"
)

// AuditFilter selects audit rows. Zero fields do not filter.
type AuditFilter struct {
	Agreement string    `json:"agreement,omitempty"`
	From      time.Time `json:"from,omitempty"` // recorded at or after
	To        time.Time `json:"to,omitempty"`   // recorded at or before
	Actor     string    `json:"actor,omitempty"`
	Types     []string  `json:"types,omitempty"`
}

// ChainBreak names an event whose stored bytes do not match its stream's
// hash chain.
type ChainBreak struct {
	Stream    string          `json:"stream"`
	Agreement string          `json:"agreement,omitempty"`
	Revision  uint64          `json:"revision"`
	Position  domain.Position `json:"position"`
	EventID   uuid.UUID       `json:"event_id"`
	Problem   string          `json:"problem"`
}

// Verification is the result of recomputing every hash chain in scope.
type Verification struct {
	Streams int          `json:"streams"`
	Events  int          `json:"events"`
	OK      bool         `json:"ok"`
	Breaks  []ChainBreak `json:"breaks"`
}

// AuditReport is the audit trail with the hash-chain verification beside it.
type AuditReport struct {
	Filter       AuditFilter   `json:"filter"`
	Rows         []AuditRow    `json:"rows"`
	Verification *Verification `json:"verification,omitempty"`
	AsOf         *time.Time    `json:"as_of,omitempty"`
}

// Audit returns the audit rows that pass the filter, in global order. The
// trail is held encoded (audittrail.go): a chunk is decoded only when its
// names can match the filter's agreement, actor and types and its times
// can fall in the filter's period, and only the rows that pass get their
// hash made; nothing decoded is kept.
func (l *Ledger) Audit(f AuditFilter) AuditReport {
	r := AuditReport{Filter: f, Rows: []AuditRow{}}
	if !l.asOf.IsZero() {
		t := l.asOf.UTC()
		r.AsOf = &t
	}
	types := map[string]bool{}
	for _, t := range f.Types {
		types[strings.ToLower(strings.TrimSpace(t))] = true
	}
	pass := func(row *AuditEntry) bool {
		switch {
		case f.Agreement != "" && row.Agreement != f.Agreement:
		case !f.From.IsZero() && row.RecordedAt.Before(f.From):
		case !f.To.IsZero() && row.RecordedAt.After(f.To):
		case f.Actor != "" && !strings.EqualFold(row.Actor, f.Actor):
		case len(types) > 0 && !types[strings.ToLower(row.Type)]:
		default:
			return true
		}
		return false
	}
	q := auditScan{pick: pass}
	if f.Agreement != "" || f.Actor != "" || len(types) > 0 {
		// A row's agreement, actor and type are among its chunk's names.
		q.names = func(names []string) bool {
			agreement, actor, typ := f.Agreement == "", f.Actor == "", len(types) == 0
			for _, n := range names {
				agreement = agreement || n == f.Agreement
				actor = actor || strings.EqualFold(n, f.Actor)
				typ = typ || types[strings.ToLower(n)]
			}
			return agreement && actor && typ
		}
	}
	if !f.From.IsZero() {
		q.from, q.hasFrom = f.From.Unix(), true // a row before this second is before From
	}
	if !f.To.IsZero() {
		q.to, q.hasTo = f.To.Unix(), true // a row after this second is after To
	}
	l.audit.scan(q, func(e *AuditEntry) bool {
		r.Rows = append(r.Rows, entryRow(e))
		return true
	})
	return r
}
