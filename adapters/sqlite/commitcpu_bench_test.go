package sqlite

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/grantledger/grantledger/domain"
)

// BenchmarkGroupCommitCPU is the server's commit as the group committer
// makes it under load: one AppendGuarded of 14 one-event appends to random
// streams of 1 000 (the batch size measured with 64 clients), on a file
// that already holds 50 000 events. Besides ns/op (mostly the fsync) it
// reports the process's CPU time per commit, user and system, which is
// what the commit takes from the other goroutines of a server on two
// cores. Its guard follows either the commit before (nothing to read) or
// the one before that, as under the server's load, where the handlers
// build their guards while the commit before theirs is written:
//
//	go test -run '^$' -bench GroupCommitCPU -benchtime 2000x -count 5 ./adapters/sqlite
func BenchmarkGroupCommitCPU(b *testing.B) {
	b.Run("guard after the last commit", func(b *testing.B) { benchGroupCommitCPU(b, 0) })
	b.Run("guard one commit behind", func(b *testing.B) { benchGroupCommitCPU(b, 1) })
}

func benchGroupCommitCPU(b *testing.B, behind int) {
	const batch = 14
	s := MustOpen(b)
	mk := newRandomAppends()
	ctx := context.Background()
	var ends []domain.Position // where each commit ended, the last at the end
	for range 50 {
		out, err := s.AppendBatch(ctx, mk.next(1000))
		if err != nil {
			b.Fatal(err)
		}
		ends = append(ends, out[len(out)-1].Result.Position)
	}
	guard := domain.AppendGuard{Check: func([]domain.RecordedEvent) error { return nil }}
	cpu := func() time.Duration {
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	var used time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		reqs := mk.next(batch)
		guard.After = ends[len(ends)-1-behind]
		c0 := cpu()
		b.StartTimer()
		out, err := s.AppendGuarded(ctx, reqs, guard)
		b.StopTimer()
		used += cpu() - c0
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range out {
			if o.Err != nil {
				b.Fatal(o.Err)
			}
		}
		ends = append(ends[len(ends)-2:], out[len(out)-1].Result.Position)
		b.StartTimer()
	}
	b.ReportMetric(float64(used.Microseconds())/float64(b.N), "cpu-µs/op")
}
