package sqlite

import (
	"context"
	"fmt"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// walAutocheckpoint reads the writer connection's wal_autocheckpoint.
func walAutocheckpoint(t *testing.T, s *Store) int {
	t.Helper()
	v, err := s.CheckpointPages(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// With CheckpointsByLoad the writer checkpoints at 250 WAL pages while its
// commits average fewer than 6 appends, and at SQLite's 1 000 otherwise
// (docs/STORAGE.md, "Durability and integrity settings").
func TestCheckpointsByLoad(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t, CheckpointsByLoad())
	next := map[string]int64{}
	commit := func(appends int) {
		t.Helper()
		reqs := make([]domain.AppendRequest, appends)
		for i := range reqs {
			stream := fmt.Sprintf("agreement-%d", i)
			exp := domain.NoStream
			if r, ok := next[stream]; ok {
				exp = domain.Exact(uint64(r))
			}
			reqs[i] = domain.AppendRequest{Stream: stream, Expected: exp, Events: oneEvent(`{}`)}
		}
		out, err := s.AppendBatch(ctx, reqs)
		if err != nil {
			t.Fatal(err)
		}
		for i, o := range out {
			if o.Err != nil {
				t.Fatalf("append %d: %v", i, o.Err)
			}
			next[reqs[i].Stream] = int64(o.Result.NextRevision)
		}
	}
	if got := walAutocheckpoint(t, s); got != 1000 {
		t.Fatalf("before any commit: wal_autocheckpoint %d, want SQLite's 1000", got)
	}
	steps := []struct {
		commits, appends, want int
	}{
		{10, 1, 250},   // a quiet server: small checkpoints
		{20, 20, 1000}, // commits of 20: a busy one
		{30, 2, 250},   // quiet again
		{30, 8, 1000},  // 8 a commit
	}
	for _, st := range steps {
		for range st.commits {
			commit(st.appends)
		}
		if got := walAutocheckpoint(t, s); got != st.want {
			t.Errorf("after %d commits of %d appends: wal_autocheckpoint %d, want %d", st.commits, st.appends, got, st.want)
		}
	}
}

// Without the option the store leaves SQLite's setting alone, whatever
// its commits.
func TestCheckpointsAsSQLiteWithoutTheOption(t *testing.T) {
	s := MustOpen(t)
	for i := range 10 {
		if _, err := s.Append(context.Background(), fmt.Sprintf("agreement-%d", i), domain.NoStream, oneEvent(`{}`)); err != nil {
			t.Fatal(err)
		}
	}
	if got := walAutocheckpoint(t, s); got != 1000 {
		t.Errorf("wal_autocheckpoint %d, want SQLite's 1000", got)
	}
}
