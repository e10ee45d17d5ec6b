package command_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

func fixedClock() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC) }

func mustApply(t *testing.T, svc *command.Service, envs []domain.Envelope) {
	t.Helper()
	for i, env := range envs {
		if _, err := commandtest.Handle(context.Background(), svc, env); err != nil {
			t.Fatalf("command %d (%s): %v", i, env.Type, err)
		}
	}
}

func TestSeed004Figures(t *testing.T) {
	svc := command.New(memstore.New(), command.Options{Clock: fixedClock})
	mustApply(t, svc, seeds.Scenario004())
	err := svc.View(context.Background(), seeds.Seed004, func(a *domain.Agreement) error {
		want := []struct {
			line                                           string
			year                                           int
			planned, in, actual, over, returned, remainder string
		}{
			{seeds.LineCivil, 1, "30000.00", "0.00", "28959.87", "1040.13", "0.00", "0.00"},
			{seeds.LineMinority, 1, "19000.00", "0.00", "18826.66", "173.34", "0.00", "0.00"},
			{seeds.LineCivil, 2, "30000.00", "1040.13", "30000.00", "0.00", "0.00", "1040.13"},
			{seeds.LineMinority, 2, "19000.00", "173.34", "19000.00", "0.00", "0.00", "173.34"},
		}
		for _, w := range want {
			c := a.Cell(w.line, w.year)
			got := []string{c.Planned.String(), c.CarriedIn.String(), c.Actual.String(), c.CarriedOver.String(), c.Returned.String(), c.Remainder().String()}
			exp := []string{w.planned, w.in, w.actual, w.over, w.returned, w.remainder}
			for i := range got {
				if got[i] != exp[i] {
					t.Errorf("%s year %d field %d: got %s, want %s", w.line, w.year, i, got[i], exp[i])
				}
			}
		}
		y1, y2, y3 := a.YearTotal(1), a.YearTotal(2), a.YearTotal(3)
		checks := map[string][2]domain.Money{
			"y1 actual":   {y1.Actual, domain.MustMoney("47 786,53")},
			"y1 carried":  {y1.CarriedOver, domain.MustMoney("1 213,47")},
			"y2 actual":   {y2.Actual, domain.MustMoney("49 000,00")},
			"y2 rem":      {y2.Remainder(), domain.MustMoney("1 213,47")},
			"y3 actual":   {y3.Actual, domain.MustMoney("48 871,72")},
			"y3 returned": {y3.Returned, domain.MustMoney("128,28")},
			"y3 rem":      {y3.Remainder(), 0},
		}
		for k, v := range checks {
			if v[0] != v[1] {
				t.Errorf("%s: got %s, want %s", k, v[0], v[1])
			}
		}
		if !a.Year(1).Closed || a.Year(2).Closed || !a.Year(3).Closed {
			t.Errorf("closed years: got %v %v %v, want true false true", a.Year(1).Closed, a.Year(2).Closed, a.Year(3).Closed)
		}
		if v := a.Indicators()["ngos-consulted"].Value(1); v != 50 {
			t.Errorf("distinct NGOs consulted: got %d, want 50", v)
		}
		if v := a.Indicators()["consultations"].Value(1); v != 80 {
			t.Errorf("consultations: got %d, want 80", v)
		}
		if v := a.Indicators()["facebook-followers"].Value(3); v != 1657 {
			t.Errorf("followers (latest): got %d, want 1657", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_, err = commandtest.Handle(context.Background(), svc, seeds.CloseYear2())
	var re *domain.RuleError
	if !errors.As(err, &re) || re.Rule != "remainder-not-zero" || re.Figures["remainder"] != domain.MustMoney("1213.47") {
		t.Fatalf("closing year 2: got %v, want rule remainder-not-zero with remainder 1213.47", err)
	}
}

func TestIdempotentCommandID(t *testing.T) {
	store := memstore.New()
	svc := command.New(store, command.Options{Clock: fixedClock})
	envs := seeds.Scenario004()
	mustApply(t, svc, envs[:8])
	spend := domain.NewEnvelope(uuid.New(), seeds.Accountant, "", domain.RecordSpending{Ref: domain.Ref{Agreement: seeds.Seed004}, Line: "civil", Year: 1, Amount: 1234, Date: domain.MustDate("2022-08-01"), Document: "INV-1"})
	first, err := commandtest.Handle(context.Background(), svc, spend)
	if err != nil {
		t.Fatal(err)
	}
	// A second service (another process) sees the same history.
	svc2 := command.New(store, command.Options{Clock: fixedClock})
	again, err := commandtest.Handle(context.Background(), svc2, spend)
	if err != nil {
		t.Fatal(err)
	}
	if !again.Duplicate || again.Events[0].ID != first.Events[0].ID {
		t.Fatalf("retry: got duplicate=%v id=%v, want duplicate of %v", again.Duplicate, again.Events[0].ID, first.Events[0].ID)
	}
	evs, _ := store.ReadAll(context.Background(), domain.Position{}, 0)
	if len(evs) != 9 {
		t.Fatalf("events stored: got %d, want 9", len(evs))
	}
	// The same id with different content is refused.
	other := spend
	other.Data = []byte(`{"agreement":"KNVOC-2022-2025","line":"civil","year":1,"amount":"99.00","date":"2022-08-01","document":"INV-1"}`)
	if _, err := commandtest.Handle(context.Background(), svc2, other); domain.ErrorCode(err) != domain.EConflict {
		t.Fatalf("reused id: got %v, want a conflict", err)
	}
}

func TestConcurrentWritersOneAgreement(t *testing.T) {
	store := memstore.New()
	envs := seeds.Scenario004()
	mustApply(t, command.New(store, command.Options{}), envs[:8])
	const writers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := 0; w < writers; w++ {
		svc := command.New(store, command.Options{MaxRetries: 1000}) // one "process" per writer
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				env := domain.NewEnvelope(uuid.New(), "w", "", domain.RecordSpending{Ref: domain.Ref{Agreement: seeds.Seed004}, Line: "civil", Year: 2, Amount: 100, Date: domain.MustDate("2023-08-01"), Document: "D"})
				if _, err := commandtest.Handle(context.Background(), svc, env); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	svc := command.New(store, command.Options{})
	_ = svc.View(context.Background(), seeds.Seed004, func(a *domain.Agreement) error {
		if got, want := a.Cell("civil", 2).Actual, domain.Money(writers*each*100); got != want {
			t.Errorf("actual: got %s, want %s", got, want)
		}
		return nil
	})
}

func TestBatchKeepsLinesAtomic(t *testing.T) {
	store := memstore.New()
	svc := command.New(store, command.Options{})
	res := commandtest.HandleBatch(context.Background(), svc, seeds.Scenario004())
	for i, r := range res {
		if r.Err != nil {
			t.Fatalf("line %d: %v", i, r.Err)
		}
	}
}
