package readmodel_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// fakeSnapshots keeps one snapshot per name in memory, position and blob
// together, like the embedded store's table.
type fakeSnapshots struct {
	mu    sync.Mutex
	saved map[string]snap
	saves int
}

// Offers: snapshots, copied.
func (f *fakeSnapshots) Offers() domain.Offers { return domain.Offers{Snapshots: true} }

// ReadSnapshot is not offered (Offers).
func (f *fakeSnapshots) ReadSnapshot(context.Context, string, func(domain.Position, []byte) error) (bool, error) {
	return false, domain.NotOffered("fakeSnapshots", "ReadSnapshot")
}

// ReadOnlyReason is "": it can always be written.
func (f *fakeSnapshots) ReadOnlyReason() string { return "" }

type snap struct {
	pos  domain.Position
	blob []byte
}

func (f *fakeSnapshots) SaveSnapshot(_ context.Context, name string, pos domain.Position, blob []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.saved == nil {
		f.saved = map[string]snap{}
	}
	f.saved[name] = snap{pos, append([]byte(nil), blob...)}
	f.saves++
	return nil
}

// SaveSnapshots is not offered (Offers).
func (f *fakeSnapshots) SaveSnapshots(context.Context, []port.NamedSnapshot) error {
	return domain.NotOffered("fakeSnapshots", "SaveSnapshots")
}

func (f *fakeSnapshots) LoadSnapshot(_ context.Context, name string) (domain.Position, []byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.saved[name]
	return s.pos, s.blob, ok, nil
}

// crashingStore fails every ReadAll after the first n, like a process that
// dies part-way through a rebuild.
type crashingStore struct {
	port.Store
	mu    sync.Mutex
	reads int
	n     int
}

var errCrash = errors.New("simulated crash")

// The crashing store passes the Merkle log of the store it wraps through,
// as a process reading the same file would see it, and offers nothing
// optional: every read goes through ReadAll.
func (c *crashingStore) Offers() domain.Offers { return domain.Offers{} }

func (c *crashingStore) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	c.mu.Lock()
	c.reads++
	crash := c.reads > c.n
	c.mu.Unlock()
	if crash {
		return nil, errCrash
	}
	return c.Store.ReadAll(ctx, from, max)
}

func randomStore(t testing.TB, seed uint64, agreements, commands int) (*memstore.Store, *command.Service) {
	t.Helper()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
	if n := projtest.Random(context.Background(), svc, rand.New(rand.NewPCG(seed, 7)), agreements, commands); n < commands/4 {
		t.Fatalf("only %d of %d random commands accepted: the generator is too weak", n, commands)
	}
	return store, svc
}

func TestRebuildEqualsIncremental(t *testing.T) {
	ctx := context.Background()
	for seed := uint64(1); seed <= 5; seed++ {
		t.Run("seed "+string(rune('0'+seed)), func(t *testing.T) {
			store := memstore.New()
			svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
			inc := readmodel.New(store, readmodel.Options{BatchSize: 1 + int(seed)*7})
			rng := rand.New(rand.NewPCG(seed, 3))
			// Incremental: catch up after every small burst of commands.
			for burst := 0; burst < 20; burst++ {
				projtest.Random(ctx, svc, rng, 1+rng.IntN(2), 10+rng.IntN(30))
				if _, err := inc.CatchUp(ctx); err != nil {
					t.Fatal(err)
				}
			}
			full, err := readmodel.Open(ctx, store, readmodel.Options{})
			if err != nil {
				t.Fatal(err)
			}
			var a, b string
			inc.View(func(l *projections.Ledger) error { a = projtest.Canonical(l); return nil })
			full.View(func(l *projections.Ledger) error { b = projtest.Canonical(l); return nil })
			if a != b {
				t.Fatalf("incremental and rebuilt read models differ:\n inc %.400s\nfull %.400s", a, b)
			}
			// And a read model restored from its snapshot gives the same.
			snaps := &fakeSnapshots{}
			if _, err := readmodel.Open(ctx, store, readmodel.Options{Snapshots: snaps}); err != nil {
				t.Fatal(err)
			}
			restored, err := readmodel.Open(ctx, store, readmodel.Options{Snapshots: snaps})
			if err != nil {
				t.Fatal(err)
			}
			if !restored.Restored() {
				t.Fatal("second Open did not restore the snapshot")
			}
			var c string
			restored.View(func(l *projections.Ledger) error { c = projtest.Canonical(l); return nil })
			if c != b {
				t.Fatalf("restored read model differs from the rebuilt one:\n got %.400s\nwant %.400s", c, b)
			}
		})
	}
}

