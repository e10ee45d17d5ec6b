package esdb_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/domain"
)

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func newEvents(n int) []domain.EventData {
	out := make([]domain.EventData, n)
	for i := range out {
		out[i] = domain.EventData{ID: uuid.New(), Type: "Tested", Data: fmt.Appendf(nil, `{"i":%d}`, i), Metadata: []byte(`{"actor":"test"}`)}
	}
	return out
}

func TestStreamNotFound(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	for _, dir := range []domain.Direction{domain.Forwards, domain.Backwards} {
		t.Run(fmt.Sprint("direction ", dir), func(t *testing.T) {
			_, err := s.ReadStream(ctxT(t), "nf-missing", 0, dir, 10)
			if !errors.Is(err, domain.ErrNotFound) {
				t.Fatalf("got %v, want ErrNotFound", err)
			}
			if got := domain.ErrorCode(err); got != domain.ENotFound {
				t.Errorf("code: got %s, want %s", got, domain.ENotFound)
			}
		})
	}
}

// TestTwoClientsAppendConcurrently has two stores (two connections) race
// for the same revision: exactly one wins, the other gets the winner's
// revision as the actual one.
func TestTwoClientsAppendConcurrently(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	a, b := mustOpen(t, srv.URL()), mustOpen(t, srv.URL())
	defer a.Close()
	defer b.Close()
	const stream = "race-1"
	if _, err := a.Append(ctxT(t), stream, domain.NoStream, newEvents(1)); err != nil {
		t.Fatal(err)
	}
	for round := range 20 {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, s := range []*esdb.Store{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = s.Append(ctxT(t), stream, domain.Exact(uint64(round)), newEvents(1))
			}()
		}
		wg.Wait()
		wins, losses := 0, 0
		for _, err := range errs {
			var ce *domain.ConcurrencyError
			switch {
			case err == nil:
				wins++
			case errors.As(err, &ce):
				losses++
				if ce.Actual != int64(round)+1 {
					t.Errorf("round %d: actual revision %d, want %d", round, ce.Actual, round+1)
				}
			default:
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if wins != 1 || losses != 1 {
			t.Fatalf("round %d: %d wins and %d conflicts, want 1 and 1", round, wins, losses)
		}
	}
	got, err := a.ReadStream(ctxT(t), stream, 0, domain.Forwards, 0)
	if err != nil || len(got) != 21 {
		t.Fatalf("stream: got %d events (err %v), want 21", len(got), err)
	}
}

func TestConcurrencyErrorActualRevision(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	if _, err := s.Append(ctxT(t), "ce-1", domain.Any, newEvents(3)); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		stream string
		exp    domain.ExpectedRevision
		actual int64
	}{
		{"no stream on an existing stream", "ce-1", domain.NoStream, 2},
		{"exact behind", "ce-1", domain.Exact(0), 2},
		{"exact ahead", "ce-1", domain.Exact(9), 2},
		{"stream exists on a missing stream", "ce-missing", domain.StreamExists, -1},
		{"exact on a missing stream", "ce-missing", domain.Exact(0), -1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Append(ctxT(t), c.stream, c.exp, newEvents(1))
			var ce *domain.ConcurrencyError
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a ConcurrencyError", err)
			}
			if ce.Actual != c.actual || ce.Stream != c.stream || ce.Expected != c.exp {
				t.Errorf("got %+v, want stream %s expected %s actual %d", ce, c.stream, c.exp, c.actual)
			}
		})
	}
}

// TestRetriedAppendDeduplicatedByServer sends the same append twice, as a
// caller retrying after a lost answer does, and checks that the server
// (not the adapter) dropped the repeat.
func TestRetriedAppendDeduplicatedByServer(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	for _, exp := range []domain.ExpectedRevision{domain.NoStream, domain.Exact(1)} {
		t.Run("expected "+exp.String(), func(t *testing.T) {
			stream := "dedup-" + exp.String()
			if ex, ok := exp.Revision(); ok {
				if _, err := s.Append(ctxT(t), stream, domain.NoStream, newEvents(int(ex)+1)); err != nil {
					t.Fatal(err)
				}
			}
			evs := newEvents(3)
			first, err := s.Append(ctxT(t), stream, exp, evs)
			if err != nil {
				t.Fatal(err)
			}
			calls := srv.Appends()
			again, err := s.Append(ctxT(t), stream, exp, evs)
			if err != nil {
				t.Fatalf("retry: %v", err)
			}
			if !again.SameAppend(first) {
				t.Errorf("retry result: got %+v, want %+v", again, first)
			}
			if got := srv.Appends() - calls; got != 1 {
				t.Errorf("retry reached the server %d times, want 1 (the server must dedupe)", got)
			}
			got, err := s.ReadStream(ctxT(t), stream, 0, domain.Forwards, 0)
			if err != nil {
				t.Fatal(err)
			}
			if want := int(first.NextRevision) + 1; len(got) != want {
				t.Errorf("stream holds %d events, want %d", len(got), want)
			}
		})
	}
}

