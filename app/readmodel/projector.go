// Package readmodel is the read side of the application: a Runner folds
// the read models of package projections from an event store (every event
// after its checkpoint, the global position of the last event applied),
// follows new events as they are appended, and, when the store can keep
// snapshots, saves the read model and its checkpoint together so that a
// new process resumes where the last one stopped instead of replaying
// everything. A Service is the one read model of a process over a Runner:
// typed report methods, the Merkle log state each report was computed
// from, and one clock; the HTTP API, the web pages and the command line
// read through it.
package readmodel

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/domain/flatjson"
	"github.com/grantledger/grantledger/projections"
	"github.com/grantledger/grantledger/projections/codec"
)

// SnapshotStore keeps a named blob with the position it was built up to,
// both written in one transaction (the embedded SQLite store does; its
// Offers say Snapshots). LoadSnapshot reports ok false, with no error,
// when nothing was saved under name. A store that can lend the stored
// blob for the time of a call instead of returning a copy
// (Offers.LendsSnapshots: sqlite.Store.ReadSnapshot) spares one copy of a
// blob of many megabytes; one that reads a page of the global order into
// memory the caller lends and reuses (Offers.LendsPages:
// sqlite.Store.ReadAllInto) spares the allocation of every event.
type SnapshotStore = port.Snapshots

// partsSaver is a snapshot store that takes a blob as parts stored back to
// back (sqlite.Store.SaveSnapshotParts).
type partsSaver interface {
	SaveSnapshotParts(ctx context.Context, name string, position domain.Position, parts ...[]byte) error
}

// DefaultSnapshotName is the name the read model is saved under.
const DefaultSnapshotName = "projections.ledger.v1"

// Options configure a Runner. The zero value works.
type Options struct {
	// AsOf limits the read model to events recorded at or before it. An
	// as-of read model is built from scratch and never saved.
	AsOf time.Time
	// Registry decodes events (default domain.NewEventRegistry()).
	Registry *domain.EventRegistry
	// Snapshots overrides where the read model is saved; by default the
	// event store itself when it implements SnapshotStore.
	Snapshots SnapshotStore
	// SnapshotName is the snapshot's name (default DefaultSnapshotName).
	SnapshotName string
	// SnapshotEvery saves the read model while Follow runs, after at least
	// this many newly applied events (default 100 000). CatchUp saves once,
	// at its end (or where it stopped early) when it applied anything: each
	// save encodes the whole read model, so saves every N events during a
	// long catch-up made its cost grow with the square of the ledger.
	SnapshotEvery int
	// BatchSize is how many events one ReadAll fetches (default 4096).
	BatchSize int
	// Progress, if set, is called after every batch with the number of
	// events read so far by this runner.
	Progress func(read int)
	// OnApply, if set, sees every event just before it is folded (tests
	// count with it).
	OnApply func(projections.Event)
	// NoSnapshots keeps the runner from loading or saving snapshots even
	// when the store offers them (a rebuild from the events alone).
	NoSnapshots bool
	// Decoder overrides the event decoder (default codec.NewDecoder over
	// Registry); benchmarks compare decoders with it.
	Decoder *codec.Decoder
	// NoSave loads snapshots but saves none on its own (not during or at
	// the end of CatchUp): the caller saves with SaveNow once it has
	// checked what was folded (the command line checks the Merkle log).
	NoSave bool
	// Warn, if set, is told why a snapshot was refused (it was not folded
	// from the store's Merkle log) before the read model is rebuilt.
	Warn func(msg string)
}

// Runner feeds one projections.Ledger from a store. Its methods are safe for
// concurrent use; View gives readers a consistent moment.
type Runner struct {
	store port.Store
	dec   *codec.Decoder
	opts  Options
	snaps SnapshotStore

	mu        sync.Mutex
	ledger    *projections.Ledger
	read      int
	sinceSave int
	restored  bool
	refused   string  // why the snapshot was refused, if it was
	snapTree  *treeAt // size and root of the restored snapshot's tree header
}

// SnapshotTree returns the Merkle tree size and root the restored
// snapshot was folded at (checked against the store's log when it was
// loaded); ok is false when the read model was not restored from a
// snapshot with such a header.
func (r *Runner) SnapshotTree() (size int64, root merkle.Hash, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.snapTree == nil || !r.restored {
		return 0, root, false
	}
	return r.snapTree.size, r.snapTree.root, true
}

// SnapshotRefused says why the saved snapshot was refused ("" if it was
// not): it was not folded from the store's Merkle log.
func (r *Runner) SnapshotRefused() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.refused
}

