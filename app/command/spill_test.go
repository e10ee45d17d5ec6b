package command_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/seeds"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
	"github.com/grantledger/grantledger/internal/testsupport/randomledger"
)

// TestSpillRoundTrip: a dropped state kept encoded (spill.go) comes back
// as it was: the aggregate's plain state (every map and figure, the
// money that moves, the work plans, the figures as closed), its revision
// and chain hash, and where each command's events are. Over the seed
// scenarios (DOMAIN.md) and 40 random agreements that use every kind of
// command randomledger sends.
func TestSpillRoundTrip(t *testing.T) {
	ctx := context.Background()
	svc := command.New(memstore.New(), command.Options{Clock: fixedClock, MaxCachedEvents: -1})
	for i, r := range commandtest.HandleBatch(ctx, svc, seeds.All()) {
		if r.Err != nil {
			t.Fatalf("seed command %d: %v", i, r.Err)
		}
	}
	numbers := []string{seeds.Seed004}
	for _, env := range seeds.All() {
		if env.Type == domain.CmdRegisterAgreement {
			if cmd, err := commandtest.Request(env); err == nil {
				numbers = append(numbers, cmd.Command.AgreementNumber())
			}
		}
	}
	ags, err := randomledger.Build(ctx, svc, rand.New(rand.NewPCG(17, 4)), 40)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range ags {
		numbers = append(numbers, a.Number)
	}
	for _, n := range numbers {
		same, shared, why, err := command.SpillRoundTrip(ctx, svc, n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		if !same {
			t.Errorf("%s: decoded state differs: %s", n, why)
		}
		// gob describes types, not values, before the first value: every
		// encoding begins with the same descriptions, kept once.
		if !shared {
			t.Errorf("%s: its encoding does not begin with the type descriptions of an empty one", n)
		}
	}
}
