package command_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/groupcommit"
	"github.com/grantledger/grantledger/adapters/metrics"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// snapCounter counts what is read of the saved index: the blocks (and
// their bytes) and the index snapshot itself.
type snapCounter struct {
	readCounter
	mu     sync.Mutex
	blocks map[string]int
	bytes  int64
	head   int64
}

func newSnapCounter(s *sqlite.Store) *snapCounter {
	return &snapCounter{readCounter: readCounter{Store: s}, blocks: map[string]int{}}
}

func (c *snapCounter) ReadSnapshot(ctx context.Context, name string, fn func(domain.Position, []byte) error) (bool, error) {
	return c.Store.ReadSnapshot(ctx, name, func(p domain.Position, b []byte) error {
		c.mu.Lock()
		if strings.HasPrefix(name, command.IndexSnapshotName+"/") {
			c.blocks[name]++
			c.bytes += int64(len(b))
		} else if name == command.IndexSnapshotName {
			c.head += int64(len(b))
		}
		c.mu.Unlock()
		return fn(p, b)
	})
}

func (c *snapCounter) LoadSnapshot(ctx context.Context, name string) (domain.Position, []byte, bool, error) {
	var pos domain.Position
	var blob []byte
	ok, err := c.ReadSnapshot(ctx, name, func(p domain.Position, b []byte) error {
		pos, blob = p, append([]byte(nil), b...)
		return nil
	})
	return pos, blob, ok, err
}

func (c *snapCounter) blockReads() (n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range c.blocks {
		n += k
	}
	return n
}

// Issue 17 item 1: the saved command ids are in blocks read on demand.
// Over a random ledger, across saves (merges into the blocks) and new
// processes, every command's outcome is what a plain map of command id
// -> agreement says (the oracle of docs/RELIABILITY.md: a new id is
// applied; an id used on the same agreement is a retry, answered as a
// duplicate; on another agreement, a conflict).
func TestIndexBlocksAnswerLikeAMap(t *testing.T) {
	defer command.SetBlockIDs(16)()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	rng := rand.New(rand.NewPCG(17, 11))
	const agreements = 30
	warn := func(m string) { t.Errorf("warning: %s", m) }
	open := func() *command.Service {
		return command.New(openSQLite(t, path), command.Options{Clock: fixedClock, Warn: warn})
	}
	svc := open()
	var envs []domain.Envelope
	for i := range agreements {
		envs = append(envs, regEnv(uuid.New(), fmt.Sprintf("R-%d", i)))
	}
	mustApply(t, svc, envs)
	used := map[uuid.UUID]string{} // the oracle
	var order []uuid.UUID
	for _, e := range envs {
		used[e.CommandID] = numOf(t, e)
		order = append(order, e.CommandID)
	}
	saves := 0
	for round := range 40 {
		var batch []domain.Envelope
		for range 1 + rng.IntN(60) {
			num := fmt.Sprintf("R-%d", rng.IntN(agreements))
			id := uuid.New()
			if rng.IntN(4) == 0 {
				id = order[rng.IntN(len(order))]
			}
			batch = append(batch, spendEnv(id, num, "1.00"))
		}
		if rng.IntN(2) == 0 {
			// One by one.
			for _, e := range batch {
				res, err := commandtest.Handle(ctx, svc, e)
				checkOutcome(t, used, &order, e, res, err)
			}
		} else {
			for i, r := range commandtest.HandleBatch(ctx, svc, batch) {
				checkOutcome(t, used, &order, batch[i], r.Result, r.Err)
			}
		}
		switch rng.IntN(4) {
		case 0:
			if err := svc.SaveIndexNow(ctx); err != nil {
				t.Fatal(err)
			}
			saves++
		case 1:
			svc = open() // a new process
		}
		_ = round
	}
	if saves < 5 {
		t.Fatalf("only %d saves: the test does not merge", saves)
	}
	// A new process after a last save answers every id of the ledger.
	if err := svc.SaveIndexNow(ctx); err != nil {
		t.Fatal(err)
	}
	c := newSnapCounter(openSQLite(t, path))
	fresh := command.New(c, command.Options{Clock: fixedClock, Warn: warn})
	for _, id := range order[:200] {
		other := fmt.Sprintf("R-%d", (atoi(t, strings.TrimPrefix(used[id], "R-"))+1+rng.IntN(agreements-1))%agreements)
		if strings.HasPrefix(used[id], "R-") {
			_, err := commandtest.Handle(ctx, fresh, spendEnv(id, other, "1.00"))
			wantCode(t, err, domain.EConflict, "command_id", fmt.Sprintf("%q", used[id]))
		}
	}
	if c.blockReads() == 0 {
		t.Fatal("the fresh process read no block: the ids are not in blocks")
	}
}

