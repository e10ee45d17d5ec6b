// Package command is grantledger's command service: it takes commands
// (each its envelope and the command an adapter decoded from it, see
// Request), loads the agreement's state from the event store, lets the
// domain decide, and appends the resulting events with their metadata and
// hash chain under optimistic concurrency. It is the one place that turns
// commands into stored events, for the command line, the HTTP API and the
// web pages alike, and its one way in is Handler.Handle.
package command

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/domain/flatjson"
)

// Options configure a Service.
type Options struct {
	// Clock returns the time recorded in each event's metadata. Default time.Now.
	Clock func() time.Time
	// MaxRetries bounds how often a command is re-decided after losing a
	// concurrency race. Default 8.
	MaxRetries int
	// MaxCachedEvents bounds the agreement states kept in memory, counted
	// in the events folded into them (a state's size grows with its
	// events). Past it, the states used longest ago are dropped and read
	// again from the store when next needed. Default 200 000 (about
	// 48 MB on the data set of 'grantledger generate': at most 250 bytes
	// an event, 239 measured by TestCachedStateMemoryPerEvent;
	// docs/PERFORMANCE.md, "Scale"); negative: no bound.
	MaxCachedEvents int64
	// MaxSpilledBytes bounds the states dropped from the cache but kept
	// encoded, in bytes (spill.go): a command on such an agreement decodes
	// its state instead of reading its stream whole. Past it, those used
	// longest ago are thrown away. Default DefaultMaxSpilledBytes;
	// negative: none kept.
	MaxSpilledBytes int64
	// Warn, if set, is told what went wrong with the saved ledger-wide
	// index (refused and rebuilt, or not saved); no command fails for it.
	Warn func(msg string)
	// SaveIndexBeside makes the periodic save of the ledger-wide index
	// (every IndexSaveEvery events) run in a goroutine of its own instead
	// of in the command that finds it due, which then goes on at once: a
	// save that merges the index's runs rewrites every block, hundreds of
	// snapshot writes on a large ledger, and in a server the command that
	// made it waited for all of them (docs/PERFORMANCE.md, issue 17). One
	// save runs at a time; WaitIndexSave waits for it. serve and load set
	// it (cmd/internal/wiring); a short process saves in line, so that it
	// never ends in the middle of a save.
	SaveIndexBeside bool
	// IndexSaveEvery is how many events the ledger-wide index folds
	// before it is saved again (0: the constant IndexSaveEvery, 10 000),
	// and so about how many command ids it holds in memory at most. Each
	// save rewrites the newer run of the saved index whole (random ids
	// reach every block), so a long import saves less often to rewrite
	// less: apply and import set 50 000 (docs/PERFORMANCE.md, issue 17).
	IndexSaveEvery int64
}

// DefaultMaxCachedEvents is Options.MaxCachedEvents' default.
const DefaultMaxCachedEvents = 200_000

// DefaultMaxSpilledBytes is Options.MaxSpilledBytes' default: 16 MiB,
// some 220 000 events of encoded states on the data set of 'grantledger
// generate' (at most 100 bytes an event, 75 measured by
// TestCachedStateMemoryPerEvent; docs/PERFORMANCE.md, "Scale").
const DefaultMaxSpilledBytes = 16 << 20

// Service handles commands against one store. It is safe for concurrent use.
// It caches each agreement's state and catches up from the store before
// every decision, so writers in other processes are seen.
type Service struct {
	store   port.Store
	reg     *domain.EventRegistry
	clock   func() time.Time
	retries int

	// streams maps a stream name to its *streamState. A sync.Map, not a
	// map under one mutex: every command looks its stream up, and the
	// look-ups of concurrent commands on different agreements must not
	// queue behind one lock.
	streams sync.Map

	// index keeps the ledger-wide rules: command ids used once, agreement
	// numbers told apart (index.go).
	index *ledgerIndex

	// The bound of the cached states (cache.go).
	maxCached int64
	cached    atomic.Int64  // events folded into the cached states
	reads     atomic.Uint64 // states read from the store from their first event
	dropped   atomic.Uint64 // states dropped to keep the bound
	tick      atomic.Int64  // counts stream look-ups, for "used longest ago"
	evicting  sync.Mutex

	// The dropped states kept encoded (spill.go).
	maxSpilled int64
	spilled    atomic.Int64  // bytes of the encodings kept
	restored   atomic.Uint64 // states decoded from their encoding

	warn func(msg string) // Options.Warn

	// The save of the index running beside the commands
	// (Options.SaveIndexBeside).
	beside    bool
	saveEvery int64 // Options.IndexSaveEvery
	besideMu  sync.Mutex
	besideOn  chan struct{} // closed when the running save ends; nil: none runs
}

