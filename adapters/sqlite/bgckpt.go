package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// CheckpointInBackground moves SQLite's checkpoints off the writer, for a
// long-running process with many writers (serve). By default SQLite
// checkpoints inside the commit that leaves the WAL at 1 000 pages or more
// (wal_autocheckpoint): that commit copies the WAL's pages into the file and
// fsyncs it before it returns, and every append queued behind it waits.
// Under the server's load that was about nine checkpoints a second, each
// with an fsync of the main file of about 5 ms (docs/PERFORMANCE.md,
// "Server").
//
// With this option the writer's connection does not checkpoint
// (wal_autocheckpoint = 0). A goroutine with its own connection runs a
// PASSIVE checkpoint every checkpointEvery after commits: it copies the
// pages already committed into the file while the writer goes on appending
// to the WAL (SQLite allows one checkpointer beside one writer). Such a
// checkpoint cannot finish while commits keep adding pages, and SQLite only
// restarts the WAL from its beginning after a checkpoint that finished, so
// when the WAL holds forceFrames pages or more the goroutine checkpoints
// while holding the store's write lock: no append runs then, the
// checkpoint finishes (it only has the pages of the last interval left to
// copy), and the next commit restarts the WAL. The WAL file stays bounded
// (forceFrames pages plus one interval's), and the writer waits for a
// checkpoint about once per forceFrames pages instead of once per 1 000.
//
// Durability does not change: a commit is durable when its WAL frames are
// fsynced, whoever checkpoints them later (docs/STORAGE.md). Close stops the
// goroutine before it closes the file.
func CheckpointInBackground() Option { return func(o *options) { o.bgCkpt = true } }

// Checkpointing in the background: how often, and at what WAL size the
// writer is held so that a checkpoint finishes. Variables, so the tests can
// make them small.
var (
	checkpointEvery = 200 * time.Millisecond
	forceFrames     = 16384 // 64 MiB of 4 KiB pages
)

// bgCheckpointer is the goroutine of CheckpointInBackground.
type bgCheckpointer struct {
	commits atomic.Uint64 // commits by this store's writer
	stop    chan struct{}
	wg      sync.WaitGroup
	runs    atomic.Uint64 // checkpoints run (tests)
	forced  atomic.Uint64 // of which with the write lock held (tests)
}

// committed tells the checkpointer that the writer committed.
func (b *bgCheckpointer) committed() {
	if b != nil {
		b.commits.Add(1)
	}
}

// startCheckpointer turns the writer's automatic checkpoints off and starts
// the goroutine. Called by Open on a writable store.
func (s *Store) startCheckpointer(ctx context.Context) error {
	if _, err := s.w.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return err
	}
	b := &bgCheckpointer{stop: make(chan struct{})}
	s.bg = b
	s.db.SetMaxOpenConns(6) // the writer, four readers and the checkpointer
	s.db.SetMaxIdleConns(6)
	b.wg.Add(1)
	go s.checkpointLoop(b)
	return nil
}

func (s *Store) checkpointLoop(b *bgCheckpointer) {
	defer b.wg.Done()
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	var conn *sql.Conn
	defer func() {
		if conn != nil {
			conn.Close()
		}
	}()
	seen := uint64(0)
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		n := b.commits.Load()
		if n == seen {
			continue
		}
		seen = n
		if conn == nil {
			c, err := s.db.Conn(context.Background())
			if err != nil {
				continue // the pool is closing, or the file went away: try later
			}
			conn = c
		}
		// Errors are not returned anywhere: every commit is in the WAL
		// already, and a checkpoint that fails (SQLITE_BUSY from another
		// process's checkpoint) is only tried again later.
		logFrames, _, ok := checkpointPassive(conn)
		b.runs.Add(1)
		if !ok || logFrames < forceFrames {
			continue
		}
		// SQLite restarts the WAL at the first commit that begins when every
		// frame is in the file; with commits coming all the time, a commit
		// has nearly always begun before the passive checkpoint ended. So
		// the writer waits here for one checkpoint (little is left to copy)
		// and the next commit restarts the WAL.
		s.wmu.Lock()
		if !s.isClosed() {
			checkpointPassive(conn)
			b.runs.Add(1)
			b.forced.Add(1)
		}
		s.wmu.Unlock()
	}
}

// checkpointPassive runs a PASSIVE checkpoint on conn and returns the WAL's
// size in frames and how many of them are in the file now.
func checkpointPassive(conn *sql.Conn) (logFrames, done int, ok bool) {
	var busy int
	err := conn.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &logFrames, &done)
	return logFrames, done, err == nil
}

// stopCheckpointer ends the goroutine and waits for it. Called by Close
// before it takes the write lock.
func (s *Store) stopCheckpointer() {
	if s.bg == nil {
		return
	}
	close(s.bg.stop)
	s.bg.wg.Wait()
}
