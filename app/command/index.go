package command

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// The ledger-wide index keeps two rules that span agreements, which no
// agreement's own state can keep:
//
//   - a command id is used on one agreement only: the same id on another
//     agreement is a conflict, whatever its content (the same id, same
//     agreement and same content is a retry, answered as a duplicate by the
//     agreement's own state);
//   - a new agreement number may not be one people could take for a
//     registered one (domain.NumberKeys: case and look-alike letters).
//
// The index is built from the store's global log (ReadAll) and kept up to
// date from it. Within this process, commands in flight reserve their
// command id and number keys, so two of them cannot both pass. Against
// other processes the index is checked again by the store itself when it
// can (domain.GuardedAppender: the embedded store, inside its write
// transaction, which holds SQLite's lock for every process): the append
// sees every event written after the index and is refused, writing
// nothing, when one of them breaks a rule. EventStoreDB has no such lock
// (GuardsUnderLock false): the store keeps the rules across processes with
// reservation streams the server creates once (adapters/esdb/reserve.go,
// domain.RulesKeeper), and the index, read once at the first command for
// what was written before reservations existed, only answers early. A store
// with neither leaves a window of one round trip in which two processes
// can both pass; `grantledger verify` lists what got through (Lint).
type ledgerIndex struct {
	mu      sync.Mutex
	built   bool
	pos     domain.Position
	cmds    cmdIndex               // command id -> stream number, of the commands folded since the saved index (cmdindex.go)
	frozen  *cmdIndex              // while a save runs: what cmds held when it began, until the save is installed
	more    map[uuid.UUID][]string // command id -> further streams (ledgers from before the rule)
	streams []string               // the stream names cmds and the saved blocks refer to
	ids     map[string]uint32      // stream name -> its index in streams; nil until needed after a load (streamNumber)
	scans   int                    // streams searched for without ids
	numbers map[string]string      // stream -> agreement number (nums)
	numsRaw []numEntry             // the saved agreement numbers, put in numbers when first needed
	keys    map[string]string      // number key -> first number registered with it (when keysOK; else those registered since the saved index)
	keysOK  bool                   // keys holds every key (else the saved ones are in the snapshot keysRef names)
	keysRef *blockRef              // the saved number keys, a snapshot of their own (indexblocks.go)
	pendCmd map[uuid.UUID]string   // command id -> stream, of commands in flight here
	pendKey map[string]string      // number key -> number, of registrations in flight here

	// The command ids up to the saved index's position, in blocks in the
	// store (indexblocks.go), read on demand.
	runs       [2][]blockRef      // the saved index's directories of blocks: the base run, and the newer, smaller one
	gen        uint64             // changes whenever runs are replaced
	cache      blockCache         // the last blocks read
	pins       map[uuid.UUID]*pin // what the blocks say of the ids of commands in flight
	fp         []uint32           // the fingerprints of every id in the blocks, sorted, when fpOK
	fpOK       bool
	blockReads int   // blocks read for lookups
	blockBytes int64 // bytes of ids read from blocks (for tests and docs)

	// The saved snapshot (indexsnap.go): loaded once, at the first command.
	loaded bool
	saved  domain.Position // position of the snapshot last loaded or saved
	since  int64           // events folded and commands applied since then
	saving bool
}

func newLedgerIndex() *ledgerIndex {
	return &ledgerIndex{more: map[uuid.UUID][]string{}, ids: map[string]uint32{},
		numbers: map[string]string{}, keys: map[string]string{},
		pendCmd: map[uuid.UUID]string{}, pendKey: map[string]string{}, pins: map[uuid.UUID]*pin{}, keysOK: true, fpOK: true}
}

// fold adds one recorded event to the index, once: events at or before
// the index's position are skipped. Only agreement streams count.
func (x *ledgerIndex) fold(e domain.RecordedEvent) {
	if !x.pos.Less(e.Position) {
		return
	}
	x.pos = e.Position
	x.since++
	if !strings.HasPrefix(e.Stream, domain.StreamPrefix) {
		return
	}
	var m struct {
		CommandID uuid.UUID `json:"command_id"`
	}
	if json.Unmarshal(e.Metadata, &m) == nil && m.CommandID != uuid.Nil {
		x.use(m.CommandID, e.Stream)
	}
	if e.Type == "AgreementRegistered" {
		var r struct {
			Number string `json:"agreement"`
		}
		if json.Unmarshal(e.Data, &r) == nil {
			x.register(e.Stream, r.Number)
		}
	}
}

// use records that command id was used on stream, in the in-memory part
// (the ids folded since the saved index). It reads no block: an id that
// a block holds on another stream is told apart when looked up (conflict)
// and when saved (its stream goes to more). The in-memory part is small:
// at most 24 bytes a command (cmdindex.go), and only for the commands
// folded since the last save.
func (x *ledgerIndex) use(id uuid.UUID, stream string) {
	first, ok := x.recentStream(id)
	if !ok {
		n, ok := x.streamNumber(stream)
		if !ok {
			n = x.addStream(strings.Clone(stream))
		}
		x.cmds.put(id, n)
		return
	}
	if first == stream {
		return
	}
	if !slices.Contains(x.more[id], stream) {
		x.more[id] = append(x.more[id], stream)
	}
}

