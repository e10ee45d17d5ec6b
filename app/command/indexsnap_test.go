package command_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// readCounter counts the events ReadAll returns: the index reads the
// ledger through ReadAll, agreement states through ReadStream.
type readCounter struct {
	*sqlite.Store
	read atomic.Int64
}

func (c *readCounter) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	evs, err := c.Store.ReadAll(ctx, from, max)
	c.read.Add(int64(len(evs)))
	return evs, err
}

// batchApply applies envs in batches of 500 (one commit each), as apply does.
func batchApply(t *testing.T, svc *command.Service, envs []domain.Envelope) {
	t.Helper()
	for len(envs) > 0 {
		n := min(500, len(envs))
		for i, r := range commandtest.HandleBatch(context.Background(), svc, envs[:n]) {
			if r.Err != nil {
				t.Fatalf("command %d (%s): %v", i, envs[i].Type, r.Err)
			}
		}
		envs = envs[n:]
	}
}

func openSQLite(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// indexLedger writes a ledger of agreements AG-0..AG-{n-1}, three
// spendings each, and the agreements of TestCommandIDIsUsedOnceInTheLedger
// and TestLookAlikeNumbersRefusedLegacyOnesLoad (AG-1 holding a spending
// with command id used, KNVOC-2022-2025 registered). It returns used.
func indexLedger(t *testing.T, svc *command.Service, n int) uuid.UUID {
	t.Helper()
	var envs []domain.Envelope
	for i := range n {
		envs = append(envs, regEnv(uuid.New(), fmt.Sprintf("AG-%d", i)))
	}
	batchApply(t, svc, envs)
	envs = envs[:0]
	for i := range n {
		for range 3 {
			envs = append(envs, spendEnv(uuid.New(), fmt.Sprintf("AG-%d", i), "1.00"))
		}
	}
	used := uuid.New()
	envs = append(envs, spendEnv(used, "AG-1", "100.00"), regEnv(uuid.New(), "KNVOC-2022-2025"))
	batchApply(t, svc, envs)
	return used
}

// Issue 17 item 3: one command in a new process read and decoded every
// event of the ledger to build the command-id index. With the index saved,
// a new process reads only the events written after the snapshot.
func TestOneCommandAfterSavedIndexReadsOnlyWhatCameAfter(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	first := openSQLite(t, path)
	svc := command.New(first, command.Options{Clock: fixedClock})
	indexLedger(t, svc, 300)
	if err := svc.SaveIndex(ctx); err != nil {
		t.Fatal(err)
	}
	atSnapshot := eventsIn(t, first)
	if atSnapshot < 1000 {
		t.Fatalf("%d events: too few for SaveIndex to save", atSnapshot)
	}
	// Another process writes five commands after the snapshot, without saving it.
	other := command.New(openSQLite(t, path), command.Options{Clock: fixedClock})
	for i := range 5 {
		if _, err := commandtest.Handle(ctx, other, spendEnv(uuid.New(), fmt.Sprintf("AG-%d", 10+i), "2.00")); err != nil {
			t.Fatal(err)
		}
	}
	after := eventsIn(t, first) - atSnapshot

	c := &readCounter{Store: openSQLite(t, path)}
	one := command.New(c, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	if _, err := commandtest.Handle(ctx, one, spendEnv(uuid.New(), "AG-7", "3.00")); err != nil {
		t.Fatal(err)
	}
	if got := c.read.Load(); got > int64(after) {
		t.Fatalf("one command read %d events of the ledger; %d were written after the saved index (of %d)", got, after, atSnapshot+after)
	}
	// ... and writes no index of its own: SaveIndex waits for 1 000 events.
	if err := one.SaveIndex(ctx); err != nil {
		t.Fatal(err)
	}
	if pos, _, _, err := c.LoadSnapshot(ctx, command.IndexSnapshotName); err != nil || pos.Commit != uint64(atSnapshot) {
		t.Fatalf("after one command the index snapshot is at %s (%v), want it still at event %d", pos, err, atSnapshot)
	}

	// The same without a saved index reads the whole ledger (the defect).
	bare := filepath.Join(t.TempDir(), "bare.db")
	indexLedger(t, command.New(openSQLite(t, bare), command.Options{Clock: fixedClock}), 300)
	cb := &readCounter{Store: openSQLite(t, bare)}
	if _, err := commandtest.Handle(ctx, command.New(cb, command.Options{Clock: fixedClock}), spendEnv(uuid.New(), "AG-7", "3.00")); err != nil {
		t.Fatal(err)
	}
	if got := cb.read.Load(); got < int64(atSnapshot) {
		t.Fatalf("without a saved index one command read %d events, want all %d (is the decorator seeing the reads?)", got, atSnapshot)
	}
}

// checkRules asks a service the questions of TestCommandIDIsUsedOnceInTheLedger
// and TestLookAlikeNumbersRefusedLegacyOnesLoad: a command id used on AG-1
// is refused on AG-2 and answered as a duplicate on AG-1; a look-alike of
// KNVOC-2022-2025 is refused; and likewise for an id used after (late).
func checkRules(t *testing.T, svc *command.Service, used, late uuid.UUID) {
	t.Helper()
	ctx := context.Background()
	_, err := commandtest.Handle(ctx, svc, spendEnv(used, "AG-2", "100.00"))
	wantCode(t, err, domain.EConflict, "command_id", `"AG-1"`)
	res, err := commandtest.Handle(ctx, svc, spendEnv(used, "AG-1", "100.00"))
	if err != nil || !res.Duplicate {
		t.Fatalf("retry on the same agreement: %+v, %v; want a duplicate", res, err)
	}
	_, err = commandtest.Handle(ctx, svc, spendEnv(late, "AG-4", "5.00"))
	wantCode(t, err, domain.EConflict, "command_id", `"AG-3"`)
	for _, n := range []string{"knvoc-2022-2025", "KNV0C-2022-2025", "\u039aNVOC-2022-2025"} {
		_, err := commandtest.Handle(ctx, svc, regEnv(uuid.New(), n))
		wantCode(t, err, domain.EDuplicate, "agreement", "too like the registered")
	}
	_, err = commandtest.Handle(ctx, svc, regEnv(uuid.New(), "kvnoc-late-2"))
	wantCode(t, err, domain.EDuplicate, "agreement", `"KVNOC-LATE-2"`)
}

// The index loaded from its snapshot and caught up with the events after
// it answers as the index folded from every event does.
func TestIndexFromSnapshotAnswersAsFromTheEvents(t *testing.T) {
	ctx := context.Background()
	for _, saved := range []bool{true, false} {
		t.Run(fmt.Sprintf("saved=%v", saved), func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "l.db")
			svc := command.New(openSQLite(t, path), command.Options{Clock: fixedClock})
			used := indexLedger(t, svc, 20)
			if saved {
				if err := svc.SaveIndexNow(ctx); err != nil {
					t.Fatal(err)
				}
			}
			late := uuid.New()
			mustApply(t, svc, []domain.Envelope{spendEnv(late, "AG-3", "4.00"), regEnv(uuid.New(), "KVNOC-LATE-2")})
			c := &readCounter{Store: openSQLite(t, path)}
			fresh := command.New(c, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
			checkRules(t, fresh, used, late)
			if total := int64(eventsIn(t, c.Store)); saved && c.read.Load() > 10 || !saved && c.read.Load() < total-10 {
				t.Fatalf("saved=%v: the index read %d events of %d", saved, c.read.Load(), total)
			}
		})
	}
}

// A snapshot that is damaged, of another version, or not of this log (a
// position past its end; a ledger truncated or replaced since) is ignored
// with a one-line warning, and the index is rebuilt from the events.
func TestBadIndexSnapshotsIgnored(t *testing.T) {
	ctx := context.Background()
	type snap struct {
		pos  domain.Position
		blob []byte
	}
	for name, spoil := range map[string]func(t *testing.T, s snap, store *sqlite.Store) snap{
		"damaged": func(_ *testing.T, s snap, _ *sqlite.Store) snap {
			s.blob[len(s.blob)-40] ^= 1
			return s
		},
		"cut short": func(_ *testing.T, s snap, _ *sqlite.Store) snap {
			s.blob = s.blob[:len(s.blob)/2]
			return s
		},
		"another version": func(_ *testing.T, s snap, _ *sqlite.Store) snap {
			s.blob[len("GLINDEX\n")] = 9
			return s
		},
		"not an index": func(_ *testing.T, s snap, _ *sqlite.Store) snap {
			s.blob = []byte("GLTREE1\nsomething else entirely, of another program or version")
			return s
		},
		"position past the end": func(_ *testing.T, s snap, _ *sqlite.Store) snap {
			s.pos = domain.Position{Commit: s.pos.Commit + 500, Prepare: s.pos.Prepare + 500}
			h := len("GLINDEX\n") + 1
			binary.BigEndian.PutUint64(s.blob[h:], s.pos.Commit)
			binary.BigEndian.PutUint64(s.blob[h+40:], s.pos.Commit)
			binary.BigEndian.PutUint64(s.blob[h+48:], s.pos.Prepare)
			return s
		},
		"another ledger's": func(t *testing.T, s snap, _ *sqlite.Store) snap {
			// The snapshot of a longer ledger with other events, copied in.
			o := openSQLite(t, filepath.Join(t.TempDir(), "other.db"))
			osvc := command.New(o, command.Options{Clock: fixedClock})
			indexLedger(t, osvc, 25)
			if err := osvc.SaveIndexNow(context.Background()); err != nil {
				t.Fatal(err)
			}
			pos, blob, ok, err := o.LoadSnapshot(context.Background(), command.IndexSnapshotName)
			if err != nil || !ok {
				t.Fatalf("other ledger's snapshot: %v %v", ok, err)
			}
			return snap{pos, blob}
		},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "l.db")
			store := openSQLite(t, path)
			svc := command.New(store, command.Options{Clock: fixedClock})
			used := indexLedger(t, svc, 20)
			if err := svc.SaveIndexNow(ctx); err != nil {
				t.Fatal(err)
			}
			late := uuid.New()
			mustApply(t, svc, []domain.Envelope{spendEnv(late, "AG-3", "4.00"), regEnv(uuid.New(), "KVNOC-LATE-2")})
			pos, blob, ok, err := store.LoadSnapshot(ctx, command.IndexSnapshotName)
			if err != nil || !ok {
				t.Fatalf("no index snapshot saved: %v %v", ok, err)
			}
			s := spoil(t, snap{pos, blob}, store)
			if err := store.SaveSnapshot(ctx, command.IndexSnapshotName, s.pos, s.blob); err != nil {
				t.Fatal(err)
			}
			c := &readCounter{Store: openSQLite(t, path)}
			var warnings []string
			fresh := command.New(c, command.Options{Clock: fixedClock, Warn: func(m string) { warnings = append(warnings, m) }})
			checkRules(t, fresh, used, late)
			if len(warnings) != 1 || strings.Contains(warnings[0], "\n") || !strings.Contains(warnings[0], "ignored and rebuilt") {
				t.Fatalf("warnings %q, want one line saying the snapshot was ignored", warnings)
			}
			if total := int64(eventsIn(t, c.Store)); c.read.Load() < total-10 {
				t.Fatalf("the index read %d events of %d: it was not rebuilt from the events", c.read.Load(), total)
			}
		})
	}
}

