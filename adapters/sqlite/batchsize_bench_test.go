package sqlite

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// BenchmarkSmallBatch is what the server's group commit asks of the store:
// one AppendBatch of 8 or 32 one-event appends to random streams of 1 000,
// on a file that already holds 50 000 events. ns/op is one durable commit;
// the difference between the two sizes is the cost of one more append, the
// rest is the commit's own (BEGIN, COMMIT, fsync). Behind the schema
// version 2 note in docs/PERFORMANCE.md:
//
//	go test -run '^$' -bench SmallBatch -benchtime 2000x -count 5 ./adapters/sqlite
func BenchmarkSmallBatch(b *testing.B) {
	for _, bs := range []int{8, 32} {
		b.Run(fmt.Sprint(bs), func(b *testing.B) {
			s := MustOpen(b)
			next := make([]int64, 1000)
			for i := range next {
				next[i] = -1
			}
			mk := func(n int, rng *rand.Rand) []domain.AppendRequest {
				evs := benchEvents(n)
				reqs := make([]domain.AppendRequest, n)
				for i := range reqs {
					st := rng.IntN(len(next))
					exp := domain.NoStream
					if next[st] >= 0 {
						exp = domain.Exact(uint64(next[st]))
					}
					reqs[i] = domain.AppendRequest{Stream: fmt.Sprintf("agreement-LOAD-%05d", st), Expected: exp, Events: evs[i : i+1]}
					next[st]++
				}
				return reqs
			}
			rng := rand.New(rand.NewPCG(1, 2))
			for range 50 {
				// 50 000 events, 1 000 per commit.
				reqs := mk(1000, rng)
				mustAppendBatch(b, s, reqs)
			}
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				reqs := mk(bs, rng)
				b.StartTimer()
				mustAppendBatch(b, s, reqs)
			}
		})
	}
}