func numOf(t *testing.T, e domain.Envelope) string {
	var d struct {
		Agreement string `json:"agreement"`
	}
	if err := json.Unmarshal(e.Data, &d); err != nil || d.Agreement == "" {
		t.Fatalf("no agreement in %s", e.Data)
	}
	return d.Agreement
}

func atoi(t *testing.T, s string) int {
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func checkOutcome(t *testing.T, used map[uuid.UUID]string, order *[]uuid.UUID, e domain.Envelope, res command.Result, err error) {
	t.Helper()
	num := numOf(t, e)
	first, was := used[e.CommandID]
	switch {
	case !was:
		if err != nil || res.Duplicate {
			t.Fatalf("new command id %s on %s: %+v, %v; want it applied", e.CommandID, num, res, err)
		}
		used[e.CommandID] = num
		*order = append(*order, e.CommandID)
	case first == num:
		if err != nil || !res.Duplicate {
			t.Fatalf("command id %s again on %s: %+v, %v; want a duplicate", e.CommandID, num, res, err)
		}
	default:
		wantCode(t, err, domain.EConflict, "command_id", fmt.Sprintf("%q", first))
	}
}

// bigIndexLedger writes agreements with spendings and saves the index,
// then 300 spendings more, saved again (in the newer run).
func bigIndexLedger(t *testing.T, path string, agreements, spendings int) {
	t.Helper()
	svc := command.New(openSQLite(t, path), command.Options{Clock: fixedClock})
	var envs []domain.Envelope
	for i := range agreements {
		envs = append(envs, regEnv(uuid.New(), fmt.Sprintf("B-%d", i)))
	}
	batchApply(t, svc, envs)
	envs = envs[:0]
	for i := range spendings {
		envs = append(envs, spendEnv(uuid.New(), fmt.Sprintf("B-%d", i%agreements), "1.00"))
	}
	batchApply(t, svc, envs)
	if err := svc.SaveIndex(context.Background()); err != nil {
		t.Fatal(err)
	}
	// And a few more, saved in the newer run.
	envs = envs[:0]
	for i := range 300 {
		envs = append(envs, spendEnv(uuid.New(), fmt.Sprintf("B-%d", i%agreements), "1.00"))
	}
	batchApply(t, svc, envs)
	if err := svc.SaveIndexNow(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// Issue 17 item 1: a one-command process reads the index snapshot (its
// directories and the agreement names) and one block of each of its two
// runs at most, not every command id: with 6 000 commands in blocks of
// 64, a block is about 1/94 of the ids. The version 1 index held every
// id and was read whole.
func TestOneCommandReadsTwoBlocksAtMost(t *testing.T) {
	defer command.SetBlockIDs(64)()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	bigIndexLedger(t, path, 50, 6000)
	for after, id := range []uuid.UUID{uuid.New(), uuid.New(), uuid.New()} {
		c := newSnapCounter(openSQLite(t, path))
		one := command.New(c, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
		if _, err := commandtest.Handle(ctx, one, spendEnv(id, "B-7", "3.00")); err != nil {
			t.Fatal(err)
		}
		// At most 2 x 64 ids a block (a block is split past twice its size).
		if n := c.blockReads(); n > 2 || c.bytes > 2*(2*64*19+16) {
			t.Fatalf("one command read %d blocks, %d bytes (%v); want at most two blocks", n, c.bytes, c.blocks)
		}
		if c.head > 6000*16/4 {
			t.Fatalf("one command read an index snapshot of %d bytes: it holds the ids, not a directory", c.head)
		}
		if got := c.read.Load(); got > int64(after) { // the commands of the rounds before are after the saved index
			t.Fatalf("one command read %d events, %d were written after the saved index", got, after)
		}
	}
}

// A block that is damaged, cut short, missing or replaced by another
// (valid-looking) block is refused: the index is rebuilt from the events
// with one warning, answers every rule, and the next save writes new
// blocks that the next process reads without a warning.
func TestBadIndexBlockRebuilt(t *testing.T) {
	defer command.SetBlockIDs(16)()
	ctx := context.Background()
	for _, name := range []string{"damaged", "cut short", "missing", "another block", "empty"} {
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
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var blocks []string
			rows, err := db.Query(`SELECT name FROM snapshots WHERE name LIKE 'ledger.index/%' ORDER BY name`)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var n string
				rows.Scan(&n)
				blocks = append(blocks, n)
			}
			rows.Close()
			if len(blocks) < 4 {
				t.Fatalf("%d blocks saved for about 80 commands in blocks of 16", len(blocks))
			}
			// Every block is spoiled, so that whichever one the
			// lookups need is refused.
			for i, b := range blocks {
				var q string
				switch name {
				case "damaged":
					q = `UPDATE snapshots SET blob = CAST(substr(blob, 1, 40) || x'ff' || substr(blob, 42) AS BLOB) WHERE name = ?`
				case "cut short":
					q = `UPDATE snapshots SET blob = substr(blob, 1, length(blob) / 2) WHERE name = ?`
				case "missing":
					q = `DELETE FROM snapshots WHERE name = ?`
				case "empty":
					q = `UPDATE snapshots SET blob = x'' WHERE name = ?`
				case "another block":
					q = `UPDATE snapshots SET blob = (SELECT blob FROM snapshots WHERE name = '` + blocks[(i+1)%len(blocks)] + `') WHERE name = ?`
				}
				if _, err := db.Exec(q, b); err != nil {
					t.Fatal(err)
				}
			}
			c := &readCounter{Store: openSQLite(t, path)}
			var warnings []string
			fresh := command.New(c, command.Options{Clock: fixedClock, Warn: func(m string) { warnings = append(warnings, m) }})
			checkRules(t, fresh, used, late)
			if len(warnings) != 1 || strings.Contains(warnings[0], "\n") || !strings.Contains(warnings[0], "ignored and rebuilt") {
				t.Fatalf("warnings %q, want one line saying the saved index was ignored", warnings)
			}
			if total := int64(eventsIn(t, c.Store)); c.read.Load() < total-10 {
				t.Fatalf("the index read %d events of %d: it was not rebuilt from the events", c.read.Load(), total)
			}
			if err := fresh.SaveIndexNow(ctx); err != nil {
				t.Fatal(err)
			}
			again := command.New(openSQLite(t, path), command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("after the new save: %s", m) }})
			checkRules(t, again, used, late)
		})
	}
}