// streamState is the cached state of one agreement stream. Its mutex
// serialises commands on the same agreement within this process.
type streamState struct {
	mu       sync.Mutex
	agg      *domain.Agreement
	rev      int64 // last revision applied; -1 before the first event
	lastHash string
	commands map[uuid.UUID]commandSpan
	pending  map[uuid.UUID]pendingCommand
	spill    []byte       // the state's encoding while it is dropped (agg nil); see spill.go
	counted  int64        // this state's part of Service.cached
	used     atomic.Int64 // Service.tick when last looked up
}

// commandSpan is what the state keeps of each command applied to its
// stream, to answer a retry as a duplicate: where its events are. The
// events, and the command's hash in their metadata, are read back from
// the store when a retry comes (rare), not kept in memory for every
// command (issue 17): 32 bytes of map slot a command, where its hash and
// events had cost about 170 bytes an event (docs/PERFORMANCE.md, "Scale").
type commandSpan struct {
	first uint64 // revision of its first event
	n     uint32 // number of its events
}

// pendingCommand is a command appended tentatively in a batch still being
// written: the store does not have its events yet, so a duplicate of it
// in the same batch is answered from here (see settle).
type pendingCommand struct {
	hash   string
	events []Appended
}

// hashKey is the 32 bytes of a hex SHA-256 command hash (half the memory
// of the hex), or the text itself when it is not one.
func hashKey(h string) string {
	if len(h) == 64 {
		var b [32]byte
		if _, err := hex.Decode(b[:], []byte(h)); err == nil {
			return string(b[:])
		}
	}
	return h
}

// Appended describes one event a command appended.
type Appended struct {
	ID       uuid.UUID       `json:"event_id"`
	Type     string          `json:"type"`
	Stream   string          `json:"stream"`
	Revision uint64          `json:"revision"`
	Position domain.Position `json:"position"`
	Hash     string          `json:"hash"`
	Event    domain.Event    `json:"data"`
}

// Result is the outcome of one command.
type Result struct {
	CommandID uuid.UUID  `json:"command_id"`
	Agreement string     `json:"agreement"`
	Events    []Appended `json:"events"`
	// Duplicate is true when the command id had been applied before: nothing
	// was appended and Events are those of the first application.
	Duplicate bool `json:"duplicate"`
}

// New returns a Service over store.
func New(store port.Store, opts Options) *Service {
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.MaxRetries <= 0 {
		opts.MaxRetries = 8
	}
	if opts.MaxCachedEvents == 0 {
		opts.MaxCachedEvents = DefaultMaxCachedEvents
	}
	if opts.MaxSpilledBytes == 0 {
		opts.MaxSpilledBytes = DefaultMaxSpilledBytes
	}
	if opts.IndexSaveEvery <= 0 {
		opts.IndexSaveEvery = IndexSaveEvery
	}
	return &Service{store: store, reg: domain.NewEventRegistry(), clock: opts.Clock, retries: opts.MaxRetries, index: newLedgerIndex(),
		maxCached: opts.MaxCachedEvents, maxSpilled: opts.MaxSpilledBytes, warn: opts.Warn, beside: opts.SaveIndexBeside, saveEvery: opts.IndexSaveEvery}
}

// Store returns the underlying store.
func (s *Service) Store() port.Store { return s.store }

// Registry returns the event registry the service decodes with.
func (s *Service) Registry() *domain.EventRegistry { return s.reg }

func (s *Service) stream(name string) *streamState {
	v, ok := s.streams.Load(name)
	if !ok {
		v, _ = s.streams.LoadOrStore(name, &streamState{})
	}
	st := v.(*streamState)
	st.used.Store(s.tick.Add(1))
	return st
}

func (st *streamState) reset() {
	st.agg = domain.NewAgreement()
	st.rev = -1
	st.lastHash = ""
	st.commands = map[uuid.UUID]commandSpan{}
	st.pending = nil
}

