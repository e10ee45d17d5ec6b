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
			mk := newRandomAppends()
			for range 50 {
				// 50 000 events, 1 000 per commit.
				reqs := mk.next(1000)
				mustAppendBatch(b, s, reqs)
			}
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				reqs := mk.next(bs)
				b.StartTimer()
				mustAppendBatch(b, s, reqs)
			}
		})
	}
}

// randomAppends makes one-event appends to random streams of 1 000, each
// expecting its stream's last revision, as the server's group commits
// are (the same seed every time).
type randomAppends struct {
	last []int64 // last revision of each stream; -1: none yet
	rng  *rand.Rand
}

func newRandomAppends() *randomAppends {
	r := &randomAppends{last: make([]int64, 1000), rng: rand.New(rand.NewPCG(1, 2))}
	for i := range r.last {
		r.last[i] = -1
	}
	return r
}

// next returns n appends, each of one new event.
func (r *randomAppends) next(n int) []domain.AppendRequest {
	evs := benchEvents(n)
	reqs := make([]domain.AppendRequest, n)
	for i := range reqs {
		st := r.rng.IntN(len(r.last))
		exp := domain.NoStream
		if r.last[st] >= 0 {
			exp = domain.Exact(uint64(r.last[st]))
		}
		reqs[i] = domain.AppendRequest{Stream: fmt.Sprintf("agreement-LOAD-%05d", st), Expected: exp, Events: evs[i : i+1]}
		r.last[st]++
	}
	return reqs
}
