package esdbtest_test

import (
	"testing"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
)

// recvUntil receives subscription messages until want accepts one, up to
// 50 messages.
func recvUntil(t *testing.T, sub *client.Subscription, want func(*client.SubscriptionEvent) bool) *client.SubscriptionEvent {
	t.Helper()
	for range 50 {
		m := sub.Recv()
		if m.SubscriptionDropped != nil {
			t.Fatalf("dropped: %v", m.SubscriptionDropped.Error)
		}
		if want(m) {
			return m
		}
	}
	t.Fatal("the expected message did not come in 50")
	return nil
}

// TestFaultyCheckpointShapes pins the faulty patterns to what the issue
// threads describe: at the end of the log (KurrentDB #4970) the checkpoint
// is the very position the next event is written at; ahead of events, it
// comes before live events it is past; repeated live, it stays behind
// the events sent.
func TestFaultyCheckpointShapes(t *testing.T) {
	filter := &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: []string{"gl-"}}
	subscribe := func(t *testing.T, mode esdbtest.CheckpointMode) (*client.Client, *client.Subscription) {
		_, cl := start(t, esdbtest.Options{Checkpoints: mode})
		appendOK(t, cl, "gl-a", client.Any{}, evs(1)...)
		sub, err := cl.SubscribeToAll(ctxT(t), client.SubscribeToAllOptions{From: client.Start{}, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sub.Close() })
		recvUntil(t, sub, func(m *client.SubscriptionEvent) bool { return m.CaughtUp != nil })
		return cl, sub
	}
	isCP := func(m *client.SubscriptionEvent) bool { return m.CheckPointReached != nil }
	isEvent := func(m *client.SubscriptionEvent) bool { return m.EventAppeared != nil }

	t.Run("at end of log", func(t *testing.T) {
		cl, sub := subscribe(t, esdbtest.CheckpointsAtEndOfLog)
		cp := recvUntil(t, sub, isCP).CheckPointReached
		res := appendOK(t, cl, "gl-b", client.Any{}, evs(1)...)
		if cp.Commit != res.CommitPosition || cp.Prepare != res.PreparePosition {
			t.Errorf("checkpoint %+v, next event at %d/%d: want equal", *cp, res.CommitPosition, res.PreparePosition)
		}
	})
	t.Run("ahead of events", func(t *testing.T) {
		cl, sub := subscribe(t, esdbtest.CheckpointsAheadOfEvents)
		res := appendOK(t, cl, "gl-b", client.Any{}, evs(1)...)
		m := recvUntil(t, sub, func(m *client.SubscriptionEvent) bool { return isCP(m) || isEvent(m) })
		if m.CheckPointReached == nil {
			t.Fatal("the live event came before any checkpoint")
		}
		if cp := m.CheckPointReached; cp.Commit <= res.CommitPosition {
			t.Errorf("checkpoint %+v is not past the event at %d", *cp, res.CommitPosition)
		}
		if e := recvUntil(t, sub, isEvent).EventAppeared.Event; e.Position.Commit != res.CommitPosition {
			t.Errorf("event at %+v, append said %d", e.Position, res.CommitPosition)
		}
	})
	t.Run("repeated live", func(t *testing.T) {
		cl, sub := subscribe(t, esdbtest.CheckpointsRepeatedLive)
		first := recvUntil(t, sub, isCP).CheckPointReached
		res := appendOK(t, cl, "gl-b", client.Any{}, evs(1)...)
		recvUntil(t, sub, isEvent)
		again := recvUntil(t, sub, isCP).CheckPointReached
		if *again != *first || again.Commit > res.CommitPosition {
			t.Errorf("repeated checkpoint %+v (first %+v): want the same, behind the event at %d", *again, *first, res.CommitPosition)
		}
	})
}
