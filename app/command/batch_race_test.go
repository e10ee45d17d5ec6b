package command_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// TestBatchAfterAnotherWriter is the race that once broke a hash chain: a
// service whose cached state is one event behind (another process appended
// one spending) applies a batch of two commands to that agreement. The
// first is decided on the stale state and refused by the store; the second
// was decided on top of the first and expects exactly the revision the
// stream is now at. The store must refuse it too (domain.BatchAppender), so
// that both are decided again on the real state: every command applied
// once, and the chain intact for a service that reads it afresh.
func TestBatchAfterAnotherWriter(t *testing.T) {
	a, b, ref, spend, open := twoProcesses(t)
	ctx := context.Background()
	if _, err := commandtest.Handle(ctx, b, spend("B-1")); err != nil { // a's cache is now one event behind
		t.Fatal(err)
	}
	for i, r := range commandtest.HandleBatch(ctx, a, []domain.Envelope{spend("A-1"), spend("A-2")}) {
		if r.Err != nil {
			t.Fatalf("batch command %d: %v", i, r.Err)
		}
	}
	wantActual(t, command.New(open(), command.Options{}), ref, 300)
}

// TestResentCommandToAnotherProcess: a command applied by one process and
// resent (its answer lost) to another whose cached state has not seen it
// yet, alone and first in a batch followed by a new command. The store
// finds its events already there; it must be answered as a duplicate, not
// as newly applied, and the command after it must still be applied once,
// on top of the real stream.
func TestResentCommandToAnotherProcess(t *testing.T) {
	for _, inBatch := range []bool{false, true} {
		a, b, ref, spend, open := twoProcesses(t)
		ctx := context.Background()
		x := spend("X")
		if _, err := commandtest.Handle(ctx, b, x); err != nil { // applied by b; a has not seen it
			t.Fatal(err)
		}
		var res command.Result
		if inBatch {
			out := commandtest.HandleBatch(ctx, a, []domain.Envelope{x, spend("Y")})
			for i, r := range out {
				if r.Err != nil {
					t.Fatalf("batch command %d: %v", i, r.Err)
				}
			}
			if out[1].Result.Duplicate {
				t.Errorf("the new command after the resent one was answered as a duplicate")
			}
			res = out[0].Result
		} else {
			var err error
			if res, err = commandtest.Handle(ctx, a, x); err != nil {
				t.Fatal(err)
			}
		}
		if !res.Duplicate {
			t.Errorf("in a batch %v: a command applied by another process was answered as newly applied: %+v", inBatch, res)
		}
		want := domain.Money(100)
		if inBatch {
			want = 200
		}
		wantActual(t, command.New(open(), command.Options{}), ref, want)
	}
}

// twoProcesses returns two services on one SQLite file with an agreement
// registered and planned through a (so a's state is cached), a maker of
// 1.00 spendings, and an opener of more handles on the file.
func twoProcesses(t *testing.T) (a, b *command.Service, ref domain.Ref, spend func(doc string) domain.Envelope, open func() *sqlite.Store) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ledger.db")
	open = func() *sqlite.Store {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	ctx := context.Background()
	a, b = command.New(open(), command.Options{}), command.New(open(), command.Options{})
	d := domain.MustDate
	ref = domain.Ref{Agreement: "RACE-1"}
	y := domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}
	spend = func(doc string) domain.Envelope {
		return domain.NewEnvelope(uuid.New(), "t", "", domain.RecordSpending{Ref: ref, Line: "l", Year: 1, Amount: 100, Date: d("2024-03-01"), Document: doc})
	}
	for _, env := range []domain.Envelope{
		domain.NewEnvelope(uuid.New(), "t", "", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", Period: y,
			Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "l"}}}),
		domain.NewEnvelope(uuid.New(), "t", "", domain.PlanBudget{Ref: ref, Line: "l", Year: 1, Amount: 100000}),
	} {
		if _, err := commandtest.Handle(ctx, a, env); err != nil {
			t.Fatal(err)
		}
	}
	return a, b, ref, spend, open
}

// wantActual reads the agreement afresh through svc (its hash chain is
// checked) and wants actual spending of line l, year 1, to be want.
func wantActual(t *testing.T, svc *command.Service, ref domain.Ref, want domain.Money) {
	t.Helper()
	err := svc.View(context.Background(), ref.Agreement, func(ag *domain.Agreement) error {
		if got := ag.Cell("l", 1).Actual; got != want {
			t.Errorf("actual: got %s, want %s (each spending once)", got, want)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the agreement afresh (its hash chain is checked): %v", err)
	}
}