// recentStream returns the stream of id in the in-memory part.
func (x *ledgerIndex) recentStream(id uuid.UUID) (string, bool) {
	if n, ok := x.cmds.get(id); ok {
		return x.streams[n], true
	}
	if x.frozen != nil {
		if n, ok := x.frozen.get(id); ok {
			return x.streams[n], true
		}
	}
	return "", false
}

// savedStreams returns the streams the saved blocks give id (of the base
// run and the newer one; "" for none), from its pin (resolve) or the
// blocks already in memory. x.mu is held.
func (x *ledgerIndex) savedStreams(id uuid.UUID) ([2]string, error) {
	if p, ok := x.pins[id]; ok {
		return p.streams, nil
	}
	p, need := x.pinFromMemory(id)
	if need == [2]int{-1, -1} {
		return p.streams, nil
	}
	return p.streams, &domain.Error{Code: domain.EInternal, Field: "command_id",
		Message: fmt.Sprintf("command id %s was not looked up in the saved command-id index before it was checked; it was not applied", id)}
}

func (x *ledgerIndex) register(stream, number string) {
	if _, ok := x.nums()[stream]; !ok {
		x.numbers[stream] = number
	}
	for _, k := range domain.NumberKeys(number) {
		if _, ok := x.keys[k]; !ok {
			x.keys[k] = number
		}
	}
}

// catchUp folds the events after the index's position. The store is read
// without x.mu held, so that commands do not queue behind one another's
// reads; folding is idempotent (events at or before the position are
// skipped), so concurrent catch-ups agree.
func (x *ledgerIndex) catchUp(ctx context.Context, store domain.EventStore) error {
	for {
		x.mu.Lock()
		from := x.pos
		x.mu.Unlock()
		evs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return fmt.Errorf("read the ledger to index command ids and agreement numbers: %w", err)
		}
		x.mu.Lock()
		for _, e := range evs {
			x.fold(e)
		}
		if len(evs) < 4096 {
			x.built = true
			x.mu.Unlock()
			return nil
		}
		x.mu.Unlock()
	}
}

// numberOf names a stream's agreement for messages.
func (x *ledgerIndex) numberOf(stream string) string {
	if n, ok := x.nums()[stream]; ok {
		return fmt.Sprintf("%q", n)
	}
	return stream
}

// conflict checks env/cmd against the index and the commands in flight.
// x.mu is held.
func (x *ledgerIndex) conflict(env domain.Envelope, cmd domain.Command, stream string) error {
	saved, err := x.savedStreams(env.CommandID)
	if err != nil {
		return err
	}
	recent, _ := x.recentStream(env.CommandID)
	first := saved[0] // the oldest first: base run, newer run, in memory
	if first == "" {
		first = saved[1]
	}
	if first == "" {
		first = recent
	}
	if first != "" && stream != saved[0] && stream != saved[1] && stream != recent && !slices.Contains(x.more[env.CommandID], stream) {
		return &domain.Error{Code: domain.EConflict, Field: "command_id",
			Message: fmt.Sprintf("command id %s was already used on agreement %s; a command id is used once in the whole ledger, so this %s on %q was not applied; use a new id", env.CommandID, x.numberOf(first), env.Type, cmd.AgreementNumber())}
	}
	if p, ok := x.pendCmd[env.CommandID]; ok && p != stream {
		return &domain.Error{Code: domain.EConflict, Field: "command_id",
			Message: fmt.Sprintf("command id %s is being applied to agreement %s at this moment; a command id is used once in the whole ledger, so this %s on %q was not applied; use a new id", env.CommandID, x.numberOf(p), env.Type, cmd.AgreementNumber())}
	}
	if reg, ok := cmd.(domain.RegisterAgreement); ok {
		for _, k := range domain.NumberKeys(reg.Agreement) {
			if n, ok := x.keys[k]; ok && n != reg.Agreement {
				return domain.NumberTakenError(reg.Agreement, n)
			}
			if n, ok := x.pendKey[k]; ok && n != reg.Agreement {
				return domain.NumberTakenError(reg.Agreement, n)
			}
		}
	}
	return nil
}

