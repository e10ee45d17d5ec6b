package esdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/migrate"
	"github.com/grantledger/grantledger/domain"
)

// chainedEvents returns n events of stream from revision first that
// continue a hash chain whose last hash is prev.
func chainedEvents(stream string, first uint64, prev string, n int) ([]domain.EventData, string) {
	out := make([]domain.EventData, n)
	for i := range out {
		id := uuid.New()
		data := fmt.Appendf(nil, `{"amount_cents":%d,"note":"Rīga ✓"}`, 1250*(i+1))
		m := domain.Metadata{
			EventID: id, CommandID: uuid.New(), CommandType: "RecordSpending", CommandHash: "h",
			CorrelationID: uuid.New(), Actor: "esdb-migrate-test", SchemaVersion: 1,
			RecordedAt: time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC), PrevHash: prev,
		}
		m.Hash = domain.EventHash(stream, first+uint64(i), "SpendingRecorded", data, m)
		prev = m.Hash
		meta := fmt.Appendf(nil, `{"event_id":%q,"command_id":%q,"command_type":%q,"command_hash":%q,"correlation_id":%q,"actor":%q,"recorded_at":%q,"schema_version":1,"prev_hash":%q,"hash":%q}`,
			m.EventID, m.CommandID, m.CommandType, m.CommandHash, m.CorrelationID, m.Actor, m.RecordedAt.Format(time.RFC3339Nano), m.PrevHash, m.Hash)
		out[i] = domain.EventData{ID: id, Type: "SpendingRecorded", Data: data, Metadata: meta}
	}
	return out, prev
}

// TestMigrateRoundTrip copies memstore -> test EventStoreDB -> memstore
// and verifies every hop event by event, hash chains included, and that a
// re-run into EventStoreDB writes nothing.
func TestMigrateRoundTrip(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src := memstore.New()
	prev := map[string]string{}
	total := 0
	for round := range 5 {
		for a := range 4 {
			stream := fmt.Sprintf("agreement-%d", a)
			evs, last := chainedEvents(stream, uint64(round*3), prev[stream], 3)
			exp := domain.NoStream
			if round > 0 {
				exp = domain.Exact(uint64(round*3 - 1))
			}
			if _, err := src.Append(ctx, stream, exp, evs); err != nil {
				t.Fatal(err)
			}
			prev[stream] = last
			total += len(evs)
		}
	}
	srv := startServer(t, esdbtest.Options{})
	mid := mustOpen(t, srv.URL())
	defer mid.Close()

	rep, err := migrate.Copy(ctx, src, mid, nil)
	if err != nil {
		t.Fatalf("copy to EventStoreDB: %v", err)
	}
	if rep.Copied != total || rep.Streams != 4 {
		t.Errorf("copy to EventStoreDB: got %+v, want %d events in 4 streams", rep, total)
	}
	if vr, err := migrate.Verify(ctx, src, mid); err != nil || vr.Events != total {
		t.Fatalf("verify EventStoreDB copy: %+v, %v", vr, err)
	}
	t.Run("re-run writes nothing", func(t *testing.T) {
		before := srv.Appends()
		rep, err := migrate.Copy(ctx, src, mid, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Copied != 0 || rep.Skipped != total || srv.Appends() != before {
			t.Errorf("re-run: got %+v and %d appends, want 0 copied, %d skipped, no append", rep, srv.Appends()-before, total)
		}
	})
	t.Run("back to memory", func(t *testing.T) {
		back := memstore.New()
		if _, err := migrate.Copy(ctx, mid, back, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Verify(ctx, src, back); err != nil {
			t.Errorf("verify the round trip: %v", err)
		}
	})
}