// New returns a runner with an empty read model. Call Load to resume from
// a snapshot, then CatchUp (Open does both).
func New(store port.Store, opts Options) *Runner {
	if opts.SnapshotName == "" {
		opts.SnapshotName = DefaultSnapshotName
	}
	if opts.SnapshotEvery <= 0 {
		opts.SnapshotEvery = 100_000
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 4096
	}
	dec := opts.Decoder
	if dec == nil {
		dec = codec.NewDecoder(opts.Registry)
	}
	r := &Runner{store: store, dec: dec, opts: opts, ledger: projections.NewLedger(opts.AsOf)}
	if opts.AsOf.IsZero() && !opts.NoSnapshots {
		r.snaps = opts.Snapshots
		if r.snaps == nil && store.Offers().Snapshots {
			r.snaps = store
		}
	}
	return r
}

// Open returns a runner whose read model is up to date with the store:
// restored from the latest snapshot when there is one, then caught up.
func Open(ctx context.Context, store port.Store, opts Options) (*Runner, error) {
	r := New(store, opts)
	if err := r.Load(ctx); err != nil {
		return nil, err
	}
	if _, err := r.CatchUp(ctx); err != nil {
		return nil, err
	}
	return r, nil
}

// Load restores the read model and its checkpoint from the snapshot store,
// if there is one and it holds a snapshot. A snapshot this program cannot
// read (an older format) is ignored and the read model is rebuilt.
func (r *Runner) Load(ctx context.Context) error {
	if r.snaps == nil {
		return nil
	}
	var l *projections.Ledger
	var refused string
	var terr error
	var tree *treeAt
	restore := func(pos domain.Position, blob []byte) bool {
		inner, problem, err := checkTree(ctx, r.store, pos, blob)
		if err != nil || problem != "" {
			refused, terr = problem, err
			return false
		}
		if len(inner) != len(blob) { // it had a tree header, checked
			var root merkle.Hash
			copy(root[:], blob[len(treeTag)+8:treeHeader])
			tree = &treeAt{size: int64(binary.BigEndian.Uint64(blob[len(treeTag):])), root: root}
		}
		// Restore copies what it keeps of blob.
		restored, err := codec.Restore(inner)
		if err != nil || restored.Position() != pos {
			return false
		}
		l = restored
		return true
	}
	var ok, good bool
	var err error
	if r.snaps.Offers().LendsSnapshots {
		ok, err = r.snaps.ReadSnapshot(ctx, r.opts.SnapshotName, func(pos domain.Position, blob []byte) error {
			good = restore(pos, blob)
			return nil
		})
	} else {
		var pos domain.Position
		var blob []byte
		pos, blob, ok, err = r.snaps.LoadSnapshot(ctx, r.opts.SnapshotName)
		good = ok && err == nil && restore(pos, blob)
	}
	if err == nil {
		err = terr
	}
	if err != nil {
		return fmt.Errorf("load read model: %w", err)
	}
	if refused != "" {
		r.mu.Lock()
		r.refused = fmt.Sprintf("snapshot %s refused: %s; the read model is rebuilt from the events", r.opts.SnapshotName, refused)
		r.mu.Unlock()
		if r.opts.Warn != nil {
			r.opts.Warn(r.refused)
		}
	}
	if !ok || !good {
		return nil // none, unreadable or inconsistent: rebuild from the events
	}
	r.mu.Lock()
	r.ledger, r.restored, r.snapTree = l, true, tree
	r.mu.Unlock()
	return nil
}

// Restored reports whether the read model came from a snapshot.
func (r *Runner) Restored() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.restored
}

// Checkpoint returns the global position of the last event applied.
func (r *Runner) Checkpoint() domain.Position {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ledger.Position()
}

// View calls fn with the read model while no event is being applied. fn
// must not keep the ledger or anything it returns beyond the call.
func (r *Runner) View(fn func(*projections.Ledger) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fn(r.ledger)
}

// apply folds a batch and reports how many events it applied.
func (r *Runner) apply(evs []domain.RecordedEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range evs {
		if !r.ledger.Position().Less(e.Position) {
			continue
		}
		pe, err := r.dec.Decode(e)
		if err != nil {
			return err
		}
		if r.opts.OnApply != nil {
			r.opts.OnApply(pe)
		}
		r.ledger.Apply(pe)
		r.read++
		r.sinceSave++
	}
	return nil
}

// CatchUp folds every event after the checkpoint and returns how many it
// read. The read model is saved once, at the end, or where CatchUp stopped
// when reading or folding failed or ctx was cancelled, so the work done is
// kept. A process killed during a catch-up starts the next one from the
// last snapshot (the events are the record; a snapshot only spares work).
//
// Reading and folding overlap: while one batch is decoded and folded, the
// next is already being read from the store, so a rebuild takes about as
// long as reading the events alone when there is a spare core.
func (r *Runner) CatchUp(ctx context.Context) (int, error) {
	return r.catchUp(ctx, nil)
}