// catchUp folds every event of the stream after st.rev into st, verifying
// the hash chain as it goes: a tampered stream is refused, not decided on.
func (s *Service) catchUp(ctx context.Context, name string, st *streamState) error {
	if st.agg == nil && !s.unspill(st) {
		st.reset()
		s.reads.Add(1)
	}
	for {
		evs, err := s.store.ReadStream(ctx, name, uint64(st.rev+1), domain.Forwards, 1024)
		if errors.Is(err, domain.ErrNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", name, err)
		}
		if len(evs) == 0 {
			return nil
		}
		for _, e := range evs {
			if err := s.applyRecorded(name, st, e); err != nil {
				st.reset()
				return err
			}
		}
		if len(evs) < 1024 {
			return nil
		}
	}
}

func (s *Service) applyRecorded(name string, st *streamState, e domain.RecordedEvent) error {
	v := domain.ChainVerifier{Stream: name}
	v.Resume(uint64(st.rev+1), st.lastHash)
	m, err := v.CheckWith(e, flatjson.DecodeMetadata) // the metadata, read once
	if err != nil {
		return err
	}
	ev, err := s.decodeData(name, e, m)
	if err != nil {
		return err
	}
	st.agg.Apply(e.ID, ev)
	st.rev = int64(e.Revision)
	st.lastHash = m.Hash
	rec, ok := st.commands[m.CommandID]
	if !ok {
		rec = commandSpan{first: e.Revision}
	}
	rec.n++
	st.commands[m.CommandID] = rec
	return nil
}

// decode reads a recorded event's metadata and data.
func (s *Service) decode(name string, e domain.RecordedEvent) (domain.Metadata, domain.Event, error) {
	m, err := flatjson.DecodeMetadata(e.Metadata)
	if err != nil {
		return m, nil, fmt.Errorf("%s revision %d: %w", name, e.Revision, err)
	}
	ev, err := s.decodeData(name, e, m)
	return m, ev, err
}

// decodeData reads a recorded event's data, of the schema version its
// metadata m names.
func (s *Service) decodeData(name string, e domain.RecordedEvent, m domain.Metadata) (domain.Event, error) {
	ev, err := s.reg.Decode(e.Type, m.SchemaVersion, e.Data)
	if err != nil {
		return nil, fmt.Errorf("%s revision %d: %w", name, e.Revision, err)
	}
	return ev, nil
}

// replay reads back the events of an applied command, for the answer to
// its retry, and the command hash they were recorded with.
func (s *Service) replay(ctx context.Context, name string, st *streamState, id uuid.UUID, rec commandSpan) ([]Appended, string, error) {
	if p, ok := st.pending[id]; ok {
		return p.events, p.hash, nil
	}
	evs, err := s.store.ReadStream(ctx, name, rec.first, domain.Forwards, int(rec.n))
	if err != nil {
		return nil, "", fmt.Errorf("read back %s from revision %d: %w", name, rec.first, err)
	}
	if len(evs) != int(rec.n) {
		return nil, "", fmt.Errorf("read back %s from revision %d: %d events, want %d", name, rec.first, len(evs), rec.n)
	}
	out := make([]Appended, len(evs))
	hash := ""
	for i, e := range evs {
		m, ev, err := s.decode(name, e)
		if err != nil {
			return nil, "", err
		}
		if m.CommandID != id {
			return nil, "", fmt.Errorf("read back %s revision %d: an event of command %s, want %s", name, e.Revision, m.CommandID, id)
		}
		if i == 0 {
			hash = m.CommandHash
		}
		out[i] = Appended{ID: e.ID, Type: e.Type, Stream: name, Revision: e.Revision, Position: e.Position, Hash: m.Hash, Event: ev}
	}
	return out, hash, nil
}

// Prepared is a command decided against the current state, ready to append.
type prepared struct {
	env      domain.Envelope
	name     string
	expected domain.ExpectedRevision
	data     []domain.EventData
	events   []domain.Event
	hashes   []string
	hash     string // of the command
}

