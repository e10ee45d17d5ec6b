package readmodel

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// CheckpointObserver is told the read model's checkpoint after each live
// catch-up (metrics.Metrics is one).
type CheckpointObserver interface {
	SetCheckpoint(commit uint64)
}

// ServiceOptions configure a Service. The zero value works: no log state,
// no signature, time.Now as the clock.
type ServiceOptions struct {
	// Clock is the one clock of the reports: it decides "today" (what is
	// due or overdue) for the API, the web pages and the command line, and
	// dates the signed checkpoints. time.Now when nil.
	Clock func() time.Time
	// Log, when set, is the Merkle log of the store's events (the store
	// itself when it keeps one): every report then names the log state it
	// was computed from (Stated.State).
	Log merkle.Tree
	// Sealer, when set with Signer, gives the sealed size written into the
	// signed checkpoints (the store that keeps the log; nil: none).
	Sealer merkle.Sealer
	// Signer, when set with Log, signs the state of every report as a
	// checkpoint (C2SP tlog-checkpoint note).
	Signer note.Signer
	// Observer, when set, is told the live read model's checkpoint after
	// each catch-up.
	Observer CheckpointObserver
	// Fixed reads the runner as it stands, without catching it up before
	// a query: its owner caught it up (the command line, which checks the
	// Merkle log as it folds, so that no event is shown unchecked), and a
	// query for a past moment is refused (the owner folds an as-of runner
	// instead).
	Fixed bool
}

// Service is the one read model of a process: a live Runner, caught up
// with the store before every query, and read models folded from scratch
// for queries "as recorded at" a past moment. Its report methods return
// the projections' typed reports with the log state they were computed
// from; the HTTP API, the web pages and the command line all read through
// it, with its one clock. It is safe for concurrent use.
type Service struct {
	live *Runner
	opts ServiceOptions
}

// NewService returns the read-model service over live, the runner of the
// read model of now (with its store, and its snapshot options).
func NewService(live *Runner, o ServiceOptions) *Service {
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Service{live: live, opts: o}
}

// Live returns the runner of the read model of now.
func (s *Service) Live() *Runner { return s.live }

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.opts.Clock() }

// Today is the date, by the service's clock in UTC, against which what is
// due or overdue is judged.
func (s *Service) Today() domain.Date { return domain.DateOf(s.opts.Clock().UTC()) }

// HasLog reports whether reports name the log state they come from.
func (s *Service) HasLog() bool { return s.opts.Log != nil }

// Read runs fn on a read model caught up with the store: the live one, or,
// for a past moment (asOf not zero), one folded from scratch up to then. It
// returns the position fn saw.
func (s *Service) Read(ctx context.Context, asOf time.Time, fn func(*projections.Ledger) error) (domain.Position, error) {
	run := s.live
	switch {
	case !asOf.IsZero() && s.opts.Fixed:
		return domain.Position{}, errors.New("read model: a fixed read model answers no query for a past moment; fold one as of then")
	case !asOf.IsZero():
		run = New(s.live.store, Options{NoSnapshots: true, AsOf: asOf, Registry: s.live.opts.Registry, Decoder: s.live.opts.Decoder})
	}
	if !s.opts.Fixed {
		// The live read model is a few events behind at most: folded in
		// this goroutine. An as-of one folds the whole ledger: reading and
		// folding overlap (CatchUp).
		catchUp := run.catchUpInline
		if run != s.live {
			catchUp = run.CatchUp
		}
		if _, err := catchUp(ctx); err != nil {
			return domain.Position{}, fmt.Errorf("read model: %w", err)
		}
	}
	if asOf.IsZero() && s.opts.Observer != nil {
		s.opts.Observer.SetCheckpoint(run.Checkpoint().Commit)
	}
	var pos domain.Position
	err := run.View(func(l *projections.Ledger) error {
		pos = l.Position()
		return fn(l)
	})
	return pos, err
}

// LogState is the log's size and root at a read model's position (the
// stores that keep the log number positions from 1 in leaf order), and,
// with a signer, that state signed as a checkpoint.
type LogState struct {
	Size   int64       `json:"size"`
	Root   merkle.Hash `json:"root_hash"`
	Signed string      `json:"signed_checkpoint,omitempty"`
}

