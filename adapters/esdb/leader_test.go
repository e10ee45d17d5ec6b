package esdb_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/esdb"
	"github.com/grantledger/grantledger/adapters/esdb/internal/esdbtest"
	"github.com/grantledger/grantledger/domain"
)

// TestRequiresLeaderSent: with nodePreference=leader (the client's
// default) every call must carry "requires-leader: true", so that a
// follower refuses it instead of forwarding a write or answering a read
// from behind; client v4.2.0 puts it in incoming, never-sent metadata.
// With another preference it is not sent.
func TestRequiresLeaderSent(t *testing.T) {
	srv := startServer(t, esdbtest.Options{})
	s := mustOpen(t, srv.URL())
	defer s.Close()
	if _, err := s.Append(ctxT(t), "leader-1", domain.NoStream, newEvents(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(ctxT(t), "leader-1", 0, domain.Forwards, 10); err != nil {
		t.Fatal(err)
	}
	if n := srv.RequiresLeaderCalls(); n < 3 { // Open's probe, the append, the read
		t.Errorf("calls with requires-leader: got %d, want every call (at least 3)", n)
	}

	srv2 := startServer(t, esdbtest.Options{})
	s2 := mustOpen(t, srv2.URL()+"&nodePreference=random")
	defer s2.Close()
	if _, err := s2.Append(ctxT(t), "leader-2", domain.NoStream, newEvents(1)); err != nil {
		t.Fatal(err)
	}
	if n := srv2.RequiresLeaderCalls(); n != 0 {
		t.Errorf("nodePreference=random: %d calls carried requires-leader, want none", n)
	}
}

// TestNotLeaderRetriedOnLeader: connected to a follower, a call is
// refused with not-leader naming the leader; the client reconnects there
// and the store tries again, so the write lands on the leader.
func TestNotLeaderRetriedOnLeader(t *testing.T) {
	leader := startServer(t, esdbtest.Options{})
	follower := startServer(t, esdbtest.Options{LeaderAddr: leader.Addr()})
	before := follower.EventCount()
	s := mustOpen(t, follower.URL())
	defer s.Close()
	ctx := ctxT(t)
	if _, err := s.Append(ctx, "on-leader", domain.NoStream, newEvents(2)); err != nil {
		t.Fatalf("append through a follower: %v", err)
	}
	if follower.EventCount() != before {
		t.Errorf("the follower wrote %d events itself", follower.EventCount()-before)
	}
	if leader.EventCount() != before+2 {
		t.Errorf("leader holds %d events, want %d", leader.EventCount(), before+2)
	}
	evs, err := s.ReadStream(ctx, "on-leader", 0, domain.Forwards, 10)
	if err != nil || len(evs) != 2 {
		t.Errorf("read back: %d events, %v", len(evs), err)
	}
}

// TestOpenChecksAllReadAccess: projections read $all, which only admins
// and ops may read under the default ACL; Open says so at once rather
// than the projector failing later.
func TestOpenChecksAllReadAccess(t *testing.T) {
	srv := startServer(t, esdbtest.Options{Username: "app", Password: "secret", DenyAllRead: true})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := esdb.Open(ctx, srv.URL())
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded for a user who may not read $all")
	}
	var de *domain.Error
	if !errors.As(err, &de) || de.Code != domain.EUnavailable {
		t.Errorf("got %v, want an unavailable domain error", err)
	}
	for _, want := range []string{"$all", `"app"`, "admin"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error shows the password: %q", err)
	}
}
