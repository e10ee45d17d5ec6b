package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// TestBatchRunWithAConstraintFailure: one-event appends are written many
// per INSERT statement (insertRun). On a version 1 file, whose old index
// refuses an event id used earlier in its stream, a batch of 100 such
// appends over 10 streams carries, in the middle, one that reuses an id
// under an exact, correct expected revision. domain.BatchAppender: that
// append alone is refused (domain.ErrDuplicate) with the later ones to its
// stream (a chain), every other is written once, at consecutive
// positions, each at the revision and position its outcome names; the
// Merkle log still verifies (every leaf against its event, the root).
func TestBatchRunWithAConstraintFailure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open(defaultDriver, "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(schemaV1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	stream := func(k int) string { return fmt.Sprintf("grantledger-agreement-%d", k) }
	first := map[string]domain.EventData{}
	for k := 0; k < 10; k++ {
		e := evs(1)
		first[stream(k)] = e[0]
		if _, err := s.Append(ctx, stream(k), domain.NoStream, e); err != nil {
			t.Fatal(err)
		}
	}
	const bad = 55 // stream 5
	var reqs []domain.AppendRequest
	next := map[string]uint64{}
	for i := 0; i < 100; i++ {
		name := stream(i % 10)
		e := evs(1)
		if i == bad {
			e = []domain.EventData{first[name]}
		}
		reqs = append(reqs, domain.AppendRequest{Stream: name, Expected: domain.Exact(next[name]), Events: e})
		next[name]++
	}
	out, err := s.AppendBatch(ctx, reqs)
	if err != nil {
		t.Fatal(err)
	}
	written := 0
	for i, o := range out {
		switch {
		case i == bad:
			if !errors.Is(o.Err, domain.ErrDuplicate) {
				t.Errorf("request %d (reused id): %v, want ErrDuplicate", i, o.Err)
			}
		case i%10 == bad%10 && i > bad:
			if !errors.Is(o.Err, domain.ErrConcurrency) {
				t.Errorf("request %d (same stream, after the refused one): %v, want a concurrency error", i, o.Err)
			}
		case o.Err != nil:
			t.Errorf("request %d: %v", i, o.Err)
		default:
			written++
			got, err := s.ReadStream(ctx, reqs[i].Stream, o.Result.NextRevision, domain.Forwards, 1)
			if err != nil || len(got) != 1 || got[0].ID != reqs[i].Events[0].ID || got[0].Position != o.Result.Position {
				t.Errorf("request %d: outcome %+v, but the stream holds %+v (%v)", i, o.Result, got, err)
			}
		}
	}
	all, err := s.ReadAll(ctx, domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if want := 10 + written; len(all) != want {
		t.Errorf("%d events in the store, want %d", len(all), want)
	}
	for i, e := range all {
		if e.Position.Commit != uint64(i+1) {
			t.Fatalf("event %d at position %d: positions not consecutive", i, e.Position.Commit)
		}
	}
	res, err := merkle.Verify(ctx, s, nil, nil)
	if err != nil || !res.OK || !res.StoredTree || res.Events != int64(len(all)) {
		t.Errorf("the Merkle log after the batch: %+v, %v; want every stored hash checked and OK", res, err)
	}
}