// decide validates the envelope, catches the stream up and decides. It
// returns a non-nil *Result when the command id was already applied.
// With useCache, a state already cached is decided on without asking the
// store for newer events: the append's exact expected revision catches a
// state that another process made stale, and the caller then retries with
// useCache false. This saves one read per command on the common path.
func (s *Service) decide(ctx context.Context, env domain.Envelope, st *streamState, name string, cmd domain.Command, useCache bool) (*prepared, *Result, error) {
	hash := domain.CommandHash(cmd)
	if !useCache || st.agg == nil {
		if err := s.catchUp(ctx, name, st); err != nil {
			return nil, nil, err
		}
	}
	if rec, ok := st.commands[env.CommandID]; ok {
		events, was, err := s.replay(ctx, name, st, env.CommandID, rec)
		if err != nil {
			return nil, nil, err
		}
		if hashKey(was) != hashKey(hash) {
			return nil, nil, &domain.Error{Code: domain.EConflict, Field: "command_id",
				Message: fmt.Sprintf("command id %s was already used for a different command on %s; use a new id", env.CommandID, cmd.AgreementNumber())}
		}
		return nil, &Result{CommandID: env.CommandID, Agreement: cmd.AgreementNumber(), Events: events, Duplicate: true}, nil
	}
	events, err := domain.Decide(st.agg, cmd, env.Reason)
	if err != nil && useCache {
		// A refusal must rest on the latest state, not on a cache that
		// another process may have overtaken.
		return s.decide(ctx, env, st, name, cmd, false)
	}
	if err != nil {
		return nil, nil, err
	}
	p := &prepared{env: env, name: name, events: events, hash: hash}
	if st.rev < 0 {
		p.expected = domain.NoStream
	} else {
		p.expected = domain.Exact(uint64(st.rev))
	}
	corr := env.CorrelationID
	if corr == uuid.Nil {
		corr = env.CommandID
	}
	now := s.clock().UTC()
	prev := st.lastHash
	// The events' data and metadata go into one buffer per command,
	// written by domain's field tables: the same bytes as encoding/json.
	buf := make([]byte, 0, 800*len(events))
	p.data = make([]domain.EventData, 0, len(events))
	p.hashes = make([]string, 0, len(events))
	for i, ev := range events {
		start := len(buf)
		buf, err = domain.AppendEventJSON(buf, ev)
		if err != nil {
			return nil, nil, fmt.Errorf("encode %s: %w", ev.EventType(), err)
		}
		data := buf[start:len(buf):len(buf)]
		id := EventID(env.CommandID, i)
		m := domain.Metadata{
			EventID: id, CommandID: env.CommandID, CommandType: env.Type, CommandHash: hash,
			CorrelationID: corr, Actor: env.Actor, Reason: env.Reason, RecordedAt: now,
			SchemaVersion: s.reg.Version(ev.EventType()), PrevHash: prev,
		}
		m.Hash = domain.EventHash(name, uint64(st.rev+1+int64(i)), ev.EventType(), data, m)
		prev = m.Hash
		start = len(buf)
		if buf, err = domain.AppendMetadataJSON(buf, &m); err != nil {
			return nil, nil, fmt.Errorf("encode %s: %w", ev.EventType(), err)
		}
		meta := buf[start:len(buf):len(buf)]
		p.data = append(p.data, domain.EventData{ID: id, Type: ev.EventType(), Data: data, Metadata: meta})
		p.hashes = append(p.hashes, m.Hash)
	}
	return p, nil, nil
}

// EventID derives the id of the i-th event of a command from the command id,
// so that an append retried after a lost answer carries the same ids and
// the store does not record it twice.
func EventID(commandID uuid.UUID, i int) uuid.UUID {
	return uuid.NewSHA1(commandID, []byte{byte(i >> 8), byte(i)})
}

// commit applies appended events to the cached state and builds the
// result. tentative marks events the store does not have yet (a batch
// still being written): they are kept, to answer a duplicate in the same
// batch, until settle.
func (s *Service) commit(st *streamState, p *prepared, res domain.AppendResult, tentative bool) Result {
	out := Result{CommandID: p.env.CommandID, Events: make([]Appended, len(p.events))}
	first := res.NextRevision + 1 - uint64(len(p.events))
	for i, ev := range p.events {
		st.agg.Apply(p.data[i].ID, ev)
		a := Appended{ID: p.data[i].ID, Type: p.data[i].Type, Stream: p.name, Revision: first + uint64(i), Hash: p.hashes[i], Event: ev}
		if i == len(p.events)-1 {
			a.Position = res.Position
		}
		out.Events[i] = a
	}
	st.commands[p.env.CommandID] = commandSpan{first: first, n: uint32(len(p.events))}
	if tentative {
		if st.pending == nil {
			st.pending = map[uuid.UUID]pendingCommand{}
		}
		st.pending[p.env.CommandID] = pendingCommand{hash: p.hash, events: out.Events}
	}
	st.rev = int64(res.NextRevision)
	st.lastHash = p.hashes[len(p.hashes)-1]
	out.Agreement = st.agg.AgreementNumber()
	return out
}

