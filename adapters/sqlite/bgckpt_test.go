package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/storetest"
)

// walFrameBytes is the size of one WAL frame of a 4 KiB page: the page and
// its 24-byte frame header (SQLite's file format, "WAL file format").
const walFrameBytes = 4096 + 24

// smallCheckpoints makes the background checkpointer run often and hold the
// writer at a small WAL, for the length of the test.
func smallCheckpoints(t *testing.T, every time.Duration, force int) {
	t.Helper()
	oldEvery, oldForce := checkpointEvery, forceFrames
	checkpointEvery, forceFrames = every, force
	t.Cleanup(func() { checkpointEvery, forceFrames = oldEvery, oldForce })
}

// appendBig appends n events of about 8 KiB each, one commit each: every
// commit adds a few pages to the WAL (the event's overflow pages, the
// index's leaf, the tree's rows).
func appendBig(t *testing.T, s *Store, n int) {
	t.Helper()
	pad := strings.Repeat("x", 8000)
	for i := 0; i < n; i++ {
		if _, err := s.Append(context.Background(), "big", domain.Any, oneEvent(`{"pad":"`+pad+`"}`)); err != nil {
			t.Fatalf("append %d: %v", i, err)
		}
	}
}

// TestCheckpointInBackground: with CheckpointInBackground the writer does
// not checkpoint (wal_autocheckpoint is 0 on its connection), the pages get
// into the main file all the same (a copy of the file without its WAL holds
// events before Close), the checkpointer held the writer when the WAL
// reached forceFrames, and the WAL file stays bounded (docs/STORAGE.md):
// about 1 000 frames were written, and the WAL file holds at most
// 4 x forceFrames of them.
func TestCheckpointInBackground(t *testing.T) {
	smallCheckpoints(t, 2*time.Millisecond, 64)
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path, CheckpointInBackground())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var auto int
	if err := s.w.QueryRowContext(context.Background(), "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
		t.Fatal(err)
	}
	if auto != 0 {
		t.Fatalf("the writer's wal_autocheckpoint is %d, want 0: the writer still checkpoints in its commits", auto)
	}
	const n = 300
	appendBig(t, s, n)
	// Let the checkpointer see the last commits.
	deadline := time.Now().Add(5 * time.Second)
	for s.bg.forced.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if s.bg.runs.Load() == 0 {
		t.Fatal("the background checkpointer never ran")
	}
	if s.bg.forced.Load() == 0 {
		t.Fatalf("the checkpointer never held the writer although about %d frames went through a WAL of at most %d before a forced checkpoint", 3*n, forceFrames)
	}
	if got := countRowsWithoutWAL(t, path); got == 0 {
		t.Fatal("the main file alone holds no event: nothing was checkpointed before Close")
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	if limit := int64(4 * forceFrames * walFrameBytes); fi.Size() > limit {
		t.Fatalf("the WAL file is %d bytes (%d frames) after %d commits, want at most %d (4 x %d frames): the WAL is not restarted",
			fi.Size(), fi.Size()/walFrameBytes, n, limit, forceFrames)
	}
	got, err := s.ReadStream(context.Background(), "big", 0, domain.Forwards, 2*n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("read back %d events, want %d", len(got), n)
	}
}

// TestCheckpointInBackgroundClose: Close stops the checkpointer while it may
// be running (the race detector watches this in CI), and the next open
// reads every event.
func TestCheckpointInBackgroundClose(t *testing.T) {
	smallCheckpoints(t, time.Millisecond, 16)
	path := filepath.Join(t.TempDir(), "events.db")
	for round := 1; round <= 3; round++ {
		s, err := Open(path, CheckpointInBackground())
		if err != nil {
			t.Fatal(err)
		}
		appendBig(t, s, 40)
		if err := s.Close(); err != nil {
			t.Fatalf("round %d: Close: %v", round, err)
		}
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ReadStream(context.Background(), "big", 0, domain.Forwards, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 120 {
		t.Fatalf("read back %d events after three processes, want 120", len(got))
	}
}

// The store contract holds with checkpoints in the background.
func TestContractCheckpointInBackground(t *testing.T) {
	smallCheckpoints(t, time.Millisecond, 32)
	storetest.Run(t, factory(defaultDriver, CheckpointInBackground()))
}