// A version 1 index snapshot (every command id in it, as written up to
// e78bc84) is still read: a new process answers from it without reading
// the events before it, and its first save writes version 2 blocks.
func TestVersion1IndexSnapshotStillRead(t *testing.T) {
	defer command.SetBlockIDs(16)()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	svc := command.New(openSQLite(t, path), command.Options{Clock: fixedClock})
	used := indexLedger(t, svc, 20)
	if err := command.SaveIndexV1(ctx, svc); err != nil {
		t.Fatal(err)
	}
	late := uuid.New()
	mustApply(t, svc, []domain.Envelope{spendEnv(late, "AG-3", "4.00"), regEnv(uuid.New(), "KVNOC-LATE-2")})
	c := newSnapCounter(openSQLite(t, path))
	old := command.New(c, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	checkRules(t, old, used, late)
	if c.read.Load() > 10 || c.blockReads() != 0 {
		t.Fatalf("from the version 1 snapshot: %d events and %d blocks read", c.read.Load(), c.blockReads())
	}
	if err := old.SaveIndex(ctx); err != nil { // its ids count as folded: it saves
		t.Fatal(err)
	}
	_, blob, ok, err := c.Store.LoadSnapshot(ctx, command.IndexSnapshotName)
	if err != nil || !ok || blob[len("GLINDEX\n")] != 2 {
		t.Fatalf("after a save the index snapshot is of version %d (%v %v), want 2", blob[len("GLINDEX\n")], ok, err)
	}
	c2 := newSnapCounter(openSQLite(t, path))
	checkRules(t, command.New(c2, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }}), used, late)
	if c2.read.Load() > 10 || c2.blockReads() == 0 {
		t.Fatalf("from the version 2 snapshot: %d events and %d blocks read", c2.read.Load(), c2.blockReads())
	}
}

