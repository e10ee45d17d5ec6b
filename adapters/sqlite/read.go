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
		{&r.loadSnap, "SELECT name, commit_pos, prepare_pos, blob FROM snapshots WHERE name >= ?1 AND name < ?2 ORDER BY name"},
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
// end of the store. Every call returns fresh memory: the events share
// nothing with earlier or later calls.
func (s *Store) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	out, _, err := s.readAll(ctx, from, max, false, nil, nil)
	return out, err
}

// ReadAllInto is ReadAll into memory the caller owns and lends again: it
// appends the events to evs[:0] and their Data and Metadata bytes to
// buf[:0], and returns both (buf possibly grown) for the next call. The
// events of one call stay valid until evs or the returned buffer is passed
// to ReadAllInto again, which overwrites them; the store keeps neither. A
// reader that decodes every event into its own values (a projection
// rebuild) so allocates almost nothing per event.
func (s *Store) ReadAllInto(ctx context.Context, from domain.Position, max int, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error) {
	return s.readAll(ctx, from, max, true, evs[:0], buf[:0])
}

func (s *Store) readAll(ctx context.Context, from domain.Position, max int, lent bool, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error) {
	if s.isClosed() {
		return nil, buf, fmt.Errorf("read all from %v: %w", from, errClosed())
	}
	f := int64(math.MaxInt64)
	if from.Commit < math.MaxInt64 {
		f = int64(from.Commit)
	}
	rows, err := s.rst.all.QueryContext(ctx, f, limit(max))
	if err != nil {
		return nil, buf, fmt.Errorf("read all from %v: %w", from, err)
	}
	if !lent {
		out, err := scanEvents(rows, max)
		if err != nil {
			return nil, buf, fmt.Errorf("read all from %v: %w", from, err)
		}
		return out, buf, nil
	}
	out, buf, err := scanInto(rows, evs, buf)
	if err != nil {
		return nil, buf, fmt.Errorf("read all from %v: %w", from, err)
	}
	return out, buf, nil
}

// nameTable keeps one copy of each stream and type name seen in one read.
type nameTable map[string]string

func (n nameTable) intern(b sql.RawBytes) string {
	if v, ok := n[string(b)]; ok {
		return v
	}
	v := string(b)
	n[v] = v
	return v
}

// scanEvents reads rows of cols and closes them. Stream and type names
// repeat from row to row, so each distinct name is allocated once per call.
func scanEvents(rows *sql.Rows, sizeHint int) ([]domain.RecordedEvent, error) {
	defer rows.Close()
	var out []domain.RecordedEvent
	if sizeHint > 0 && sizeHint <= 4096 {
		out = make([]domain.RecordedEvent, 0, sizeHint)
	}
	names := nameTable{}
	var (
		pos, rev, created int64
		stream, typ, id   sql.RawBytes
	)
	for rows.Next() {
		var e domain.RecordedEvent
		if err := rows.Scan(&pos, &stream, &rev, &id, &typ, &e.Data, &e.Metadata, &created); err != nil {
			return nil, err
		}
		if err := fill(&e, pos, rev, created, id, names.intern(stream), names.intern(typ)); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// scanInto reads rows of cols into evs and buf (see ReadAllInto) and closes
// them. When buf is full a larger one is allocated; the events already read
// keep pointing into the old one, which stays valid.
func scanInto(rows *sql.Rows, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error) {
	defer rows.Close()
	names := nameTable{}
	var (
		pos, rev, created           int64
		stream, typ, id, data, meta sql.RawBytes
	)
	for rows.Next() {
		if err := rows.Scan(&pos, &stream, &rev, &id, &typ, &data, &meta, &created); err != nil {
			return nil, buf, err
		}
		if need := len(data) + len(meta); cap(buf)-len(buf) < need {
			buf = make([]byte, 0, max(2*cap(buf), need, 1<<16))
		}
		var e domain.RecordedEvent
		// Full slice expressions: appending to one event's bytes must
		// never overwrite the next event's.
		n := len(buf)
		buf = append(buf, data...)
		e.Data = buf[n:len(buf):len(buf)]
		n = len(buf)
		buf = append(buf, meta...)
		e.Metadata = buf[n:len(buf):len(buf)]
		if data == nil {
			e.Data = nil
		}
		if meta == nil {
			e.Metadata = nil
		}
		if err := fill(&e, pos, rev, created, id, names.intern(stream), names.intern(typ)); err != nil {
			return nil, buf, err
		}
		evs = append(evs, e)
	}
	return evs, buf, rows.Err()
}

// fill sets the scalar fields of an event read from a row.
func fill(e *domain.RecordedEvent, pos, rev, created int64, id sql.RawBytes, stream, typ string) error {
	if len(id) != len(e.ID) {
		return fmt.Errorf("event at position %d: event id has %d bytes, want %d", pos, len(id), len(e.ID))
	}
	copy(e.ID[:], id)
	e.Stream = stream
	e.Type = typ
	e.Revision = uint64(rev)
	e.Position = domain.Position{Commit: uint64(pos), Prepare: uint64(pos)}
	e.Created = time.Unix(0, created).UTC()
	return nil
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
