package command_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// hookStore is the embedded store with a hook before its at-th guarded
// append (counted from when it is armed): the hook may fail that append
// (nothing is written, as when the disk fails) or act as another process
// writing just before it (then the append meets a real concurrency
// conflict or a guard refusal from the store).
type hookStore struct {
	*sqlite.Store
	calls atomic.Int64
	at    int64
	hook  func() error
}

func (h *hookStore) AppendGuarded(ctx context.Context, reqs []domain.AppendRequest, g domain.AppendGuard) ([]domain.AppendOutcome, error) {
	if n := h.calls.Add(1); n == h.at && h.hook != nil {
		if err := h.hook(); err != nil {
			return nil, err
		}
	}
	return h.Store.AppendGuarded(ctx, reqs, g)
}

// pipeLine is one command of the scenario with what it must come to: its
// agreement and the amount it adds to actual spending there when applied,
// the line it repeats (a retry, answered as a duplicate), or the error
// code it is refused with.
type pipeLine struct {
	env      domain.Envelope
	ag       string
	delta    domain.Money
	dupOf    int // index of the line this one repeats, or -1
	wantCode string
}

// pipeScenario is four batches over three agreements (A, B, C), each
// batch touching streams the batch before touched: spendings, a retried
// command in the next batch, a reversal of a spending of the batch before,
// and a second reversal of it, which the domain refuses (rule
// already-reversed). The last line of each batch is a fresh spending on C
// whose command id another process may take first (guard mode).
func pipeScenario() (lines []pipeLine, batches [][]int) {
	d := domain.MustDate
	add := func(ag string, amount domain.Money) int {
		env := domain.NewEnvelope(uuid.New(), "t", "", domain.RecordSpending{Ref: domain.Ref{Agreement: ag}, Line: "l", Year: 1, Amount: amount, Date: d("2024-03-01"), Document: fmt.Sprint("D", len(lines))})
		lines = append(lines, pipeLine{env: env, ag: ag, delta: amount, dupOf: -1})
		return len(lines) - 1
	}
	again := func(i int) int {
		lines = append(lines, pipeLine{env: lines[i].env, ag: lines[i].ag, dupOf: i})
		return len(lines) - 1
	}
	reverse := func(i int, code string) int {
		// The spending's event id is the command's first event: its id
		// is the one the service reported for that line; the scenario
		// names it by the command id (ledger.EventID, documented on the
		// store's idempotent appends).
		env := domain.NewEnvelope(uuid.New(), "t", "entered twice", domain.ReverseSpending{Ref: domain.Ref{Agreement: lines[i].ag}, Spending: command.EventID(lines[i].env.CommandID, 0), Date: d("2024-03-02")})
		delta := -lines[i].delta
		if code != "" {
			delta = 0
		}
		lines = append(lines, pipeLine{env: env, ag: lines[i].ag, delta: delta, dupOf: -1, wantCode: code})
		return len(lines) - 1
	}
	a1 := add("PIPE-A", 1)
	b1 := []int{a1, add("PIPE-B", 2), add("PIPE-A", 3), add("PIPE-C", 4)}
	b40 := add("PIPE-B", 40)
	b2 := []int{add("PIPE-A", 10), again(b1[2]), reverse(a1, ""), b40, add("PIPE-C", 20)}
	b3 := []int{add("PIPE-A", 100), add("PIPE-B", 200), again(b40), reverse(a1, domain.ERule), add("PIPE-C", 300)}
	b4 := []int{add("PIPE-A", 2000), add("PIPE-C", 1000)}
	return lines, [][]int{b1, b2, b3, b4}
}

// runBatches applies batches of requests and returns each batch's outcomes.
type runBatches func(ctx context.Context, svc *command.Service, batches [][]command.Request) [][]command.Outcome

// decodeAll decodes the envelopes of a batch, as the command line does.
func decodeAll(t testing.TB, envs []domain.Envelope) []command.Request {
	t.Helper()
	reqs := make([]command.Request, len(envs))
	for i, env := range envs {
		var err error
		if reqs[i], err = commandtest.Request(env); err != nil {
			t.Fatalf("envelope %d (%s): %v", i, env.Type, err)
		}
	}
	return reqs
}

