package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// CheckpointObserver is told the read model's checkpoint after each catch-up
// (metrics.Metrics is one).
type CheckpointObserver interface {
	SetCheckpoint(commit uint64)
}

// LiveReports implements Reports over the projections package: it keeps one
// projections.Ledger and folds the store's new events into it before each
// query, so reports are never behind an acknowledged command. An as-of
// query folds a fresh ledger limited to that moment.
type LiveReports struct {
	// Log, when set, is the Merkle log of the store's events (the store
	// itself when it keeps one): every report then comes as a Stated
	// naming the log state it was computed from, which JSON answers carry
	// as "checkpoint".
	Log merkle.Log
	// Signer, when set with Log, signs the state of every report as a
	// checkpoint (C2SP tlog-checkpoint note), carried as
	// "signed_checkpoint": the report can then be checked later with the
	// public key alone.
	Signer note.Signer
	// Now dates the signed checkpoints; time.Now when nil.
	Now func() time.Time

	store    domain.EventStore
	dec      *codec.Decoder
	observer CheckpointObserver
	page     int

	mu   sync.Mutex
	live *projections.Ledger
}

var _ Reports = (*LiveReports)(nil)

// NewLiveReports returns reports over store; observer may be nil.
func NewLiveReports(store domain.EventStore, observer CheckpointObserver) *LiveReports {
	return &LiveReports{store: store, dec: codec.NewDecoder(nil), observer: observer, page: 4096, live: projections.NewLedger(time.Time{})}
}

// fold feeds l every event after its position, in pages.
func (lr *LiveReports) fold(ctx context.Context, l *projections.Ledger) error {
	for {
		evs, err := lr.store.ReadAll(ctx, l.Position(), lr.page)
		if err != nil {
			return fmt.Errorf("read model: read after %s: %w", l.Position(), err)
		}
		for _, e := range evs {
			pe, err := lr.dec.Decode(e)
			if err != nil {
				return fmt.Errorf("read model: %w", err)
			}
			l.Apply(pe)
		}
		if len(evs) < lr.page {
			return nil
		}
	}
}

// with runs fn on a ledger caught up with the store: the live one, or a
// fresh one limited to asOf.
func (lr *LiveReports) with(ctx context.Context, asOf time.Time, fn func(*projections.Ledger) (any, error)) (any, error) {
	if !asOf.IsZero() {
		l := projections.NewLedger(asOf)
		if err := lr.fold(ctx, l); err != nil {
			return nil, err
		}
		return lr.stated(ctx, l, fn)
	}
	lr.mu.Lock()
	defer lr.mu.Unlock()
	if err := lr.fold(ctx, lr.live); err != nil {
		return nil, err
	}
	if lr.observer != nil {
		lr.observer.SetCheckpoint(lr.live.Position().Commit)
	}
	return lr.stated(ctx, lr.live, fn)
}

// Stated is a report with the Merkle log state it was computed from.
type Stated struct {
	Report any
	State  LogState
}

// LogState is the log's size and root at the read model's position (the
// stores that keep the log number positions from 1 in leaf order).
type LogState struct {
	Size   int64       `json:"size"`
	Root   merkle.Hash `json:"root_hash"`
	Signed string      `json:"signed_checkpoint,omitempty"`
}

// MarshalJSON writes the report's own fields, then "checkpoint".
func (s Stated) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(s.Report)
	if err != nil {
		return nil, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' {
		return b, nil
	}
	cb, err := json.Marshal(s.State)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), b[:len(b)-1]...)
	if len(b) > 2 {
		out = append(out, ',')
	}
	out = append(out, `"checkpoint":`...)
	out = append(out, cb...)
	return append(out, '}'), nil
}

