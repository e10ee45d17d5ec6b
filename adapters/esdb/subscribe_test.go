package esdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/domain"
)

// checkpointModes are the test server's checkpoint patterns: the
// real-shaped one and each faulty one real servers have sent.
var checkpointModes = []esdbtest.CheckpointMode{
	esdbtest.CheckpointsReal,
	esdbtest.CheckpointsAtEndOfLog,
	esdbtest.CheckpointsAheadOfEvents,
	esdbtest.CheckpointsGoingLive,
	esdbtest.CheckpointsRepeatedLive,
}

// TestSubscriptionLosesNoEvent writes many events the subscription's
// filter leaves out (more than one checkpoint interval, 128) around each
// matching one, before the subscription and while it is live, with pauses,
// and checks that every matching event arrives once and in order, under
// every checkpoint pattern, with and without a dropped connection in the
// middle.
func TestSubscriptionLosesNoEvent(t *testing.T) {
	for _, mode := range checkpointModes {
		for _, drop := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/drop=%v", mode, drop), func(t *testing.T) {
				t.Parallel()
				subscriptionLosesNoEvent(t, mode, drop)
			})
		}
	}
}

func subscriptionLosesNoEvent(t *testing.T, mode esdbtest.CheckpointMode, drop bool) {
	srv := startServer(t, esdbtest.Options{Checkpoints: mode})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	s.ResubscribeFor = 20 * time.Second
	ctx := ctxT(t)
	const stream = "gl-probe"
	next := uint64(0) // revision of the next matching event
	round := func(r int) {
		t.Helper()
		if _, err := s.Append(ctx, fmt.Sprintf("noise-%d", r), domain.NoStream, newEvents(150)); err != nil {
			t.Fatalf("round %d: noise: %v", r, err)
		}
		exp := domain.NoStream
		if next > 0 {
			exp = domain.Exact(next - 1)
		}
		if _, err := s.Append(ctx, stream, exp, newEvents(1)); err != nil {
			t.Fatalf("round %d: %s: %v", r, stream, err)
		}
		next++
	}
	round(0)
	round(1)
	sub, err := s.Subscribe(ctx, domain.Position{}, "gl-")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	want := uint64(0)
	receive := func() {
		t.Helper()
		for want < next {
			short, cancel := context.WithTimeout(ctx, 3*time.Second)
			e, err := sub.Next(short)
			cancel()
			if err != nil {
				t.Fatalf("mode %s: event %s@%d never reached Next: %v", mode, stream, want, err)
			}
			if e.Stream != stream || e.Revision != want {
				t.Fatalf("mode %s: got %s@%d, want %s@%d", mode, e.Stream, e.Revision, stream, want)
			}
			want++
		}
	}
	receive()
	for r := 2; r < 6; r++ {
		time.Sleep(20 * time.Millisecond) // let the subscription go idle
		if drop && r == 4 {
			srv.Stop()
			if err := srv.Restart(); err != nil {
				t.Fatal(err)
			}
		}
		round(r)
		receive()
	}
	// Nothing more: no repeat.
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if e, err := sub.Next(short); err == nil {
		t.Errorf("mode %s: extra event %s@%d", mode, e.Stream, e.Revision)
	}
}