func decodeBatches(t testing.TB, batches [][]domain.Envelope) [][]command.Request {
	t.Helper()
	out := make([][]command.Request, len(batches))
	for k, envs := range batches {
		out[k] = decodeAll(t, envs)
	}
	return out
}

var runners = map[string]runBatches{
	// One batch after the other: the behaviour the pipeline must keep.
	"one after the other": func(ctx context.Context, svc *command.Service, batches [][]command.Request) [][]command.Outcome {
		var out [][]command.Outcome
		for _, reqs := range batches {
			out = append(out, svc.Handle(ctx, reqs))
		}
		return out
	},
	"pipelined": func(ctx context.Context, svc *command.Service, batches [][]command.Request) [][]command.Outcome {
		var out [][]command.Outcome
		p := svc.NewPipeline(ctx)
		for _, reqs := range batches {
			if prev, ok := p.Push(reqs); ok {
				out = append(out, prev)
			}
		}
		if last, ok := p.Flush(); ok {
			out = append(out, last)
		}
		return out
	},
}

// TestPipelineKeepsEveryLineOnce applies the scenario's batches while the
// store fails one batch's write, another process makes one batch's
// appends stale (a real concurrency conflict), or another process takes
// the command id of one batch's last line first (a guard refusal): for
// each batch in turn. Whatever failed, every line must come out as the
// domain and the ledger-wide rules say (applied once, a duplicate, or
// refused with its code), in line order, and the ledger read afresh (its
// hash chains checked) must hold each applied spending exactly once.
// The same expectations hold one batch after the other and pipelined.
func TestPipelineKeepsEveryLineOnce(t *testing.T) {
	for _, mode := range []string{"none", "store fails", "concurrency", "guard"} {
		for at := int64(1); at <= 4; at++ {
			if mode == "none" && at > 1 {
				continue
			}
			for _, rn := range []string{"one after the other", "pipelined"} {
				t.Run(fmt.Sprintf("%s/batch %d/%s", mode, at, rn), func(t *testing.T) {
					checkPipeline(t, runners[rn], mode, at)
				})
			}
		}
	}
}

