// Package sqlite is grantledger's embedded event store: one local SQLite
// file, no server, no set-up.
//
// # Durability
//
// The file is in WAL mode with synchronous=FULL on every connection. In WAL
// mode a commit appends the transaction to the -wal file; with FULL, SQLite
// fsyncs the WAL at every commit, so an Append that returned nil survives a
// crash or a power cut. (synchronous=NORMAL would only fsync at checkpoints
// and could lose the last commits on power loss, which a ledger must not.)
// Each Append is one transaction; AppendBatch puts many appends in one
// transaction, so one fsync makes them all durable while each request stays
// atomic on its own (a savepoint per request).
//
// # Append-only
//
// The package has no way to change or remove an event. Triggers on the
// events table RAISE on UPDATE and DELETE, so even a hand edit through the
// sqlite3 shell is refused unless the trigger is dropped first (which the
// hash chain in domain/chain.go then detects).
//
// # Schema
//
//	events(pos INTEGER PRIMARY KEY, stream TEXT, revision INTEGER,
//	       event_id BLOB(16), type TEXT, data BLOB, metadata BLOB,
//	       created INTEGER unix nanoseconds UTC,
//	       UNIQUE(stream, revision))
//	snapshots(name TEXT PRIMARY KEY, commit_pos INTEGER, prepare_pos INTEGER,
//	          blob BLOB, saved INTEGER)   a large blob as a manifest row and
//	          rows of its parts (snapshot.go)
//	tree(idx INTEGER PRIMARY KEY, hash BLOB)   the Merkle log, one row per
//	          event (see tree.go and docs/PROOFS.md), append-only
//	log_info(sealed INTEGER)
//
// pos is the global position (domain.Position with Commit == Prepare == pos).
// An append whose event ids are already in the stream, in the same order,
// right after the revision it expected, is a retry: it writes nothing and
// returns the earlier result. Under an expectation of any or stream-exists,
// which gives no place to look, the stream's ids are read: the same events in
// order are a retry, and any other reuse of an id is refused with
// domain.ErrDuplicate, as is an append that carries one id twice. As with
// EventStoreDB, an append with an exact expected revision is not searched
// for ids used earlier in the stream: the ledger never reuses them (event ids
// derive from the command id, which it refuses to apply twice). Files made
// before schema version 2 also have a unique index on (stream, event_id)
// and refuse such an append too.
//
// # Snapshots and checkpoints
//
// SaveSnapshot and LoadSnapshot keep one named blob with a position in a
// separate, updatable key-value table, for projections: a projection saves
// its read model and the position it has read up to in one statement, so the
// two never disagree after a crash. The events table is not touched.
//
// # Subscriptions
//
// Subscribe delivers the events that already exist, then follows new ones:
// an append in this process wakes subscribers at once, and a short poll
// (100 ms by default, WithPollInterval) sees appends made by another process.
//
// # Errors
//
// Errors carry the stream or operation they concern. A file that is
// read-only, or a disk that is full, gives a *domain.Error with code
// EUnavailable that says so and that nothing was written. A store opened
// with ReadOnly, or opened read-only by itself because the file could not
// be opened for writing (a read-only file system, no permission, a full
// disk: see Open), serves reads and subscriptions, refuses appends with an
// error saying why, and keeps no snapshots.
package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// schemaVersion is stored in PRAGMA user_version. Version 1 files have a
// second unique index, on (stream, event_id); version 2 dropped it, because
// keeping it cost a random B-tree insert per event (about half the time of
// an append) and an exact expected revision already tells a retry by its
// place in the stream. Version 1 files are read and written as they are.
// Version 3 added the Merkle tree (see tree.go); a version 1 or 2 file
// gets it, and becomes version 3, the first time it is opened writable
// (version 1 files keep their second index).
const schemaVersion = 3

// oldestSchema is the oldest schema version this package opens.
const oldestSchema = 1

