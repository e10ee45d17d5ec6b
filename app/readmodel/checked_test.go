package readmodel_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// TestCatchUpCheckedSeesEveryEventOnceBeforeItIsFolded: the check of a
// checked catch-up is given every event the fold reads, once, in order,
// and before the fold applies it (on the embedded store, whose pages are
// lent and reused, so an event kept by the check or folded from a reused
// page would show); an error from the check stops the catch-up before the
// batch it refused is folded, and is returned as it is.
func TestCatchUpCheckedSeesEveryEventOnceBeforeItIsFolded(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	svc := command.New(store, command.Options{Clock: projtest.NewClock(time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)).Now})
	if n := projtest.Random(ctx, svc, rand.New(rand.NewPCG(5, 9)), 4, 300); n < 75 {
		t.Fatalf("only %d of 300 random commands accepted: the generator is too weak", n)
	}
	all, err := store.ReadAll(ctx, domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want, err := projtest.Fold(ctx, store, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range []int{1, 7, 4096} {
		t.Run(fmt.Sprintf("batch %d", size), func(t *testing.T) {
			var seen []merkle.Hash // appended by the check's goroutine only
			var checked atomic.Int64
			folded := int64(0)
			early := int64(0)
			r := readmodel.New(store, readmodel.Options{NoSnapshots: true, BatchSize: size,
				OnApply: func(projections.Event) {
					if folded++; folded > checked.Load() && early == 0 {
						early = folded
					}
				}})
			n, err := r.CatchUpChecked(ctx, func(evs []domain.RecordedEvent) error {
				for _, e := range evs {
					seen = append(seen, merkle.LeafHash(e))
				}
				checked.Add(int64(len(evs)))
				return nil
			})
			if early != 0 {
				t.Fatalf("event %d was folded before the check saw it", early)
			}
			if err != nil || n != len(all) || len(seen) != len(all) {
				t.Fatalf("folded %d, checked %d of %d events: %v", n, len(seen), len(all), err)
			}
			for i, e := range all {
				if seen[i] != merkle.LeafHash(e) {
					t.Fatalf("the check saw event %d as other bytes than the store holds", i+1)
				}
			}
			var got string
			r.View(func(l *projections.Ledger) error { got = projtest.Canonical(l); return nil })
			if w := projtest.Canonical(want); got != w {
				t.Fatalf("read model folded under the check differs:\n got %.400s\nwant %.400s", got, w)
			}
		})
	}

	// A refusal at the batch that holds event 50: nothing from that batch
	// on is folded.
	refuse := errors.New("refused")
	snaps := &fakeSnapshots{}
	r := readmodel.New(store, readmodel.Options{Snapshots: snaps, BatchSize: 20, NoSave: true})
	n, err := r.CatchUpChecked(ctx, func(evs []domain.RecordedEvent) error {
		for _, e := range evs {
			if e.Position == all[49].Position {
				return refuse
			}
		}
		return nil
	})
	if !errors.Is(err, refuse) || n != 40 || r.Checkpoint() != all[39].Position {
		t.Fatalf("refused at event 50 in batches of 20: folded %d up to %v (%v), want 40 up to %v", n, r.Checkpoint(), err, all[39].Position)
	}
	if snaps.saves != 0 {
		t.Fatalf("NoSave catch-up stopped by its check saved %d times", snaps.saves)
	}
}
