// Package groupcommit is the server's group committer: an event store
// decorator that makes concurrent appends share one durable commit. It
// passes the store contract (internal/testsupport/storetest) like the stores it wraps,
// and sits beside them; grantledger serve and load put it in front of the
// store (-group-commit).
package groupcommit

import (
	"context"
	"errors"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// Store is an event store decorator that makes concurrent appends
// share durable commits: appends that arrive while a commit is running are
// queued and written together by the next one, through the inner store's
// domain.BatchAppender (one transaction, one fsync), each still atomic and
// checked against its own expected revision. Append returns only after the
// commit that holds its events is durable, so an acknowledgement built on it
// is never lost. Reads go straight to the inner store.
type Store struct {
	// Inner is the store wrapped.
	Inner    port.Store
	batch    bool // Inner offers batches; else appends are written one by one
	guards   bool // Inner checks guards
	maxBatch int
	timeout  time.Duration

	queue     chan *pendingAppend
	reqs      []domain.AppendRequest // the committer's, reused from commit to commit
	done      chan struct{}
	closeOnce sync.Once
	stopped   chan struct{}
}

type pendingAppend struct {
	req   domain.AppendRequest
	guard *domain.AppendGuard // nil for a plain Append
	out   chan domain.AppendOutcome
}

var _ port.Store = (*Store)(nil)

// New wraps store. maxBatch bounds the appends of one commit
// (default 256).
func New(store port.Store, maxBatch int) *Store {
	if maxBatch <= 0 {
		maxBatch = 256
	}
	g := &Store{Inner: store, maxBatch: maxBatch, timeout: 30 * time.Second,
		queue: make(chan *pendingAppend, maxBatch), done: make(chan struct{}), stopped: make(chan struct{})}
	o := store.Offers()
	g.batch, g.guards = o.Batch, o.Guards
	go g.run()
	return g
}

var errGroupClosed = domain.Errorf(domain.EUnavailable, "the store is closing; nothing was written")

// Append queues the append for the next commit and waits for it. Once
// queued, it waits for the outcome even if ctx ends, because the events
// may be written.
func (g *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	return g.enqueue(ctx, domain.AppendRequest{Stream: stream, Expected: expected, Events: events}, nil)
}

func (g *Store) enqueue(ctx context.Context, req domain.AppendRequest, guard *domain.AppendGuard) (domain.AppendResult, error) {
	p := pendingPool.Get().(*pendingAppend)
	p.req, p.guard = req, guard
	select {
	case g.queue <- p:
	case <-ctx.Done():
		p.req = domain.AppendRequest{}
		pendingPool.Put(p)
		return domain.AppendResult{}, ctx.Err()
	case <-g.done:
		p.req = domain.AppendRequest{}
		pendingPool.Put(p)
		return domain.AppendResult{}, errGroupClosed
	}
	o := <-p.out
	// The committer sends exactly one outcome and then forgets p, so p
	// (and its channel, empty again) can serve the next append.
	p.req, p.guard = domain.AppendRequest{}, nil
	pendingPool.Put(p)
	return o.Result, o.Err
}

// AppendGuarded implements domain.GuardedAppender. One request joins the
// next group commit with its guard: the commit checks every guard of the
// group inside the inner store's transaction, and when one refuses, the
// refused appends get their refusal and the others are committed without
// them. A batch goes to the inner store as it is. An inner store that
// checks guards without a lock (EventStoreDB, GuardsUnderLock false) gets
// every guarded append as it is. When the inner store checks no guards,
// the guard is checked on the events read before the append, which is as
// good as the reader's view and no better.
func (g *Store) AppendGuarded(ctx context.Context, reqs []domain.AppendRequest, guard domain.AppendGuard) ([]domain.AppendOutcome, error) {
	if g.guards && !g.Inner.GuardsUnderLock() {
		// A store that keeps the ledger-wide rules its own way, without a
		// write lock to check guards under (EventStoreDB's reservation
		// streams): it gains nothing from a shared commit, so the
		// append goes to it as it is.
		return g.Inner.AppendGuarded(ctx, reqs, guard)
	}
	if !g.guards {
		if err := checkUnlocked(ctx, g.Inner, guard); err != nil {
			return nil, err
		}
		return g.AppendBatch(ctx, reqs)
	}
	if len(reqs) != 1 {
		return g.Inner.AppendGuarded(ctx, reqs, guard)
	}
	r, err := g.enqueue(ctx, reqs[0], &guard)
	if errors.Is(err, domain.ErrGuardRefused) {
		return nil, err
	}
	return []domain.AppendOutcome{{Result: r, Err: err}}, nil
}

// GuardsUnderLock implements domain.LockedGuards: guards are checked
// under the write lock exactly when the inner store does so.
func (g *Store) GuardsUnderLock() bool { return g.guards && g.Inner.GuardsUnderLock() }

// KeepsLedgerRules implements domain.RulesKeeper for the store it wraps.
func (g *Store) KeepsLedgerRules() bool { return g.Inner.KeepsLedgerRules() }

// checkUnlocked runs a guard on the events read now, for a store that
// cannot run it under its write lock.
func checkUnlocked(ctx context.Context, store domain.EventStore, guard domain.AppendGuard) error {
	if guard.Check == nil {
		return nil
	}
	var newer []domain.RecordedEvent
	for from := guard.After; ; {
		evs, err := store.ReadAll(ctx, from, 4096)
		if err != nil {
			return err
		}
		newer = append(newer, evs...)
		if len(evs) < 4096 {
			break
		}
		from = evs[len(evs)-1].Position
	}
	return guard.Check(newer)
}

// pendingPool recycles pending appends and their outcome channels: one
// allocation less per command on the hot path.
var pendingPool = sync.Pool{New: func() any { return &pendingAppend{out: make(chan domain.AppendOutcome, 1)} }}

// AppendBatch implements domain.BatchAppender by passing the batch on (or
// appending one by one when the inner store cannot batch).
func (g *Store) AppendBatch(ctx context.Context, reqs []domain.AppendRequest) ([]domain.AppendOutcome, error) {
	if g.batch {
		return g.Inner.AppendBatch(ctx, reqs)
	}
	out := make([]domain.AppendOutcome, len(reqs))
	failed := map[string]bool{}
	for i, r := range reqs {
		if failed[r.Stream] {
			// See domain.BatchAppender: a later append to a stream whose
			// earlier append failed is refused, not tried.
			out[i].Err = &domain.ConcurrencyError{Stream: r.Stream, Expected: r.Expected, Actual: g.lastRevision(ctx, r.Stream), AfterFailed: true}
			continue
		}
		out[i].Result, out[i].Err = g.Inner.Append(ctx, r.Stream, r.Expected, r.Events)
		if out[i].Err != nil || out[i].Result.Existing {
			failed[r.Stream] = true
		}
	}
	return out, nil
}

// lastRevision returns the stream's last revision, -1 when it has no
// events or cannot be read (the answer is only informative).
func (g *Store) lastRevision(ctx context.Context, stream string) int64 {
	evs, err := g.Inner.ReadStream(ctx, stream, math.MaxUint64, domain.Backwards, 1)
	if err != nil || len(evs) == 0 {
		return -1
	}
	return int64(evs[0].Revision)
}

func (g *Store) run() {
	defer close(g.stopped)
	batch := make([]*pendingAppend, 0, g.maxBatch)
	for {
		var first *pendingAppend
		select {
		case first = <-g.queue:
		case <-g.done:
			// Closing: fail what is still queued, write nothing more.
			for {
				select {
				case p := <-g.queue:
					p.out <- domain.AppendOutcome{Err: errGroupClosed}
				default:
					return
				}
			}
		}
		batch = g.gather(append(batch[:0], first))
		g.commit(batch)
	}
}

// gatherYields is how many times the committer lets the other goroutines
// run before it closes a batch. Under load, handlers that are about to
// append get a core and join this commit instead of the next one: batches
// grow from about 5 to about 14 appends with 64 clients on 2 cores, and
// the fixed cost of a commit (BEGIN, COMMIT, fsync) is shared by more
// commands. With nothing else runnable, runtime.Gosched returns at once,
// so a lone command waits for no timer.
const gatherYields = 4

// gather adds to batch what is queued, yielding the processor between
// rounds, up to maxBatch appends.
func (g *Store) gather(batch []*pendingAppend) []*pendingAppend {
	for round := 0; ; round++ {
	fill:
		for len(batch) < g.maxBatch {
			select {
			case p := <-g.queue:
				batch = append(batch, p)
			default:
				break fill
			}
		}
		if round == gatherYields || len(batch) == g.maxBatch {
			return batch
		}
		runtime.Gosched()
	}
}

func (g *Store) commit(batch []*pendingAppend) {
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	guarded := false
	for _, p := range batch {
		guarded = guarded || p.guard != nil
	}
	if guarded && g.guards {
		g.commitGuarded(ctx, batch)
		return
	}
	if len(batch) == 1 || !g.batch {
		for _, p := range batch {
			r, err := g.Inner.Append(ctx, p.req.Stream, p.req.Expected, p.req.Events)
			p.out <- domain.AppendOutcome{Result: r, Err: err}
		}
		return
	}
	reqs := g.reqs[:0]
	for _, p := range batch {
		reqs = append(reqs, p.req)
	}
	outs, err := g.Inner.AppendBatch(ctx, reqs)
	clear(reqs) // keep no events alive until the next commit
	g.reqs = reqs[:0]
	for i, p := range batch {
		switch {
		case err != nil:
			p.out <- domain.AppendOutcome{Err: err}
		case i < len(outs):
			p.out <- outs[i]
		default:
			p.out <- domain.AppendOutcome{Err: errors.New("group commit: the store answered fewer outcomes than requests")}
		}
	}
}

// commitGuarded commits a group some of whose appends carry guards, in one
// transaction of the inner store: the group's guard shows each append's
// guard the events after its own position. When guards refuse, nothing is
// written; the refused appends get their refusal and the rest are
// committed again without them.
func (g *Store) commitGuarded(ctx context.Context, batch []*pendingAppend) {
	for len(batch) > 0 {
		var after domain.Position
		first := true
		for _, p := range batch {
			if p.guard != nil && (first || p.guard.After.Less(after)) {
				after, first = p.guard.After, false
			}
		}
		refused := make([]error, len(batch))
		combined := domain.AppendGuard{After: after, Check: func(newer []domain.RecordedEvent) error {
			any := false
			for i, p := range batch {
				if p.guard == nil || p.guard.Check == nil {
					continue
				}
				k := 0
				for k < len(newer) && !p.guard.After.Less(newer[k].Position) {
					k++
				}
				if err := p.guard.Check(newer[k:]); err != nil {
					refused[i], any = err, true
				}
			}
			if any {
				return domain.ErrGuardRefused
			}
			return nil
		}}
		reqs := make([]domain.AppendRequest, len(batch))
		for i, p := range batch {
			reqs[i] = p.req
		}
		outs, err := g.Inner.AppendGuarded(ctx, reqs, combined)
		if err != nil && errors.Is(err, domain.ErrGuardRefused) {
			var rest []*pendingAppend
			for i, p := range batch {
				if refused[i] != nil {
					p.out <- domain.AppendOutcome{Err: refused[i]}
				} else {
					rest = append(rest, p)
				}
			}
			if len(rest) == len(batch) {
				// Refused, yet no guard said so: fail them all.
				for _, p := range batch {
					p.out <- domain.AppendOutcome{Err: err}
				}
				return
			}
			batch = rest
			continue
		}
		for i, p := range batch {
			switch {
			case err != nil:
				p.out <- domain.AppendOutcome{Err: err}
			case i < len(outs):
				p.out <- outs[i]
			default:
				p.out <- domain.AppendOutcome{Err: errors.New("group commit: the store answered fewer outcomes than requests")}
			}
		}
		return
	}
}

// Close stops the committer after the commit in progress and closes the
// inner store. Appends still queued fail with EUnavailable and write nothing.
func (g *Store) Close() error {
	g.closeOnce.Do(func() { close(g.done) })
	<-g.stopped
	return g.Inner.Close()
}

// Offers implements port.Store: batches and guards always (appended one
// by one, or checked on the events read first, when the wrapped store
// cannot); snapshots as the wrapped store keeps them; no lent memory (the
// server's read paths take the store itself).
func (g *Store) Offers() domain.Offers {
	o := g.Inner.Offers()
	return domain.Offers{Batch: true, Guards: true, Snapshots: o.Snapshots, LendsSnapshots: o.LendsSnapshots, SnapshotBatches: o.SnapshotBatches}
}

// Reads, the Merkle log and the other answers go straight to the wrapped
// store.

// ReadStream implements domain.EventStore.
func (g *Store) ReadStream(ctx context.Context, stream string, from uint64, dir domain.Direction, max int) ([]domain.RecordedEvent, error) {
	return g.Inner.ReadStream(ctx, stream, from, dir, max)
}

// ReadAll implements domain.EventStore.
func (g *Store) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	return g.Inner.ReadAll(ctx, from, max)
}

