package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/grantledger/grantledger/domain"
)

// writeStmts are prepared once on the writer connection.
type writeStmts struct {
	begin, commit, rollback   *sql.Stmt
	savepoint, release, undo  *sql.Stmt
	dataVersion               *sql.Stmt
	lastRev, lastPos, insert  *sql.Stmt
	findID, idsFrom, saveSnap *sql.Stmt
	allIDs, newer             *sql.Stmt
	insRun                    map[int]*sql.Stmt // INSERT of n events in one statement (insertRun), prepared on first use
}

func (w *writeStmts) prepare(ctx context.Context, c *sql.Conn) error {
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&w.begin, "BEGIN IMMEDIATE"},
		{&w.commit, "COMMIT"},
		{&w.rollback, "ROLLBACK"},
		{&w.savepoint, "SAVEPOINT req"},
		{&w.release, "RELEASE req"},
		{&w.undo, "ROLLBACK TO req"},
		{&w.dataVersion, "PRAGMA data_version"},
		{&w.lastRev, "SELECT COALESCE(MAX(revision), -1) FROM events WHERE stream = ?"},
		{&w.lastPos, "SELECT pos FROM events WHERE stream = ? AND revision = ?"},
		{&w.insert, "INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)"},
		{&w.findID, "SELECT revision FROM events WHERE stream = ? AND event_id = ?"},
		{&w.allIDs, "SELECT event_id, revision FROM events WHERE stream = ? ORDER BY revision"},
		{&w.newer, "SELECT " + cols + " FROM events WHERE pos > ? ORDER BY pos"}, // the append guard's read
		{&w.idsFrom, "SELECT event_id, revision, pos FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?"},
		{&w.saveSnap, "INSERT INTO snapshots (name, commit_pos, prepare_pos, blob, saved) VALUES (?, ?, ?, ?, ?) " +
			"ON CONFLICT (name) DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos, blob = excluded.blob, saved = excluded.saved"},
	} {
		st, err := c.PrepareContext(ctx, p.q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.q, err)
		}
		*p.st = st
	}
	return nil
}

func (w *writeStmts) close() {
	for _, st := range []*sql.Stmt{w.begin, w.commit, w.rollback, w.savepoint, w.release, w.undo, w.dataVersion,
		w.lastRev, w.lastPos, w.insert, w.findID, w.idsFrom, w.saveSnap, w.allIDs, w.newer} {
		if st != nil {
			st.Close()
		}
	}
	for _, st := range w.insRun {
		st.Close()
	}
	w.insRun = nil
}

// Append implements domain.EventStore. The events are durable (fsynced)
// when it returns nil.
func (s *Store) Append(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, error) {
	var out [1]domain.AppendOutcome
	err := s.write(ctx, []domain.AppendRequest{{Stream: stream, Expected: expected, Events: events}}, out[:], false, nil)
	if err != nil {
		return domain.AppendResult{}, fmt.Errorf("append %s: %w", stream, err)
	}
	return out[0].Result, out[0].Err
}

// AppendBatch implements domain.BatchAppender: every request is atomic on
// its own, and one commit (one fsync) makes all that succeeded durable. A
// request that fails its expected revision, or reuses an event id, writes
// nothing and gets its error in its outcome; the others go on, except the
// later requests to the same stream, which fail too (see
// domain.BatchAppender).
func (s *Store) AppendBatch(ctx context.Context, reqs []domain.AppendRequest) ([]domain.AppendOutcome, error) {
	out := make([]domain.AppendOutcome, len(reqs))
	if err := s.write(ctx, reqs, out, true, nil); err != nil {
		return nil, fmt.Errorf("append batch of %d requests: %w", len(reqs), err)
	}
	return out, nil
}