// The index is a rule-keeper, not a proof (docs/PROOFS.md): someone who
// can write the file and knows the code can forge an index snapshot with
// this log's own size and root that forgets a command id. A command that
// reuses the id on another agreement then gets in, and Lint (what
// `grantledger verify` lists) reports it.
func TestForgedIndexSnapshotLetsAReuseInWhichLintReports(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	store := openSQLite(t, path)
	svc := command.New(store, command.Options{Clock: fixedClock})
	mustApply(t, svc, []domain.Envelope{regEnv(uuid.New(), "AG-1"), regEnv(uuid.New(), "AG-2")})
	if err := svc.SaveIndexNow(ctx); err != nil {
		t.Fatal(err)
	}
	// The index before the id was used: its body is what the forger keeps.
	_, before, _, err := store.LoadSnapshot(ctx, command.IndexSnapshotName)
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	if _, err := commandtest.Handle(ctx, svc, spendEnv(id, "AG-1", "100.00")); err != nil {
		t.Fatal(err)
	}
	// The forger writes today's size, root and position in its header.
	n, err := store.TreeSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := merkle.Root(ctx, store, n)
	if err != nil {
		t.Fatal(err)
	}
	pos := domain.Position{Commit: uint64(n), Prepare: uint64(n)}
	h := len("GLINDEX\n") + 1
	forged := append([]byte(nil), before...)
	binary.BigEndian.PutUint64(forged[h:], uint64(n))
	copy(forged[h+8:], root[:])
	binary.BigEndian.PutUint64(forged[h+40:], pos.Commit)
	binary.BigEndian.PutUint64(forged[h+48:], pos.Prepare)
	if err := store.SaveSnapshot(ctx, command.IndexSnapshotName, pos, forged); err != nil {
		t.Fatal(err)
	}
	fresh := command.New(openSQLite(t, path), command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	if _, err := commandtest.Handle(ctx, fresh, spendEnv(id, "AG-2", "100.00")); err != nil {
		t.Fatalf("the forged index was refused (%v): then this attack needs another test", err)
	}
	findings, err := command.Lint(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Code != "command_id_reused" || findings[0].CommandID != id.String() {
		t.Fatalf("Lint found %+v, want the command id %s reused on AG-1 and AG-2", findings, id)
	}
}

// A long-running process (serve) saves the index by itself once it has
// folded IndexSaveEvery events since the last save, between commands.
func TestIndexSavedEveryNEvents(t *testing.T) {
	ctx := context.Background()
	store := openSQLite(t, filepath.Join(t.TempDir(), "l.db"))
	svc := command.New(store, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	var envs []domain.Envelope
	for i := range command.IndexSaveEvery + 100 {
		envs = append(envs, regEnv(uuid.New(), fmt.Sprintf("N-%d", i)))
	}
	batchApply(t, svc, envs[:command.IndexSaveEvery-100])
	if _, _, ok, err := store.LoadSnapshot(ctx, command.IndexSnapshotName); err != nil || ok {
		t.Fatalf("index saved after %d events (%v, %v), want it saved only past %d", command.IndexSaveEvery-100, ok, err, command.IndexSaveEvery)
	}
	batchApply(t, svc, envs[command.IndexSaveEvery-100:])
	if _, err := commandtest.Handle(ctx, svc, spendEnv(uuid.New(), "N-3", "1.00")); err != nil {
		t.Fatal(err)
	}
	pos, _, ok, err := store.LoadSnapshot(ctx, command.IndexSnapshotName)
	if err != nil || !ok || pos.Commit < command.IndexSaveEvery {
		t.Fatalf("no index saved past %d events: at %s (%v, %v)", command.IndexSaveEvery, pos, ok, err)
	}
}
