package reliability

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/projtest"
	"github.com/grantledger/grantledger/projections"
)

// crashCycles is how many kill-and-restart cycles TestCrashKill runs: 5 by
// default (2 with -short), or GRANTLEDGER_CRASH_CYCLES.
func crashCycles(t *testing.T) int {
	if v := os.Getenv("GRANTLEDGER_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			t.Fatalf("GRANTLEDGER_CRASH_CYCLES=%q: want a whole number from 1 to 10000", v)
		}
		return n
	}
	if testing.Short() {
		return 2
	}
	return 5
}

// writer is one running glcrash process.
type writer struct {
	cmd  *exec.Cmd
	addr string
	done chan error
}

func startWriter(t *testing.T, db string) *writer {
	t.Helper()
	_, glcrash := binaries(t)
	cmd := exec.Command(glcrash, "-db", db)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start glcrash: %v", err)
	}
	w := &writer{cmd: cmd, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "listening "); ok {
				ready <- a
			}
		}
		close(ready)
	}()
	select {
	case a, ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatalf("glcrash exited before listening: %s", stderr.String())
		}
		w.addr = a
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("glcrash not listening after 60 s: %s", stderr.String())
	}
	go func() { w.done <- cmd.Wait() }()
	return w
}

// kill sends SIGKILL and waits for the process to be gone.
func (w *writer) kill(t *testing.T) {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGKILL)
	select {
	case <-w.done:
	case <-time.After(30 * time.Second):
		t.Fatal("glcrash still running 30 s after SIGKILL")
	}
}

// stop ends the process gracefully.
func (w *writer) stop(t *testing.T) {
	t.Helper()
	w.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-w.done:
		if err != nil {
			t.Errorf("glcrash after SIGTERM: %v", err)
		}
	case <-time.After(30 * time.Second):
		w.cmd.Process.Kill()
		t.Fatal("glcrash still running 30 s after SIGTERM")
	}
}

// answer mirrors glcrash's Answer.
type answer struct {
	CommandID string `json:"command_id"`
	OK        bool   `json:"ok"`
	Duplicate bool   `json:"duplicate"`
	Events    int    `json:"events"`
	Code      string `json:"code"`
	Error     string `json:"error"`
}

// conn is one client connection to a writer.
type conn struct {
	c  net.Conn
	in *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, in: bufio.NewReader(c)}, nil
}

// send writes one command and reads its answer.
func (c *conn) send(env domain.Envelope) (answer, error) {
	b, err := json.Marshal(env)
	if err != nil {
		return answer{}, err
	}
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.c.Write(append(b, '\n')); err != nil {
		return answer{}, err
	}
	line, err := c.in.ReadBytes('\n')
	if err != nil {
		return answer{}, err
	}
	var a answer
	if err := json.Unmarshal(line, &a); err != nil {
		return answer{}, fmt.Errorf("answer %q: %w", line, err)
	}
	return a, nil
}

// crashClient is one client of the crash test. Commands it sent but saw no
// answer for stay pending and are sent again, with the same id, after the
// next restart.
type crashClient struct {
	id      int
	next    int
	pending []Spending
}

// crashBook is what the clients know, shared between them.
type crashBook struct {
	mu        sync.Mutex
	acked     map[uuid.UUID]Spending
	sent      map[uuid.UUID]Spending
	latencies []time.Duration
	failures  []string
}

// drive sends commands until the connection breaks (the writer was killed)
// or limit commands were answered.
func (cl *crashClient) drive(addr string, seed uint64, limit int, book *crashBook) {
	c, err := dial(addr)
	if err != nil {
		return
	}
	defer c.c.Close()
	for n := 0; n < limit; n++ {
		if len(cl.pending) == 0 {
			s := NewSpending(seed, cl.id, cl.next)
			cl.next++
			cl.pending = append(cl.pending, s)
			book.mu.Lock()
			book.sent[s.ID] = s
			book.mu.Unlock()
		}
		s := cl.pending[0]
		start := time.Now()
		a, err := c.send(s.Envelope())
		if err != nil {
			return // killed: s stays pending
		}
		lat := time.Since(start)
		book.mu.Lock()
		if !a.OK {
			book.failures = append(book.failures, fmt.Sprintf("client %d: command %s refused: %s %s", cl.id, s.ID, a.Code, a.Error))
		} else {
			book.acked[s.ID] = s
			book.latencies = append(book.latencies, lat)
		}
		book.mu.Unlock()
		cl.pending = cl.pending[1:]
	}
}