// stated runs fn on l and, with a Log, wraps its report with the state.
func (lr *LiveReports) stated(ctx context.Context, l *projections.Ledger, fn func(*projections.Ledger) (any, error)) (any, error) {
	rep, err := fn(l)
	if err != nil || lr.Log == nil || rep == nil {
		return rep, err
	}
	size, err := merkle.SizeAt(ctx, lr.Log, l.Position())
	if err != nil {
		return nil, fmt.Errorf("the log state of the report: %w", err)
	}
	root, err := merkle.Root(ctx, lr.Log, size)
	if err != nil {
		return nil, fmt.Errorf("the log state of the report: %w", err)
	}
	st := LogState{Size: size, Root: root}
	if lr.Signer != nil {
		now := time.Now
		if lr.Now != nil {
			now = lr.Now
		}
		c := merkle.Checkpoint{Size: size, Root: root, Time: now().UTC().Truncate(time.Second)}
		if s, ok := lr.Log.(merkle.Sealer); ok {
			if c.Sealed, err = s.Sealed(ctx); err != nil {
				return nil, fmt.Errorf("the log state of the report: %w", err)
			}
		}
		b, err := merkle.Sign(c, lr.Signer)
		if err != nil {
			return nil, fmt.Errorf("sign the log state of the report: %w", err)
		}
		st.Signed = string(b)
	}
	return Stated{Report: rep, State: st}, nil
}

// YearReport implements Reports.
func (lr *LiveReports) YearReport(ctx context.Context, agreement string, year int, asOf time.Time) (any, error) {
	return lr.with(ctx, asOf, func(l *projections.Ledger) (any, error) {
		t := time.Now().UTC()
		r, err := l.YearReport(agreement, year, domain.NewDate(t.Year(), t.Month(), t.Day()))
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}

func scopeOf(q Query) projections.Scope {
	return projections.Scope{Funder: q.Funder, Grantee: q.Grantee, Programme: q.Programme, Agreement: q.Agreement, Viewer: q.Viewer}
}

// Reconciliation implements Reports.
func (lr *LiveReports) Reconciliation(ctx context.Context, q Query) (any, error) {
	w := projections.Window{Year: q.Year, From: q.From, To: q.To}
	if q.Year == 0 && q.From == 0 && q.To == 0 {
		return lr.with(ctx, q.AsOf, func(l *projections.Ledger) (any, error) { return l.MultiYearChecked(scopeOf(q)) })
	}
	return lr.with(ctx, q.AsOf, func(l *projections.Ledger) (any, error) {
		r, err := l.Reconcile(scopeOf(q), w)
		if err != nil {
			return nil, err
		}
		return r, nil
	})
}

// Indicators implements Reports.
func (lr *LiveReports) Indicators(ctx context.Context, q Query) (any, error) {
	return lr.with(ctx, q.AsOf, func(l *projections.Ledger) (any, error) {
		return l.Indicators(scopeOf(q), q.Year, q.Today), nil
	})
}

// Audit implements Reports.
func (lr *LiveReports) Audit(ctx context.Context, q AuditQuery) (any, error) {
	return lr.with(ctx, q.AsOf, func(l *projections.Ledger) (any, error) {
		return l.Audit(projections.AuditFilter{Agreement: q.Agreement, Actor: q.Actor, From: q.From, To: q.To, Types: q.Types}), nil
	})
}

// Verify recomputes every stream's hash chain, reading the store once in
// global order, and names the first broken event of each broken stream.
func (lr *LiveReports) Verify(ctx context.Context) (any, error) {
	v, err := readmodel.VerifyChains(ctx, lr.store)
	if err != nil {
		return nil, err
	}
	// The findings of ledger.Lint, as `grantledger verify` prints them:
	// look-alike or non-canonical agreement numbers and command ids used on
	// two agreements, which an older ledger may hold.
	findings, err := command.Lint(ctx, lr.store)
	if err != nil {
		return nil, err
	}
	if findings == nil {
		findings = []command.Finding{}
	}
	return VerifyReport{v, findings}, nil
}

// VerifyReport is what LiveReports.Verify answers (GET /v1/verify): the
// hash chains' verification and the ledger's findings.
type VerifyReport struct {
	projections.Verification
	Findings []command.Finding `json:"findings"`
}

// Ready catches the live read model up; it is ready when that succeeds
// within ctx's deadline.
func (lr *LiveReports) Ready(ctx context.Context) error {
	_, err := lr.with(ctx, time.Time{}, func(*projections.Ledger) (any, error) { return nil, nil })
	return err
}
