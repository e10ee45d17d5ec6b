package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/migrate"
	"github.com/grantledger/grantledger/domain"
)

// sizedEvents returns events that take exactly total bytes the way
// KurrentDB's Event.SizeOnDisk counts an append against its MaxAppendSize
// (1 048 576 by default): data + metadata + 2 x the type's length.
func sizedEvents(n, total int) []domain.EventData {
	const typ, meta = "Sized", `{"actor":"t"}`
	out := make([]domain.EventData, n)
	left := total
	for i := range out {
		size := total / n
		if i == n-1 {
			size = left
		}
		left -= size
		pad := size - 2*len(typ) - len(meta) - len(`{"p":""}`)
		out[i] = domain.EventData{ID: uuid.New(), Type: typ, Metadata: []byte(meta),
			Data: []byte(`{"p":"` + strings.Repeat("x", pad) + `"}`)}
	}
	return out
}

// TestAppendSizeLimit: one command's events go in one append; an append
// over the server's 1 MiB is refused before it is sent with an error that
// names the limit and the server setting, and writes nothing; one of
// exactly 1 MiB is written.
func TestAppendSizeLimit(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	ctx := ctxT(t)

	if _, err := s.Append(ctx, "size-at-limit", domain.NoStream, sizedEvents(3, 1<<20)); err != nil {
		t.Fatalf("append of exactly 1 048 576 bytes: %v", err)
	}
	before := srv.Appends()
	_, err := s.Append(ctx, "size-over", domain.NoStream, sizedEvents(3, 1<<20+1))
	if domain.ErrorCode(err) != domain.EInvalid {
		t.Fatalf("append of 1 048 577 bytes: got %v, want an invalid error", err)
	}
	for _, want := range []string{"1048576", "MaxAppendSize", "size-over", "nothing was written"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if srv.Appends() != before {
		t.Errorf("the oversized append reached the server")
	}
	if _, err := s.ReadStream(ctx, "size-over", 0, domain.Forwards, 10); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("oversized append: read got %v, want ErrNotFound", err)
	}
}

// TestServerAppendSizeRefusal: an adapter told of a larger limit than the
// server's sends the append; the server's InvalidArgument "Maximum Append
// Size of 1048576 Exceeded" becomes a domain error quoting it.
func TestServerAppendSizeRefusal(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL()+"&maxAppendSize=4194304")
	defer s.Close()
	ctx := ctxT(t)
	_, err := s.Append(ctx, "server-refused", domain.NoStream, sizedEvents(2, 1<<20+10))
	if domain.ErrorCode(err) != domain.EInvalid {
		t.Fatalf("got %v, want an invalid error", err)
	}
	for _, want := range []string{"Maximum Append Size of 1048576 Exceeded", "MaxAppendSize", "nothing was written"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := s.ReadStream(ctx, "server-refused", 0, domain.Forwards, 10); !errors.Is(err, domain.ErrNotFound) {
		t.Errorf("refused append: read got %v, want ErrNotFound", err)
	}
}

// TestServerRefusesMidStream: a server that refuses mid-stream, as a real
// one does, may reach the client as the status or as a bare EOF on a
// send; either way the error names MaxAppendSize and nothing is written.
func TestServerRefusesMidStream(t *testing.T) {
	srv := startServer(t, esdbtest.Options{RefuseMidStream: true})
	s := mustOpen(t, srv.URL()+"&maxAppendSize=16777216")
	defer s.Close()
	ctx := ctxT(t)
	for i := range 5 {
		stream := fmt.Sprintf("mid-stream-%d", i)
		_, err := s.Append(ctx, stream, domain.NoStream, sizedEvents(8, 4<<20))
		if err == nil || !strings.Contains(err.Error(), "MaxAppendSize") {
			t.Fatalf("append of 4 MiB to a 1 MiB server: got %v, want an error naming MaxAppendSize", err)
		}
		if _, err := s.ReadStream(ctx, stream, 0, domain.Forwards, 1); !errors.Is(err, domain.ErrNotFound) {
			t.Errorf("the refused append left events: %v", err)
		}
	}
}

