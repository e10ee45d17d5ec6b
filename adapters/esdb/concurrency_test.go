package esdb_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/adapters/reliability"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// concurrencyShape returns how many writers send how many commands each:
// 100 x 100 with GRANTLEDGER_FULL_CONCURRENCY=1 (the variable the
// reliability harness uses), 20 x 5 under -short, 100 x 10 otherwise.
func concurrencyShape() (writers, perWriter int) {
	switch {
	case os.Getenv("GRANTLEDGER_FULL_CONCURRENCY") == "1":
		return 100, 100
	case testing.Short():
		return 20, 5
	}
	return 100, 10
}

// TestConcurrentWritersTestServer runs many writers against one agreement
// (one stream) on the EventStoreDB test server, spread over separate
// command.Service instances each over its own esdb.Open connection (each
// standing for one process). A command whose bounded conflict retries ran
// out is resent with the same id. Exactly writers x perWriter spendings
// must be stored, each command once, every total exact to the cent, and
// the aggregate must agree.
func TestConcurrentWritersTestServer(t *testing.T) {
	writers, per := concurrencyShape()
	const processes = 4
	srv := startServer(t, esdbtest.Options{})
	ctx := context.Background()
	svcs := make([]*command.Service, processes)
	for i := range svcs {
		s := mustOpen(t, srv.URL())
		t.Cleanup(func() { s.Close() })
		svcs[i] = command.New(s, command.Options{})
	}
	for _, env := range reliability.Setup() {
		if _, err := commandtest.Handle(ctx, svcs[0], env); err != nil {
			t.Fatalf("setup %s: %v", env.Type, err)
		}
	}
	want := map[reliability.Cell]domain.Money{}
	for w := 0; w < writers; w++ {
		for k := 0; k < per; k++ {
			s := reliability.NewSpending(4, w, k)
			want[reliability.Cell{Line: s.Line, Year: s.Year}] += s.Amount
		}
	}
	var mu sync.Mutex
	var errs []string
	sends, dups := 0, 0
	start := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			svc := svcs[w%processes]
			for k := 0; k < per; k++ {
				env := reliability.NewSpending(4, w, k).Envelope()
				var res command.Result
				var err error
				n := 0
				for n < 200 {
					n++
					cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
					res, err = commandtest.Handle(cctx, svc, env)
					cancel()
					if err == nil || domain.ErrorCode(err) != domain.EConflict {
						break
					}
				}
				mu.Lock()
				sends += n
				if err != nil {
					errs = append(errs, fmt.Sprintf("writer %d command %d after %d sends: %v", w, k, n, err))
				} else if res.Duplicate {
					dups++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	took := time.Since(start)
	if len(errs) > 0 {
		t.Fatalf("%d commands failed; first: %s", len(errs), errs[0])
	}
	if dups != 0 {
		t.Errorf("answers: %d duplicates, want 0 (every command id was sent until it landed once)", dups)
	}

	check := mustOpen(t, srv.URL())
	defer check.Close()
	tally, err := reliability.Audit(ctx, check)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	if tally.Spendings != writers*per {
		t.Errorf("spendings in the store: got %d, want %d", tally.Spendings, writers*per)
	}
	for id, n := range tally.ByCommand {
		if n != 1 {
			t.Errorf("command %s: %d events, want 1", id, n)
		}
	}
	for c, m := range want {
		if got := tally.Spent[c]; got != m {
			t.Errorf("%s year %d: spent %s, want %s", c.Line, c.Year, got, m)
		}
	}
	err = command.New(check, command.Options{}).View(ctx, reliability.Agreement, func(a *domain.Agreement) error {
		for _, l := range reliability.Lines {
			for y := 1; y <= reliability.Years; y++ {
				c := a.Cell(l, y)
				cell := reliability.Cell{Line: l, Year: y}
				if err := tally.CheckCell(cell, c.Planned, c.CarriedIn, c.Actual, c.CarriedOver, c.Returned, c.Remainder()); err != nil {
					t.Error(err)
				}
				if c.Actual != want[cell] {
					t.Errorf("%s year %d: aggregate actual %s, want %s", l, y, c.Actual, want[cell])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d writers x %d commands over %d esdb connections: %d applied, %d sends (conflict resends: %d), %d appends seen by the server, in %s",
		writers, per, processes, tally.Spendings, sends, sends-writers*per, srv.Appends(), took.Round(10*time.Millisecond))
}
