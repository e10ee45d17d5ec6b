package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/domain"
)

// TestConcurrentBatchOverlaps: the appends of one batch to different
// streams are in flight together (group commit on EventStoreDB was one
// append at a time), and each request's result is its own.
func TestConcurrentBatchOverlaps(t *testing.T) {
	srv := startServer(t, esdbtest.Options{AppendDelay: func(string) time.Duration { return 30 * time.Millisecond }})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	var reqs []domain.AppendRequest
	for i := range 16 {
		reqs = append(reqs, domain.AppendRequest{Stream: fmt.Sprintf("overlap-%d", i), Expected: domain.NoStream, Events: newEvents(2)})
	}
	out, err := esdb.Concurrent{Store: s}.AppendBatch(ctxT(t), reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out {
		if o.Err != nil || o.Result.NextRevision != 1 {
			t.Errorf("request %d: %+v, want written at revisions 0-1", i, o)
		}
		evs, err := s.ReadStream(ctxT(t), reqs[i].Stream, 0, domain.Forwards, 10)
		if err != nil || len(evs) != 2 || evs[1].Position != o.Result.Position {
			t.Errorf("request %d: stream holds %d events (err %v), last at %v; result said %v", i, len(evs), err, evs, o.Result.Position)
		}
	}
	if m := srv.MaxConcurrentAppends(); m < 2 {
		t.Errorf("at most %d append in flight at once, want several", m)
	}
}

// TestConcurrentBatchChains: requests to one stream go in order; after
// one fails, the later ones to that stream fail with AfterFailed and write
// nothing, while other streams are written (domain.BatchAppender).
func TestConcurrentBatchChains(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	ctx := ctxT(t)
	b := esdb.Concurrent{Store: s}
	first, second := newEvents(2), newEvents(1)
	out, err := b.AppendBatch(ctx, []domain.AppendRequest{
		{Stream: "chain", Expected: domain.NoStream, Events: first},
		{Stream: "chain", Expected: domain.Exact(1), Events: second},
	})
	if err != nil || out[0].Err != nil || out[1].Err != nil || out[1].Result.NextRevision != 2 {
		t.Fatalf("a chain of two: %+v, %v", out, err)
	}
	out, err = b.AppendBatch(ctx, []domain.AppendRequest{
		{Stream: "chain", Expected: domain.Exact(1), Events: newEvents(1)}, // stale: the stream is at 2
		{Stream: "chain-other", Expected: domain.NoStream, Events: newEvents(1)},
		{Stream: "chain", Expected: domain.Exact(2), Events: newEvents(1)}, // matches, built on the stale one
	})
	if err != nil {
		t.Fatal(err)
	}
	var ce *domain.ConcurrencyError
	if !errors.As(out[0].Err, &ce) || ce.Actual != 2 {
		t.Errorf("stale request: got %v, want a concurrency error at actual revision 2", out[0].Err)
	}
	if out[1].Err != nil {
		t.Errorf("other stream: %v, want written", out[1].Err)
	}
	if !errors.As(out[2].Err, &ce) || !ce.AfterFailed {
		t.Errorf("request after the failed one: got %v, want a concurrency error with AfterFailed", out[2].Err)
	}
	evs, err := s.ReadStream(ctx, "chain", 0, domain.Forwards, 10)
	if err != nil || len(evs) != 3 {
		t.Errorf("chain: %d events (err %v), want the 3 of the first batch only", len(evs), err)
	}
}

// TestConcurrentBatchPerAppendTimeout: each append has its own timeout
// (defaultDeadline in the connection string), not one shared by the
// batch: a slow stream times out alone, and appends that each fit their
// own timeout succeed although together they take longer than the batch's
// context allowed.
func TestConcurrentBatchPerAppendTimeout(t *testing.T) {
	srv := startServer(t, esdbtest.Options{AppendDelay: func(stream string) time.Duration {
		if strings.HasPrefix(stream, "slow") {
			return 3 * time.Second
		}
		return 150 * time.Millisecond
	}})
	s := mustOpen(t, srv.URL()+"&defaultDeadline=1000")
	defer s.Close()
	s.BatchConcurrency = 1 // one at a time: 4 × 150 ms
	var reqs []domain.AppendRequest
	for i := range 4 {
		reqs = append(reqs, domain.AppendRequest{Stream: fmt.Sprintf("fast-%d", i), Expected: domain.NoStream, Events: newEvents(1)})
	}
	reqs = append(reqs, domain.AppendRequest{Stream: "slow", Expected: domain.NoStream, Events: newEvents(1)})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := esdb.Concurrent{Store: s}.AppendBatch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range out[:4] {
		if o.Err != nil {
			t.Errorf("fast request %d: %v, want written within its own timeout", i, o.Err)
		}
	}
	if domain.ErrorCode(out[4].Err) != domain.EUnavailable || !strings.Contains(out[4].Err.Error(), "in time") {
		t.Errorf("slow request: got %v, want an unavailable 'did not answer in time' error", out[4].Err)
	}
	if el := time.Since(start); el > 2900*time.Millisecond {
		t.Errorf("the batch took %v: the slow append was not cut at its 1 s deadline", el)
	}
}

// TestDefaultDeadline: without defaultDeadline in the connection string
// the client's own 10 s would cut every append; the adapter sets its
// documented 30 s (DefaultCallTimeout), and honours defaultDeadline when
// given.
func TestDefaultDeadline(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	if got := s.CallTimeout(); got != esdb.DefaultCallTimeout || esdb.DefaultCallTimeout != 30*time.Second {
		t.Errorf("call timeout without defaultDeadline: got %v, want the documented 30s", got)
	}
	if got := s.ClientDeadline(); got != 30*time.Second {
		t.Errorf("client's default deadline: got %v, want 30s (its own default is 10s)", got)
	}
	s2 := mustOpen(t, srv.URL()+"&defaultDeadline=45000")
	defer s2.Close()
	if got := s2.CallTimeout(); got != 45*time.Second {
		t.Errorf("call timeout with defaultDeadline=45000: got %v, want 45s", got)
	}
}
