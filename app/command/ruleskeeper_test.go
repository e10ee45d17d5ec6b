package command_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/commandtest"
)

// countingStore counts the reads of the whole log; keeps says whether it
// claims to keep the ledger-wide rules itself (domain.RulesKeeper), as
// EventStoreDB's reservation streams do.
type countingStore struct {
	*memstore.Store
	keeps    bool
	readAlls atomic.Int64
}

func (c *countingStore) ReadAll(ctx context.Context, from domain.Position, limit int) ([]domain.RecordedEvent, error) {
	c.readAlls.Add(1)
	return c.Store.ReadAll(ctx, from, limit)
}

func (c *countingStore) KeepsLedgerRules() bool { return c.keeps }

// On EventStoreDB the service read $all before every command to catch its
// ledger-wide index up, although the store's reservations keep the rules
// across processes: one round trip more per command, and on the test
// server serve fell from about 3 000 to about 300 commands/s. A store that
// keeps the rules itself is read once; one that does not, before every
// command (its only cross-process check).
func TestIndexReadsTheLogOnceWhenTheStoreKeepsTheRules(t *testing.T) {
	ctx := context.Background()
	for _, keeps := range []bool{true, false} {
		store := &countingStore{Store: memstore.New(), keeps: keeps}
		svc := command.New(store, command.Options{})
		if _, err := commandtest.Handle(ctx, svc, regEnv(uuid.New(), "RK-1")); err != nil {
			t.Fatal(err)
		}
		first := store.readAlls.Load()
		const more = 20
		for i := 0; i < more; i++ {
			if _, err := commandtest.Handle(ctx, svc, spendEnv(uuid.New(), "RK-1", "1,00")); err != nil {
				t.Fatal(err)
			}
		}
		got := store.readAlls.Load() - first
		if keeps && got != 0 {
			t.Errorf("store keeping the rules: %d reads of the whole log for %d commands after the first, want 0", got, more)
		}
		if !keeps && got < more {
			t.Errorf("store not keeping the rules: %d reads of the whole log for %d commands, want one per command at least", got, more)
		}
	}
}
