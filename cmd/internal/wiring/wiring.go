// Package wiring is where grantledger's programs put the application
// together, once: cmd/grantledger's serve and load, and cmd/glcrash (the
// crash test's writer) build one Main each (the Main of
// benbjohnson/wtf's cmd) instead of repeating the set-up. The end-to-end
// tests (cmd/grantledger's serve tests, adapters/reliability's crash tests)
// run those programs, so they run this wiring.
//
// Main owns what it wires and closes it in order: what was registered with
// OnClose (servers, listeners, read models), newest first, then the group
// committer (which lets the commit in progress finish and fails what is
// still queued), then the store.
package wiring

import (
	"context"
	"errors"
	"sync"

	"github.com/grantledger/grantledger/adapters/groupcommit"
	"github.com/grantledger/grantledger/adapters/metrics"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/projections"
)

// Config says what to wire.
type Config struct {
	// Store is the store as opened. Main owns it from New on and closes it.
	Store port.Store
	// Metrics, when not nil, measures the store (append and read latency,
	// events appended) and the command service (Measured).
	Metrics *metrics.Metrics
	// GroupCommit, above 1, makes that many concurrent appends at most
	// share one durable commit (adapters/groupcommit); 0 or 1: each
	// append commits alone.
	GroupCommit int
	// Command configures the command service.
	Command command.Options
	// Reads configures the process's one read model (Main.Reads): its
	// clock, the Merkle log its reports name, the signer of that state.
	// Its Observer is Metrics when not set.
	Reads readmodel.ServiceOptions
	// OnFold, when set, sees every event the read model folds (tests).
	OnFold func(projections.Event)
}

// Main is the application wired over one store.
type Main struct {
	// Raw is the store as opened: what checks the Merkle log, makes
	// checkpoints and keeps snapshots.
	Raw port.Store
	// Store is the store commands write through: Raw measured (with
	// Metrics), then behind the group committer (with GroupCommit > 1).
	Store port.Store
	// Metrics is Config.Metrics (nil: nothing measured).
	Metrics *metrics.Metrics
	// Service is the command service over Store.
	Service *command.Service
	// Measured is Service measured by Metrics (nil without Metrics): what
	// the HTTP API sends commands to.
	Measured *metrics.Service
	// Reads is the process's one read model over Store, live and without
	// snapshots (built when first read, kept in memory): the HTTP API, the
	// web pages and the token store's organisation check all read it.
	Reads *readmodel.Service

	mu       sync.Mutex
	closers  []func() error
	closed   bool
	closeErr error
}

// New wires cfg.
func New(cfg Config) *Main {
	m := &Main{Raw: cfg.Store, Store: cfg.Store, Metrics: cfg.Metrics}
	if cfg.Metrics != nil {
		m.Store = metrics.WrapStore(m.Store, cfg.Metrics)
	}
	if cfg.GroupCommit > 1 {
		m.Store = groupcommit.New(m.Store, cfg.GroupCommit)
	}
	// A server's command never waits for the periodic save of the
	// command-id index (issue 17); Close waits for it.
	cfg.Command.SaveIndexBeside = true
	m.Service = command.New(m.Store, cfg.Command)
	if cfg.Metrics != nil {
		m.Measured = metrics.WrapService(m.Service, cfg.Metrics)
		cfg.Metrics.WatchStateCache(m.Service)
		if cfg.Reads.Observer == nil {
			cfg.Reads.Observer = cfg.Metrics
		}
	}
	m.Reads = readmodel.NewService(readmodel.New(m.Store, readmodel.Options{NoSnapshots: true, OnApply: cfg.OnFold}), cfg.Reads)
	return m
}

// OpenReadModel opens a read model over the store as opened (Raw), so
// that it keeps its snapshots there, restored and caught up; Close stops
// using it.
func (m *Main) OpenReadModel(ctx context.Context, opts readmodel.Options) (*readmodel.Runner, error) {
	return readmodel.Open(ctx, m.Raw, opts)
}

// OnClose registers fn to run when Main closes, before the store closes:
// later registrations run first.
func (m *Main) OnClose(fn func() error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closers = append(m.closers, fn)
}

// Close runs what was registered with OnClose, newest first, then closes
// the store chain (the group committer, then the store). It returns every
// error joined; closing again returns the same.
func (m *Main) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return m.closeErr
	}
	m.closed = true
	var errs []error
	for i := len(m.closers) - 1; i >= 0; i-- {
		errs = append(errs, m.closers[i]())
	}
	m.Service.WaitIndexSave()            // a save of the index running beside the commands
	errs = append(errs, m.Store.Close()) // each decorator closes what it wraps
	m.closeErr = errors.Join(errs...)
	return m.closeErr
}
