package ledger_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/ledger"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/domain"
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
	path := filepath.Join(t.TempDir(), "ledger.db")
	open := func() *sqlite.Store {
		s, err := sqlite.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	ctx := context.Background()
	a, b := ledger.New(open(), ledger.Options{}), ledger.New(open(), ledger.Options{})
	d := domain.MustDate
	ref := domain.Ref{Agreement: "RACE-1"}
	y := domain.Period{From: d("2024-01-01"), To: d("2024-12-31")}
	spend := func(doc string) domain.Envelope {
		return domain.NewEnvelope(uuid.New(), "t", "", domain.RecordSpending{Ref: ref, Line: "l", Year: 1, Amount: 100, Date: d("2024-03-01"), Document: doc})
	}
	for _, env := range []domain.Envelope{
		domain.NewEnvelope(uuid.New(), "t", "", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f", Period: y,
			Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "l"}}}),
		domain.NewEnvelope(uuid.New(), "t", "", domain.PlanBudget{Ref: ref, Line: "l", Year: 1, Amount: 100000}),
	} {
		if _, err := a.Handle(ctx, env); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.Handle(ctx, spend("B-1")); err != nil { // a's cache is now one event behind
		t.Fatal(err)
	}
	for i, r := range a.HandleBatch(ctx, []domain.Envelope{spend("A-1"), spend("A-2")}) {
		if r.Err != nil {
			t.Fatalf("batch command %d: %v", i, r.Err)
		}
	}
	fresh := ledger.New(open(), ledger.Options{})
	err := fresh.View(ctx, ref.Agreement, func(ag *domain.Agreement) error {
		if got := ag.Cell("l", 1).Actual; got != 300 {
			t.Errorf("actual: got %s, want 3.00 (three spendings of 1.00, each once)", got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the agreement afresh (its hash chain is checked): %v", err)
	}
}