// catchUpInline is CatchUp without the reading goroutine: it reads and
// folds page after page in the caller's goroutine. The read model of a
// server is caught up before every query, usually by a few events or
// none, where starting the pipeline costs more than it overlaps.
func (r *Runner) catchUpInline(ctx context.Context) (int, error) {
	start, _ := r.counts()
	var err error
	for {
		from := r.Checkpoint()
		var evs []domain.RecordedEvent
		if evs, err = r.store.ReadAll(ctx, from, r.opts.BatchSize); err != nil {
			err = fmt.Errorf("read events after %s: %w", from, err)
			break
		}
		if err = r.apply(evs); err != nil || len(evs) < r.opts.BatchSize {
			break
		}
		if r.opts.Progress != nil {
			read, _ := r.counts()
			r.opts.Progress(read)
		}
	}
	read, since := r.counts()
	if since > 0 {
		if saveErr := r.Save(context.WithoutCancel(ctx)); saveErr != nil {
			err = errors.Join(err, saveErr)
		}
	}
	return read - start, err
}

// counts returns how many events the runner read and how many it folded
// since the last save; queries of a server call catchUpInline at once.
func (r *Runner) counts() (read, sinceSave int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.read, r.sinceSave
}

// CatchUpChecked is CatchUp with every batch read given to check, in
// order, before it is folded: the command line checks the Merkle log with
// it (merkle.LeafCheck) as the events pass, instead of reading them a
// second time. check runs in a goroutine of its own, one batch ahead of
// the fold (the reader, the check and the fold overlap); it must not keep
// the events beyond its call. An error from check stops the catch-up
// before that batch is folded and is returned as it is.
func (r *Runner) CatchUpChecked(ctx context.Context, check func(evs []domain.RecordedEvent) error) (int, error) {
	return r.catchUp(ctx, check)
}

func (r *Runner) catchUp(ctx context.Context, check func([]domain.RecordedEvent) error) (int, error) {
	start := r.read
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type batch struct {
		evs []domain.RecordedEvent
		buf []byte
		err error
	}
	// Pages circulate between the reader and the folder: with a store that
	// reads into lent memory (pageReader), the folder hands every page back
	// once folded, so a rebuild reuses a few pages instead of allocating
	// the bytes of every event. Decoding copies what the read model keeps.
	const inFlight = 2
	pages := inFlight + 2
	if check != nil {
		pages += inFlight + 1 // the checker holds some too
	}
	batches := make(chan batch, inFlight)
	free := make(chan batch, pages)
	pr, lends := r.store, r.store.Offers().LendsPages
	if lends {
		for i := 0; i < pages; i++ {
			free <- batch{}
		}
	}
	from := r.Checkpoint()
	go func() {
		defer close(batches)
		for {
			var b batch
			if lends {
				select {
				case b = <-free:
				case <-ctx.Done():
					return
				}
				b.evs, b.buf, b.err = pr.ReadAllInto(ctx, from, r.opts.BatchSize, b.evs, b.buf)
			} else {
				b.evs, b.err = r.store.ReadAll(ctx, from, r.opts.BatchSize)
			}
			if b.err != nil {
				b.err = fmt.Errorf("read events after %s: %w", from, b.err)
			}
			last := b.err != nil || len(b.evs) == 0
			if !last {
				// Taken before the page is handed on: once folded, it
				// is cleared and lent again.
				from = b.evs[len(b.evs)-1].Position
			}
			select {
			case batches <- b:
			case <-ctx.Done():
				return
			}
			if last {
				return
			}
		}
	}()
	folds := batches
	if check != nil {
		// The check stage: hashes a batch while the one before is folded.
		checked := make(chan batch, inFlight)
		go func() {
			defer close(checked)
			for b := range batches {
				if b.err == nil && len(b.evs) > 0 {
					b.err = check(b.evs)
				}
				select {
				case checked <- b:
				case <-ctx.Done():
					return
				}
				if b.err != nil || len(b.evs) == 0 {
					return
				}
			}
		}()
		folds = checked
	}
	var err error
	for b := range folds {
		if b.err != nil {
			err = b.err
			break
		}
		if len(b.evs) == 0 {
			break
		}
		if err = r.apply(b.evs); err != nil {
			break
		}
		if lends {
			clear(b.evs) // drop the strings the page points to
			free <- batch{evs: b.evs[:0], buf: b.buf[:0]}
		}
		if r.opts.Progress != nil {
			r.opts.Progress(r.read)
		}
	}
	if err == nil {
		err = ctx.Err() // the reader stopped because ctx was cancelled
	}
	if r.sinceSave > 0 {
		// Keep what was folded, also after an error: the read model
		// holds every event up to its position and none after.
		if saveErr := r.Save(context.WithoutCancel(ctx)); saveErr != nil {
			err = errors.Join(err, saveErr)
		}
	}
	return r.read - start, err
}

