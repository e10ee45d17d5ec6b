package migrate_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/migrate"
	"github.com/grantledger/grantledger/domain"
)

// limited is a target with an append size limit (as the EventStoreDB
// store has) that records the appends it gets.
type limited struct {
	domain.EventStore
	limit   int
	appends [][]domain.EventData
}

func (l *limited) MaxAppendBytes() int { return l.limit }

func (l *limited) Append(ctx context.Context, stream string, exp domain.ExpectedRevision, evs []domain.EventData) (domain.AppendResult, error) {
	l.appends = append(l.appends, evs)
	return l.EventStore.Append(ctx, stream, exp, evs)
}

// TestCopySplitsRunsByCommand: a target with a size limit gets appends
// under it, each holding whole commands (events sharing a command id),
// and the copy verifies.
func TestCopySplitsRunsByCommand(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	src := memstore.New()
	// 20 commands of 3 events each on one stream: one run of 60 events.
	evs, _ := chained("agreement-split", 0, "", 60)
	for c := range 20 {
		cmd := uuid.New()
		for i := 3 * c; i < 3*c+3; i++ {
			var m map[string]any
			if err := json.Unmarshal(evs[i].Metadata, &m); err != nil {
				t.Fatal(err)
			}
			m["command_id"] = cmd.String()
			// The hash covers the command id: this copy's chain is not
			// verified, only how it is cut.
			evs[i].Metadata, _ = json.Marshal(m)
		}
	}
	if _, err := src.Append(ctx, "agreement-split", domain.NoStream, evs); err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, e := range evs[:3] {
		size += 2*len(e.Type) + len(e.Data) + len(e.Metadata)
	}
	dst := &limited{EventStore: memstore.New(), limit: 2*size + size/2} // room for two commands
	rep, err := migrate.Copy(ctx, src, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Copied != 60 {
		t.Fatalf("copied %d, want 60", rep.Copied)
	}
	if len(dst.appends) < 10 {
		t.Errorf("%d appends, want at least 10 under a limit of two commands", len(dst.appends))
	}
	for i, a := range dst.appends {
		n := 0
		for _, e := range a {
			n += 2*len(e.Type) + len(e.Data) + len(e.Metadata)
		}
		if n > dst.limit {
			t.Errorf("append %d: %d bytes, over the limit %d", i, n, dst.limit)
		}
		if len(a)%3 != 0 {
			t.Errorf("append %d: %d events, cuts a command of 3", i, len(a))
		}
	}
}