func TestCrashResumeAppliesEveryEventOnce(t *testing.T) {
	ctx := context.Background()
	store, _ := randomStore(t, 11, 6, 800)
	all, _ := store.ReadAll(ctx, domain.Position{}, 0)
	snaps := &fakeSnapshots{}

	crashing := &crashingStore{Store: store, n: 9}
	first := readmodel.New(crashing, readmodel.Options{Snapshots: snaps, SnapshotEvery: 100, BatchSize: 25})
	if _, err := first.CatchUp(ctx); !errors.Is(err, errCrash) {
		t.Fatalf("first run error = %v, want the simulated crash", err)
	}
	saved, _, ok, _ := snaps.LoadSnapshot(ctx, readmodel.DefaultSnapshotName)
	if !ok || saved.IsZero() || saved.Commit >= uint64(len(all)) {
		t.Fatalf("snapshot before the crash at %v (ok %v), want part-way through %d events", saved, ok, len(all))
	}

	seen := map[uuid.UUID]int{}
	second := readmodel.New(store, readmodel.Options{Snapshots: snaps, SnapshotEvery: 100, BatchSize: 25,
		OnApply: func(e projections.Event) { seen[e.ID]++ }})
	if err := second.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if got := second.Checkpoint(); got != saved {
		t.Fatalf("resumed at %v, want the snapshot's %v", got, saved)
	}
	if _, err := second.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	for _, e := range all {
		want := 0
		if saved.Less(e.Position) {
			want = 1
		}
		if seen[e.ID] != want {
			t.Fatalf("event at %v applied %d times after resuming from %v, want %d", e.Position, seen[e.ID], saved, want)
		}
	}
	var applied, audit int
	var got, want string
	second.View(func(l *projections.Ledger) error {
		applied, audit, got = l.Applied(), len(l.AuditRows()), projtest.Canonical(l)
		return nil
	})
	if audit != len(all) || applied != len(all) {
		t.Errorf("read model holds %d audit rows and %d applied events, want %d each", audit, applied, len(all))
	}
	fresh, _ := projtest.Fold(ctx, store, time.Time{})
	want = projtest.Canonical(fresh)
	if got != want {
		t.Error("resumed read model differs from one rebuilt from scratch")
	}
}

