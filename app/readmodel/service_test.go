package readmodel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// countingStore counts the reads of the global order.
type countingStore struct {
	port.Store
	reads atomic.Int64
}

func (c *countingStore) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	c.reads.Add(1)
	return c.Store.ReadAll(ctx, from, max)
}

// Issue 13: the read-model service is one read model. Whatever report it
// is asked for, in whatever order, each event of the store is folded
// once, by the one live runner.
func TestServiceFoldsEachEventOnce(t *testing.T) {
	ctx := context.Background()
	store, _ := randomStore(t, 3, 4, 300)
	folds := map[[16]byte]int{}
	run := readmodel.New(store, readmodel.Options{NoSnapshots: true, OnApply: func(e projections.Event) { folds[e.ID]++ }})
	svc := readmodel.NewService(run, readmodel.ServiceOptions{Log: store})
	multi, err := svc.MultiYear(ctx, readmodel.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if len(multi.Report.Rows) == 0 {
		t.Fatal("the multi-year reconciliation of a random ledger has no rows")
	}
	number := multi.Report.Rows[0].Agreement
	if _, err := svc.CashReport(ctx, number, time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Audit(ctx, readmodel.AuditQuery{}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Ready(ctx); err != nil {
		t.Fatal(err)
	}
	all, err := store.ReadAll(ctx, domain.Position{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(folds) != len(all) {
		t.Errorf("%d distinct events folded, the store holds %d", len(folds), len(all))
	}
	for id, n := range folds {
		if n != 1 {
			t.Errorf("event %x folded %d times", id, n)
		}
	}
	// Every report names the log state it was computed from: the whole
	// log here (docs/PROOFS.md: size and root of the Merkle log).
	size, _ := store.TreeSize(ctx)
	root, _ := merkle.Root(ctx, store, size)
	if multi.State == nil || multi.State.Size != size || multi.State.Root != root {
		t.Errorf("state %+v, want size %d root %s", multi.State, size, root)
	}
}

// A report without a log state is the report's own JSON, byte for byte;
// with one, the same fields and then "checkpoint" (docs/SERVER.md).
func TestStatedJSON(t *testing.T) {
	rep := projections.Verification{OK: true, Streams: 2, Events: 5, Breaks: []projections.ChainBreak{}}
	own, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := json.Marshal(readmodel.Stated[projections.Verification]{Report: rep})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(bare, own) {
		t.Errorf("without a state:\n%s\nwant the report's own\n%s", bare, own)
	}
	st := readmodel.LogState{Size: 5}
	with, err := json.Marshal(readmodel.Stated[projections.Verification]{Report: rep, State: &st})
	if err != nil {
		t.Fatal(err)
	}
	want := string(own[:len(own)-1]) + `,"checkpoint":{"size":5,"root_hash":"` + st.Root.String() + `"}}`
	if string(with) != want {
		t.Errorf("with a state:\n%s\nwant\n%s", with, want)
	}
}

// A fixed service (the command line's: it caught up and checked the log
// itself) reads its runner as it stands, never the store, takes "today"
// from its clock, and refuses a query for a past moment.
func TestFixedServiceReadsAsItStands(t *testing.T) {
	ctx := context.Background()
	mem, _ := randomStore(t, 5, 3, 200)
	store := &countingStore{Store: mem}
	run := readmodel.New(store, readmodel.Options{NoSnapshots: true})
	if _, err := run.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	before := store.reads.Load()
	day := domain.NewDate(2022, time.March, 3)
	svc := readmodel.NewService(run, readmodel.ServiceOptions{Fixed: true, Clock: day.Time})
	if got := svc.Today(); got != day {
		t.Errorf("Today = %s, want the clock's %s", got, day)
	}
	ob, err := svc.Obligations(ctx, readmodel.Query{})
	if err != nil {
		t.Fatal(err)
	}
	if ob.Report.Today != day {
		t.Errorf("obligations judged on %s, want %s", ob.Report.Today, day)
	}
	if n := store.reads.Load() - before; n != 0 {
		t.Errorf("a fixed service read the store %d times", n)
	}
	if _, err := svc.YearReport(ctx, "X", 1, time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("a fixed service answered a query for a past moment")
	}
}

// Queries of a server run at once: each catches the one read model up
// and none folds an event twice (run with -race, as CI does for the
// concurrent writers).
func TestServiceConcurrentQueries(t *testing.T) {
	ctx := context.Background()
	store, _ := randomStore(t, 9, 3, 200)
	var folded atomic.Int64
	run := readmodel.New(store, readmodel.Options{NoSnapshots: true, BatchSize: 7, OnApply: func(projections.Event) { folded.Add(1) }})
	svc := readmodel.NewService(run, readmodel.ServiceOptions{})
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func() {
			_, err := svc.MultiYear(ctx, readmodel.Query{})
			errs <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	all, err := store.ReadAll(ctx, domain.Position{}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if n := folded.Load(); n != int64(len(all)) {
		t.Errorf("%d folds for %d events", n, len(all))
	}
}