// Subscribe implements domain.EventStore.
func (g *Store) Subscribe(ctx context.Context, from domain.Position, streamPrefix string) (domain.Subscription, error) {
	return g.Inner.Subscribe(ctx, from, streamPrefix)
}

// TreeSize implements merkle.Log.
func (g *Store) TreeSize(ctx context.Context) (int64, error) { return g.Inner.TreeSize(ctx) }

// ReadTreeHashes implements merkle.Log.
func (g *Store) ReadTreeHashes(ctx context.Context, indexes []int64) ([]merkle.Hash, error) {
	return g.Inner.ReadTreeHashes(ctx, indexes)
}

// TreeSizeAt implements merkle.Positioner.
func (g *Store) TreeSizeAt(ctx context.Context, position domain.Position) (int64, error) {
	return g.Inner.TreeSizeAt(ctx, position)
}

// LeafPosition implements merkle.Positioner.
func (g *Store) LeafPosition(ctx context.Context, i int64) (domain.Position, error) {
	return g.Inner.LeafPosition(ctx, i)
}

// Sealed implements merkle.Sealer.
func (g *Store) Sealed(ctx context.Context) (int64, error) { return g.Inner.Sealed(ctx) }

// LeafIndex implements merkle.Indexer.
func (g *Store) LeafIndex(ctx context.Context, id [16]byte) (int64, error) {
	return g.Inner.LeafIndex(ctx, id)
}