// TestCrashKill is the crash test of the embedded store: a writer process
// takes commands from several clients and is killed with SIGKILL at random
// moments, then restarted. After every restart every acknowledged command
// is in the ledger exactly once, verify passes, the conservation identity
// holds for every line and year against sums taken from the raw events, and
// the read model resumed from the writer's snapshot equals one rebuilt from
// scratch. Clients resend what was not acknowledged, with the same ids.
//
// GRANTLEDGER_CRASH_CYCLES sets the number of cycles (default 5, -short 2);
// GRANTLEDGER_CRASH_SEED replays a run.
func TestCrashKill(t *testing.T) {
	cycles := crashCycles(t)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("GRANTLEDGER_CRASH_SEED"); v != "" {
		s, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("GRANTLEDGER_CRASH_SEED=%q: %v", v, err)
		}
		seed = s
	}
	t.Logf("seed %d (GRANTLEDGER_CRASH_SEED=%d replays the kill times and commands), %d cycles", seed, seed, cycles)
	rng := rand.New(rand.NewPCG(seed, 7))
	db := filepath.Join(t.TempDir(), "ledger.db")

	// Set up the agreement.
	w := startWriter(t, db)
	c, err := dial(w.addr)
	if err != nil {
		t.Fatal(err)
	}
	for _, env := range Setup() {
		a, err := c.send(env)
		if err != nil || !a.OK {
			t.Fatalf("setup %s: %v %+v", env.Type, err, a)
		}
	}
	c.c.Close()
	w.stop(t)

	const nClients = 4
	clients := make([]*crashClient, nClients)
	for i := range clients {
		clients[i] = &crashClient{id: i}
	}
	book := &crashBook{acked: map[uuid.UUID]Spending{}, sent: map[uuid.UUID]Spending{}}
	var alive time.Duration
	restored, inFlight, durableUnacked := 0, 0, 0
	for cycle := 1; cycle <= cycles; cycle++ {
		w := startWriter(t, db)
		start := time.Now()
		var wg sync.WaitGroup
		for _, cl := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl.drive(w.addr, seed, 100000, book)
			}()
		}
		time.Sleep(time.Duration(50+rng.IntN(450)) * time.Millisecond)
		w.kill(t)
		alive += time.Since(start)
		wg.Wait()
		book.mu.Lock()
		fails := book.failures
		book.mu.Unlock()
		if len(fails) > 0 {
			t.Fatalf("cycle %d: commands refused: %s", cycle, strings.Join(fails, "; "))
		}
		for _, cl := range clients {
			inFlight += len(cl.pending)
		}
		r, du := checkCrashedLedger(t, db, book, clients)
		if r {
			restored++
		}
		durableUnacked += du
		if t.Failed() {
			t.Fatalf("cycle %d failed", cycle)
		}
	}

	// A last run without a kill sends what is still pending.
	w = startWriter(t, db)
	for _, cl := range clients {
		cl.drive(w.addr, seed, len(cl.pending), book)
		if len(cl.pending) != 0 {
			t.Fatalf("client %d: %d commands still pending after the final run", cl.id, len(cl.pending))
		}
	}
	w.stop(t)
	checkCrashedLedger(t, db, book, nil)

	lat := append([]time.Duration(nil), book.latencies...)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	var p50, p99 time.Duration
	if len(lat) > 0 {
		p50, p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	t.Logf("%d cycles survived; %d commands acknowledged, 0 lost, %d sent; %d in flight at a kill, of which %d had reached the disk unacknowledged (kept once after the resend); %d of %d restarts resumed the read model from its snapshot; load while killed: %.0f commands/s acknowledged by %d clients, p50 %v, p99 %v",
		cycles, len(book.acked), len(book.sent), inFlight, durableUnacked, restored, cycles, float64(len(lat))/alive.Seconds(), nClients, p50, p99)
}