const schema = `
CREATE TABLE IF NOT EXISTS events (
	pos      INTEGER PRIMARY KEY,
	stream   TEXT    NOT NULL,
	revision INTEGER NOT NULL,
	event_id BLOB    NOT NULL,
	type     TEXT    NOT NULL,
	data     BLOB    NOT NULL,
	metadata BLOB    NOT NULL,
	created  INTEGER NOT NULL,
	UNIQUE (stream, revision)
);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'grantledger events are append-only: UPDATE refused'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'grantledger events are append-only: DELETE refused'); END;
CREATE TABLE IF NOT EXISTS snapshots (
	name        TEXT    PRIMARY KEY,
	commit_pos  INTEGER NOT NULL,
	prepare_pos INTEGER NOT NULL,
	blob        BLOB    NOT NULL,
	saved       INTEGER NOT NULL
);
` + treeSchema + `
PRAGMA user_version = 3;
`

// Store is the embedded SQLite event store. It is safe for concurrent use.
type Store struct {
	path     string
	readOnly bool
	ro       roCause // why it is read-only
	roQuery  string  // the URI query a read-only store was opened with
	poll     time.Duration
	now      func() time.Time
	noCkpt   bool // NoCheckpointOnClose: Close leaves the WAL to the next process

	db *sql.DB // pool for reads; one connection of it is the writer

	wmu        sync.Mutex // serialises writes of this process
	w          *sql.Conn  // the writer connection; nil when read-only
	wst        writeStmts
	revs       map[string]int64 // stream -> last revision, valid while dataVer holds
	dataVer    int64            // PRAGMA data_version when revs was last valid
	recent     recentEvents     // the writer's last commits, for append guards
	ckpt       ckptPolicy       // CheckpointsByLoad
	guardReads int              // append guards given their events read from the file (tests)

	rst readStmts

	hasTree     bool            // the file has the tree tables (version 3)
	tst         treeStmts       // tree statements on the writer
	tree        *merkle.Builder // the writer's view of the tree; nil until loaded
	pendingTree []treeRow       // tree rows of this write transaction, not yet inserted
	treeP       TreeProgress

	nmu     sync.Mutex
	changed chan struct{} // closed and replaced after every commit that wrote events
	done    chan struct{} // closed by Close
	closeMu sync.Once
}

var (
	_ domain.EventStore    = (*Store)(nil)
	_ domain.BatchAppender = (*Store)(nil)
)

// Option changes how Open opens a store.
type Option func(*options)

type options struct {
	readOnly bool
	poll     time.Duration
	now      func() time.Time
	driver   string
	progress TreeProgress

	noCkptOnClose bool // NoCheckpointOnClose
	ckptByLoad    bool // CheckpointsByLoad
}

// ReadOnly opens the file for reading only: reads and subscriptions work,
// appends return an EUnavailable error, and SaveSnapshot keeps nothing.
// The file must exist.
func ReadOnly() Option { return func(o *options) { o.readOnly = true } }

// WithPollInterval sets how often a waiting subscription looks for events
// appended by another process (default 100 ms). Appends of this process wake
// subscriptions at once whatever the interval.
func WithPollInterval(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.poll = d
		}
	}
}

// WithClock sets the clock that stamps RecordedEvent.Created (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// withDriver picks the database/sql driver by name; the benchmarks use it to
// compare drivers.
func withDriver(name string) Option { return func(o *options) { o.driver = name } }