func checkPipeline(t *testing.T, run runBatches, mode string, at int64) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	open := func() *sqlite.Store {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	hs := &hookStore{Store: open()}
	// A clock that moves, so that an event decided twice is not the same
	// bytes twice and a stale link in a hash chain shows.
	var tick atomic.Int64
	clock := func() time.Time {
		return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(tick.Add(1)) * time.Millisecond)
	}
	a := command.New(hs, command.Options{Clock: clock})
	other := command.New(open(), command.Options{})
	d := domain.MustDate
	y := domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}
	for _, ag := range []string{"PIPE-A", "PIPE-B", "PIPE-C", "PIPE-D"} {
		ref := domain.Ref{Agreement: ag}
		for _, env := range []domain.Envelope{
			domain.NewEnvelope(uuid.New(), "t", "", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", Period: y,
				Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "l"}}}),
			domain.NewEnvelope(uuid.New(), "t", "", domain.PlanBudget{Ref: ref, Line: "l", Year: 1, Amount: 1_000_000}),
		} {
			if _, err := commandtest.Handle(ctx, a, env); err != nil {
				t.Fatal(err)
			}
		}
	}
	lines, batches := pipeScenario()
	want := map[string]domain.Money{}
	events := map[string]int{"PIPE-A": 2, "PIPE-B": 2, "PIPE-C": 2}
	switch mode {
	case "store fails":
		hs.hook = func() error { return errors.New("injected: the disk refused the write") }
	case "concurrency":
		hs.hook = func() error {
			_, err := commandtest.Handle(ctx, other, domain.NewEnvelope(uuid.New(), "t", "", domain.RecordSpending{Ref: domain.Ref{Agreement: "PIPE-A"}, Line: "l", Year: 1, Amount: 5, Date: d("2024-03-01"), Document: "other"}))
			return err
		}
		want["PIPE-A"] += 5
		events["PIPE-A"]++
	case "guard":
		stolen := batches[at-1][len(batches[at-1])-1]
		hs.hook = func() error {
			_, err := commandtest.Handle(ctx, other, domain.NewEnvelope(lines[stolen].env.CommandID, "t", "", domain.RecordSpending{Ref: domain.Ref{Agreement: "PIPE-D"}, Line: "l", Year: 1, Amount: 7, Date: d("2024-03-01"), Document: "other"}))
			return err
		}
		lines[stolen].wantCode, lines[stolen].delta = domain.EConflict, 0
	}
	hs.at = at
	hs.calls.Store(0)
	for _, l := range lines {
		if l.wantCode == "" && l.dupOf < 0 {
			want[l.ag] += l.delta
			events[l.ag]++
		}
	}

	var envBatches [][]domain.Envelope
	for _, b := range batches {
		var envs []domain.Envelope
		for _, i := range b {
			envs = append(envs, lines[i].env)
		}
		envBatches = append(envBatches, envs)
	}
	got := run(ctx, a, decodeBatches(t, envBatches))
	if mode != "none" && hs.calls.Load() < at {
		t.Fatalf("the store saw %d guarded appends; the hook at %d never ran", hs.calls.Load(), at)
	}
	if len(got) != len(batches) {
		t.Fatalf("%d batches answered, want %d", len(got), len(batches))
	}
	results := make([]command.Outcome, len(lines))
	for k, b := range batches {
		if len(got[k]) != len(b) {
			t.Fatalf("batch %d: %d results, want %d", k+1, len(got[k]), len(b))
		}
		for j, i := range b {
			results[i] = got[k][j]
		}
	}
	for i, l := range lines {
		r := results[i]
		switch {
		case l.wantCode != "":
			if r.Err == nil || domain.ErrorCode(r.Err) != l.wantCode {
				t.Errorf("line %d: got %v (%+v), want a refusal with code %s", i, r.Err, r.Result, l.wantCode)
			}
		case r.Err != nil:
			t.Errorf("line %d: %v", i, r.Err)
		case r.Result.CommandID != l.env.CommandID:
			t.Errorf("line %d: answered for command %s, want %s", i, r.Result.CommandID, l.env.CommandID)
		case l.dupOf >= 0:
			orig := results[l.dupOf].Result
			if !r.Result.Duplicate || len(r.Result.Events) != 1 || len(orig.Events) != 1 || r.Result.Events[0].ID != orig.Events[0].ID {
				t.Errorf("line %d repeats line %d: got %+v, want a duplicate with the events of %+v", i, l.dupOf, r.Result, orig)
			}
		default:
			if r.Result.Duplicate || len(r.Result.Events) != 1 || r.Result.Events[0].Position == (domain.Position{}) {
				t.Errorf("line %d: got %+v, want one newly appended event with its position", i, r.Result)
			}
		}
	}
	// Read afresh: a new service catches each agreement up from the
	// store, checking its hash chain.
	fresh := command.New(open(), command.Options{})
	for ag, n := range events {
		wantActual(t, fresh, domain.Ref{Agreement: ag}, want[ag])
		evs, err := fresh.Store().ReadStream(ctx, domain.StreamFor(ag), 0, domain.Forwards, 1000)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) != n {
			t.Errorf("%s: %d events in the store, want %d", ag, len(evs), n)
		}
	}
}

