package wiring

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/metrics"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// heldSaves is an embedded store whose snapshot saves wait until release
// is closed: a save as slow as the merge of a large index's blocks.
type heldSaves struct {
	*sqlite.Store
	release chan struct{}
	started chan struct{} // closed at the first save
	once    sync.Once
}

func (h *heldSaves) SaveSnapshot(ctx context.Context, name string, pos domain.Position, blob []byte) error {
	h.once.Do(func() { close(h.started) })
	<-h.release
	return h.Store.SaveSnapshot(ctx, name, pos, blob)
}

func (h *heldSaves) SaveSnapshots(ctx context.Context, batch []port.NamedSnapshot) error {
	h.once.Do(func() { close(h.started) })
	<-h.release
	return h.Store.SaveSnapshots(ctx, batch)
}

// The 10-minute serve run (docs/PERFORMANCE.md, issue 17) had 6 commands
// of 379 200 time out after 30 s: the command that found the command-id
// index due for a save made the save itself, and a save that merges the
// newer run into the base run rewrites every block (hundreds of
// snapshot writes at a million commands). In serve the save runs beside
// the commands: a command never waits for it, and Close waits for it to
// end before closing the store.
func TestServerCommandsDoNotWaitForTheIndexSave(t *testing.T) {
	ctx := context.Background()
	raw, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	held := &heldSaves{Store: raw, release: make(chan struct{}), started: make(chan struct{})}
	m := New(Config{Store: held, Metrics: metrics.New(), GroupCommit: 8})
	y1, y1e := domain.MustDate("2024-01-01"), domain.MustDate("2024-12-31")
	// 16 writers on agreements of their own, so that commits are shared
	// as in serve.
	const writers = 16
	for w := range writers {
		reg := domain.NewEnvelope(uuid.New(), "officer", "", domain.RegisterAgreement{Ref: domain.Ref{Agreement: fmt.Sprintf("AG-%d", w)}, Kind: domain.KindGrant,
			Title: "T", Grantee: "NGO", Funder: fmt.Sprintf("Ministry %d", w), Period: domain.Period{From: y1, To: y1e},
			Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}, Lines: []domain.LineSpec{{Line: "a", Name: "A"}}})
		if _, err := commandtest.Handle(ctx, m.Measured, reg); err != nil {
			t.Fatal(err)
		}
	}
	total := command.IndexSaveEvery + 200
	done := make(chan error, 1)
	go func() {
		done <- commandtest.HandleConcurrently(ctx, m.Measured, writers, total, func(i int) domain.Envelope {
			return domain.NewEnvelope(uuid.New(), "accountant", "", domain.RecordSpending{Ref: domain.Ref{Agreement: fmt.Sprintf("AG-%d", i%writers)}, Line: "a", Year: 1,
				Amount: domain.MustMoney("1.00"), Date: domain.MustDate("2024-03-01"), Document: "inv"})
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute): // a deadlock guard, not a timing: the save is held until the commands are done
		close(held.release)
		t.Fatalf("the commands did not finish while the index save was held: a command waits for the save")
	}
	select {
	case <-held.started:
	default:
		t.Fatalf("%d commands and no index save was started", total+writers)
	}
	close(held.release)
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	// Close waited for the save: the index snapshot is in the file.
	again, err := sqlite.Open(raw.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if _, _, ok, err := again.LoadSnapshot(ctx, command.IndexSnapshotName); err != nil || !ok {
		t.Fatalf("no index snapshot after Close (found %v, error %v): Close did not wait for the save", ok, err)
	}
}