// Open opens the store in the file at path, creating the file (mode 0600)
// and its tables if they do not exist.
//
// An existing file that cannot be opened for writing is opened read-only,
// as with the ReadOnly option, when the reason is one a person can fix:
// the file system is mounted read-only, this process may not write the
// file or its directory, or the disk is full. Reads, verification and
// reports then work; appends return an EUnavailable error that says why
// the store is read-only and that nothing was written (ReadOnlyReason
// tells it at once), and SaveSnapshot keeps nothing. A store opened on a
// full disk stays read-only after space is freed: open it again to write.
// A new file, or an empty one, is never opened read-only: there is nothing
// to read, and the error says why it could not be made.
//
// Read-only, the store reads committed changes still in the -wal file
// (after a crash, or when the last writer could not checkpoint), through
// SQLite's read-only WAL support. When that is impossible (the -wal file
// holds changes and the -shm file is missing on a read-only file system)
// Open refuses with an error that says so, rather than show an older state
// of the ledger.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{poll: 100 * time.Millisecond, now: time.Now, driver: defaultDriver}
	for _, opt := range opts {
		opt(&o)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open event store %s: %w", path, err)
	}
	var ro roCause
	if o.readOnly {
		ro = roCause{kind: roAsked}
		if _, err := os.Stat(abs); err != nil {
			return nil, fmt.Errorf("open event store %s read-only: %w", path, err)
		}
	} else {
		f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600)
		switch {
		case err == nil:
			f.Close()
		case errors.Is(err, os.ErrPermission) || isReadOnlyFS(err):
			if _, serr := os.Stat(abs); serr != nil {
				return nil, fmt.Errorf("open event store %s: cannot create the file: %w", path, err)
			}
			ro = roCause{kind: roPerm, detail: err.Error()}
			if isReadOnlyFS(err) {
				ro = roCause{kind: roFS, detail: err.Error()}
			}
		case isNoSpace(err):
			return nil, fmt.Errorf("open event store %s: cannot create the file: the disk is full; nothing was written: %w", path, err)
		default:
			return nil, fmt.Errorf("open event store %s: %w", path, err)
		}
	}
	if ro.kind == writable {
		s := newStore(abs, o)
		err := s.openWritable(o.driver)
		if err == nil {
			return s, nil
		}
		s.closeDB()
		cause, ok := whyNotWritable(abs, err)
		if !ok {
			return nil, fmt.Errorf("open event store %s: %w", path, classify(err))
		}
		ro = cause
	}
	s := newStore(abs, o)
	s.readOnly, s.ro = true, ro
	if err := s.openReadOnly(o.driver); err != nil {
		s.closeDB()
		if ro.kind != roAsked {
			return nil, fmt.Errorf("open event store %s: it cannot be written (%s), and reading it failed too: %w", path, ro.reason(), err)
		}
		return nil, fmt.Errorf("open event store %s read-only: %w", path, err)
	}
	return s, nil
}

func newStore(abs string, o options) *Store {
	return &Store{
		path: abs, poll: o.poll, now: o.now, treeP: o.progress, noCkpt: o.noCkptOnClose,
		ckpt: newCkptPolicy(o.ckptByLoad),
		revs: map[string]int64{}, changed: make(chan struct{}), done: make(chan struct{}),
	}
}

// closeDB releases what a failed open left.
func (s *Store) closeDB() {
	s.rst.close()
	s.rst = readStmts{}
	s.wst.close()
	s.wst = writeStmts{}
	s.tst.close()
	s.tst = treeStmts{}
	if s.w != nil {
		s.w.Close()
		s.w = nil
	}
	if s.db != nil {
		s.db.Close()
		s.db = nil
	}
}

// pool opens the connection pool on the file with the given URI query.
func (s *Store) pool(driverName, query string) error {
	probe, err := sql.Open(driverName, "")
	if err != nil {
		return err
	}
	drv := probe.Driver()
	probe.Close()
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: s.path, RawQuery: query}).String()
	c := &connector{drv: drv, dsn: dsn, pragmas: []string{
		"PRAGMA busy_timeout = 10000",
		"PRAGMA synchronous = FULL",
	}}
	if s.noCkpt && !s.readOnly {
		c.noCkpt = true
		c.pragmas = append(c.pragmas, fmt.Sprintf("PRAGMA journal_size_limit = %d", walSizeLimit))
	}
	s.db = sql.OpenDB(c)
	s.db.SetMaxOpenConns(5) // the writer and four readers
	s.db.SetMaxIdleConns(5)
	s.db.SetConnMaxIdleTime(0)
	return nil
}

