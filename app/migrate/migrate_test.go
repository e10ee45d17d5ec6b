package migrate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/migrate"
	"github.com/grantledger/grantledger/domain"
)

// chained returns n events that continue a stream's hash chain from
// revision first, whose previous hash is prev.
func chained(stream string, first uint64, prev string, n int) ([]domain.EventData, string) {
	out := make([]domain.EventData, n)
	for i := range out {
		id := uuid.New()
		typ := "SpendingRecorded"
		data := fmt.Appendf(nil, `{"amount":%d, "note":"ā ✓"}`, 100*(i+1))
		m := domain.Metadata{
			EventID: id, CommandID: uuid.New(), CommandType: "RecordSpending", CommandHash: "c",
			CorrelationID: uuid.New(), Actor: "migrate-test", SchemaVersion: 1,
			RecordedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), PrevHash: prev,
		}
		m.Hash = domain.EventHash(stream, first+uint64(i), typ, data, m)
		prev = m.Hash
		meta := fmt.Appendf(nil, `{"event_id":%q,"command_id":%q,"command_type":%q,"command_hash":%q,"correlation_id":%q,"actor":%q,"recorded_at":%q,"schema_version":1,"prev_hash":%q,"hash":%q}`,
			m.EventID, m.CommandID, m.CommandType, m.CommandHash, m.CorrelationID, m.Actor, m.RecordedAt.Format(time.RFC3339Nano), m.PrevHash, m.Hash)
		out[i] = domain.EventData{ID: id, Type: typ, Data: data, Metadata: meta}
	}
	return out, prev
}

// fill writes a few interleaved hash-chained streams to s.
func fill(t testing.TB, s domain.EventStore, streams, rounds int) int {
	t.Helper()
	ctx := context.Background()
	prev := make([]string, streams)
	n := 0
	for r := range rounds {
		for i := range streams {
			name := fmt.Sprintf("agreement-%d", i)
			evs, last := chained(name, uint64(r*2), prev[i], 2)
			exp := domain.NoStream
			if r > 0 {
				exp = domain.Exact(uint64(r*2 - 1))
			}
			if _, err := s.Append(ctx, name, exp, evs); err != nil {
				t.Fatalf("fill %s: %v", name, err)
			}
			prev[i] = last
			n += len(evs)
		}
	}
	return n
}

func TestCopyAndVerify(t *testing.T) {
	ctx := context.Background()
	src, dst := memstore.New(), memstore.New()
	n := fill(t, src, 3, 4)
	var calls []int
	rep, err := migrate.Copy(ctx, src, dst, func(k int) { calls = append(calls, k) })
	if err != nil {
		t.Fatal(err)
	}
	if rep.Events != n || rep.Copied != n || rep.Skipped != 0 || rep.Streams != 3 {
		t.Errorf("report: got %+v, want %d events copied in 3 streams", rep, n)
	}
	if len(calls) == 0 || calls[len(calls)-1] != n {
		t.Errorf("progress: got %v, want it to end at %d", calls, n)
	}
	vr, err := migrate.Verify(ctx, src, dst)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if vr.Events != n || vr.Streams != 3 {
		t.Errorf("verify report: got %+v, want %d events in 3 streams", vr, n)
	}

	t.Run("re-run copies nothing", func(t *testing.T) {
		rep, err := migrate.Copy(ctx, src, dst, nil)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Copied != 0 || rep.Skipped != n {
			t.Errorf("re-run: got %+v, want 0 copied and %d skipped", rep, n)
		}
		if _, err := migrate.Verify(ctx, src, dst); err != nil {
			t.Errorf("Verify after re-run: %v", err)
		}
	})
}

func TestCopyResumesAfterInterruption(t *testing.T) {
	ctx := context.Background()
	src, dst := memstore.New(), memstore.New()
	n := fill(t, src, 2, 3)
	// Copy the first 5 events by hand, as an interrupted run would have.
	first, err := src.ReadAll(ctx, domain.Position{}, 5)
	if err != nil {
		t.Fatal(err)
	}
	partial := memstore.New()
	if _, err := migrate.Copy(ctx, sliceStore{Store: src, upTo: first[len(first)-1].Position}, partial, nil); err != nil {
		t.Fatal(err)
	}
	dst = partial
	rep, err := migrate.Copy(ctx, src, dst, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Skipped != 5 || rep.Copied != n-5 {
		t.Errorf("resume: got %+v, want 5 skipped and %d copied", rep, n-5)
	}
	if _, err := migrate.Verify(ctx, src, dst); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestCopyRefusesADifferentTarget(t *testing.T) {
	ctx := context.Background()
	src, dst := memstore.New(), memstore.New()
	fill(t, src, 1, 2)
	other, _ := chained("agreement-0", 0, "", 1)
	if _, err := dst.Append(ctx, "agreement-0", domain.NoStream, other); err != nil {
		t.Fatal(err)
	}
	_, err := migrate.Copy(ctx, src, dst, nil)
	if err == nil || !strings.Contains(err.Error(), "not a copy of this source") {
		t.Fatalf("got %v, want a refusal naming the differing stream", err)
	}
	got, _ := dst.ReadStream(ctx, "agreement-0", 0, domain.Forwards, 0)
	if len(got) != 1 {
		t.Errorf("target stream holds %d events after the refusal, want the 1 it had", len(got))
	}
}

func TestVerifyFindsDifferences(t *testing.T) {
	ctx := context.Background()
	src := memstore.New()
	fill(t, src, 2, 2)
	t.Run("missing events", func(t *testing.T) {
		dst := memstore.New()
		_, err := migrate.Verify(ctx, src, dst)
		if err == nil || !strings.Contains(err.Error(), "lacks events") {
			t.Fatalf("got %v, want 'lacks events'", err)
		}
	})
	t.Run("edited bytes", func(t *testing.T) {
		dst := memstore.New()
		all, _ := src.ReadAll(ctx, domain.Position{}, 0)
		for i, e := range all {
			data := e.Data
			if i == 3 {
				data = []byte(`{"amount":999999}`)
			}
			exp := domain.NoStream
			if e.Revision > 0 {
				exp = domain.Exact(e.Revision - 1)
			}
			if _, err := dst.Append(ctx, e.Stream, exp, []domain.EventData{{ID: e.ID, Type: e.Type, Data: data, Metadata: e.Metadata}}); err != nil {
				t.Fatal(err)
			}
		}
		_, err := migrate.Verify(ctx, src, dst)
		if err == nil || !strings.Contains(err.Error(), "data bytes differ") {
			t.Fatalf("got %v, want 'data bytes differ'", err)
		}
	})
}

// sliceStore is a memstore whose ReadAll stops at a position, to stand
// for a source read only partly before an interruption.
type sliceStore struct {
	*memstore.Store
	upTo domain.Position
}

func (s sliceStore) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	evs, err := s.Store.ReadAll(ctx, from, max)
	var out []domain.RecordedEvent
	for _, e := range evs {
		if s.upTo.Less(e.Position) {
			break
		}
		out = append(out, e)
	}
	return out, err
}
