package projections

import (
	"fmt"
	"time"

	"github.com/grantledger/grantledger/domain"
)

// LedgerState is a Ledger's state as plain data: what a snapshot codec
// (package projections/codec) writes, and what RestoreLedger rebuilds a
// Ledger from. The Ledger is otherwise changed only by Apply.
type LedgerState struct {
	AsOf     time.Time
	Position domain.Position
	Applied  int
	Skipped  int
	// Views are the agreements' views in the order registered, their
	// aggregates complete (domain.RestoreAgreement).
	Views []*AgreementView
	// Audit is the audit trail as sections of encoded chunks
	// (auditchunk.go), in order: from State, every row (when AuditEncoded);
	// to RestoreLedger, the stored rows, AuditRows after them.
	Audit []AuditSection
	// AuditRows are rows as structs, after Audit: to RestoreLedger only
	// (snapshots of versions that stored rows otherwise).
	AuditRows []AuditEntry
	// AuditEncoded, from State, says Audit holds the whole trail; it is
	// false when some row cannot be encoded (a time outside UTC), and the
	// codec must write AuditRows() in a form of its own.
	AuditEncoded bool
}

// RestoreLedger rebuilds a Ledger from stored state, checking that its
// parts fit together. It keeps s's views and blocks (the caller must not
// use them after).
func RestoreLedger(s LedgerState) (*Ledger, error) {
	n := NewLedger(s.AsOf)
	n.position, n.applied, n.skipped = s.Position, s.Applied, s.Skipped
	for _, v := range s.Views {
		if v == nil || v.Agg == nil {
			return nil, fmt.Errorf("restore read model: a view without its agreement")
		}
		if n.views[v.Stream] != nil {
			return nil, fmt.Errorf("restore read model: stream %s has two views", v.Stream)
		}
		n.views[v.Stream] = v
		n.byNumber[v.Agg.AgreementNumber()] = v
		n.order = append(n.order, v)
	}
	for _, sec := range s.Audit {
		if err := n.audit.addSection(sec); err != nil {
			return nil, err
		}
	}
	for _, r := range s.AuditRows {
		if r.Amount != nil {
			return nil, fmt.Errorf("restore read model: an audit row with its amount as a pointer (position %d)", r.Position.Commit)
		}
		n.audit.add(r)
	}
	return n, nil
}

// State returns the ledger's state for a snapshot: the audit trail as
// the chunks it is held in, the open block encoded as one more (and, past
// MaxAuditChunks extra chunks, the small ones merged: see
// auditTrail.sections). The views and chunks are the ledger's own: the
// caller must only read them, and not while Apply runs. State does not
// change the ledger.
func (l *Ledger) State() LedgerState {
	s := LedgerState{AsOf: l.asOf, Position: l.position, Applied: l.applied, Skipped: l.skipped, Views: l.order}
	s.Audit, s.AuditEncoded = l.audit.sections()
	return s
}
