package esdb_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/domain"
)

// benchStores returns the stores to measure: memstore as the baseline,
// the adapter on the test server, and the adapter on a real server when
// GRANTLEDGER_ESDB_URL is set.
func benchStores(b *testing.B) map[string]domain.EventStore {
	srv := startServer(b, esdbtest.Options{})
	stores := map[string]domain.EventStore{
		"memstore":   memstore.New(),
		"testserver": mustOpen(b, srv.URL()),
	}
	if url := os.Getenv(realServerEnv); url != "" {
		stores["real"] = mustOpen(b, url)
	}
	b.Cleanup(func() {
		for _, s := range stores {
			s.Close()
		}
	})
	return stores
}

// BenchmarkAppend measures appends of one command's events (one call per
// command, as grantledger batches them) with an exact expected revision.
func BenchmarkAppend(b *testing.B) {
	for name, s := range benchStores(b) {
		for _, n := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/events=%d", name, n), func(b *testing.B) {
				ctx := context.Background()
				stream := "bench-append-" + uuid.NewString()
				exp := domain.NoStream
				for b.Loop() {
					res, err := s.Append(ctx, stream, exp, newEvents(n))
					if err != nil {
						b.Fatal(err)
					}
					exp = domain.Exact(res.NextRevision)
				}
			})
		}
	}
}

// BenchmarkReadStream measures reading a 100-event stream, as loading an
// agreement does.
func BenchmarkReadStream(b *testing.B) {
	for name, s := range benchStores(b) {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			stream := "bench-read-" + uuid.NewString()
			if _, err := s.Append(ctx, stream, domain.Any, newEvents(100)); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				evs, err := s.ReadStream(ctx, stream, 0, domain.Forwards, 0)
				if err != nil || len(evs) != 100 {
					b.Fatalf("read %d events: %v", len(evs), err)
				}
			}
		})
	}
}