// TestPipelineWithConcurrentCommands applies batches through a pipeline
// while other goroutines send single commands to the same agreements
// through the same service (as the server's handlers would): no deadlock
// between the pipeline's held stream locks and theirs, and every command
// applied once.
func TestPipelineWithConcurrentCommands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	path := filepath.Join(t.TempDir(), "ledger.db")
	st, err := sqlite.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := command.New(st, command.Options{})
	d := domain.MustDate
	y := domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}
	ags := []string{"CONC-A", "CONC-B", "CONC-C"}
	for _, ag := range ags {
		ref := domain.Ref{Agreement: ag}
		for _, env := range []domain.Envelope{
			domain.NewEnvelope(uuid.New(), "t", "", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", Period: y,
				Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "l"}}}),
			domain.NewEnvelope(uuid.New(), "t", "", domain.PlanBudget{Ref: ref, Line: "l", Year: 1, Amount: 1_000_000}),
		} {
			if _, err := commandtest.Handle(ctx, svc, env); err != nil {
				t.Fatal(err)
			}
		}
	}
	spend := func(ag string) domain.Envelope {
		return domain.NewEnvelope(uuid.New(), "t", "", domain.RecordSpending{Ref: domain.Ref{Agreement: ag}, Line: "l", Year: 1, Amount: 1, Date: d("2024-03-01"), Document: "D"})
	}
	const batches, perBatch, singles = 20, 30, 40
	var wg sync.WaitGroup
	errc := make(chan error, 2*singles)
	for g := 0; g < 2; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for k := 0; k < singles; k++ {
				if _, err := commandtest.Handle(ctx, svc, spend(ags[(g+k)%len(ags)])); err != nil {
					errc <- err
				}
			}
		}(g)
	}
	p := svc.NewPipeline(ctx)
	check := func(res []command.Outcome) {
		for i, r := range res {
			if r.Err != nil || r.Result.Duplicate {
				t.Errorf("batch line %d: %v (duplicate %v)", i, r.Err, r.Result.Duplicate)
			}
		}
	}
	for k := 0; k < batches; k++ {
		var envs []domain.Envelope
		for j := 0; j < perBatch; j++ {
			envs = append(envs, spend(ags[(k+j)%len(ags)]))
		}
		if prev, ok := p.Push(decodeAll(t, envs)); ok {
			check(prev)
		}
	}
	if last, ok := p.Flush(); ok {
		check(last)
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("single command: %v", err)
	}
	if ctx.Err() != nil {
		t.Fatal("timed out: the pipeline and the single commands waited on each other")
	}
	total := domain.Money(0)
	fresh := command.New(st, command.Options{})
	for _, ag := range ags {
		err := fresh.View(ctx, ag, func(a *domain.Agreement) error { total += a.Cell("l", 1).Actual; return nil })
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := domain.Money(batches*perBatch + 2*singles); total != want {
		t.Errorf("actual spending over the agreements: %s, want %s (every command once)", total, want)
	}
}

// TestPipelineAnswersEveryBatch: a batch of one command is applied on its
// own (Handle's one-command path) between pipelined batches;
// Push and Flush must still hand back each batch's results once, in order.
func TestPipelineAnswersEveryBatch(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "ledger.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := command.New(st, command.Options{})
	d := domain.MustDate
	y := domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}
	ref := domain.Ref{Agreement: "ONE-A"}
	for _, env := range []domain.Envelope{
		domain.NewEnvelope(uuid.New(), "t", "", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", Period: y,
			Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "l"}}}),
		domain.NewEnvelope(uuid.New(), "t", "", domain.PlanBudget{Ref: ref, Line: "l", Year: 1, Amount: 1_000_000}),
	} {
		if _, err := commandtest.Handle(ctx, svc, env); err != nil {
			t.Fatal(err)
		}
	}
	var batches [][]domain.Envelope
	for _, n := range []int{3, 1, 4, 1, 1, 2, 1} {
		var envs []domain.Envelope
		for range n {
			envs = append(envs, domain.NewEnvelope(uuid.New(), "t", "", domain.RecordSpending{Ref: ref, Line: "l", Year: 1, Amount: 1, Date: d("2024-03-01"), Document: "D"}))
		}
		batches = append(batches, envs)
	}
	got := runners["pipelined"](ctx, svc, decodeBatches(t, batches))
	if len(got) != len(batches) {
		t.Fatalf("%d batches answered, want %d", len(got), len(batches))
	}
	for k, res := range got {
		if len(res) != len(batches[k]) {
			t.Fatalf("batch %d: %d results, want %d", k, len(res), len(batches[k]))
		}
		for j, r := range res {
			if r.Err != nil || r.Result.CommandID != batches[k][j].CommandID {
				t.Errorf("batch %d line %d: %v, answered for %s, want %s", k, j, r.Err, r.Result.CommandID, batches[k][j].CommandID)
			}
		}
	}
}