func TestFollow(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	store := memstore.New()
	clock := projtest.NewClock(time.Date(2022, 7, 15, 9, 0, 0, 0, time.UTC))
	svc := command.New(store, command.Options{Clock: clock.Now})
	r := readmodel.New(store, readmodel.Options{})
	total := make(chan domain.Position, 1000)
	done := make(chan error, 1)
	fctx, stop := context.WithCancel(ctx)
	go func() { done <- r.Follow(fctx, func(p domain.Position) { total <- p }) }()
	if err := projtest.RecordSeed004(ctx, svc, clock); err != nil {
		t.Fatal(err)
	}
	all, _ := store.ReadAll(ctx, domain.Position{}, 0)
	last := all[len(all)-1].Position
	for p := range total {
		if p == last {
			break
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Follow returned %v after cancel, want nil", err)
	}
	var actual domain.Money
	r.View(func(l *projections.Ledger) error {
		rep, err := l.YearReport(projtest.Seed004, 1, domain.MustDate("2025-01-01"))
		actual = rep.Total.Actual
		return err
	})
	if actual != domain.MustMoney("47786.53") {
		t.Errorf("followed year-1 actual = %s, want 47786.53", actual)
	}
}

func TestSQLiteSnapshot(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	store, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	clock := projtest.NewClock(time.Date(2022, 7, 15, 9, 0, 0, 0, time.UTC))
	if err := projtest.RecordSeed004(ctx, command.New(store, command.Options{Clock: clock.Now}), clock); err != nil {
		t.Fatal(err)
	}
	r, err := readmodel.Open(ctx, store, readmodel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Restored() {
		t.Error("first open restored a snapshot, want a rebuild")
	}
	want := r.Checkpoint()
	store.Close()

	store, err = sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	n := 0
	r2, err := readmodel.Open(ctx, store, readmodel.Options{OnApply: func(projections.Event) { n++ }})
	if err != nil {
		t.Fatal(err)
	}
	if !r2.Restored() || r2.Checkpoint() != want || n != 0 {
		t.Errorf("reopen: restored %v at %v after applying %d events, want restored at %v after 0", r2.Restored(), r2.Checkpoint(), n, want)
	}
}

func TestVerifyChains(t *testing.T) {
	ctx := context.Background()
	store, _ := randomStore(t, 5, 3, 100)
	v, err := readmodel.VerifyChains(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if !v.OK || v.Streams != 3 || len(v.Breaks) != 0 {
		t.Errorf("clean store: %+v, want ok over 3 streams", v)
	}
	// A tampered copy: one spending's amount edited in the stored bytes.
	all, _ := store.ReadAll(ctx, domain.Position{}, 0)
	tampered := &editedStore{EventStore: store, at: all[len(all)/2].Position}
	v, _ = readmodel.VerifyChains(ctx, tampered)
	if v.OK || len(v.Breaks) != 1 || v.Breaks[0].Position != tampered.at {
		t.Errorf("tampered store: %+v, want one break at %v", v, tampered.at)
	}
}

type editedStore struct {
	domain.EventStore
	at domain.Position
}

func (s *editedStore) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	evs, err := s.EventStore.ReadAll(ctx, from, max)
	for i := range evs {
		if evs[i].Position == s.at {
			d := append([]byte(nil), evs[i].Data...)
			d[len(d)/2] ^= 1
			evs[i].Data = d
		}
	}
	return evs, err
}

// TestRebuildLentPages rebuilds on the embedded store, which lends the
// runner reused pages (sqlite.Store.ReadAllInto), with pages small enough
// to be reused many times, and compares the read model with one folded from
// plain ReadAll pages: nothing the read model keeps may point into a page.
func TestRebuildLentPages(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
	if n := projtest.Random(ctx, svc, rand.New(rand.NewPCG(11, 7)), 4, 300); n < 75 {
		t.Fatalf("only %d of 300 random commands accepted: the generator is too weak", n)
	}
	want, err := projtest.Fold(ctx, store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 7, 4096} {
		t.Run(fmt.Sprintf("batch %d", size), func(t *testing.T) {
			r, err := readmodel.Open(ctx, store, readmodel.Options{NoSnapshots: true, BatchSize: size})
			if err != nil {
				t.Fatal(err)
			}
			var got string
			r.View(func(l *projections.Ledger) error { got = projtest.Canonical(l); return nil })
			if w := projtest.Canonical(want); got != w {
				t.Fatalf("read model rebuilt from lent pages differs:\n got %.400s\nwant %.400s", got, w)
			}
		})
	}
}

// lendingSnapshots lends its blob to ReadSnapshot's callback and scribbles
// over it when the callback returns, as a store that reuses its memory
// might: a restored read model must not point into it.
type lendingSnapshots struct {
	fakeSnapshots
	lent int
}

// Offers: snapshots, lent.
func (f *lendingSnapshots) Offers() domain.Offers {
	return domain.Offers{Snapshots: true, LendsSnapshots: true}
}

func (f *lendingSnapshots) ReadSnapshot(_ context.Context, name string, fn func(domain.Position, []byte) error) (bool, error) {
	f.mu.Lock()
	s, ok := f.saved[name]
	f.mu.Unlock()
	if !ok {
		return false, nil
	}
	buf := append([]byte(nil), s.blob...)
	err := fn(s.pos, buf)
	for i := range buf {
		buf[i] = 'X'
	}
	f.lent++
	return true, err
}

// TestRestoreFromLentSnapshot restores a read model from a blob that is
// lent only for the call and then overwritten, and checks every answer,
// the audit trail included, against a rebuild; then folds more events into
// the restored model, saves and restores it again.
func TestRestoreFromLentSnapshot(t *testing.T) {
	ctx := context.Background()
	store, svc := randomStore(t, 21, 4, 300)
	snaps := &lendingSnapshots{}
	if _, err := readmodel.Open(ctx, store, readmodel.Options{Snapshots: snaps}); err != nil {
		t.Fatal(err)
	}
	check := func(what string) {
		t.Helper()
		r, err := readmodel.Open(ctx, store, readmodel.Options{Snapshots: snaps})
		if err != nil {
			t.Fatal(err)
		}
		if !r.Restored() {
			t.Fatalf("%s: not restored from the snapshot", what)
		}
		want, err := projtest.Fold(ctx, store, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		var got string
		r.View(func(l *projections.Ledger) error { got = projtest.Canonical(l); return nil })
		if w := projtest.Canonical(want); got != w {
			t.Fatalf("%s: read model restored from a lent blob differs:\n got %.400s\nwant %.400s", what, got, w)
		}
	}
	check("first restore")
	projtest.Random(ctx, svc, rand.New(rand.NewPCG(22, 7)), 1, 80)
	check("restored, then caught up and saved") // Open folds the new events and saves
	check("restored from that save")
	if snaps.lent < 3 {
		t.Errorf("ReadSnapshot lent %d times, want at least 3: the runner did not use it", snaps.lent)
	}
}

// TestCatchUpSavesOnce: a long catch-up encodes the whole read model once,
// at its end (Options.SnapshotEvery's doc), not every SnapshotEvery events:
// each save encodes everything folded so far, so periodic saves made the
// first report after a large import cost the square of its size (issue 17).
// Where it stops early, it still keeps what it folded.
func TestCatchUpSavesOnce(t *testing.T) {
	ctx := context.Background()
	store, _ := randomStore(t, 12, 6, 800)
	all, _ := store.ReadAll(ctx, domain.Position{}, 0)
	snaps := &fakeSnapshots{}
	r := readmodel.New(store, readmodel.Options{Snapshots: snaps, SnapshotEvery: 50, BatchSize: 25})
	n, err := r.CatchUp(ctx)
	if err != nil || n != len(all) {
		t.Fatalf("CatchUp read %d of %d events: %v", n, len(all), err)
	}
	if snaps.saves != 1 {
		t.Errorf("catch-up over %d events with SnapshotEvery 50 saved %d times, want once", len(all), snaps.saves)
	}
	if pos, _, ok, _ := snaps.LoadSnapshot(ctx, readmodel.DefaultSnapshotName); !ok || pos != all[len(all)-1].Position {
		t.Errorf("snapshot at %v (ok %v), want the last event's %v", pos, ok, all[len(all)-1].Position)
	}

	// Cancelled part-way: what was folded is saved, at a position inside
	// the log, and a second runner resumes from it.
	snaps = &fakeSnapshots{}
	cctx, cancel := context.WithCancel(ctx)
	stopping := readmodel.New(store, readmodel.Options{Snapshots: snaps, BatchSize: 25,
		Progress: func(read int) {
			if read >= 200 {
				cancel()
			}
		}})
	if _, err := stopping.CatchUp(cctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled catch-up returned %v, want context.Canceled", err)
	}
	pos, _, ok, _ := snaps.LoadSnapshot(ctx, readmodel.DefaultSnapshotName)
	if !ok || pos.IsZero() || !pos.Less(all[len(all)-1].Position) {
		t.Fatalf("after cancelling: snapshot at %v (ok %v), want one part-way through", pos, ok)
	}
}