// State returns the log state at pos; ok is false when the service has no
// log (or its size and root cannot be read). When signing fails, the
// state is returned unsigned with the error; when the sealed count cannot
// be read, signed without it, with the error.
func (s *Service) State(ctx context.Context, pos domain.Position) (st LogState, ok bool, err error) {
	if s.opts.Log == nil {
		return st, false, nil
	}
	size, err := merkle.SizeAt(ctx, s.opts.Log, pos)
	if err != nil {
		return st, false, fmt.Errorf("the log state of the report: %w", err)
	}
	root, err := merkle.Root(ctx, s.opts.Log, size)
	if err != nil {
		return st, false, fmt.Errorf("the log state of the report: %w", err)
	}
	st = LogState{Size: size, Root: root}
	if s.opts.Signer == nil {
		return st, true, nil
	}
	c := merkle.Checkpoint{Size: size, Root: root, Time: s.opts.Clock().UTC().Truncate(time.Second)}
	var sealErr error
	if s.opts.Sealer != nil {
		if c.Sealed, sealErr = s.opts.Sealer.Sealed(ctx); sealErr != nil {
			// Signed without the sealed count, and the error returned:
			// the API refuses the report, a page shows the footer.
			c.Sealed, sealErr = 0, fmt.Errorf("the log state of the report: %w", sealErr)
		}
	}
	b, err := merkle.Sign(c, s.opts.Signer)
	if err != nil {
		return st, true, fmt.Errorf("sign the log state of the report: %w", err)
	}
	st.Signed = string(b)
	return st, true, sealErr
}

// Stated is a report with the Merkle log state it was computed from (nil
// when the service has no log).
type Stated[R any] struct {
	Report R
	State  *LogState
}

// MarshalJSON writes the report's own fields, then, with a state,
// "checkpoint".
func (s Stated[R]) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(s.Report)
	if err != nil || s.State == nil {
		return b, err
	}
	b = bytes.TrimSpace(b)
	if len(b) < 2 || b[0] != '{' {
		return b, nil
	}
	cb, err := json.Marshal(*s.State)
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

// report computes a typed report on the read model at asOf and states it.
func report[R any](ctx context.Context, s *Service, asOf time.Time, fn func(*projections.Ledger) (R, error)) (Stated[R], error) {
	var out Stated[R]
	pos, err := s.Read(ctx, asOf, func(l *projections.Ledger) error {
		var err error
		out.Report, err = fn(l)
		return err
	})
	if err != nil {
		return out, err
	}
	st, ok, err := s.State(ctx, pos)
	if err != nil {
		return out, err
	}
	if ok {
		out.State = &st
	}
	return out, nil
}

// Query selects agreements and a window for reconciliation, indicators
// and obligations. Empty scope fields match every agreement; Scope.Viewer
// keeps only the rows the principal may see (nil: every row).
type Query struct {
	projections.Scope
	Year     int         // implementation year; 0: all (or the date range)
	From, To domain.Date // a date range (reconciliation)
	AsOf     time.Time   // zero: now
}

// Window is the query's reconciliation window; zero: every year.
func (q Query) Window() projections.Window {
	return projections.Window{Year: q.Year, From: q.From, To: q.To}
}

// AuditQuery filters the audit trail.
type AuditQuery struct {
	projections.AuditFilter
	AsOf time.Time
}

// YearReport is the yearly report of one agreement, with what is overdue
// judged against today by the service's clock.
func (s *Service) YearReport(ctx context.Context, agreement string, year int, asOf time.Time) (Stated[projections.YearReport], error) {
	today := s.Today()
	return report(ctx, s, asOf, func(l *projections.Ledger) (projections.YearReport, error) {
		return l.YearReport(agreement, year, today)
	})
}

// Reconciliation is the reconciliation of q's agreements in q's window
// (which must not be zero: see MultiYear).
func (s *Service) Reconciliation(ctx context.Context, q Query) (Stated[projections.Reconciliation], error) {
	return report(ctx, s, q.AsOf, func(l *projections.Ledger) (projections.Reconciliation, error) {
		return l.Reconcile(q.Scope, q.Window())
	})
}

// MultiYear is the reconciliation of q's agreements over every year,
// checked.
func (s *Service) MultiYear(ctx context.Context, q Query) (Stated[projections.MultiYear], error) {
	return report(ctx, s, q.AsOf, func(l *projections.Ledger) (projections.MultiYear, error) {
		return l.MultiYearChecked(q.Scope)
	})
}