// TestMaxAppendSizeParameter: maxAppendSize= in the connection string sets
// the adapter's limit, and a malformed one is refused at Open.
func TestMaxAppendSizeParameter(t *testing.T) {
	srv := startServer(t, esdbtest.Options{MaxAppendSize: 4096})
	s := mustOpen(t, srv.URL()+"&maxAppendSize=4096")
	defer s.Close()
	if got := s.MaxAppendBytes(); got != 4096 {
		t.Errorf("MaxAppendBytes: got %d, want 4096", got)
	}
	_, err := s.Append(ctxT(t), "small-limit", domain.NoStream, sizedEvents(1, 4097))
	if err == nil || !strings.Contains(err.Error(), "4096") {
		t.Errorf("append of 4097 bytes under a 4096 limit: got %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := esdbOpen(ctx, srv.URL()+"&maxAppendSize=lots"); domain.ErrorCode(err) != domain.EInvalid || !strings.Contains(err.Error(), "maxAppendSize") {
		t.Errorf("malformed maxAppendSize: got %v, want an invalid error naming it", err)
	}
}

// TestMigrateSplitsRunsUnderTheLimit copies a stream whose events, one
// command each, take 2.5 MiB in all: migrate appends runs of up to 1 000
// events in one call, which a real server refuses over 1 MiB; it must
// split them under the target's limit.
func TestMigrateSplitsRunsUnderTheLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	src := memstore.New()
	var prev string
	for i := range 50 {
		evs, last := rechain("agreement-big", uint64(i), prev, fmt.Appendf(nil, `{"amount_cents":1,"note":%q}`, strings.Repeat("n", 50_000)))
		exp := domain.NoStream
		if i > 0 {
			exp = domain.Exact(uint64(i - 1))
		}
		if _, err := src.Append(ctx, "agreement-big", exp, evs); err != nil {
			t.Fatal(err)
		}
		prev = last
	}
	srv := startServer(t, esdbtest.Options{})
	dst := mustOpen(t, srv.URL())
	defer dst.Close()
	rep, err := migrate.Copy(ctx, src, dst, nil)
	if err != nil {
		t.Fatalf("copy 2.5 MiB of one stream to EventStoreDB: %v", err)
	}
	if rep.Copied != 50 {
		t.Errorf("copied %d events, want 50", rep.Copied)
	}
	if _, err := migrate.Verify(ctx, src, dst); err != nil {
		t.Errorf("verify: %v", err)
	}
}

// rechain returns one event of stream at revision rev with data, chained
// on prev, as chainedEvents builds them.
func rechain(stream string, rev uint64, prev string, data []byte) ([]domain.EventData, string) {
	id := uuid.New()
	m := domain.Metadata{
		EventID: id, CommandID: uuid.New(), CommandType: "RecordSpending", CommandHash: "h",
		CorrelationID: uuid.New(), Actor: "esdb-size-test", SchemaVersion: 1,
		RecordedAt: time.Date(2026, 3, 4, 5, 6, 7, 8, time.UTC), PrevHash: prev,
	}
	m.Hash = domain.EventHash(stream, rev, "SpendingRecorded", data, m)
	meta := fmt.Appendf(nil, `{"event_id":%q,"command_id":%q,"command_type":%q,"command_hash":%q,"correlation_id":%q,"actor":%q,"recorded_at":%q,"schema_version":1,"prev_hash":%q,"hash":%q}`,
		m.EventID, m.CommandID, m.CommandType, m.CommandHash, m.CorrelationID, m.Actor, m.RecordedAt.Format(time.RFC3339Nano), m.PrevHash, m.Hash)
	return []domain.EventData{{ID: id, Type: "SpendingRecorded", Data: data, Metadata: meta}}, m.Hash
}

// esdbOpen is esdb.Open for a test that expects it to fail.
func esdbOpen(ctx context.Context, url string) (*esdb.Store, error) { return esdb.Open(ctx, url) }