// Issue 17 item 1: what a process holds of the command-id index does not
// grow with the ledger. A new process that applies one command on a
// ledger of 40 400 commands holds the agreement names, the directory and
// a block; the version 1 index (and the design before it) held every id,
// 22.5 bytes a command (about 900 KB here).
func TestIndexResidentMemoryBounded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	bigIndexLedger(t, path, 100, 40_000)
	store := openSQLite(t, path)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	one := command.New(store, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	if _, err := commandtest.Handle(ctx, one, spendEnv(uuid.New(), "B-7", "3.00")); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	// Two blocks of at most 2 x 4 096 ids at 20 bytes decoded, the
	// agreements' names (100 x 300 bytes), and 64 KB for the rest of the
	// service (one agreement's state, caches' tables).
	limit := int64(2*2*4096*20 + 100*300 + 64<<10)
	t.Logf("a new process with one command on 40 400 commands holds %d bytes", grew)
	if grew > limit {
		t.Fatalf("a new process with one command on a ledger of 40 400 commands holds %d bytes (%.1f per command), want at most %d whatever the ledger's size", grew, float64(grew)/40_400, limit)
	}
	runtime.KeepAlive(one)
}

// Issue 17 item 1: a long-running process (an import, a server) holds in
// memory only the command ids folded since its last save, which it makes
// every IndexSaveEvery events, also with commands in flight (the
// pipelined batches of apply: the index used to be saved only at the
// end, every id in memory until then), and 4 bytes a saved id of
// fingerprints (docs/PERFORMANCE.md).
func TestLongRunHoldsOnlyIDsSinceTheLastSave(t *testing.T) {
	path := filepath.Join(t.TempDir(), "l.db")
	svc := command.New(openSQLite(t, path), command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	var envs []domain.Envelope
	for i := range 50 {
		envs = append(envs, regEnv(uuid.New(), fmt.Sprintf("L-%d", i)))
	}
	for i := range 3*command.IndexSaveEvery + 500 {
		envs = append(envs, spendEnv(uuid.New(), fmt.Sprintf("L-%d", i%50), "1.00"))
	}
	pipelineApply(t, svc, envs)
	ids, fps := command.IndexInMemory(svc)
	t.Logf("in memory after %d commands: %d ids, %d fingerprints", 3*command.IndexSaveEvery+550, ids, fps)
	if ids > command.IndexSaveEvery+1000 {
		t.Fatalf("after %d commands the index holds %d ids in memory, want at most the %d of a save interval (and a batch)", 3*command.IndexSaveEvery+550, ids, command.IndexSaveEvery+1000)
	}
	if fps > 3*command.IndexSaveEvery+550 {
		t.Fatalf("%d fingerprints for %d saved ids", fps, 3*command.IndexSaveEvery+550)
	}
}

// pipelineApply applies envs as apply does, in batches of 1 000 through
// one Pipeline (the next batch decided while the one before is written),
// and fails the test on any refused command.
func pipelineApply(t *testing.T, svc *command.Service, envs []domain.Envelope) {
	t.Helper()
	check := func(out []command.Outcome) {
		t.Helper()
		for i, r := range out {
			if r.Err != nil {
				t.Fatalf("command %d: %v", i, r.Err)
			}
		}
	}
	p := svc.NewPipeline(context.Background())
	for len(envs) > 0 {
		n := min(1000, len(envs))
		if out, ok := p.Push(decodeAll(t, envs[:n])); ok {
			check(out)
		}
		envs = envs[n:]
	}
	if out, ok := p.Flush(); ok {
		check(out)
	}
}

// noSnapshots is a store that offers snapshots but cannot keep them, as
// EventStoreDB without a snapshot directory: SaveSnapshot writes nothing
// and says nothing, ReadOnlyReason says why.
type noSnapshots struct{ *sqlite.Store }

func (noSnapshots) SaveSnapshot(context.Context, string, domain.Position, []byte) error { return nil }
func (noSnapshots) SaveSnapshots(context.Context, []port.NamedSnapshot) error           { return nil }
func (noSnapshots) LoadSnapshot(context.Context, string) (domain.Position, []byte, bool, error) {
	return domain.Position{}, nil, false, nil
}
func (noSnapshots) ReadSnapshot(context.Context, string, func(domain.Position, []byte) error) (bool, error) {
	return false, nil
}
func (noSnapshots) ReadOnlyReason() string { return "no snapshot directory" }

// A store that cannot keep snapshots gets no blocks: the ids stay in
// memory and every rule is kept, with no warning (the saved blocks would
// be missing at the next lookup).
func TestIndexWithoutSnapshotsKeepsIDsInMemory(t *testing.T) {
	ctx := context.Background()
	store := noSnapshots{openSQLite(t, filepath.Join(t.TempDir(), "l.db"))}
	svc := command.New(store, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	used := indexLedger(t, svc, 20)
	if err := svc.SaveIndexNow(ctx); err != nil {
		t.Fatal(err)
	}
	late := uuid.New()
	mustApply(t, svc, []domain.Envelope{spendEnv(late, "AG-3", "4.00"), regEnv(uuid.New(), "KVNOC-LATE-2")})
	if err := svc.SaveIndexNow(ctx); err != nil {
		t.Fatal(err)
	}
	checkRules(t, svc, used, late)
	if ids, _ := command.IndexInMemory(svc); ids < 80 {
		t.Fatalf("%d ids in memory, want every one of the ledger's (about 84)", ids)
	}
}

// Issue 17 item 1, in serve: the server's command service writes through
// the measured store behind the group committer (cmd/internal/wiring).
// Both used to answer NotOffered to snapshots, so the server's index was
// never saved in blocks and held every command id of the ledger in
// memory, growing without bound (docs/PERFORMANCE.md, the 10-minute
// serve run). Through them, with 16 writers sharing commits, the index
// must hold only the ids since its last save, as an import's does.
func TestServerChainSavesTheIndexInBlocks(t *testing.T) {
	ctx := context.Background()
	raw := openSQLite(t, filepath.Join(t.TempDir(), "l.db"))
	store := groupcommit.New(metrics.WrapStore(raw, metrics.New()), 64)
	svc := command.New(store, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	const agreements, writers = 50, 16
	for i := range agreements {
		if _, err := commandtest.Handle(ctx, svc, regEnv(uuid.New(), fmt.Sprintf("S-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	total := 2*command.IndexSaveEvery + 500
	if err := commandtest.HandleConcurrently(ctx, svc, writers, total, func(i int) domain.Envelope {
		return spendEnv(uuid.New(), fmt.Sprintf("S-%d", i%agreements), "1.00")
	}); err != nil {
		t.Fatal(err)
	}
	ids, fps := command.IndexInMemory(svc)
	t.Logf("in memory after %d commands: %d ids, %d fingerprints", total+agreements, ids, fps)
	if ids > command.IndexSaveEvery+1000 {
		t.Errorf("after %d commands through the group committer the index holds %d ids in memory, want at most the %d of a save interval (and the commands in flight)", total+agreements, ids, command.IndexSaveEvery+1000)
	}
	if _, _, ok, err := raw.LoadSnapshot(ctx, command.IndexSnapshotName); err != nil || !ok {
		t.Errorf("no index snapshot in the store after %d commands through the group committer (found %v, error %v)", total+agreements, ok, err)
	}
	// What was saved answers a retry in a new process.
	again := command.New(raw, command.Options{Clock: fixedClock})
	first := spendEnv(uuid.New(), "S-1", "2.00")
	if _, err := commandtest.Handle(ctx, svc, first); err != nil {
		t.Fatal(err)
	}
	if _, err := commandtest.Handle(ctx, again, first); err != nil {
		t.Fatalf("a retry of a command applied through the server's chain, in a new service: %v", err)
	}
	if n := eventsIn(t, raw); n != agreements+total+1 {
		t.Fatalf("%d events after the retry, want %d: the retry was applied twice", n, agreements+total+1)
	}
}

// saveCounter counts the snapshot writes of the index: single saves and
// batches, with the names in each batch.
type saveCounter struct {
	*sqlite.Store
	mu      sync.Mutex
	singles []string
	batches [][]string
}

func (c *saveCounter) SaveSnapshot(ctx context.Context, name string, pos domain.Position, blob []byte) error {
	c.mu.Lock()
	c.singles = append(c.singles, name)
	c.mu.Unlock()
	return c.Store.SaveSnapshot(ctx, name, pos, blob)
}

func (c *saveCounter) SaveSnapshots(ctx context.Context, batch []port.NamedSnapshot) error {
	names := make([]string, len(batch))
	for i, b := range batch {
		names[i] = b.Name
	}
	c.mu.Lock()
	c.batches = append(c.batches, names)
	c.mu.Unlock()
	return c.Store.SaveSnapshots(ctx, batch)
}

// Issue 17, the import's price for a bounded index: each block of a save
// was a commit of its own (2 606 fsyncs against 1 189 for the 670 000-
// command import, docs/PERFORMANCE.md). On a store that offers snapshot
// batches, a save writes its blocks and then the index snapshot that
// names them in one SaveSnapshots (docs/STORAGE.md), also the saves that
// merge the newer run into the base run and rewrite every block; and
// what was saved so answers every command as before, in a new process.
func TestIndexSaveIsOneCommit(t *testing.T) {
	ctx := context.Background()
	defer command.SetBlockIDs(16)()
	store := &saveCounter{Store: openSQLite(t, filepath.Join(t.TempDir(), "l.db"))}
	svc := command.New(store, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	used := indexLedger(t, svc, 20)
	saves := 0
	for round := range 40 { // 16 blocks of 16 ids in the newer run: merges into the base run every few rounds
		var envs []domain.Envelope
		for i := range 30 {
			envs = append(envs, spendEnv(uuid.New(), fmt.Sprintf("AG-%d", (round+i)%20), "1.00"))
		}
		mustApply(t, svc, envs)
		if err := svc.SaveIndexNow(ctx); err != nil {
			t.Fatal(err)
		}
		saves++
	}
	store.mu.Lock()
	singles, batches := store.singles, store.batches
	store.mu.Unlock()
	for _, n := range singles {
		if strings.HasPrefix(n, command.IndexSnapshotName) {
			t.Fatalf("the index saved %s alone (SaveSnapshot), want every save in one batch", n)
		}
	}
	if len(batches) != saves {
		t.Fatalf("%d index saves made %d batches, want one each", saves, len(batches))
	}
	most := 0
	for i, b := range batches {
		if b[len(b)-1] != command.IndexSnapshotName {
			t.Fatalf("batch %d ends with %s, want the index snapshot last, after the blocks it names: %v", i, b[len(b)-1], b)
		}
		for _, n := range b[:len(b)-1] {
			if !strings.HasPrefix(n, command.IndexSnapshotName+"/") {
				t.Fatalf("batch %d holds %s, which is not a block of the index", i, n)
			}
		}
		most = max(most, len(b)-1)
	}
	if most < 40 {
		t.Fatalf("at most %d blocks in one save, want a save that merged into the base run (more than 40 blocks of 16 ids over 1 260 ids)", most)
	}
	late := uuid.New()
	mustApply(t, svc, []domain.Envelope{spendEnv(late, "AG-3", "4.00"), regEnv(uuid.New(), "KVNOC-LATE-2")})
	if err := svc.SaveIndexNow(ctx); err != nil {
		t.Fatal(err)
	}
	again := command.New(store.Store, command.Options{Clock: fixedClock, Warn: func(m string) { t.Errorf("warning: %s", m) }})
	checkRules(t, again, used, late)
}

// Options.IndexSaveEvery sets how many events the index folds before it
// is saved (ledger.go): with 3 000, 7 600 commands applied as apply
// applies them make two saves, and the index holds at most the ids of
// one interval (and a batch in flight) in memory; the default saves
// every IndexSaveEvery (10 000), so none of them.
func TestIndexSaveEveryOption(t *testing.T) {
	for _, tc := range []struct {
		every      int64
		saves, max int
	}{{3000, 2, 3000 + 1000}, {0, 0, 7650}} {
		t.Run(fmt.Sprint(tc.every), func(t *testing.T) {
			store := &saveCounter{Store: openSQLite(t, filepath.Join(t.TempDir(), "l.db"))}
			svc := command.New(store, command.Options{Clock: fixedClock, IndexSaveEvery: tc.every, Warn: func(m string) { t.Errorf("warning: %s", m) }})
			var envs []domain.Envelope
			for i := range 50 {
				envs = append(envs, regEnv(uuid.New(), fmt.Sprintf("E-%d", i)))
			}
			for i := range 7600 {
				envs = append(envs, spendEnv(uuid.New(), fmt.Sprintf("E-%d", i%50), "1.00"))
			}
			pipelineApply(t, svc, envs)
			store.mu.Lock()
			saves := len(store.batches)
			store.mu.Unlock()
			ids, _ := command.IndexInMemory(svc)
			t.Logf("every %d: %d saves, %d ids in memory", tc.every, saves, ids)
			if saves != tc.saves {
				t.Errorf("%d saves of the index over 7 650 events, want %d", saves, tc.saves)
			}
			if ids > tc.max {
				t.Errorf("%d ids in memory, want at most %d", ids, tc.max)
			}
		})
	}
}