// checkCrashedLedger checks the ledger file after a kill. With clients nil
// (the final check), every command ever sent must be there exactly once.
// It reports whether the read model was resumed from a snapshot, and how
// many of the clients' pending (unacknowledged) commands are in the ledger.
func checkCrashedLedger(t *testing.T, db string, book *crashBook, clients []*crashClient) (restored bool, durableUnacked int) {
	all := clients == nil
	t.Helper()
	ctx := context.Background()
	if out, errOut, code := runCLI(t, nil, "verify", "--db", db); code != 0 || !strings.HasPrefix(out, "OK:") {
		t.Errorf("grantledger verify after the kill: exit %d, %s%s", code, out, errOut)
	}
	store, err := sqlite.Open(db)
	if err != nil {
		t.Fatalf("reopen after the kill: %v", err)
	}
	defer store.Close()
	tally, err := Audit(ctx, store)
	if err != nil {
		t.Fatalf("audit after the kill: %v", err)
	}
	book.mu.Lock()
	defer book.mu.Unlock()
	for id := range book.acked {
		if n := tally.ByCommand[id]; n != 1 {
			t.Errorf("acknowledged command %s: %d events in the ledger, want exactly 1", id, n)
		}
	}
	var present domain.Money
	for id, n := range tally.ByCommand {
		if n != 1 {
			t.Errorf("command %s: %d events, want 1", id, n)
		}
		present += book.sent[id].Amount
	}
	for id := range book.sent {
		if all && tally.ByCommand[id] != 1 {
			t.Errorf("sent command %s: %d events after every client resent, want 1", id, tally.ByCommand[id])
		}
	}
	for _, cl := range clients {
		for _, s := range cl.pending {
			durableUnacked += tally.ByCommand[s.ID]
		}
	}
	var spent domain.Money
	for _, v := range tally.Spent {
		spent += v
	}
	if spent != present {
		t.Errorf("spending in the ledger %s, but the commands present add up to %s", spent, present)
	}
	if want := len(Setup()) + len(book.acked); !all && tally.Events < want {
		t.Errorf("%d events, want at least %d (setup + acknowledged)", tally.Events, want)
	}

	// The aggregate's figures.
	svc := command.New(store, command.Options{})
	err = svc.View(ctx, Agreement, func(a *domain.Agreement) error {
		for _, l := range Lines {
			for y := 1; y <= Years; y++ {
				c := a.Cell(l, y)
				if err := tally.CheckCell(Cell{l, y}, c.Planned, c.CarriedIn, c.Actual, c.CarriedOver, c.Returned, c.Remainder()); err != nil {
					t.Errorf("aggregate: %v", err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("aggregate: %v", err)
	}

	// The read model resumed from the writer's snapshot equals one rebuilt
	// from the events alone, and both satisfy the identity.
	resumed, err := readmodel.Open(ctx, store, readmodel.Options{Snapshots: readOnlySnapshots{store}})
	if err != nil {
		t.Fatalf("resume projections: %v", err)
	}
	rebuilt, err := readmodel.Open(ctx, store, readmodel.Options{Snapshots: noSnapshots{}})
	if err != nil {
		t.Fatalf("rebuild projections: %v", err)
	}
	var a, b string
	resumed.View(func(l *projections.Ledger) error {
		a = projtest.Canonical(l)
		v, err := l.Agreement(Agreement)
		if err != nil {
			t.Errorf("projection: %v", err)
			return nil
		}
		for _, ln := range Lines {
			for y := 1; y <= Years; y++ {
				f := projections.FiguresOf(v.Agg.Cell(ln, y))
				if err := tally.CheckCell(Cell{ln, y}, f.Planned, f.CarriedIn, f.Actual, f.CarriedOver, f.Returned, f.Remainder); err != nil {
					t.Errorf("resumed projection: %v", err)
				}
			}
		}
		return nil
	})
	rebuilt.View(func(l *projections.Ledger) error { b = projtest.Canonical(l); return nil })
	if a != b {
		t.Errorf("read model resumed from the snapshot differs from the rebuilt one:\nresumed %.300s\nrebuilt %.300s", a, b)
	}
	return resumed.Restored(), durableUnacked
}

// readOnlySnapshots loads the writer's snapshot but never saves, so the
// check does not change what the next cycle resumes from.
type readOnlySnapshots struct{ s *sqlite.Store }

func (r readOnlySnapshots) SaveSnapshot(context.Context, string, domain.Position, []byte) error {
	return nil
}

func (r readOnlySnapshots) LoadSnapshot(ctx context.Context, name string) (domain.Position, []byte, bool, error) {
	return r.s.LoadSnapshot(ctx, name)
}

// SaveSnapshots is not offered (Offers).
func (r readOnlySnapshots) SaveSnapshots(context.Context, []port.NamedSnapshot) error {
	return domain.NotOffered("readOnlySnapshots", "SaveSnapshots")
}

// Offers: snapshots, copied.
func (r readOnlySnapshots) Offers() domain.Offers { return domain.Offers{Snapshots: true} }

// ReadSnapshot is not offered (Offers).
func (r readOnlySnapshots) ReadSnapshot(context.Context, string, func(domain.Position, []byte) error) (bool, error) {
	return false, domain.NotOffered("readOnlySnapshots", "ReadSnapshot")
}

// ReadOnlyReason is "": SaveSnapshot answers (and does nothing).
func (r readOnlySnapshots) ReadOnlyReason() string { return "" }

// noSnapshots forces a rebuild from the events.
type noSnapshots struct{}

func (noSnapshots) SaveSnapshot(context.Context, string, domain.Position, []byte) error { return nil }

func (noSnapshots) LoadSnapshot(context.Context, string) (domain.Position, []byte, bool, error) {
	return domain.Position{}, nil, false, nil
}

func (noSnapshots) Offers() domain.Offers { return domain.Offers{Snapshots: true} }

func (noSnapshots) SaveSnapshots(context.Context, []port.NamedSnapshot) error {
	return domain.NotOffered("noSnapshots", "SaveSnapshots")
}

func (noSnapshots) ReadSnapshot(context.Context, string, func(domain.Position, []byte) error) (bool, error) {
	return false, domain.NotOffered("noSnapshots", "ReadSnapshot")
}

func (noSnapshots) ReadOnlyReason() string { return "" }
