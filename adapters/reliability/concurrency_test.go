package reliability

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// concurrencyShape returns how many writers send how many commands each.
// The full 100 x 100 runs when GRANTLEDGER_FULL_CONCURRENCY=1 (documented
// in docs/RELIABILITY.md); plain go test runs 100 x 10, and -short 20 x 5.
func concurrencyShape() (writers, perWriter int) {
	switch {
	case os.Getenv("GRANTLEDGER_FULL_CONCURRENCY") == "1":
		return 100, 100
	case testing.Short():
		return 20, 5
	}
	return 100, 10
}

// handleUntilDone applies env, sending it again (same command id) when the
// service gave up after losing too many races. It returns the number of
// sends and the last error.
func handleUntilDone(ctx context.Context, svc *command.Service, env domain.Envelope) (int, error) {
	var err error
	for attempt := 1; attempt <= 200; attempt++ {
		_, err = commandtest.Handle(ctx, svc, env)
		if err == nil || domain.ErrorCode(err) != domain.EConflict {
			return attempt, err
		}
	}
	return 200, err
}

// TestConcurrentWriters runs many writers against one agreement (one
// stream), spread over separate command.Service instances that stand for
// separate processes (on SQLite each has its own handle on the file), and
// checks that exactly writers x perWriter spendings were applied, none
// twice, none lost, and every total exact to the cent.
func TestConcurrentWriters(t *testing.T) {
	writers, per := concurrencyShape()
	const processes = 10
	stores := map[string]func(t *testing.T) (open func() port.Store){
		"memstore": func(t *testing.T) func() port.Store {
			s := memstore.New()
			return func() port.Store { return s }
		},
		"sqlite": func(t *testing.T) func() port.Store {
			path := filepath.Join(t.TempDir(), "ledger.db")
			return func() port.Store {
				s, err := sqlite.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			}
		},
	}
	for _, name := range []string{"memstore", "sqlite"} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			open := stores[name](t)
			svcs := make([]*command.Service, processes)
			for i := range svcs {
				svcs[i] = command.New(open(), command.Options{})
			}
			for _, env := range Setup() {
				if _, err := commandtest.Handle(ctx, svcs[0], env); err != nil {
					t.Fatalf("setup %s: %v", env.Type, err)
				}
			}
			want := map[Cell]domain.Money{}
			var mu sync.Mutex
			var errs []string
			sends := 0
			var wg sync.WaitGroup
			for w := 0; w < writers; w++ {
				for k := 0; k < per; k++ {
					s := NewSpending(1, w, k)
					want[Cell{s.Line, s.Year}] += s.Amount
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					svc := svcs[w%processes]
					for k := 0; k < per; k++ {
						n, err := handleUntilDone(ctx, svc, NewSpending(1, w, k).Envelope())
						mu.Lock()
						sends += n
						if err != nil {
							errs = append(errs, fmt.Sprintf("writer %d command %d: %v", w, k, err))
						}
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(errs) > 0 {
				t.Fatalf("%d commands failed; first: %s", len(errs), errs[0])
			}
			checkTotals(t, open(), writers*per, want)
			t.Logf("%d writers x %d commands over %d services: %d applied with %d sends (conflict resends: %d)", writers, per, processes, writers*per, sends, sends-writers*per)
		})
	}
}

// checkTotals checks that the store holds exactly n spendings, each
// command once, with the wanted sums, and that the aggregate agrees.
func checkTotals(t *testing.T, store port.Store, n int, want map[Cell]domain.Money) {
	t.Helper()
	ctx := context.Background()
	tally, err := Audit(ctx, store)
	if err != nil {
		t.Fatalf("audit: %v", err)
	}
	if tally.Spendings != n {
		t.Errorf("spendings in the ledger: got %d, want %d", tally.Spendings, n)
	}
	for id, k := range tally.ByCommand {
		if k != 1 {
			t.Errorf("command %s: %d events, want 1", id, k)
		}
	}
	for c, m := range want {
		if got := tally.Spent[c]; got != m {
			t.Errorf("%s year %d: spent %s, want %s", c.Line, c.Year, got, m)
		}
	}
	err = command.New(store, command.Options{}).View(ctx, Agreement, func(a *domain.Agreement) error {
		for _, l := range Lines {
			for y := 1; y <= Years; y++ {
				c := a.Cell(l, y)
				if err := tally.CheckCell(Cell{l, y}, c.Planned, c.CarriedIn, c.Actual, c.CarriedOver, c.Returned, c.Remainder()); err != nil {
					t.Error(err)
				}
				if c.Actual != want[Cell{l, y}] {
					t.Errorf("%s year %d: aggregate actual %s, want %s", l, y, c.Actual, want[Cell{l, y}])
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