const name = "the group committer"

// ReadTreeRange is not offered through the group committer.
func (g *Store) ReadTreeRange(context.Context, int64, func(int64, merkle.Hash) bool) error {
	return domain.NotOffered(name, "ReadTreeRange")
}

// ReadTreeRows is not offered through the group committer.
func (g *Store) ReadTreeRows(context.Context, int64, int64, func(int64, []byte) error) error {
	return domain.NotOffered(name, "ReadTreeRows")
}

// Snapshots go straight to the wrapped store, when it keeps them: a save
// is not an append, and the wrapped store orders it with the commits (the
// command-id index of serve is saved in blocks through here, issue 17).

// SaveSnapshot implements port.Snapshots.
func (g *Store) SaveSnapshot(ctx context.Context, snap string, pos domain.Position, blob []byte) error {
	if !g.Inner.Offers().Snapshots {
		return domain.NotOffered(name, "SaveSnapshot")
	}
	return g.Inner.SaveSnapshot(ctx, snap, pos, blob)
}

// SaveSnapshots implements port.Snapshots.
func (g *Store) SaveSnapshots(ctx context.Context, batch []port.NamedSnapshot) error {
	if !g.Inner.Offers().SnapshotBatches {
		return domain.NotOffered(name, "SaveSnapshots")
	}
	return g.Inner.SaveSnapshots(ctx, batch)
}