// claim checks a command against the ledger-wide rules and reserves its
// command id (and number keys) while it is in flight. The caller must call
// the returned release when the command is applied or refused.
func (s *Service) claim(ctx context.Context, env domain.Envelope, cmd domain.Command, stream string) (func(), error) {
	x := s.index
	x.mu.Lock()
	built := x.built
	load := !x.loaded
	x.loaded = true
	if load {
		// The first command loads the saved index, if the store keeps one
		// bound to this log, and folds only the events after it (issue 17:
		// a one-command process used to read the whole ledger here).
		x.loadSnapshot(ctx, s.store, s.warnf)
	}
	x.mu.Unlock()
	if !built || !(s.guarded() || s.store.KeepsLedgerRules()) {
		if err := x.catchUp(ctx, s.store); err != nil {
			return nil, err
		}
	}
	s.maybeSaveIndex(ctx)
	x.maybeFilter(ctx, s.store, s.warnf)
	if _, isReg := cmd.(domain.RegisterAgreement); isReg {
		if err := x.loadKeys(ctx, s.store, s.warnf); err != nil {
			return nil, err
		}
	}
	if err := x.resolve(ctx, s.store, env.CommandID, s.warnf); err != nil {
		return nil, err
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err := x.conflict(env, cmd, stream); err != nil {
		x.unpin(env.CommandID)
		return nil, err
	}
	var mine []string
	reg, isReg := cmd.(domain.RegisterAgreement)
	if isReg {
		for _, k := range domain.NumberKeys(reg.Agreement) {
			if _, ok := x.pendKey[k]; !ok {
				x.pendKey[k] = reg.Agreement
				mine = append(mine, k)
			}
		}
	}
	ownCmd := false
	if _, ok := x.pendCmd[env.CommandID]; !ok {
		x.pendCmd[env.CommandID] = stream
		ownCmd = true
	}
	return func() {
		x.mu.Lock()
		defer x.mu.Unlock()
		for _, k := range mine {
			delete(x.pendKey, k)
		}
		if ownCmd {
			delete(x.pendCmd, env.CommandID)
		}
		x.unpin(env.CommandID)
	}, nil
}

// applied records a command the store accepted, whose last event is at
// pos. After a guarded append the index is complete up to pos (the guard
// folded every event before the append's, and the store wrote the
// append's events together under its lock), so the next guard need not
// read them back.
func (s *Service) applied(env domain.Envelope, cmd domain.Command, stream string, pos domain.Position) {
	x := s.index
	x.mu.Lock()
	defer x.mu.Unlock()
	x.use(env.CommandID, stream)
	x.since++
	if reg, ok := cmd.(domain.RegisterAgreement); ok {
		x.register(stream, reg.Agreement)
	}
	if s.guarded() && x.pos.Less(pos) {
		x.pos = pos
	}
}

// guarded reports whether the store checks append guards under its write
// lock (see domain.LockedGuards); otherwise the index is caught up
// before every command.
func (s *Service) guarded() bool { return s.store.Offers().Guards && s.store.GuardsUnderLock() }

// claimed is one command of an append, for its guard.
type claimed struct {
	env    domain.Envelope
	cmd    domain.Command
	stream string
}

// guard builds the append guard for commands: the store passes it the
// events written after the index (by any process); they are folded into
// the index and, when one of them makes a command break a ledger-wide
// rule, the append is refused and nothing is written.
func (s *Service) guard(cs []claimed) domain.AppendGuard {
	x := s.index
	x.mu.Lock()
	after := x.pos
	x.mu.Unlock()
	return domain.AppendGuard{After: after, Check: func(newer []domain.RecordedEvent) error {
		x.mu.Lock()
		defer x.mu.Unlock()
		for _, e := range newer {
			x.fold(e)
		}
		for _, c := range cs {
			if err := x.conflictCommitted(c); err != nil {
				return fmt.Errorf("%w: %w", domain.ErrGuardRefused, err)
			}
		}
		return nil
	}}
}

// conflictCommitted is conflict against committed events only, not
// against the commands in flight in this process: those are the guarded
// commands themselves (claim let no two of them hold one id or key).
func (x *ledgerIndex) conflictCommitted(c claimed) error {
	pendCmd, pendKey := x.pendCmd, x.pendKey
	x.pendCmd, x.pendKey = nil, nil
	defer func() { x.pendCmd, x.pendKey = pendCmd, pendKey }()
	return x.conflict(c.env, c.cmd, c.stream)
}

// numEntry is a saved agreement number with its stream's number.
type numEntry struct {
	stream uint32
	number string
}

// nums returns numbers with the saved ones in it: a process that records
// a spending never asks, and does not build the map of every agreement.
func (x *ledgerIndex) nums() map[string]string {
	if x.numsRaw != nil {
		for _, e := range x.numsRaw {
			if _, ok := x.numbers[x.streams[e.stream]]; !ok {
				x.numbers[x.streams[e.stream]] = e.number
			}
		}
		x.numsRaw = nil
	}
	return x.numbers
}

// streamNumber returns the number of stream in streams. After a load the
// map of names is built only at the 5th search: a process that applies
// a command or two searches the names instead (about 0.1 ms each at
// 10 000 agreements, against about a millisecond for the map).
func (x *ledgerIndex) streamNumber(stream string) (uint32, bool) {
	if x.ids == nil {
		if x.scans++; x.scans <= 4 {
			for i, s := range x.streams {
				if s == stream {
					return uint32(i), true
				}
			}
			return 0, false
		}
		x.ids = make(map[string]uint32, len(x.streams))
		for i, s := range x.streams {
			if _, ok := x.ids[s]; !ok {
				x.ids[s] = uint32(i)
			}
		}
	}
	n, ok := x.ids[stream]
	return n, ok
}

// addStream adds a stream name to the table and returns its number.
func (x *ledgerIndex) addStream(stream string) uint32 {
	n := uint32(len(x.streams))
	x.streams = append(x.streams, stream)
	if x.ids != nil {
		x.ids[stream] = n
	}
	return n
}
