package sqlite

import (
	"context"
	"fmt"
)

// CheckpointsByLoad makes the writer's automatic checkpoints follow the
// size of its commits, for a long-running process with many writers
// (serve, load). SQLite checkpoints inside the commit that leaves the WAL
// at wal_autocheckpoint pages or more, and every append queued behind
// that commit waits for it; most of that wait is the checkpoint's fsync
// of the main file (docs/PERFORMANCE.md, "Server").
//
// While the writer's commits average fewer than quietAppends appends,
// the server is far from saturated and what its users see is the tail of
// the wait: checkpoints of quietCheckpointPages pages are four times as
// frequent and each much shorter. When commits are larger, the writer is
// the bottleneck and larger checkpoints, which copy a page changed by
// many commits once, leave it more time to commit: SQLite's default of
// busyCheckpointPages. The average is exponential over about the last
// eight commits.
//
// Durability does not change: a commit is durable when its WAL frames
// are fsynced, whenever they are checkpointed.
func CheckpointsByLoad() Option { return func(o *options) { o.ckptByLoad = true } }

const (
	quietCheckpointPages = 250
	busyCheckpointPages  = 1000 // SQLite's default
	quietAppends         = 6
)

// ckptPolicy is CheckpointsByLoad's state, the writer's.
type ckptPolicy struct {
	on    bool
	avg   float64 // appends per commit, exponential average
	pages int     // the writer's wal_autocheckpoint
}

func newCkptPolicy(on bool) ckptPolicy {
	return ckptPolicy{on: on, avg: quietAppends, pages: busyCheckpointPages}
}

// checkpointsFollow takes a commit of n appends into the average and
// sets the writer's wal_autocheckpoint when its bucket changed. A failure
// to set it is kept quiet: the commit is durable, and the next commit
// tries again.
func (s *Store) checkpointsFollow(n int) {
	p := &s.ckpt
	if !p.on {
		return
	}
	p.avg += (float64(n) - p.avg) / 8
	want := busyCheckpointPages
	if p.avg < quietAppends {
		want = quietCheckpointPages
	}
	if want == p.pages {
		return
	}
	if _, err := s.w.ExecContext(context.Background(), fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", want)); err == nil {
		p.pages = want
	}
}

// CheckpointPages returns the WAL size in pages at which the writer
// checkpoints now (PRAGMA wal_autocheckpoint on its connection), for
// diagnostics and tests; 0 for a read-only store.
func (s *Store) CheckpointPages(ctx context.Context) (int, error) {
	if s.readOnly {
		return 0, nil
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed() {
		return 0, errClosed()
	}
	var n int
	if err := s.w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&n); err != nil {
		return 0, fmt.Errorf("read wal_autocheckpoint: %w", err)
	}
	return n, nil
}