// Save writes the read model with its checkpoint to the snapshot store in
// one call (one transaction in the embedded store). Without a snapshot
// store, or on one open read-only, it does nothing: a snapshot only spares
// the next reader work (the events are the record, and the next reader
// folds those after the last snapshot the store holds), so reports and
// verification work on a store that cannot be written, and the read model
// is not encoded for nothing.
func (r *Runner) Save(ctx context.Context) error {
	if r.opts.NoSave {
		return nil
	}
	return r.save(ctx)
}

// SaveNow saves the read model as Save does, even under NoSave, when
// anything was folded since it was loaded or last saved.
func (r *Runner) SaveNow(ctx context.Context) error {
	r.mu.Lock()
	since := r.sinceSave
	r.mu.Unlock()
	if since == 0 {
		return nil
	}
	return r.save(ctx)
}

func (r *Runner) save(ctx context.Context) error {
	if r.snaps == nil {
		return nil
	}
	if r.snaps.ReadOnlyReason() != "" { // open read-only (sqlite.Store)
		return nil
	}
	// The read model is encoded in parts with room for the tree header in
	// the first, and a store that takes parts (sqlite.Store) writes them
	// without their being put together: a large read model (100 MB at
	// 670 000 events) is not copied once more in fresh memory.
	ps, inParts := r.snaps.(partsSaver)
	r.mu.Lock()
	parts, err := codec.EncodeParts(r.ledger, treeHeader)
	pos := r.ledger.Position()
	r.mu.Unlock()
	if err != nil {
		return err
	}
	if err := bindTree(ctx, r.store, pos, parts[0]); err != nil {
		return fmt.Errorf("save read model at %s: %w", pos, err)
	}
	if inParts {
		err = ps.SaveSnapshotParts(ctx, r.opts.SnapshotName, pos, parts...)
	} else {
		err = r.snaps.SaveSnapshot(ctx, r.opts.SnapshotName, pos, bytes.Join(parts, nil))
	}
	if err != nil {
		return fmt.Errorf("save read model at %s: %w", pos, err)
	}
	r.mu.Lock()
	r.sinceSave = 0
	r.mu.Unlock()
	return nil
}

// Follow subscribes after the checkpoint and folds new events as they are
// appended until ctx is done, calling changed (if set) after each event.
// It saves the read model every SnapshotEvery events and when it stops.
func (r *Runner) Follow(ctx context.Context, changed func(domain.Position)) error {
	sub, err := r.store.Subscribe(ctx, r.Checkpoint(), "")
	if err != nil {
		return fmt.Errorf("follow events: %w", err)
	}
	defer sub.Close()
	for {
		e, err := sub.Next(ctx)
		if err != nil {
			saveErr := r.Save(context.WithoutCancel(ctx))
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				return saveErr
			}
			return errors.Join(fmt.Errorf("follow events: %w", err), saveErr)
		}
		if err := r.apply([]domain.RecordedEvent{e}); err != nil {
			return err
		}
		if changed != nil {
			changed(e.Position)
		}
		if r.sinceSave >= r.opts.SnapshotEvery {
			if err := r.Save(ctx); err != nil {
				return err
			}
		}
	}
}

// VerifyChains recomputes the hash chain of every stream (or only of the
// agreement streams listed, when streams is not empty) and returns the
// result: the first broken event of each broken stream.
func VerifyChains(ctx context.Context, store domain.EventStore, streams ...string) (projections.Verification, error) {
	want := map[string]bool{}
	for _, s := range streams {
		want[s] = true
	}
	ver := map[string]*domain.ChainVerifier{}
	broken := map[string]bool{}
	out := projections.Verification{Breaks: []projections.ChainBreak{}}
	var from domain.Position
	for {
		evs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return out, fmt.Errorf("verify: read after %s: %w", from, err)
		}
		if len(evs) == 0 {
			break
		}
		for _, e := range evs {
			from = e.Position
			if (len(want) > 0 && !want[e.Stream]) || broken[e.Stream] {
				continue
			}
			v := ver[e.Stream]
			if v == nil {
				v = &domain.ChainVerifier{Stream: e.Stream}
				ver[e.Stream] = v
			}
			out.Events++
			if _, err := v.CheckWith(e, flatjson.DecodeMetadata); err != nil {
				var te *domain.TamperError
				problem := err.Error()
				if errors.As(err, &te) {
					problem = te.Problem
				}
				broken[e.Stream] = true
				out.Breaks = append(out.Breaks, projections.ChainBreak{Stream: e.Stream, Revision: e.Revision, Position: e.Position, EventID: e.ID, Problem: problem})
			}
		}
	}
	out.Streams = len(ver)
	out.OK = len(out.Breaks) == 0
	return out, nil
}
