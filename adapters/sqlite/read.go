package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/grantledger/grantledger/domain"
)

// readStmts are prepared on the read pool.
type readStmts struct {
	fwd, bwd, all, exists, loadSnap *sql.Stmt
}

const cols = "pos, stream, revision, event_id, type, data, metadata, created"

func (r *readStmts) prepare(ctx context.Context, db *sql.DB) error {
	for _, p := range []struct {
		st **sql.Stmt
		q  string
	}{
		{&r.fwd, "SELECT " + cols + " FROM events WHERE stream = ? AND revision >= ? ORDER BY revision LIMIT ?"},
		{&r.bwd, "SELECT " + cols + " FROM events WHERE stream = ? AND revision <= ? ORDER BY revision DESC LIMIT ?"},
		{&r.all, "SELECT " + cols + " FROM events WHERE pos > ? ORDER BY pos LIMIT ?"},
		{&r.exists, "SELECT 1 FROM events WHERE stream = ? LIMIT 1"},
		{&r.loadSnap, "SELECT commit_pos, prepare_pos, blob FROM snapshots WHERE name = ?"},
	} {
		st, err := db.PrepareContext(ctx, p.q)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.q, err)
		}
		*p.st = st
	}
	return nil
}

func (r *readStmts) close() {
	for _, st := range []*sql.Stmt{r.fwd, r.bwd, r.all, r.exists, r.loadSnap} {
		if st != nil {
			st.Close()
		}
	}
}

// limit turns a max into a SQL LIMIT: max <= 0 means no limit.
func limit(max int) int64 {
	if max <= 0 {
		return -1
	}
	return int64(max)
}

// ReadStream implements domain.EventStore. A max of 0 or less reads to the
// end of the stream.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir domain.Direction, max int) ([]domain.RecordedEvent, error) {
	if s.isClosed() {
		return nil, fmt.Errorf("read stream %s: %w", stream, errClosed())
	}
	st := s.rst.fwd
	if dir == domain.Backwards {
		st = s.rst.bwd
	}
	f := int64(math.MaxInt64)
	if from < math.MaxInt64 {
		f = int64(from)
	}
	rows, err := st.QueryContext(ctx, stream, f, limit(max))
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	out, err := scanEvents(rows, 0)
	if err != nil {
		return nil, fmt.Errorf("read stream %s: %w", stream, err)
	}
	if len(out) == 0 {
		var one int
		err := s.rst.exists.QueryRowContext(ctx, stream).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("read stream %s: %w", stream, domain.ErrNotFound)
		}
		if err != nil {
			return nil, fmt.Errorf("read stream %s: %w", stream, err)
		}
	}
	return out, nil
}

// ReadAll implements domain.EventStore. A max of 0 or less reads to the
// end of the store.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	if s.isClosed() {
		return nil, fmt.Errorf("read all from %v: %w", from, errClosed())
	}
	f := int64(math.MaxInt64)
	if from.Commit < math.MaxInt64 {
		f = int64(from.Commit)
	}
	rows, err := s.rst.all.QueryContext(ctx, f, limit(max))
	if err != nil {
		return nil, fmt.Errorf("read all from %v: %w", from, err)
	}
	out, err := scanEvents(rows, max)
	if err != nil {
		return nil, fmt.Errorf("read all from %v: %w", from, err)
	}
	return out, nil
}

// scanEvents reads rows of cols and closes them. Stream and type names
// repeat from row to row, so each distinct name is allocated once per call.
func scanEvents(rows *sql.Rows, sizeHint int) ([]domain.RecordedEvent, error) {
	defer rows.Close()
	var out []domain.RecordedEvent
	if sizeHint > 0 && sizeHint <= 4096 {
		out = make([]domain.RecordedEvent, 0, sizeHint)
	}
	names := map[string]string{}
	intern := func(b sql.RawBytes) string {
		if v, ok := names[string(b)]; ok {
			return v
		}
		v := string(b)
		names[v] = v
		return v
	}
	var (
		pos, rev, created int64
		stream, typ, id   sql.RawBytes
	)
	for rows.Next() {
		var e domain.RecordedEvent
		if err := rows.Scan(&pos, &stream, &rev, &id, &typ, &e.Data, &e.Metadata, &created); err != nil {
			return nil, err
		}
		if len(id) != len(e.ID) {
			return nil, fmt.Errorf("event at position %d: event id has %d bytes, want %d", pos, len(id), len(e.ID))
		}
		copy(e.ID[:], id)
		e.Stream = intern(stream)
		e.Type = intern(typ)
		e.Revision = uint64(rev)
		e.Position = domain.Position{Commit: uint64(pos), Prepare: uint64(pos)}
		e.Created = time.Unix(0, created).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

// Subscribe implements domain.EventStore.
func (s *Store) Subscribe(ctx context.Context, from domain.Position, streamPrefix string) (domain.Subscription, error) {
	if s.isClosed() {
		return nil, fmt.Errorf("subscribe from %v: %w", from, errClosed())
	}
	return &subscription{s: s, next: from, prefix: streamPrefix, done: make(chan struct{})}, nil
}

// subscription reads the global order in pages and waits for a commit of
// this process, or the poll interval, when it has caught up.
type subscription struct {
	s      *Store
	next   domain.Position
	prefix string
	buf    []domain.RecordedEvent
	i      int
	done   chan struct{}
	once   sync.Once
}

// subscriptionPage is how many events a subscription reads at a time.
const subscriptionPage = 512

func (u *subscription) Next(ctx context.Context) (domain.RecordedEvent, error) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		for u.i < len(u.buf) {
			e := u.buf[u.i]
			u.i++
			u.next = e.Position
			if strings.HasPrefix(e.Stream, u.prefix) {
				return e, nil
			}
		}
		if err := ctx.Err(); err != nil {
			return domain.RecordedEvent{}, err
		}
		select {
		case <-u.done:
			return domain.RecordedEvent{}, domain.Errorf(domain.EUnavailable, "the subscription is closed")
		case <-u.s.done:
			return domain.RecordedEvent{}, errClosed()
		default:
		}
		wait := u.s.changedCh()
		evs, err := u.s.ReadAll(ctx, u.next, subscriptionPage)
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return domain.RecordedEvent{}, cerr
			}
			return domain.RecordedEvent{}, fmt.Errorf("subscription: %w", err)
		}
		if len(evs) > 0 {
			u.buf, u.i = evs, 0
			continue
		}
		if timer == nil {
			timer = time.NewTimer(u.s.poll)
		} else {
			timer.Reset(u.s.poll)
		}
		select {
		case <-ctx.Done():
			return domain.RecordedEvent{}, ctx.Err()
		case <-u.done:
			return domain.RecordedEvent{}, domain.Errorf(domain.EUnavailable, "the subscription is closed")
		case <-u.s.done:
			return domain.RecordedEvent{}, errClosed()
		case <-wait:
		case <-timer.C:
		}
	}
}

// Close ends the subscription; a Next blocked in another goroutine
// returns.
func (u *subscription) Close() error {
	u.once.Do(func() { close(u.done) })
	return nil
}