// write runs reqs in one transaction and fills out. It returns an error
// only when the whole transaction failed, and then nothing was written.
// A guard, when not nil, is checked first, inside the transaction.
func (s *Store) write(ctx context.Context, reqs []domain.AppendRequest, out []domain.AppendOutcome, batch bool, guard *domain.AppendGuard) (err error) {
	if s.readOnly {
		return s.readOnlyError()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed() {
		return errClosed()
	}
	// BEGIN and COMMIT are not interrupted by ctx: an interrupted BEGIN can
	// leave the connection inside a transaction the caller never saw, and
	// an interrupted COMMIT leaves it unknown whether the events are
	// durable. Statements in between do honour ctx and roll back.
	if _, err := s.wst.begin.ExecContext(context.WithoutCancel(ctx)); err != nil {
		s.wst.rollback.ExecContext(context.Background())
		return classify(fmt.Errorf("begin: %w", err))
	}
	s.recent.begin(len(reqs))
	committing := false
	defer func() {
		if err != nil {
			s.rollback()
			if committing {
				s.recent.forget() // the COMMIT failed: whether it took is not known here
			}
			err = classify(err)
		}
	}()
	if err := s.checkDataVersion(ctx); err != nil {
		return err
	}
	if err := s.checkGuard(ctx, guard); err != nil {
		return err
	}
	now := s.now().UTC().UnixNano()
	wrote := false
	var failed map[string]bool // streams with a failed request in this batch
	skip := 0                  // requests before it were written by insertRun
	oneByOne := 0              // requests before it go to appendOne alone
	for i, r := range reqs {
		if i < skip {
			continue
		}
		if failed[r.Stream] {
			// A later append to a stream whose earlier append in this batch
			// failed was built on events that were not written: refuse it,
			// even when its expected revision happens to match.
			actual, err := s.lastRevision(ctx, r.Stream)
			if err != nil {
				return fmt.Errorf("%s: %w", r.Stream, err)
			}
			out[i].Err = &domain.ConcurrencyError{Stream: r.Stream, Expected: r.Expected, Actual: actual, AfterFailed: true}
			continue
		}
		if batch && i >= oneByOne {
			n, refused, err := s.insertRun(ctx, reqs[i:], out[i:], failed, now)
			if err != nil {
				return fmt.Errorf("%s: %w", r.Stream, err)
			}
			if refused {
				oneByOne = i + n // that run goes one by one, below
			} else if n > 0 {
				wrote = true
				skip = i + n
				continue
			}
		}
		res, reqErr, err := s.appendOne(ctx, r, now, batch && len(r.Events) > 1)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Stream, err)
		}
		if reqErr != nil && !batch {
			// A single append that failed may have written part of its
			// events: undo them all.
			s.rollback()
			out[i].Err = reqErr
			return nil
		}
		out[i] = domain.AppendOutcome{Result: res.AppendResult, Err: reqErr}
		if reqErr != nil || res.Existing {
			if failed == nil {
				failed = map[string]bool{}
			}
			failed[r.Stream] = true
		}
		wrote = wrote || (reqErr == nil && res.wrote)
	}
	if err := s.flushTree(ctx); err != nil {
		return err
	}
	committing = true
	if _, err := s.wst.commit.ExecContext(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	s.recent.committed()
	s.checkpointsFollow(len(reqs))
	if wrote {
		s.notify()
	}
	return nil
}

// rollback ends the open write transaction without its changes and
// forgets what this connection kept of them: the cached revisions, the
// tree and its pending rows, the events copied for guards. Background:
// the rollback must run even when ctx is done.
func (s *Store) rollback() {
	s.wst.rollback.ExecContext(context.Background())
	clear(s.revs)
	s.tree, s.pendingTree = nil, s.pendingTree[:0]
	s.recent.rolledBack()
}

// checkDataVersion forgets the cached stream revisions if another
// connection (another process) committed since this one last looked.
func (s *Store) checkDataVersion(ctx context.Context) error {
	var v int64
	if err := s.wst.dataVersion.QueryRowContext(ctx).Scan(&v); err != nil {
		return fmt.Errorf("data version: %w", err)
	}
	if v != s.dataVer {
		clear(s.revs)
		s.tree = nil
		s.recent.forget()
		s.dataVer = v
	}
	return nil
}

// appendResult is a result and whether events were written.
type appendResult struct {
	domain.AppendResult
	wrote bool
}

