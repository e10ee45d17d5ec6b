package command_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// TestHandleAloneMatchesBatch checks that Handle's two paths apply a
// command alike: the seed scenario handed over one command at a time (each
// appended by itself) and in one batch of many (one durable commit, on a
// store that commits batches) gives the same events and the same hash
// chain, and a retry through either path is recognised as a duplicate.
func TestHandleAloneMatchesBatch(t *testing.T) {
	ctx := context.Background()
	alone := command.New(memstore.New(), command.Options{Clock: fixedClock})
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if _, ok := any(store).(domain.BatchAppender); !ok {
		t.Fatal("the sqlite store no longer commits batches: this test would compare one path with itself")
	}
	batched := command.New(store, command.Options{Clock: fixedClock})

	envs := seeds.Scenario004()
	reqs := make([]command.Request, len(envs))
	for i, env := range envs {
		if reqs[i], err = commandtest.Request(env); err != nil {
			t.Fatalf("decode command %d (%s): %v", i, env.Type, err)
		}
	}
	inBatch := batched.Handle(ctx, reqs)
	if len(inBatch) != len(reqs) {
		t.Fatalf("a batch of %d got %d outcomes", len(reqs), len(inBatch))
	}
	for i, req := range reqs {
		one := alone.Handle(ctx, []command.Request{req})
		if len(one) != 1 {
			t.Fatalf("a batch of one got %d outcomes", len(one))
		}
		want, got := one[0], inBatch[i]
		if want.Err != nil || got.Err != nil {
			t.Fatalf("command %d (%s): alone %v, in a batch %v", i, req.Envelope.Type, want.Err, got.Err)
		}
		if len(got.Result.Events) != len(want.Result.Events) || len(got.Result.Events) == 0 {
			t.Fatalf("command %d: %d events in a batch, %d alone", i, len(got.Result.Events), len(want.Result.Events))
		}
		for k := range got.Result.Events {
			g, w := got.Result.Events[k], want.Result.Events[k]
			if g.Hash != w.Hash || g.Revision != w.Revision || g.ID != w.ID {
				t.Errorf("command %d event %d: in a batch revision %d hash %s, alone revision %d hash %s", i, k, g.Revision, g.Hash, w.Revision, w.Hash)
			}
		}
	}

	t.Run("retry through either path", func(t *testing.T) {
		last := reqs[len(reqs)-1]
		first := alone.Handle(ctx, []command.Request{last})[0]
		again := batched.Handle(ctx, []command.Request{reqs[0], last})
		for _, o := range append([]command.Outcome{first}, again...) {
			if o.Err != nil || !o.Result.Duplicate {
				t.Fatalf("retry answered %+v (error %v), want a duplicate", o.Result, o.Err)
			}
		}
		if len(again[1].Result.Events) == 0 || again[1].Result.Events[0].Hash != first.Result.Events[0].Hash {
			t.Errorf("retry answered %+v, want the first answer's events %+v", again[1].Result.Events, first.Result.Events)
		}
	})
}

// TestHandleRefusesAMalformedRequest: a request built wrong by its caller
// (no decoded command, or a command of another type than its envelope
// says) is refused by name and appends nothing, in a batch of one and in a
// batch of many alike, and does not stop the other commands of its batch.
func TestHandleRefusesAMalformedRequest(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	svc := command.New(store, command.Options{Clock: fixedClock})
	envs := seeds.Scenario004()
	reg, err := commandtest.Request(envs[0])
	if err != nil {
		t.Fatal(err)
	}
	if reg.Envelope.Type != domain.CmdRegisterAgreement {
		t.Fatalf("the scenario starts with %s, want %s", reg.Envelope.Type, domain.CmdRegisterAgreement)
	}
	noCommand := command.Request{Envelope: envs[1]}
	wrongType := command.Request{Envelope: envs[1], Command: reg.Command}
	wrongType.Envelope.CommandID = uuid.New()

	for _, tc := range []struct {
		name  string
		req   command.Request
		field string
	}{{"no command", noCommand, "data"}, {"type mismatch", wrongType, "type"}} {
		t.Run(tc.name+" alone", func(t *testing.T) {
			o := svc.Handle(ctx, []command.Request{tc.req})[0]
			if domain.ErrorCode(o.Err) != domain.EInvalid {
				t.Fatalf("got %v, want an %s error", o.Err, domain.EInvalid)
			}
			var de *domain.Error
			if !errors.As(o.Err, &de) || de.Field != tc.field {
				t.Errorf("error %v does not name field %q", o.Err, tc.field)
			}
		})
		t.Run(tc.name+" in a batch", func(t *testing.T) {
			out := svc.Handle(ctx, []command.Request{tc.req, reg})
			if domain.ErrorCode(out[0].Err) != domain.EInvalid {
				t.Fatalf("got %v, want an %s error", out[0].Err, domain.EInvalid)
			}
			if out[1].Err != nil {
				t.Fatalf("the well-formed command of the batch: %v", out[1].Err)
			}
		})
	}
	evs, err := store.ReadAll(ctx, domain.Position{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(evs) != 1 || evs[0].Type != domain.TypeAgreementRegistered {
		for _, e := range evs {
			t.Errorf("the store holds a %s event", e.Type)
		}
		t.Fatalf("the store holds %d events, want the one registration (the only well-formed command)", len(evs))
	}
}