// TestSubscriptionResumesAfterDrop stops the server under a live
// subscription, restarts it on the same port, and checks that the
// subscription comes back and delivers every event once.
func TestSubscriptionResumesAfterDrop(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	s.ResubscribeFor = 20 * time.Second
	ctx := ctxT(t)
	if _, err := s.Append(ctx, "gl-resume", domain.NoStream, newEvents(2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, "other-noise", domain.NoStream, newEvents(3)); err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(ctx, domain.Position{}, "gl-")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var seen []domain.RecordedEvent
	next := func() {
		t.Helper()
		e, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("Next after %d events: %v", len(seen), err)
		}
		seen = append(seen, e)
	}
	next()
	next()

	srv.Stop()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	// The store's own connection recovers for appends too.
	if _, err := s.Append(ctx, "gl-resume", domain.Exact(1), newEvents(2)); err != nil {
		t.Fatalf("append after restart: %v", err)
	}
	next()
	next()
	for i, e := range seen {
		if e.Stream != "gl-resume" || e.Revision != uint64(i) {
			t.Errorf("event %d: got %s@%d, want gl-resume@%d", i, e.Stream, e.Revision, i)
		}
	}
	// Nothing more: no repeat of the events delivered before the drop.
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if e, err := sub.Next(short); err == nil {
		t.Errorf("extra event after resume: %s@%d", e.Stream, e.Revision)
	}
}

func TestSubscriptionLeavesOutSystemEvents(t *testing.T) {
	srv := startServer(t, esdbtest.Options{}) // writes a $settings event first
	s := mustOpen(t, srv.URL())
	defer s.Close()
	if _, err := s.Append(ctxT(t), "any-stream", domain.NoStream, newEvents(1)); err != nil {
		t.Fatal(err)
	}
	sub, err := s.Subscribe(ctxT(t), domain.Position{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	e, err := sub.Next(ctxT(t))
	if err != nil || e.Stream != "any-stream" {
		t.Fatalf("first event: got %q (err %v), want any-stream", e.Stream, err)
	}
	all, err := s.ReadAll(ctxT(t), domain.Position{}, 10)
	if err != nil || len(all) != 1 || all[0].Stream != "any-stream" {
		t.Fatalf("ReadAll: got %d events (err %v), want only any-stream's", len(all), err)
	}
}

func TestMetadataAndContentType(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	meta := []byte(`{"event_id":"x","actor":"Līga","hash":"abc","schema_version":1}`)
	ev := domain.EventData{ID: uuid.New(), Type: "AgreementSigned", Data: []byte(`{"a":1}`), Metadata: meta}
	if _, err := s.Append(ctxT(t), "meta-1", domain.NoStream, []domain.EventData{ev}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ReadStream(ctxT(t), "meta-1", 0, domain.Forwards, 1)
	if err != nil {
		t.Fatal(err)
	}
	if string(got[0].Metadata) != string(meta) || got[0].ID != ev.ID || got[0].Type != ev.Type {
		t.Errorf("read back %+v, want metadata %s id %s type %s", got[0], meta, ev.ID, ev.Type)
	}
	if got[0].Created.IsZero() {
		t.Error("Created is zero")
	}
}

func TestOpenErrors(t *testing.T) {
	t.Run("malformed connection string", func(t *testing.T) {
		_, err := esdb.Open(ctxT(t), "http://localhost:2113")
		if domain.ErrorCode(err) != domain.EInvalid || !strings.Contains(err.Error(), "esdb://") {
			t.Fatalf("got %v (code %s), want an invalid-input error naming esdb://", err, domain.ErrorCode(err))
		}
	})
	t.Run("unreachable server", func(t *testing.T) {
		srv := startServer(t, esdbtest.Options{})
		url := srv.URL()
		srv.Stop()
		_, err := esdb.Open(ctxT(t), url)
		if domain.ErrorCode(err) != domain.EUnavailable || !strings.Contains(err.Error(), "unreachable") {
			t.Fatalf("got %v (code %s), want unavailable saying unreachable", err, domain.ErrorCode(err))
		}
	})
	t.Run("refused credentials, password not shown", func(t *testing.T) {
		srv := startServer(t, esdbtest.Options{Username: "admin", Password: "changeit"})
		_, err := esdb.Open(ctxT(t), srv.URLWithCredentials("admin:s3cret@"))
		if domain.ErrorCode(err) != domain.EUnavailable || !strings.Contains(err.Error(), "refused the credentials") {
			t.Fatalf("got %v, want unavailable saying the credentials were refused", err)
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("error shows the password: %v", err)
		}
	})
	t.Run("right credentials over TLS", func(t *testing.T) {
		srv := startServer(t, esdbtest.Options{Username: "admin", Password: "changeit"})
		s := mustOpen(t, srv.URL())
		defer s.Close()
		if _, err := s.Append(ctxT(t), "tls-1", domain.NoStream, newEvents(1)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("closed store", func(t *testing.T) {
		srv := startServer(t, esdbtest.Options{})
		s := mustOpen(t, srv.URL())
		s.Close()
		_, err := s.Append(ctxT(t), "closed-1", domain.Any, newEvents(1))
		if domain.ErrorCode(err) != domain.EUnavailable {
			t.Fatalf("got %v, want unavailable", err)
		}
	})
}