// appendOne appends one request inside the open transaction. reqErr is an
// error of the request alone (concurrency, duplicate id); err fails the
// whole transaction.
func (s *Store) appendOne(ctx context.Context, r domain.AppendRequest, now int64, savepoint bool) (res appendResult, reqErr, err error) {
	if dup := uniqueIDs(r.Stream, r.Events); dup != nil {
		return res, dup, nil
	}
	actual, err := s.lastRevision(ctx, r.Stream)
	if err != nil {
		return res, nil, err
	}
	if !r.Expected.Allows(actual) {
		if actual >= 0 && len(r.Events) > 0 {
			prev, ok, err := s.retried(ctx, r.Stream, r.Expected, r.Events)
			if err != nil || ok {
				return appendResult{AppendResult: prev}, nil, err
			}
		}
		return res, &domain.ConcurrencyError{Stream: r.Stream, Expected: r.Expected, Actual: actual}, nil
	}
	if (r.Expected.IsAny() || r.Expected.IsStreamExists()) && actual >= 0 && len(r.Events) > 0 {
		// No revision to tell a retry by: look for the ids in the stream.
		prev, ok, dup, err := s.checkIDs(ctx, r.Stream, r.Events)
		if err != nil || ok {
			return appendResult{AppendResult: prev}, nil, err
		}
		if dup != nil {
			return res, dup, nil
		}
	}
	if len(r.Events) == 0 {
		if actual < 0 {
			return res, nil, nil
		}
		var pos uint64
		if err := s.wst.lastPos.QueryRowContext(ctx, r.Stream, actual).Scan(&pos); err != nil {
			return res, nil, fmt.Errorf("last position: %w", err)
		}
		return appendResult{AppendResult: domain.AppendResult{NextRevision: uint64(actual), Position: domain.Position{Commit: pos, Prepare: pos}}}, nil, nil
	}
	if savepoint {
		if _, err := s.wst.savepoint.ExecContext(ctx); err != nil {
			return res, nil, fmt.Errorf("savepoint: %w", err)
		}
	}
	var last int64
	for i := range r.Events {
		e := &r.Events[i]
		meta := e.Metadata
		if meta == nil {
			meta = []byte{}
		}
		data := e.Data
		if data == nil {
			data = []byte{}
		}
		sr, err := s.wst.insert.ExecContext(ctx, r.Stream, actual+1+int64(i), e.ID[:], e.Type, data, meta, now)
		if err == nil {
			last, err = sr.LastInsertId()
		}
		if err == nil {
			continue
		}
		if !isDuplicateID(err) {
			return res, nil, fmt.Errorf("insert event %s at revision %d: %w", e.ID, actual+1+int64(i), err)
		}
		// The id is already in the stream: undo this request, then see
		// whether it is an identical retry.
		if savepoint {
			if err := s.undoRequest(ctx); err != nil {
				return res, nil, err
			}
		}
		// Without a savepoint, either nothing was inserted (i == 0) or the
		// caller rolls the whole single-append transaction back.
		if i == 0 {
			prev, ok, err := s.retried(ctx, r.Stream, r.Expected, r.Events)
			if err != nil || ok {
				return appendResult{AppendResult: prev}, nil, err
			}
		}
		rev := "an earlier revision"
		var at int64
		if qerr := s.wst.findID.QueryRowContext(ctx, r.Stream, e.ID[:]).Scan(&at); qerr == nil {
			rev = fmt.Sprintf("revision %d", at)
		}
		return res, fmt.Errorf("append %s: event %s is already in the stream at %s and this append is not an identical retry; nothing was written: %w",
			r.Stream, e.ID, rev, domain.ErrDuplicate), nil
	}
	if err := s.appendLeaves(ctx, r.Stream, actual+1, r.Events, now, last); err != nil {
		return res, nil, err
	}
	if savepoint {
		if _, err := s.wst.release.ExecContext(ctx); err != nil {
			return res, nil, fmt.Errorf("release savepoint: %w", err)
		}
	}
	next := actual + int64(len(r.Events))
	s.revs[r.Stream] = next
	return appendResult{
		AppendResult: domain.AppendResult{NextRevision: uint64(next), Position: domain.Position{Commit: uint64(last), Prepare: uint64(last)}},
		wrote:        true,
	}, nil, nil
}