// settle drops the events kept of a tentative command once the store has
// them: a retry reads them back (replay).
func (st *streamState) settle(id uuid.UUID) {
	delete(st.pending, id)
	if len(st.pending) == 0 {
		st.pending = nil
	}
}

// handleOne applies one command: decide against the agreement's current
// state, append under optimistic concurrency (retrying a bounded number
// of times when another writer got there first), and return what was
// appended. A command id seen before returns the first result and appends
// nothing. req has passed Request.check.
func (s *Service) handleOne(ctx context.Context, req Request) (Result, error) {
	env, cmd := req.Envelope, req.Command
	name := domain.StreamFor(cmd.AgreementNumber())
	release, err := s.claim(ctx, env, cmd, name)
	if err != nil {
		return Result{}, err
	}
	defer release()
	st := s.stream(name)
	st.mu.Lock()
	defer s.evictIfFull() // third, with no lock held
	defer st.mu.Unlock()  // second
	defer s.account(st)   // first, under the lock
	var lastErr error
	for attempt := 0; attempt <= s.retries; attempt++ {
		p, dup, err := s.decide(ctx, env, st, name, cmd, attempt == 0)
		if err != nil {
			return Result{}, err
		}
		if dup != nil {
			return *dup, nil
		}
		res, err := s.append(ctx, p, []claimed{{env, cmd, name}})
		var refused *domain.Error
		if errors.Is(err, domain.ErrGuardRefused) && errors.As(err, &refused) {
			// Another writer's events, written since this state was read,
			// break a ledger-wide rule for this command: nothing was
			// written, and the refusal names them.
			return Result{}, refused
		}
		if err == nil && res.Existing {
			// The store found this command's events already there: it was
			// applied by another process that this state had not seen yet.
			// Read the stream and answer it as the duplicate it is.
			st.agg = nil
			lastErr = fmt.Errorf("append %s: events already in the stream", name)
			continue
		}
		if err == nil {
			s.applied(env, cmd, name, res.Position)
			return s.commit(st, p, res, false), nil
		}
		if !errors.Is(err, domain.ErrConcurrency) {
			st.agg = nil // state unknown after a failed append: reload
			return Result{}, fmt.Errorf("append %s: %w", name, err)
		}
		lastErr = err
		// Another writer moved the stream: catch up and decide again.
	}
	return Result{}, fmt.Errorf("%s: gave up after %d concurrent changes: %w", cmd.AgreementNumber(), s.retries+1, lastErr)
}

// append writes one prepared command: with the store's append guard when
// it has one (see index.go), else with a plain append.
func (s *Service) append(ctx context.Context, p *prepared, cs []claimed) (domain.AppendResult, error) {
	if !s.store.Offers().Guards {
		return s.store.Append(ctx, p.name, p.expected, p.data)
	}
	outs, err := s.store.AppendGuarded(ctx, []domain.AppendRequest{{Stream: p.name, Expected: p.expected, Events: p.data}}, s.guard(cs))
	if err != nil {
		return domain.AppendResult{}, err
	}
	return outs[0].Result, outs[0].Err
}

// View is Handler.View.
func (s *Service) View(ctx context.Context, number string, fn func(*domain.Agreement) error) error {
	name := domain.StreamFor(number)
	st := s.stream(name)
	st.mu.Lock()
	defer s.evictIfFull()
	defer st.mu.Unlock()
	defer s.account(st)
	if err := s.catchUp(ctx, name, st); err != nil {
		return err
	}
	if !st.agg.Registered() {
		return &domain.Error{Code: domain.ENotFound, Field: "agreement", Message: fmt.Sprintf("agreement %q is not registered", number), Err: domain.ErrNotFound}
	}
	return fn(st.agg)
}
