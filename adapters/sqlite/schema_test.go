package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// schemaV1 is the schema of files made before version 2, with the second
// unique index on (stream, event_id).
const schemaV1 = `
CREATE TABLE events (
	pos      INTEGER PRIMARY KEY,
	stream   TEXT    NOT NULL,
	revision INTEGER NOT NULL,
	event_id BLOB    NOT NULL,
	type     TEXT    NOT NULL,
	data     BLOB    NOT NULL,
	metadata BLOB    NOT NULL,
	created  INTEGER NOT NULL,
	UNIQUE (stream, revision),
	UNIQUE (stream, event_id)
);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'grantledger events are append-only: UPDATE refused'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'grantledger events are append-only: DELETE refused'); END;
CREATE TABLE snapshots (
	name        TEXT    PRIMARY KEY,
	commit_pos  INTEGER NOT NULL,
	prepare_pos INTEGER NOT NULL,
	blob        BLOB    NOT NULL,
	saved       INTEGER NOT NULL
);
PRAGMA user_version = 1;
PRAGMA journal_mode = WAL;
`

func evs(n int) []domain.EventData {
	out := make([]domain.EventData, n)
	for i := range out {
		out[i] = domain.EventData{ID: uuid.New(), Type: "T", Data: []byte(`{}`), Metadata: []byte(`{}`)}
	}
	return out
}

// fileFacts returns the file's user_version and the number of indexes on
// the events table.
func fileFacts(t *testing.T, path string) (version, indexes int) {
	t.Helper()
	db, err := sql.Open(defaultDriver, "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow("SELECT count(*) FROM pragma_index_list('events')").Scan(&indexes); err != nil {
		t.Fatal(err)
	}
	return version, indexes
}

func TestNewFileHasSchema3WithOneIndex(t *testing.T) {
	path := filepath.Join(t.TempDir(), "new.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	v, n := fileFacts(t, path)
	if v != 3 || n != 1 {
		t.Errorf("new file: schema version %d with %d indexes on events, want version 3 with 1 (stream, revision)", v, n)
	}
}

func TestSchema1FileIsUsedAsItIs(t *testing.T) {
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
		t.Fatalf("Open a version 1 file: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	first := evs(2)
	res, err := s.Append(ctx, "grantledger-agreement-x", domain.NoStream, first)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Append(ctx, "grantledger-agreement-x", domain.NoStream, first)
	if err != nil || !again.SameAppend(res) {
		t.Errorf("retry on a version 1 file: got %+v, %v; want %+v, nil", again, err, res)
	}
	// The old index still refuses an id used earlier, even under an exact
	// expected revision.
	reuse := append(evs(1), first[0])
	if _, err := s.Append(ctx, "grantledger-agreement-x", domain.Exact(1), reuse); !errors.Is(err, domain.ErrDuplicate) {
		t.Errorf("reused id under exact revision on a version 1 file: got %v, want ErrDuplicate", err)
	}
	got, err := s.ReadStream(ctx, "grantledger-agreement-x", 0, domain.Forwards, 0)
	if err != nil || len(got) != 2 {
		t.Errorf("stream after the refused append: %d events, %v; want 2", len(got), err)
	}
	s.Close()
	if v, n := fileFacts(t, path); v != 3 || n != 2 {
		t.Errorf("after use: schema version %d with %d indexes, want version 3 (the tree added) with the 2 indexes of version 1 kept", v, n)
	}
}

func TestIDsWithoutExactRevision(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	const st = "grantledger-agreement-y"
	first := evs(3)
	res, err := s.Append(ctx, st, domain.NoStream, first)
	if err != nil {
		t.Fatal(err)
	}
	for _, exp := range []domain.ExpectedRevision{domain.Any, domain.StreamExists} {
		again, err := s.Append(ctx, st, exp, first)
		if err != nil || !again.SameAppend(res) {
			t.Errorf("retry with %s: got %+v, %v; want %+v", exp, again, err, res)
		}
		// Events already in the stream, in order, are a retry even when
		// they are only the tail of an earlier append: the store cannot
		// tell append boundaries, and writes nothing.
		if tail, err := s.Append(ctx, st, exp, first[1:]); err != nil || !tail.SameAppend(res) {
			t.Errorf("tail of an earlier append with %s: got %+v, %v; want %+v", exp, tail, err, res)
		}
		if _, err := s.Append(ctx, st, exp, append(evs(1), first[2])); !errors.Is(err, domain.ErrDuplicate) {
			t.Errorf("new event then an old id with %s: got %v, want ErrDuplicate", exp, err)
		}
	}
	one := evs(1)[0]
	for _, exp := range []domain.ExpectedRevision{domain.Any, domain.Exact(2)} {
		if _, err := s.Append(ctx, st, exp, []domain.EventData{one, one}); !errors.Is(err, domain.ErrDuplicate) {
			t.Errorf("one id twice in an append with %s: got %v, want ErrDuplicate", exp, err)
		}
	}
	got, err := s.ReadStream(ctx, st, 0, domain.Forwards, 0)
	if err != nil || len(got) != 3 {
		t.Errorf("stream after refused appends: %d events, %v; want the first 3", len(got), err)
	}
	// An exact expected revision tells a retry by its place: the same
	// events after the same revision, even once the stream moved on.
	more := evs(2)
	r2, err := s.Append(ctx, st, domain.Exact(2), more)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, st, domain.Exact(4), evs(1)); err != nil {
		t.Fatal(err)
	}
	again, err := s.Append(ctx, st, domain.Exact(2), more)
	if err != nil || !again.SameAppend(r2) {
		t.Errorf("retry after the stream moved on: got %+v, %v; want %+v", again, err, r2)
	}
	var ce *domain.ConcurrencyError
	if _, err := s.Append(ctx, st, domain.Exact(2), evs(2)); !errors.As(err, &ce) || ce.Actual != 5 {
		t.Errorf("stale exact revision with new events: got %v, want a concurrency error at revision 5", err)
	}
}
