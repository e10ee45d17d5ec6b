package command_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/legacytest"
)

func regEnv(id uuid.UUID, number string) domain.Envelope {
	y1 := domain.MustDate("2024-01-01")
	y1e := domain.MustDate("2024-12-31")
	return domain.NewEnvelope(id, "officer", "", domain.RegisterAgreement{Ref: domain.Ref{Agreement: number}, Kind: domain.KindGrant,
		Title: "T " + number, Grantee: "NGO", Funder: "Ministry " + number, Period: domain.Period{From: y1, To: y1e},
		Years: []domain.YearSpec{{Year: 1, From: y1, To: y1e}}, Lines: []domain.LineSpec{{Line: "a", Name: "A"}}})
}

func spendEnv(id uuid.UUID, number, amount string) domain.Envelope {
	return domain.NewEnvelope(id, "accountant", "", domain.RecordSpending{Ref: domain.Ref{Agreement: number}, Line: "a", Year: 1,
		Amount: domain.MustMoney(amount), Date: domain.MustDate("2024-03-01"), Document: "inv"})
}

// eventsIn counts the events of every agreement stream.
func eventsIn(t *testing.T, store domain.EventStore) int {
	t.Helper()
	evs, err := store.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(evs)
}

func wantCode(t *testing.T, err error, code, field, says string) {
	t.Helper()
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != code || de.Field != field || (says != "" && !contains(de.Message, says)) {
		t.Fatalf("got %v, want a %s error on %s saying %q", err, code, field, says)
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

// Issue 12 item 8: the same command_id on two agreements was applied twice
// (a client that retried after fixing a typo in the agreement number
// recorded the spending twice), and both events got the same event id. A
// command id is used once in the whole ledger: on another agreement it is
// a conflict whatever the content; on the same agreement with the same
// content it is a duplicate, answered with the first result.
func TestCommandIDIsUsedOnceInTheLedger(t *testing.T) {
	ctx := context.Background()
	for name, open := range map[string]func(t *testing.T) port.Store{
		"memstore": func(*testing.T) port.Store { return memstore.New() },
		"sqlite": func(t *testing.T) port.Store {
			s, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			store := open(t)
			svc := command.New(store, command.Options{Clock: fixedClock})
			mustApply(t, svc, []domain.Envelope{regEnv(uuid.New(), "AG-1"), regEnv(uuid.New(), "AG-2")})
			id := uuid.New()
			if _, err := commandtest.Handle(ctx, svc, spendEnv(id, "AG-1", "100.00")); err != nil {
				t.Fatal(err)
			}
			before := eventsIn(t, store)
			_, err := commandtest.Handle(ctx, svc, spendEnv(id, "AG-2", "100.00"))
			wantCode(t, err, domain.EConflict, "command_id", `"AG-1"`)
			if got := eventsIn(t, store); got != before {
				t.Fatalf("%d events after the refused reuse, want %d", got, before)
			}
			res, err := commandtest.Handle(ctx, svc, spendEnv(id, "AG-1", "100.00"))
			if err != nil || !res.Duplicate {
				t.Fatalf("retry on the same agreement: %+v, %v; want a duplicate", res, err)
			}
			_, err = commandtest.Handle(ctx, svc, spendEnv(id, "AG-1", "200.00"))
			wantCode(t, err, domain.EConflict, "command_id", "")
			// The batch path: a batch that reuses the id on AG-2, and one
			// that holds the same new id twice on two agreements.
			id2 := uuid.New()
			rs := commandtest.HandleBatch(ctx, svc, []domain.Envelope{spendEnv(id, "AG-2", "1.00"), spendEnv(id2, "AG-1", "2.00"), spendEnv(id2, "AG-2", "2.00"), spendEnv(uuid.New(), "AG-2", "3.00")})
			wantCode(t, rs[0].Err, domain.EConflict, "command_id", `"AG-1"`)
			if rs[1].Err != nil || rs[3].Err != nil {
				t.Fatalf("batch: the commands with fresh ids were refused: %v, %v", rs[1].Err, rs[3].Err)
			}
			wantCode(t, rs[2].Err, domain.EConflict, "command_id", "")
			if got := eventsIn(t, store); got != before+2 {
				t.Fatalf("%d events after the batch, want %d", got, before+2)
			}
		})
	}
}

// Two processes on one ledger file (two stores, two services): the second
// has read the ledger before the first writes, so its index is stale; the
// store's write lock and the append guard still keep a command id to one
// agreement and a number from its look-alikes. Then both race.
func TestLedgerWideRulesAcrossProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	open := func() (*sqlite.Store, *command.Service) {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s, command.New(s, command.Options{Clock: fixedClock})
	}
	storeA, a := open()
	_, b := open()
	mustApply(t, a, []domain.Envelope{regEnv(uuid.New(), "AG-1"), regEnv(uuid.New(), "AG-2")})
	// b reads the ledger (and builds its index) now.
	if _, err := commandtest.Handle(ctx, b, spendEnv(uuid.New(), "AG-2", "1.00")); err != nil {
		t.Fatal(err)
	}
	id := uuid.New()
	if _, err := commandtest.Handle(ctx, a, spendEnv(id, "AG-1", "100.00")); err != nil {
		t.Fatal(err)
	}
	mustApply(t, a, []domain.Envelope{regEnv(uuid.New(), "KNVOC-2022-2025")})
	before := eventsIn(t, storeA)
	_, err := commandtest.Handle(ctx, b, spendEnv(id, "AG-2", "100.00"))
	wantCode(t, err, domain.EConflict, "command_id", `"AG-1"`)
	_, err = commandtest.Handle(ctx, b, regEnv(uuid.New(), "knvoc-2022-2025"))
	wantCode(t, err, domain.EDuplicate, "agreement", `"KNVOC-2022-2025"`)
	if got := eventsIn(t, storeA); got != before {
		t.Fatalf("%d events after the refusals, want %d", got, before)
	}

	// Race: each round, both services send one new id, a to AG-1 and b to
	// AG-2, and register look-alike numbers; exactly one of each pair wins.
	for round := 0; round < 20; round++ {
		id := uuid.New()
		n1, n2 := fmt.Sprintf("RACE-%d", 100+round), fmt.Sprintf("race-%d", 100+round)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		wg.Add(4)
		go func() { defer wg.Done(); _, errs[0] = commandtest.Handle(ctx, a, spendEnv(id, "AG-1", "1.00")) }()
		go func() { defer wg.Done(); _, errs[1] = commandtest.Handle(ctx, b, spendEnv(id, "AG-2", "1.00")) }()
		go func() { defer wg.Done(); _, errs[2] = commandtest.Handle(ctx, a, regEnv(uuid.New(), n1)) }()
		go func() { defer wg.Done(); _, errs[3] = commandtest.Handle(ctx, b, regEnv(uuid.New(), n2)) }()
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("round %d: command id on two agreements: errors %v and %v, want exactly one applied", round, errs[0], errs[1])
		}
		if (errs[2] == nil) == (errs[3] == nil) {
			t.Fatalf("round %d: %s and %s: errors %v and %v, want exactly one registered", round, n1, n2, errs[2], errs[3])
		}
	}
}

