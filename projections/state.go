package projections

import (
	"fmt"
	"sync"
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
	// Stored, when not nil, is the oldest part of the audit trail still in
	// the form it was stored in; Audit follows it.
	Stored StoredAudit
	// Audit is the rest of the audit trail, in blocks of AuditBlock rows
	// (the last may hold fewer).
	Audit [][]AuditEntry
}

// StoredAudit is an audit trail kept in the form a snapshot stored it, so
// that a restored Ledger decodes it only when something reads the rows.
// Decode must give the same rows every time, and be safe to call once from
// any goroutine.
type StoredAudit interface {
	// Rows is how many rows it holds.
	Rows() int
	// Decode returns the rows in blocks of AuditBlock rows (the last may
	// hold fewer).
	Decode() ([][]AuditEntry, error)
}

// lazyAudit is the stored audit trail of the snapshot a Ledger was restored
// from, until it is decoded.
type lazyAudit struct {
	mu     sync.Mutex
	stored StoredAudit // nil once decoded
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
	for i, blk := range s.Audit {
		if len(blk) != AuditBlock && i != len(s.Audit)-1 || len(blk) == 0 {
			return nil, fmt.Errorf("restore read model: audit block %d of %d holds %d rows, want %d", i+1, len(s.Audit), len(blk), AuditBlock)
		}
		n.rows += len(blk)
	}
	n.audit = s.Audit
	if s.Stored != nil && s.Stored.Rows() > 0 {
		n.lazy = &lazyAudit{stored: s.Stored}
	}
	return n, nil
}

// State returns the ledger's state for a snapshot. keep says whether a
// stored audit trail may stay as it is (the codec then writes its bytes
// again); when it says no, or is nil, the stored rows are decoded first
// and returned in Audit. The views and blocks are the ledger's own: the
// caller must only read them, and not while Apply runs.
func (l *Ledger) State(keep func(StoredAudit) bool) LedgerState {
	s := LedgerState{AsOf: l.asOf, Position: l.position, Applied: l.applied, Skipped: l.skipped, Views: l.order}
	if z := l.lazy; z != nil {
		z.mu.Lock()
		defer z.mu.Unlock()
		if z.stored != nil && (keep == nil || !keep(z.stored)) {
			l.auditReadyLocked(z)
		}
		s.Stored = z.stored
	}
	s.Audit = l.audit
	return s
}

// AuditPending reports whether the ledger still holds the audit trail of
// the snapshot it was restored from in its stored form, undecoded.
func (l *Ledger) AuditPending() bool {
	z := l.lazy
	if z == nil {
		return false
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.stored != nil
}

// auditReady puts the rows still held in stored form, if any, into l.audit
// in front of the rows folded since the restore. Read methods may call it
// concurrently with each other (never with Apply): the first one decodes,
// under the trail's lock, and the others wait for it.
func (l *Ledger) auditReady() {
	z := l.lazy
	if z == nil {
		return
	}
	z.mu.Lock()
	defer z.mu.Unlock()
	l.auditReadyLocked(z)
}

func (l *Ledger) auditReadyLocked(z *lazyAudit) {
	if z.stored == nil {
		return
	}
	blocks, err := z.stored.Decode()
	if err != nil {
		// The codec checked the stored trail (its checksum) when the
		// snapshot was read, so the bytes are the ones it wrote.
		panic(fmt.Sprintf("projections: the audit trail of the restored snapshot cannot be decoded although it was checked when read "+
			"(a bug in projections/codec; delete the snapshot to rebuild the read model from the events): %v", err))
	}
	n := 0
	for _, blk := range blocks {
		n += len(blk)
	}
	if n != z.stored.Rows() {
		panic(fmt.Sprintf("projections: the stored audit trail decoded to %d rows and says it holds %d (a bug in projections/codec)", n, z.stored.Rows()))
	}
	for _, blk := range l.audit {
		for i := range blk {
			if n%AuditBlock == 0 {
				blocks = append(blocks, make([]AuditEntry, 0, AuditBlock))
			}
			last := &blocks[len(blocks)-1]
			*last = append(*last, blk[i])
			n++
		}
	}
	l.audit, l.rows = blocks, n
	z.stored = nil
}
