package esdbtest_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
)

// These tests drive the test server with the official client, to pin the
// EventStoreDB semantics it emulates.

func start(t *testing.T, opts esdbtest.Options) (*esdbtest.Server, *client.Client) {
	t.Helper()
	srv, err := esdbtest.Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv, dial(t, srv.URL())
}

func dial(t *testing.T, url string) *client.Client {
	t.Helper()
	conf, err := client.ParseConnectionString(url)
	if err != nil {
		t.Fatalf("ParseConnectionString(%s): %v", url, err)
	}
	conf.Logger = nil
	cl, err := client.NewClient(conf)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { cl.Close() })
	return cl
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func evs(n int) []client.EventData {
	out := make([]client.EventData, n)
	for i := range out {
		out[i] = client.EventData{EventID: uuid.New(), EventType: "T", ContentType: client.ContentTypeJson, Data: []byte(`{"i":1}`), Metadata: []byte(`{"m":1}`)}
	}
	return out
}

func appendOK(t *testing.T, cl *client.Client, stream string, exp client.ExpectedRevision, e ...client.EventData) *client.WriteResult {
	t.Helper()
	res, err := cl.AppendToStream(ctxT(t), stream, client.AppendToStreamOptions{ExpectedRevision: exp}, e...)
	if err != nil {
		t.Fatalf("append to %s: %v", stream, err)
	}
	return res
}

func wantWrongVersion(t *testing.T, err error, text string) {
	t.Helper()
	var e *client.Error
	if !errors.As(err, &e) || e.Code() != client.ErrorCodeWrongExpectedVersion {
		t.Fatalf("got error %v, want wrong expected version", err)
	}
	if !strings.Contains(err.Error(), text) {
		t.Errorf("error %q does not say %q", err, text)
	}
}