// Issue 12 item 2: a number equal to a registered one after case folding
// and look-alike mapping is refused, naming the registered one. A ledger
// written before that rule, holding such numbers, still loads, and both
// agreements take commands, each by its exact number.
func TestLookAlikeNumbersRefusedLegacyOnesLoad(t *testing.T) {
	ctx := context.Background()
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: fixedClock})
	mustApply(t, svc, []domain.Envelope{regEnv(uuid.New(), "KNVOC-2022-2025"), regEnv(uuid.New(), "AIF/2022/KAPAC2/104")})
	for _, n := range []string{"knvoc-2022-2025", "KNV\u041eC-2022-2025", "KNV0C-2022-2025", "\u039aNVOC-2022-2025", "AlF/2022/KAPAC2/104", "aif/2022/kapac2/104"} {
		_, err := commandtest.Handle(ctx, svc, regEnv(uuid.New(), n))
		wantCode(t, err, domain.EDuplicate, "agreement", "too like the registered")
	}
	mustApply(t, svc, []domain.Envelope{regEnv(uuid.New(), "AIF/2022/KAPAC2/126")})

	legacy := memstore.New()
	legacytest.Register(t, legacy, "KNVOC-2022-2025", "Ministry A", "NGO A")
	legacytest.Register(t, legacy, "knvoc-2022-2025", "Ministry B", "NGO B")
	lsvc := command.New(legacy, command.Options{Clock: fixedClock})
	mustApply(t, lsvc, []domain.Envelope{spendEnv(uuid.New(), "KNVOC-2022-2025", "1.00"), spendEnv(uuid.New(), "knvoc-2022-2025", "2.00")})
	for n, want := range map[string]string{"KNVOC-2022-2025": "1.00", "knvoc-2022-2025": "2.00"} {
		err := lsvc.View(ctx, n, func(a *domain.Agreement) error {
			if got := a.Cell("a", 1).Actual.String(); got != want {
				t.Errorf("%s: actual %s, want %s", n, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := commandtest.Handle(ctx, lsvc, regEnv(uuid.New(), "Knvoc-2022-2025"))
	wantCode(t, err, domain.EDuplicate, "agreement", "too like the registered")
}
