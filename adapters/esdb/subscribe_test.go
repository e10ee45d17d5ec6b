package esdb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/esdb"
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

// TestSubscriptionLosesNoEvent runs the subscription-loss probe under
// every checkpoint pattern, with and without a dropped connection (the
// server stopped and restarted) in the middle.
func TestSubscriptionLosesNoEvent(t *testing.T) {
	for _, mode := range checkpointModes {
		for _, drop := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/drop=%v", mode, drop), func(t *testing.T) {
				t.Parallel()
				srv := startServer(t, esdbtest.Options{Checkpoints: mode})
				s := mustOpen(t, srv.URL())
				defer s.Close()
				var midway func()
				if drop {
					midway = func() {
						srv.Stop()
						if err := srv.Restart(); err != nil {
							t.Fatal(err)
						}
					}
				}
				probeSubscription(t, s, probe{rounds: 6, noise: 150, pause: 20 * time.Millisecond, wait: 3 * time.Second, midway: midway})
			})
		}
	}
}

// probe shapes the subscription-loss probe.
type probe struct {
	rounds int           // rounds of noise + one matching event (2 before subscribing)
	noise  int           // non-matching events per round (> 128, a checkpoint interval)
	pause  time.Duration // between rounds, so the subscription goes idle
	wait   time.Duration // how long one matching event may take to arrive
	midway func()        // run before the middle round (nil: nothing)
}

// probeSubscription writes rounds of many events the subscription's filter
// leaves out around one matching event, two rounds before subscribing and
// the rest while it is live, with pauses, and checks that every matching
// event reaches Next once and in order. Stream names are random, so it can
// run against a server holding other data.
func probeSubscription(t *testing.T, s *esdb.Store, p probe) {
	t.Helper()
	s.ResubscribeFor = time.Minute
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	run := uuid.NewString()[:8]
	prefix := "gl-probe-" + run + "-"
	stream := prefix + "events"
	next := uint64(0) // revision of the next matching event
	appendRetrying := func(name string, exp domain.ExpectedRevision, evs []domain.EventData) {
		t.Helper()
		// A server restarting under the probe refuses for a while; the
		// events' ids make a repeat harmless.
		deadline := time.Now().Add(time.Minute)
		for {
			_, err := s.Append(ctx, name, exp, evs)
			if err == nil {
				return
			}
			if domain.ErrorCode(err) != domain.EUnavailable || time.Now().After(deadline) {
				t.Fatalf("append to %s: %v", name, err)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	round := func(r int) {
		t.Helper()
		appendRetrying(fmt.Sprintf("other-probe-%s-%d", run, r), domain.NoStream, newEvents(p.noise))
		exp := domain.NoStream
		if next > 0 {
			exp = domain.Exact(next - 1)
		}
		appendRetrying(stream, exp, newEvents(1))
		next++
	}
	round(0)
	round(1)
	sub, err := s.Subscribe(ctx, domain.Position{}, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	want := uint64(0)
	receive := func() {
		t.Helper()
		for want < next {
			short, cancel := context.WithTimeout(ctx, p.wait)
			e, err := sub.Next(short)
			cancel()
			if err != nil {
				t.Fatalf("event %s@%d never reached Next: %v", stream, want, err)
			}
			if e.Stream != stream || e.Revision != want {
				t.Fatalf("got %s@%d, want %s@%d", e.Stream, e.Revision, stream, want)
			}
			want++
		}
	}
	receive()
	for r := 2; r < p.rounds; r++ {
		time.Sleep(p.pause)
		if p.midway != nil && r == p.rounds/2+1 {
			p.midway()
		}
		round(r)
		receive()
	}
	// Nothing more: no repeat.
	short, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	if e, err := sub.Next(short); err == nil {
		t.Errorf("extra event %s@%d", e.Stream, e.Revision)
	}
}