func readStream(t *testing.T, cl *client.Client, stream string, opts client.ReadStreamOptions, n uint64) ([]*client.ResolvedEvent, error) {
	t.Helper()
	rs, err := cl.ReadStream(ctxT(t), stream, opts, n)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*client.ResolvedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

func TestExpectedRevisionRules(t *testing.T) {
	_, cl := start(t, esdbtest.Options{})
	t.Run("any creates and extends", func(t *testing.T) {
		if r := appendOK(t, cl, "any-1", client.Any{}, evs(2)...); r.NextExpectedVersion != 1 {
			t.Errorf("revision: got %d, want 1", r.NextExpectedVersion)
		}
		if r := appendOK(t, cl, "any-1", client.Any{}, evs(1)...); r.NextExpectedVersion != 2 {
			t.Errorf("revision: got %d, want 2", r.NextExpectedVersion)
		}
	})
	t.Run("no stream on an existing stream", func(t *testing.T) {
		appendOK(t, cl, "ns-1", client.NoStream{}, evs(3)...)
		_, err := cl.AppendToStream(ctxT(t), "ns-1", client.AppendToStreamOptions{ExpectedRevision: client.NoStream{}}, evs(1)...)
		wantWrongVersion(t, err, "expecting 'no_stream' but got '2'")
	})
	t.Run("stream exists on a missing stream", func(t *testing.T) {
		_, err := cl.AppendToStream(ctxT(t), "se-missing", client.AppendToStreamOptions{ExpectedRevision: client.StreamExists{}}, evs(1)...)
		wantWrongVersion(t, err, "expecting 'stream_exists' but got 'no_stream'")
	})
	t.Run("exact behind and ahead", func(t *testing.T) {
		appendOK(t, cl, "ex-1", client.NoStream{}, evs(3)...)
		_, err := cl.AppendToStream(ctxT(t), "ex-1", client.AppendToStreamOptions{ExpectedRevision: client.Revision(1)}, evs(1)...)
		wantWrongVersion(t, err, "expecting '1' but got '2'")
		_, err = cl.AppendToStream(ctxT(t), "ex-1", client.AppendToStreamOptions{ExpectedRevision: client.Revision(7)}, evs(1)...)
		wantWrongVersion(t, err, "expecting '7' but got '2'")
		if r := appendOK(t, cl, "ex-1", client.Revision(2), evs(1)...); r.NextExpectedVersion != 3 {
			t.Errorf("revision: got %d, want 3", r.NextExpectedVersion)
		}
	})
	t.Run("mismatch writes nothing", func(t *testing.T) {
		got, err := readStream(t, cl, "ex-1", client.ReadStreamOptions{From: client.Start{}}, 100)
		if err != nil || len(got) != 4 {
			t.Fatalf("read: got %d events, err %v; want 4", len(got), err)
		}
	})
}

func TestIdempotentAppends(t *testing.T) {
	srv, cl := start(t, esdbtest.Options{NoSystemEvents: true})
	t.Run("repeat with the same expected revision", func(t *testing.T) {
		e := evs(3)
		first := appendOK(t, cl, "idem-1", client.NoStream{}, e...)
		again := appendOK(t, cl, "idem-1", client.NoStream{}, e...)
		if *again != *first {
			t.Errorf("repeat: got %+v, want the first result %+v", *again, *first)
		}
	})
	t.Run("repeat after the stream moved on", func(t *testing.T) {
		e := evs(2)
		appendOK(t, cl, "idem-2", client.NoStream{}, evs(1)...)
		first := appendOK(t, cl, "idem-2", client.Revision(0), e...)
		appendOK(t, cl, "idem-2", client.Any{}, evs(1)...)
		again := appendOK(t, cl, "idem-2", client.Revision(0), e...)
		if *again != *first {
			t.Errorf("repeat: got %+v, want the first result %+v", *again, *first)
		}
	})
	t.Run("repeat under any", func(t *testing.T) {
		e := evs(2)
		appendOK(t, cl, "idem-3", client.Any{}, e...)
		appendOK(t, cl, "idem-3", client.Any{}, e...)
		got, _ := readStream(t, cl, "idem-3", client.ReadStreamOptions{From: client.Start{}}, 100)
		if len(got) != 2 {
			t.Errorf("stream holds %d events, want 2", len(got))
		}
	})
	t.Run("partial repeat under any is refused", func(t *testing.T) {
		e := evs(2)
		appendOK(t, cl, "idem-4", client.Any{}, e...)
		_, err := cl.AppendToStream(ctxT(t), "idem-4", client.AppendToStreamOptions{ExpectedRevision: client.Any{}}, e[1], evs(1)[0])
		wantWrongVersion(t, err, "expecting 'any'")
	})
	t.Run("nothing written by repeats", func(t *testing.T) {
		if got, want := srv.EventCount(), 3+4+2+2; got != want {
			t.Errorf("log holds %d events, want %d", got, want)
		}
	})
}

func TestPositions(t *testing.T) {
	_, cl := start(t, esdbtest.Options{})
	r1 := appendOK(t, cl, "pos-1", client.Any{}, evs(1)...)
	r2 := appendOK(t, cl, "pos-2", client.Any{}, evs(3)...)
	all, err := readAll(t, cl, client.Start{}, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 5 || all[0].Event.StreamID != "$settings" {
		t.Fatalf("$all: got %d events starting with %q, want 5 starting with the system event", len(all), all[0].Event.StreamID)
	}
	t.Run("single event: commit equals prepare", func(t *testing.T) {
		p := all[1].Event.Position
		if p.Commit != p.Prepare || p.Commit != r1.CommitPosition || p.Commit == 0 {
			t.Errorf("position %+v, append said %d/%d; want equal, non-zero", p, r1.CommitPosition, r1.PreparePosition)
		}
	})
	// gRPC appends on a real server are self-committed prepares: each
	// event of one append has its own position, commit == prepare, and the
	// append answers the last event's position.
	t.Run("one append: commit equals prepare per event, growing", func(t *testing.T) {
		a, b, c := all[2].Event.Position, all[3].Event.Position, all[4].Event.Position
		for _, p := range []client.Position{a, b, c} {
			if p.Commit != p.Prepare {
				t.Errorf("position %+v: want commit == prepare", p)
			}
		}
		if !(a.Commit < b.Commit && b.Commit < c.Commit) {
			t.Errorf("positions %+v %+v %+v: want growing", a, b, c)
		}
		if all[1].Event.Position.Commit >= a.Commit {
			t.Errorf("second append commit %d not after first %d", a.Commit, all[1].Event.Position.Commit)
		}
	})
	t.Run("an append answers its last event's position", func(t *testing.T) {
		last := all[4].Event.Position
		if r2.CommitPosition != last.Commit || r2.PreparePosition != last.Prepare {
			t.Errorf("append said %d/%d, last event at %+v", r2.CommitPosition, r2.PreparePosition, last)
		}
	})
	t.Run("$all from a position includes it", func(t *testing.T) {
		from := all[3].Event.Position
		got, err := readAll(t, cl, from, 100)
		if err != nil || len(got) != 2 || got[0].Event.Position != from {
			t.Fatalf("got %d events (err %v), want 2 starting at %+v", len(got), err, from)
		}
	})
	t.Run("system metadata present", func(t *testing.T) {
		m := all[1].Event.SystemMetadata
		for _, k := range []string{"type", "content-type", "created"} {
			if m[k] == "" {
				t.Errorf("system metadata %q missing", k)
			}
		}
		if got := all[1].Event.ContentType; got != "application/json" {
			t.Errorf("content type: got %q", got)
		}
	})
}

func readAll(t *testing.T, cl *client.Client, from client.AllPosition, n uint64) ([]*client.ResolvedEvent, error) {
	t.Helper()
	rs, err := cl.ReadAll(ctxT(t), client.ReadAllOptions{From: from}, n)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []*client.ResolvedEvent
	for {
		e, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
}

func TestStreamReads(t *testing.T) {
	_, cl := start(t, esdbtest.Options{})
	appendOK(t, cl, "rd-1", client.Any{}, evs(5)...)
	t.Run("not found is a response", func(t *testing.T) {
		_, err := readStream(t, cl, "rd-missing", client.ReadStreamOptions{From: client.Start{}}, 10)
		var e *client.Error
		if !errors.As(err, &e) || e.Code() != client.ErrorCodeResourceNotFound {
			t.Fatalf("got %v, want resource not found", err)
		}
	})
	cases := []struct {
		name string
		opts client.ReadStreamOptions
		n    uint64
		want []uint64
	}{
		{"forwards from 3", client.ReadStreamOptions{From: client.Revision(3)}, 10, []uint64{3, 4}},
		{"forwards past the end", client.ReadStreamOptions{From: client.Revision(9)}, 10, nil},
		{"backwards from end", client.ReadStreamOptions{Direction: client.Backwards, From: client.End{}}, 2, []uint64{4, 3}},
		{"backwards from 1", client.ReadStreamOptions{Direction: client.Backwards, From: client.Revision(1)}, 10, []uint64{1, 0}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := readStream(t, cl, "rd-1", c.opts, c.n)
			if err != nil {
				t.Fatal(err)
			}
			var revs []uint64
			for _, e := range got {
				revs = append(revs, e.Event.EventNumber)
			}
			if len(revs) != len(c.want) {
				t.Fatalf("revisions: got %v, want %v", revs, c.want)
			}
			for i := range revs {
				if revs[i] != c.want[i] {
					t.Fatalf("revisions: got %v, want %v", revs, c.want)
				}
			}
		})
	}
}

func TestFilteredSubscription(t *testing.T) {
	_, cl := start(t, esdbtest.Options{})
	for i := range 6 {
		stream := "other-" + string(rune('a'+i))
		if i%2 == 0 {
			stream = "gl-" + string(rune('a'+i))
		}
		appendOK(t, cl, stream, client.Any{}, evs(1)...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	sub, err := cl.SubscribeToAll(ctx, client.SubscribeToAllOptions{
		From:               client.Start{},
		Filter:             &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: []string{"gl-"}},
		MaxSearchWindow:    2,
		CheckpointInterval: 1,
	})
	if err != nil {
		t.Fatalf("SubscribeToAll: %v", err)
	}
	defer sub.Close()
	var streams []string
	var checkpoints []client.Position
	caughtUp := false
	for range 20 {
		m := sub.Recv()
		if m.SubscriptionDropped != nil {
			t.Fatalf("dropped: %v", m.SubscriptionDropped.Error)
		}
		if m.EventAppeared != nil {
			streams = append(streams, m.EventAppeared.Event.StreamID)
		}
		if m.CheckPointReached != nil {
			checkpoints = append(checkpoints, *m.CheckPointReached)
		}
		if m.CaughtUp != nil {
			caughtUp = true
			break
		}
	}
	t.Run("only matching streams", func(t *testing.T) {
		if strings.Join(streams, ",") != "gl-a,gl-c,gl-e" {
			t.Errorf("streams: got %v, want gl-a,gl-c,gl-e", streams)
		}
	})
	t.Run("caught up after the existing events", func(t *testing.T) {
		if !caughtUp {
			t.Error("no caught-up message")
		}
	})
	t.Run("checkpoint every window events scanned", func(t *testing.T) {
		// 7 events scanned ($settings + 6): checkpoints after 2, 4, 6.
		if len(checkpoints) != 3 {
			t.Fatalf("checkpoints: got %d (%v), want 3", len(checkpoints), checkpoints)
		}
		// A real server checkpoints at the next record's position with
		// prepare 0: after 2 events scanned, the third event's position.
		all, err := readAll(t, cl, client.Start{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		if cp, third := checkpoints[0], all[2].Event.Position; cp.Prepare != 0 || cp.Commit != third.Commit {
			t.Errorf("first checkpoint %+v: want (%d, 0), the third record's commit position", cp, third.Commit)
		}
	})
	t.Run("resuming after a checkpoint misses nothing", func(t *testing.T) {
		cp := checkpoints[1] // after the 4th event scanned: other-b... next match gl-e
		s2, err := cl.SubscribeToAll(ctx, client.SubscribeToAllOptions{
			From:   cp,
			Filter: &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: []string{"gl-"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		defer s2.Close()
		for range 10 {
			m := s2.Recv()
			if m.EventAppeared != nil {
				if got := m.EventAppeared.Event.StreamID; got != "gl-e" {
					t.Errorf("first event after checkpoint: got %s, want gl-e", got)
				}
				return
			}
			if m.SubscriptionDropped != nil {
				t.Fatal(m.SubscriptionDropped.Error)
			}
		}
		t.Error("no event after the checkpoint")
	})
	t.Run("live events follow", func(t *testing.T) {
		appendOK(t, cl, "gl-live", client.Any{}, evs(1)...)
		for range 10 {
			m := sub.Recv()
			if m.EventAppeared != nil {
				if got := m.EventAppeared.Event.StreamID; got != "gl-live" {
					t.Errorf("live event: got %s, want gl-live", got)
				}
				return
			}
			if m.SubscriptionDropped != nil {
				t.Fatal(m.SubscriptionDropped.Error)
			}
		}
		t.Error("live event not delivered")
	})
}

func TestCredentials(t *testing.T) {
	srv, err := esdbtest.Start(esdbtest.Options{Username: "admin", Password: "changeit"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	t.Run("right credentials over TLS", func(t *testing.T) {
		cl := dial(t, srv.URL())
		appendOK(t, cl, "cred-1", client.Any{}, evs(1)...)
	})
	t.Run("wrong password is unauthenticated", func(t *testing.T) {
		cl := dial(t, srv.URLWithCredentials("admin:wrong@"))
		_, err := cl.AppendToStream(ctxT(t), "cred-1", client.AppendToStreamOptions{}, evs(1)...)
		var e *client.Error
		if !errors.As(err, &e) || e.Code() != client.ErrorCodeUnauthenticated {
			t.Fatalf("got %v, want unauthenticated", err)
		}
	})
}

func TestStopRestartKeepsLog(t *testing.T) {
	srv, cl := start(t, esdbtest.Options{})
	appendOK(t, cl, "keep-1", client.Any{}, evs(2)...)
	addr := srv.Addr()
	srv.Stop()
	if err := srv.Restart(); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if srv.Addr() != addr {
		t.Errorf("address after restart: got %s, want %s", srv.Addr(), addr)
	}
	cl2 := dial(t, srv.URL())
	got, err := readStream(t, cl2, "keep-1", client.ReadStreamOptions{From: client.Start{}}, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("after restart: got %d events, err %v; want 2", len(got), err)
	}
}
