package command_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// smallAgreement is a registration, a plan and n spendings of 1,00.
func smallAgreement(number string, n int) []domain.Envelope {
	ref := domain.Ref{Agreement: number}
	y := domain.Period{From: domain.MustDate("2025-01-01"), To: domain.MustDate("2025-12-31")}
	envs := []domain.Envelope{
		domain.NewEnvelope(uuid.New(), "off", "", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f",
			Period: y, Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "civil"}}}),
		domain.NewEnvelope(uuid.New(), "off", "", domain.PlanBudget{Ref: ref, Line: "civil", Year: 1, Amount: 1_000_000}),
	}
	for i := 0; i < n; i++ {
		envs = append(envs, domain.NewEnvelope(uuid.New(), "acc", "", domain.RecordSpending{Ref: ref, Line: "civil", Year: 1, Amount: 100,
			Date: domain.MustDate("2025-03-01"), Document: fmt.Sprintf("D%d", i)}))
	}
	return envs
}

// TestCachedStatesAreBounded: the service keeps at most
// Options.MaxCachedEvents events' worth of agreement states (issue 17:
// bounded memory), and an agreement whose state was dropped is decided on
// exactly as before: seed 004's figures to the cent (DOMAIN.md), retries
// answered as duplicates, a command id reused with other content refused.
func TestCachedStatesAreBounded(t *testing.T) {
	for _, tc := range []struct {
		name  string
		store func(t *testing.T) port.Store
	}{
		{"memstore", func(*testing.T) port.Store { return memstore.New() }},
		{"sqlite", func(t *testing.T) port.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			const bound = 60
			svc := command.New(tc.store(t), command.Options{Clock: fixedClock, MaxCachedEvents: bound})
			seed := seeds.Scenario004()
			mustApply(t, svc, seed)
			var others []domain.Envelope
			for i := 0; i < 30; i++ {
				others = append(others, smallAgreement(fmt.Sprintf("CACHE/%02d", i), 8)...)
			}
			// Half one by one, half in batches, as apply and serve send them.
			mustApply(t, svc, others[:len(others)/2])
			for rest := others[len(others)/2:]; len(rest) > 0; {
				n := min(25, len(rest))
				for i, r := range commandtest.HandleBatch(ctx, svc, rest[:n]) {
					if r.Err != nil {
						t.Fatalf("batch command %d: %v", i, r.Err)
					}
				}
				rest = rest[n:]
			}
			if got := svc.CachedEvents(); got > bound {
				t.Errorf("%d events cached after 30 agreements of 10 events and seed 004, want at most %d", got, bound)
			}
			// Seed 004's state was dropped long ago; read again, its
			// figures are still those of DOMAIN.md.
			err := svc.View(ctx, seeds.Seed004, func(a *domain.Agreement) error {
				if got, want := a.YearTotal(1).CarriedOver, domain.MustMoney("1 213,47"); got != want {
					t.Errorf("seed 004 year 1 carried over %s, want %s", got, want)
				}
				if got, want := a.YearTotal(3).Returned, domain.MustMoney("128,28"); got != want {
					t.Errorf("seed 004 year 3 returned %s, want %s", got, want)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// Retries of commands whose states were dropped.
			for _, env := range []domain.Envelope{seed[0], seed[len(seed)-1], others[0], others[len(others)-1]} {
				res, err := commandtest.Handle(ctx, svc, env)
				if err != nil || !res.Duplicate || len(res.Events) == 0 {
					t.Errorf("retry of %s %s: duplicate=%v events=%d err=%v", env.Type, env.CommandID, res.Duplicate, len(res.Events), err)
				}
			}
			reused := others[2] // a spending of CACHE/00 ...
			reused.Data = []byte(`{"agreement":"CACHE/00","line":"civil","year":1,"amount":"5.00","date":"2025-03-01","document":"X"}`)
			if _, err := commandtest.Handle(ctx, svc, reused); domain.ErrorCode(err) != domain.EConflict {
				t.Errorf("command id reused with other content after its state was dropped: %v, want a conflict", err)
			}
			if got := svc.CachedEvents(); got > bound {
				t.Errorf("%d events cached at the end, want at most %d", got, bound)
			}
		})
	}
}

// TestEvictionUnderConcurrentCommands runs writers on more agreements than
// the cache holds; every command must be applied once, with no lost
// update (run with -race in CI).
func TestEvictionUnderConcurrentCommands(t *testing.T) {
	ctx := context.Background()
	svc := command.New(memstore.New(), command.Options{Clock: fixedClock, MaxCachedEvents: 20})
	const agreements, spends = 8, 15
	for i := 0; i < agreements; i++ {
		mustApply(t, svc, smallAgreement(fmt.Sprintf("RACE/%d", i), 0))
	}
	var wg sync.WaitGroup
	errs := make(chan error, agreements*spends)
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < agreements*spends/4; i++ {
				n := (w + i) % agreements
				env := domain.NewEnvelope(uuid.New(), "acc", "", domain.RecordSpending{Ref: domain.Ref{Agreement: fmt.Sprintf("RACE/%d", n)},
					Line: "civil", Year: 1, Amount: 100, Date: domain.MustDate("2025-03-01"), Document: "R"})
				if _, err := commandtest.Handle(ctx, svc, env); err != nil {
					errs <- err
				}
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	var total domain.Money
	for i := 0; i < agreements; i++ {
		svc.View(ctx, fmt.Sprintf("RACE/%d", i), func(a *domain.Agreement) error {
			total += a.YearTotal(1).Actual
			return nil
		})
	}
	if want := domain.Money(agreements * spends * 100); total != want {
		t.Errorf("actual over all agreements %s, want %s: a command was lost or doubled", total, want)
	}
}

// TestCacheStatsCountReadsAndDrops: an operator learns from the cache's
// counters (exposed as metrics by serve, docs/SERVER.md "Memory") that
// the agreements written to do not fit in --cache-events. Three
// agreements of 42 events each are written round-robin, nine commands
// each, under a bound of 120 events: any two states fit (at most 2 x 51
// events, under the 108 the cache drops down to), all three never do
// (3 x 42 > 120). A cache that drops the state used longest ago then
// always drops the one needed next: every command from the third on
// drops one (25), and every command finds its agreement dropped, or new
// to it (27). With no encodings kept, each of the 27 reads the stream;
// with them, only the three first uses read it and the 24 others decode
// the state dropped. With room for all three, each is read once and none
// dropped.
func TestCacheStatsCountReadsAndDrops(t *testing.T) {
	ctx := context.Background()
	const stored, more = 42, 9
	numbers := []string{"CS-1", "CS-2", "CS-3"}
	for _, tc := range []struct {
		name                   string
		bound, encoded         int64
		reads, restored, drops uint64
	}{
		{"two of three fit, none kept encoded", 120, -1, 27, 0, 25},
		{"two of three fit, kept encoded", 120, 0, 3, 24, 25},
		{"all fit", 1000, 0, 3, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := memstore.New()
			// A first service writes each agreement's first 42 events.
			setup := command.New(store, command.Options{Clock: fixedClock})
			var first []domain.Envelope
			var rest [][]domain.Envelope
			for _, n := range numbers {
				envs := smallAgreement(n, stored+more-2)
				first = append(first, envs[:stored]...)
				rest = append(rest, envs[stored:])
			}
			for _, r := range commandtest.HandleBatch(ctx, setup, first) {
				if r.Err != nil {
					t.Fatal(r.Err)
				}
			}
			svc := command.New(store, command.Options{Clock: fixedClock, MaxCachedEvents: tc.bound, MaxSpilledBytes: tc.encoded})
			limit := tc.encoded
			if limit == 0 {
				limit = command.DefaultMaxSpilledBytes
			}
			if got := svc.CacheStats(); got != (command.CacheStats{Limit: tc.bound, EncodedLimit: limit}) {
				t.Fatalf("a new service's cache: %+v, want only the limits %d and %d", got, tc.bound, limit)
			}
			for k := 0; k < more; k++ {
				for i := range numbers {
					if _, err := commandtest.Handle(ctx, svc, rest[i][k]); err != nil {
						t.Fatal(err)
					}
				}
			}
			got := svc.CacheStats()
			if got.Reads != tc.reads || got.Restored != tc.restored || got.Dropped != tc.drops {
				t.Fatalf("reads %d, restored %d, dropped %d; want %d, %d and %d", got.Reads, got.Restored, got.Dropped, tc.reads, tc.restored, tc.drops)
			}
			if got.Events != svc.CachedEvents() || got.Events > tc.bound {
				t.Fatalf("cache holds %d events (CachedEvents %d), bound %d", got.Events, svc.CachedEvents(), tc.bound)
			}
			// The state dropped last is held encoded, within the bound.
			if (tc.drops > 0 && tc.encoded >= 0) != (got.Encoded > 0) || got.Encoded > max(limit, 0) {
				t.Fatalf("%d bytes kept encoded after %d drops, limit %d", got.Encoded, tc.drops, limit)
			}
		})
	}
}
