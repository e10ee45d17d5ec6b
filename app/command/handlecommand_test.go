package command_test

import (
	"context"
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/adapters/wire"
	"github.com/grantledger/grantledger/app/command"
)

// TestHandleCommandMatchesHandle checks that a command handed over already
// decoded is applied exactly as Handle applies its envelope: same events,
// same hash chain, and a retry of either kind is recognised as a duplicate.
func TestHandleCommandMatchesHandle(t *testing.T) {
	ctx := context.Background()
	viaHandle := command.New(memstore.New(), command.Options{Clock: fixedClock})
	viaCommand := command.New(memstore.New(), command.Options{Clock: fixedClock})
	for i, env := range seeds.Scenario004() {
		want, err := viaHandle.Handle(ctx, env)
		if err != nil {
			t.Fatalf("Handle command %d (%s): %v", i, env.Type, err)
		}
		cmd, err := wire.DecodeCommand(env)
		if err != nil {
			t.Fatalf("decode command %d (%s): %v", i, env.Type, err)
		}
		got, err := viaCommand.HandleCommand(ctx, env, cmd)
		if err != nil {
			t.Fatalf("HandleCommand command %d (%s): %v", i, env.Type, err)
		}
		if len(got.Events) != len(want.Events) {
			t.Fatalf("command %d: got %d events, want %d", i, len(got.Events), len(want.Events))
		}
		for k := range got.Events {
			if got.Events[k].Hash != want.Events[k].Hash || got.Events[k].Revision != want.Events[k].Revision {
				t.Errorf("command %d event %d: got revision %d hash %s, want revision %d hash %s", i, k,
					got.Events[k].Revision, got.Events[k].Hash, want.Events[k].Revision, want.Events[k].Hash)
			}
		}
	}

	t.Run("retry through Handle of a command applied by HandleCommand", func(t *testing.T) {
		envs := seeds.Scenario004()
		last := envs[len(envs)-1]
		first, err := viaHandle.Handle(ctx, last) // viaHandle applied it above: a duplicate
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		again, err := viaCommand.Handle(ctx, last)
		if err != nil {
			t.Fatalf("retry: %v", err)
		}
		if !again.Duplicate || !first.Duplicate {
			t.Errorf("got duplicate %v and %v, want true and true", first.Duplicate, again.Duplicate)
		}
		if len(again.Events) != len(first.Events) || len(again.Events) == 0 || again.Events[0].Hash != first.Events[0].Hash {
			t.Errorf("retry answered %+v, want the first answer's events %+v", again.Events, first.Events)
		}
	})
}