// Indicators is the indicators report of q's agreements in q's year.
func (s *Service) Indicators(ctx context.Context, q Query) (Stated[projections.IndicatorsReport], error) {
	today := s.Today()
	return report(ctx, s, q.AsOf, func(l *projections.Ledger) (projections.IndicatorsReport, error) {
		return l.Indicators(q.Scope, q.Year, today), nil
	})
}

// Audit is the audit trail, filtered.
func (s *Service) Audit(ctx context.Context, q AuditQuery) (Stated[projections.AuditReport], error) {
	return report(ctx, s, q.AsOf, func(l *projections.Ledger) (projections.AuditReport, error) {
		return l.Audit(q.AuditFilter), nil
	})
}

// Obligations are the reporting obligations of q's agreements, judged
// against today by the service's clock.
func (s *Service) Obligations(ctx context.Context, q Query) (Stated[projections.ObligationsReport], error) {
	today := s.Today()
	return report(ctx, s, q.AsOf, func(l *projections.Ledger) (projections.ObligationsReport, error) {
		return l.Obligations(q.Scope, today), nil
	})
}

// Restatement is the restatement of a sealed report of one agreement.
func (s *Service) Restatement(ctx context.Context, agreement, name string, asOf time.Time) (Stated[projections.Restatement], error) {
	return report(ctx, s, asOf, func(l *projections.Ledger) (projections.Restatement, error) {
		return l.Restatement(agreement, name)
	})
}

// PeriodSummary is the summary of one agreement's whole period, judged
// against today by the service's clock.
func (s *Service) PeriodSummary(ctx context.Context, agreement string, asOf time.Time) (Stated[projections.PeriodSummary], error) {
	today := s.Today()
	return report(ctx, s, asOf, func(l *projections.Ledger) (projections.PeriodSummary, error) {
		return l.PeriodSummary(agreement, today)
	})
}

// CashReport is the grantee's cash position of one agreement; refunds are
// overdue against the as-of date when given, else today by the service's
// clock.
func (s *Service) CashReport(ctx context.Context, agreement string, asOf time.Time) (Stated[projections.CashReport], error) {
	today := s.Today()
	if !asOf.IsZero() {
		today = domain.DateOf(asOf)
	}
	return report(ctx, s, asOf, func(l *projections.Ledger) (projections.CashReport, error) {
		return l.CashReport(agreement, today)
	})
}

// VerifyReport is the verification of the hash chains and the ledger's
// findings (GET /v1/verify).
type VerifyReport struct {
	projections.Verification
	Findings []command.Finding `json:"findings"`
}

// Verify recomputes every stream's hash chain, reading the store once in
// global order, and names the first broken event of each broken stream,
// with the findings of command.Lint (look-alike or non-canonical agreement
// numbers and command ids used on two agreements, which an older ledger
// may hold), as `grantledger verify` prints them.
func (s *Service) Verify(ctx context.Context) (VerifyReport, error) {
	v, err := VerifyChains(ctx, s.live.store)
	if err != nil {
		return VerifyReport{}, err
	}
	findings, err := command.Lint(ctx, s.live.store)
	if err != nil {
		return VerifyReport{}, err
	}
	if findings == nil {
		findings = []command.Finding{}
	}
	return VerifyReport{v, findings}, nil
}

// Ready catches the live read model up; it is ready when that succeeds
// within ctx's deadline.
func (s *Service) Ready(ctx context.Context) error {
	_, err := s.Read(ctx, time.Time{}, func(*projections.Ledger) error { return nil })
	return err
}

// Organisations returns the funders and grantees the ledger's agreements
// name (the token store checks a new token's organisation against them).
func (s *Service) Organisations(ctx context.Context) (funders, grantees []string, err error) {
	_, err = s.Read(ctx, time.Time{}, func(l *projections.Ledger) error {
		funders, grantees = projections.Organisations(l)
		return nil
	})
	return funders, grantees, err
}

// NewLive returns the service over a live runner of store that neither
// loads nor saves snapshots (the server's read model: built at start,
// kept in memory).
func NewLive(store Store, o ServiceOptions) *Service {
	return NewService(New(store, Options{NoSnapshots: true}), o)
}

// VerifyChains recomputes the hash chain of every stream of the store
// (VerifyChains), for the pages that show whether the ledger is intact.
func (s *Service) VerifyChains(ctx context.Context) (projections.Verification, error) {
	return VerifyChains(ctx, s.live.store)
}