// LoadSnapshot implements port.Snapshots.
func (g *Store) LoadSnapshot(ctx context.Context, snap string) (domain.Position, []byte, bool, error) {
	if !g.Inner.Offers().Snapshots {
		return domain.Position{}, nil, false, domain.NotOffered(name, "LoadSnapshot")
	}
	return g.Inner.LoadSnapshot(ctx, snap)
}

// ReadSnapshot implements port.Snapshots.
func (g *Store) ReadSnapshot(ctx context.Context, snap string, fn func(domain.Position, []byte) error) (bool, error) {
	if !g.Inner.Offers().LendsSnapshots {
		return false, domain.NotOffered(name, "ReadSnapshot")
	}
	return g.Inner.ReadSnapshot(ctx, snap, fn)
}

// ReadOnlyReason is the wrapped store's.
func (g *Store) ReadOnlyReason() string { return g.Inner.ReadOnlyReason() }

// ReadOnlyError is the wrapped store's.
func (g *Store) ReadOnlyError() error { return g.Inner.ReadOnlyError() }

// ReadAllInto is not offered through the group committer.
func (g *Store) ReadAllInto(_ context.Context, _ domain.Position, _ int, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error) {
	return evs, buf, domain.NotOffered(name, "ReadAllInto")
}

// MaxAppendBytes is the wrapped store's.
func (g *Store) MaxAppendBytes() int { return g.Inner.MaxAppendBytes() }

// Backup is not offered through the group committer.
func (g *Store) Backup(context.Context, string) error { return domain.NotOffered(name, "Backup") }