// openWritable opens the file for reading and writing, in WAL mode, and
// creates the tables of a new file.
func (s *Store) openWritable(driverName string) error {
	if err := s.pool(driverName, "mode=rw"); err != nil {
		return err
	}
	ctx := context.Background()
	w, err := s.db.Conn(ctx)
	if err != nil {
		return err
	}
	s.w = w
	var jm string
	if err := w.QueryRowContext(ctx, "PRAGMA journal_mode = WAL").Scan(&jm); err != nil {
		return fmt.Errorf("set WAL mode: %w", err)
	}
	if jm != "wal" {
		return fmt.Errorf("set WAL mode: the file stays in journal mode %q", jm)
	}
	if _, err := w.ExecContext(ctx, writerTempStore); err != nil {
		return fmt.Errorf("%s: %w", writerTempStore, err)
	}
	var v int
	if err := w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	switch {
	case v > schemaVersion:
		return fmt.Errorf("the file has schema version %d; this program knows up to %d", v, schemaVersion)
	case v == 0:
		if _, err := w.ExecContext(ctx, schema); err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
	case v < 3:
		if err := s.upgradeToTree(ctx, w, s.treeP); err != nil {
			return err
		}
	}
	s.hasTree = true
	if err := s.wst.prepare(ctx, w); err != nil {
		return err
	}
	if err := s.tst.prepare(ctx, w); err != nil {
		return err
	}
	return s.rst.prepare(ctx, s.db)
}

// Path returns the absolute path of the store's file.
func (s *Store) Path() string { return s.path }

// Close implements domain.EventStore. It ends every subscription and
// closes the file; SQLite checkpoints the WAL into the main file when the
// last connection closes, unless the store was opened with
// NoCheckpointOnClose (then only a WAL file over 1 MiB is checkpointed).
func (s *Store) Close() error {
	var err error
	s.closeMu.Do(func() {
		close(s.done)
		s.wmu.Lock()
		defer s.wmu.Unlock()
		s.rst.close()
		if s.w != nil {
			s.wst.close()
			s.tst.close()
			if s.noCkpt {
				s.checkpointIfLarge()
			}
			err = s.w.Close()
		}
		if cerr := s.db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			err = fmt.Errorf("close event store %s: %w", s.path, err)
		}
	})
	return err
}

// isClosed reports whether Close was called.
func (s *Store) isClosed() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// errClosed is returned by calls on a closed store.
func errClosed() error { return domain.Errorf(domain.EUnavailable, "the event store is closed") }

// connector opens driver connections and sets the per-connection pragmas on
// each, whatever the driver's own DSN syntax.
type connector struct {
	drv     driver.Driver
	dsn     string
	pragmas []string
	noCkpt  bool // set SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE (NoCheckpointOnClose)
}

func (c *connector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	if c.noCkpt {
		setNoCheckpointOnClose(conn)
	}
	for _, p := range c.pragmas {
		if err := execConn(ctx, conn, p); err != nil {
			conn.Close()
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	return conn, nil
}

func (c *connector) Driver() driver.Driver { return c.drv }

func execConn(ctx context.Context, conn driver.Conn, q string) error {
	if ex, ok := conn.(driver.ExecerContext); ok {
		_, err := ex.ExecContext(ctx, q, nil)
		return err
	}
	st, err := conn.Prepare(q)
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = st.Exec(nil) //nolint:staticcheck // fallback for drivers without ExecerContext
	return err
}

// writerTempStore keeps the writer connection's statement journals in
// memory. A multi-row INSERT (insertRun, the tree rows) may abort halfway
// on a constraint, so SQLite copies every page it touches into a
// statement journal first, to undo that statement alone. By default
// (temp_store DEFAULT) the journal spills to a temporary file past 64 KiB,
// which a group commit of a dozen events on random streams passes: a file
// created, written page by page and removed in every commit. In memory, it
// is a copy of the same pages, freed when the statement ends. Nothing
// durable changes: the statement journal is never read after a commit or a
// crash. Only the writer: the readers' sorts keep SQLite's default.
const writerTempStore = "PRAGMA temp_store = MEMORY"
