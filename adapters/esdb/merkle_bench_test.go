package esdb_test

import (
	"fmt"
	"testing"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/domain"
)

// BenchmarkTreeOnTestServer measures, over 50 000 events on the test
// server, what a new process pays for the Merkle log on EventStoreDB: a
// bare read of $all (the baseline), the tree built from $all with no cache
// (and the cache file written), and the tree loaded from the cache file
// (records digest, root recomputed, first and last event checked in $all).
//
//	go test -run '^$' -bench TreeOnTestServer -benchtime 3x ./adapters/esdb
func BenchmarkTreeOnTestServer(b *testing.B) {
	ctx := treeCtx(b)
	srv := startServer(b, esdbtest.Options{})
	dir := b.TempDir()
	s := openWithDir(b, srv, dir)
	const streams, per = 100, 500
	for i := 0; i < streams; i++ {
		fill(b, ctx, s, fmt.Sprintf("agreement-%d", i), 0, per)
	}
	s.Close()
	b.Run("bare-readall", func(b *testing.B) {
		s := openWithDir(b, srv, "off")
		for range b.N {
			if evs, err := s.ReadAll(ctx, domain.Position{}, 0); err != nil || len(evs) != streams*per {
				b.Fatalf("ReadAll: %d events, %v", len(evs), err)
			}
		}
	})
	b.Run("build-no-cache", func(b *testing.B) {
		for range b.N {
			s := openWithDir(b, srv, b.TempDir())
			if n, _ := storeRoot(b, ctx, s); n != streams*per {
				b.Fatalf("tree of %d leaves", n)
			}
			s.Close()
		}
	})
	b.Run("load-cache", func(b *testing.B) {
		for range b.N {
			s := openWithDir(b, srv, dir)
			if n, _ := storeRoot(b, ctx, s); n != streams*per {
				b.Fatalf("tree of %d leaves", n)
			}
			if why := s.TreeCacheRebuilt(); why != "" {
				b.Fatalf("cache refused: %s", why)
			}
			s.Close()
		}
	})
}
