package command_test

import (
	"context"
	"path/filepath"
	"reflect"
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

// TestRetryIsAnsweredWithTheFirstEvents: a command sent again is answered
// as a duplicate with the events its first application appended (docs/cli.md,
// docs/SERVER.md: "the first result"), whether the retry comes to the same
// service (which no longer keeps the events of applied commands in memory,
// issue 17, and reads them back), inside one batch before the first is
// written, or to a new service over the same store. What the store holds is
// the expectation: ids, types, revisions, hashes and positions.
func TestRetryIsAnsweredWithTheFirstEvents(t *testing.T) {
	t.Run("memstore", func(t *testing.T) { retryAnswers(t, memstore.New()) })
	t.Run("sqlite", func(t *testing.T) {
		// The embedded store commits a batch at once (domain.BatchAppender):
		// the in-batch duplicate is answered before anything is written.
		s, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		retryAnswers(t, s)
	})
}

func retryAnswers(t *testing.T, store port.Store) {
	ctx := context.Background()
	svc := command.New(store, command.Options{Clock: fixedClock})
	envs := seeds.Scenario004()
	mustApply(t, svc, envs)

	stored := func(res command.Result) {
		t.Helper()
		if len(res.Events) == 0 {
			t.Fatal("no events in the answer")
		}
		got, err := store.ReadStream(ctx, res.Events[0].Stream, res.Events[0].Revision, domain.Forwards, len(res.Events))
		if err != nil {
			t.Fatal(err)
		}
		for i, e := range got {
			a := res.Events[i]
			m, _ := domain.DecodeMetadata(e.Metadata)
			if a.ID != e.ID || a.Type != e.Type || a.Revision != e.Revision || a.Hash != m.Hash || a.Event == nil {
				t.Errorf("answer event %d = %s %s rev %d hash %.12s, the store holds %s %s rev %d hash %.12s", i, a.ID, a.Type, a.Revision, a.Hash, e.ID, e.Type, e.Revision, m.Hash)
			}
		}
		if last := res.Events[len(res.Events)-1]; last.Position != got[len(got)-1].Position {
			t.Errorf("last event at %v, the store has it at %v", last.Position, got[len(got)-1].Position)
		}
	}

	// The same service, every command of the seed again.
	for _, env := range envs {
		res, err := commandtest.Handle(ctx, svc, env)
		if err != nil || !res.Duplicate {
			t.Fatalf("%s %s again: duplicate=%v err=%v", env.Type, env.CommandID, res.Duplicate, err)
		}
		stored(res)
	}
	// A new service over the same store.
	fresh := command.New(store, command.Options{Clock: fixedClock})
	res, err := commandtest.Handle(ctx, fresh, envs[len(envs)-1])
	if err != nil || !res.Duplicate {
		t.Fatalf("new service: duplicate=%v err=%v", res.Duplicate, err)
	}
	stored(res)

	// One batch holding a new command twice: the second is the duplicate
	// of the first, answered before either is written.
	ref := domain.Ref{Agreement: "RETRY/2025/1"}
	y := domain.Period{From: domain.MustDate("2025-01-01"), To: domain.MustDate("2025-12-31")}
	mustApply(t, svc, []domain.Envelope{
		domain.NewEnvelope(uuid.New(), "off", "", domain.RegisterAgreement{Ref: ref, Kind: domain.KindGrant, Title: "t", Grantee: "g", Funder: "f",
			Period: y, Years: []domain.YearSpec{{Year: 1, From: y.From, To: y.To}}, Lines: []domain.LineSpec{{Line: "civil"}}}),
		domain.NewEnvelope(uuid.New(), "off", "", domain.PlanBudget{Ref: ref, Line: "civil", Year: 1, Amount: 100_000}),
	})
	spend := domain.NewEnvelope(uuid.New(), "acc", "", domain.RecordSpending{Ref: ref, Line: "civil",
		Year: 1, Amount: 100, Date: domain.MustDate("2025-06-01"), Document: "RETRY-1"})
	out := commandtest.HandleBatch(ctx, svc, []domain.Envelope{spend, spend})
	if out[0].Err != nil || out[1].Err != nil || out[0].Result.Duplicate || !out[1].Result.Duplicate {
		t.Fatalf("batch of one command twice: %+v", out)
	}
	if !reflect.DeepEqual(ids(out[0].Result), ids(out[1].Result)) {
		t.Errorf("in-batch duplicate answered %v, first %v", ids(out[1].Result), ids(out[0].Result))
	}
	stored(out[0].Result)
	// And after the batch, from the store.
	again, err := commandtest.Handle(ctx, svc, spend)
	if err != nil || !again.Duplicate || !reflect.DeepEqual(ids(again), ids(out[0].Result)) {
		t.Fatalf("after the batch: duplicate=%v err=%v ids %v, want %v", again.Duplicate, err, ids(again), ids(out[0].Result))
	}
	stored(again)

	// The same id with other content is still a conflict.
	other := spend
	other.Data = []byte(`{"agreement":"RETRY/2025/1","line":"civil","year":1,"amount":"2.00","date":"2025-06-01","document":"RETRY-1"}`)
	if _, err := commandtest.Handle(ctx, svc, other); domain.ErrorCode(err) != domain.EConflict {
		t.Errorf("same id, other content: %v, want a conflict", err)
	}
}

func ids(r command.Result) []uuid.UUID {
	var out []uuid.UUID
	for _, e := range r.Events {
		out = append(out, e.ID)
	}
	return out
}