func (s *Store) undoRequest(ctx context.Context) error {
	if _, err := s.wst.undo.ExecContext(ctx); err != nil {
		return fmt.Errorf("rollback to savepoint: %w", err)
	}
	if _, err := s.wst.release.ExecContext(ctx); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// lastRevision returns the stream's last revision, -1 if it has none.
func (s *Store) lastRevision(ctx context.Context, stream string) (int64, error) {
	if r, ok := s.revs[stream]; ok {
		return r, nil
	}
	var r int64
	if err := s.wst.lastRev.QueryRowContext(ctx, stream).Scan(&r); err != nil {
		return 0, fmt.Errorf("last revision: %w", err)
	}
	s.revs[stream] = r
	return r, nil
}

// retried reports whether events are already in stream, in order and
// contiguous, from an earlier append made with the same expectation, and
// returns that append's result. An exact (or no-stream) expectation says
// where a retry's events must be: right after the expected revision. With
// any or stream-exists the stream is searched for the first id.
func (s *Store) retried(ctx context.Context, stream string, expected domain.ExpectedRevision, events []domain.EventData) (domain.AppendResult, bool, error) {
	var first int64
	if r, ok := expected.Revision(); ok {
		first = int64(r) + 1
	} else if !expected.IsNoStream() {
		err := s.wst.findID.QueryRowContext(ctx, stream, events[0].ID[:]).Scan(&first)
		if errors.Is(err, sql.ErrNoRows) {
			return domain.AppendResult{}, false, nil
		}
		if err != nil {
			return domain.AppendResult{}, false, fmt.Errorf("look up event %s: %w", events[0].ID, err)
		}
	}
	rows, err := s.wst.idsFrom.QueryContext(ctx, stream, first, len(events))
	if err != nil {
		return domain.AppendResult{}, false, fmt.Errorf("read earlier events: %w", err)
	}
	defer rows.Close()
	var (
		n   int
		id  []byte
		rev uint64
		pos uint64
	)
	for rows.Next() {
		if err := rows.Scan(&id, &rev, &pos); err != nil {
			return domain.AppendResult{}, false, fmt.Errorf("read earlier events: %w", err)
		}
		if n >= len(events) || string(id) != string(events[n].ID[:]) {
			return domain.AppendResult{}, false, nil
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return domain.AppendResult{}, false, fmt.Errorf("read earlier events: %w", err)
	}
	if n != len(events) {
		return domain.AppendResult{}, false, nil
	}
	return domain.AppendResult{NextRevision: rev, Position: domain.Position{Commit: pos, Prepare: pos}, Existing: true}, true, nil
}

// checkIDs keeps an event id from appearing twice in a stream when the
// append gives no exact revision: it reads the stream's ids. An append
// that repeats events already there, in order, is a retry (ok, with the
// earlier result); one that repeats only some of them is refused (dup).
// This costs a read of the stream's ids, which is why the ledger, which
// always appends with an exact revision, never comes here.
func (s *Store) checkIDs(ctx context.Context, stream string, events []domain.EventData) (prev domain.AppendResult, ok bool, dup error, err error) {
	want := make(map[string]int, len(events))
	for i, e := range events {
		want[string(e.ID[:])] = i
	}
	rows, err := s.wst.allIDs.QueryContext(ctx, stream)
	if err != nil {
		return prev, false, nil, fmt.Errorf("read the stream's event ids: %w", err)
	}
	defer rows.Close()
	var (
		id  []byte
		rev int64
	)
	for rows.Next() {
		if err := rows.Scan(&id, &rev); err != nil {
			return prev, false, nil, fmt.Errorf("read the stream's event ids: %w", err)
		}
		i, seen := want[string(id)]
		if !seen {
			continue
		}
		rows.Close()
		if i == 0 {
			prev, ok, err := s.retried(ctx, stream, domain.Exact(uint64(rev-1)), events)
			if err != nil || ok {
				return prev, ok, nil, err
			}
		}
		return prev, false, fmt.Errorf("append %s: event %s is already in the stream at revision %d and this append is not an identical retry; nothing was written: %w",
			stream, events[i].ID, rev, domain.ErrDuplicate), nil
	}
	return prev, false, nil, rows.Err()
}

// uniqueIDs refuses an append that carries one id twice.
func uniqueIDs(stream string, events []domain.EventData) error {
	if len(events) < 2 {
		return nil
	}
	seen := make(map[[16]byte]struct{}, len(events))
	for _, e := range events {
		if _, dup := seen[e.ID]; dup {
			return fmt.Errorf("append %s: event %s appears twice in one append; nothing was written: %w", stream, e.ID, domain.ErrDuplicate)
		}
		seen[e.ID] = struct{}{}
	}
	return nil
}

// notify wakes every subscription waiting for new events.
func (s *Store) notify() {
	s.nmu.Lock()
	close(s.changed)
	s.changed = make(chan struct{})
	s.nmu.Unlock()
}

// changedCh returns the channel the next commit closes.
func (s *Store) changedCh() <-chan struct{} {
	s.nmu.Lock()
	defer s.nmu.Unlock()
	return s.changed
}

// isDuplicateID reports whether err is the UNIQUE(stream, event_id)
// constraint failing.
func isDuplicateID(err error) bool {
	m := err.Error()
	return strings.Contains(m, "UNIQUE constraint failed") && strings.Contains(m, "event_id")
}

// runMax bounds how many one-event appends insertRun writes with one
// INSERT statement (7 parameters a row, far below SQLite's limit).
const runMax = 64

// insertRun writes, with one INSERT statement, the longest run (up to
// runMax) of reqs that can only succeed: one event each, an exact or
// no-stream expectation that the stream's revision meets (counting the
// run's earlier appends to the same stream), no stream with a failed
// append in this batch. The rows, their positions, tree leaves and
// revisions are those appendOne writes one by one; one statement for many
// rows saves the driver's cost per statement. It returns how many
// requests it wrote (their outcomes set), 0 when fewer than two qualify.
// When the statement hit a constraint (refused, n the run's length),
// SQLite has undone that statement alone (conflict resolution ABORT; the
// transaction stays open), and appendOne takes those n requests one by
// one, with its own handling of duplicate ids. Any other error fails the
// transaction, as in appendOne.
func (s *Store) insertRun(ctx context.Context, reqs []domain.AppendRequest, out []domain.AppendOutcome, failed map[string]bool, now int64) (n int, refused bool, err error) {
	type row struct {
		stream string
		rev    int64
	}
	var run [runMax]row
	for _, r := range reqs {
		if n == runMax || len(r.Events) != 1 || failed[r.Stream] {
			break
		}
		want, exact := r.Expected.Revision()
		if !exact && !r.Expected.IsNoStream() {
			break
		}
		actual, err := s.lastRevision(ctx, r.Stream)
		if err != nil {
			return 0, false, err
		}
		for k := n - 1; k >= 0; k-- {
			if run[k].stream == r.Stream {
				actual = run[k].rev
				break
			}
		}
		if !r.Expected.Allows(actual) || (exact && int64(want) != actual) {
			break
		}
		run[n] = row{r.Stream, actual + 1}
		n++
	}
	if n < 2 {
		return 0, false, nil
	}
	st := s.wst.insRun[n]
	if st == nil {
		q := "INSERT INTO events (stream, revision, event_id, type, data, metadata, created) VALUES (?, ?, ?, ?, ?, ?, ?)" + strings.Repeat(", (?, ?, ?, ?, ?, ?, ?)", n-1)
		var err error
		if st, err = s.w.PrepareContext(ctx, q); err != nil {
			return 0, false, fmt.Errorf("prepare the insert of %d events: %w", n, err)
		}
		if s.wst.insRun == nil {
			s.wst.insRun = map[int]*sql.Stmt{}
		}
		s.wst.insRun[n] = st
	}
	args := make([]any, 0, 7*n)
	for k, r := range reqs[:n] {
		e := &r.Events[0]
		meta, data := e.Metadata, e.Data
		if meta == nil {
			meta = []byte{}
		}
		if data == nil {
			data = []byte{}
		}
		args = append(args, r.Stream, run[k].rev, e.ID[:], e.Type, data, meta, now)
	}
	sr, err := st.ExecContext(ctx, args...)
	var last int64
	if err == nil {
		last, err = sr.LastInsertId()
	}
	if err != nil {
		if strings.Contains(err.Error(), "constraint failed") {
			return n, true, nil
		}
		return 0, false, fmt.Errorf("insert %d events: %w", n, err)
	}
	// The rows took positions last-n+1 … last, in order (pos is the
	// rowid: each row one past the largest); appendLeaves checks each
	// against the tree's size.
	for k, r := range reqs[:n] {
		pos := last - int64(n-1-k)
		if err := s.appendLeaves(ctx, r.Stream, run[k].rev, r.Events, now, pos); err != nil {
			return 0, false, err
		}
		s.revs[r.Stream] = run[k].rev
		out[k] = domain.AppendOutcome{Result: domain.AppendResult{NextRevision: uint64(run[k].rev), Position: domain.Position{Commit: uint64(pos), Prepare: uint64(pos)}}}
	}
	return n, false, nil
}
