package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/tmpfstest"
)

// These tests put the store on a small tmpfs of its own (tmpfstest): a
// real EROFS and a real ENOSPC.

// appendN appends n events to stream "a" and returns their ids.
func appendN(t *testing.T, s *Store, n int) []uuid.UUID {
	t.Helper()
	var ids []uuid.UUID
	for i := 0; i < n; i++ {
		ev := oneEvent(`{"n":` + strconv.Itoa(i) + `}`)
		if _, err := s.Append(context.Background(), "a", domain.Any, ev); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, ev[0].ID)
	}
	return ids
}

// cleanStore makes a store at dir/events.db holding n events and closes it,
// which checkpoints the WAL into the file and removes -wal and -shm.
func cleanStore(t *testing.T, dir string, n int) (string, []uuid.UUID) {
	t.Helper()
	path := filepath.Join(dir, "events.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ids := appendN(t, s, n)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + "-wal"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("after Close: %s-wal: %v, want it removed", path, err)
	}
	return path, ids
}

// crashImage leaves in dir/events.db what a crash leaves: a file holding
// one event and a -wal file holding two more committed events (and the
// -shm file when withSHM). It copies the files of a store that is still
// open, as a power cut would leave them, then closes that store. It checks
// that the file alone, read ignoring the WAL, holds only the first event,
// so a store that ignored the WAL would be caught.
func crashImage(t *testing.T, dir string, withSHM bool) (string, []uuid.UUID) {
	t.Helper()
	src, ids := cleanStore(t, t.TempDir(), 1)
	s, err := Open(src)
	if err != nil {
		t.Fatal(err)
	}
	ids = append(ids, appendN(t, s, 2)...)
	path := filepath.Join(dir, "events.db")
	suffixes := []string{"", "-wal"}
	if withSHM {
		suffixes = append(suffixes, "-shm")
	}
	for _, suffix := range suffixes {
		b, err := os.ReadFile(src + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("crash image: %s-wal: %v; want a non-empty WAL", path, err)
	}
	if got := countIgnoringWAL(t, path); got != 1 {
		t.Fatalf("crash image: the file alone holds %d events, want 1 (the other 2 only in the WAL)", got)
	}
	return path, ids
}

// countIgnoringWAL counts the events of the file at path as SQLite sees
// it with immutable=1, which ignores the -wal file: what a store that
// trusted immutable blindly would show.
func countIgnoringWAL(t *testing.T, path string) int {
	t.Helper()
	dsn := (&url.URL{Scheme: "file", OmitHost: true, Path: path, RawQuery: "mode=ro&immutable=1"}).String()
	db, err := sql.Open(defaultDriver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM events").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// readIDs returns the ids of every event of the store in order.
func readIDs(t *testing.T, s *Store) []uuid.UUID {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), domain.Position{}, 0)
	if err != nil {
		t.Fatalf("ReadAll: %v", err)
	}
	var ids []uuid.UUID
	for _, e := range evs {
		ids = append(ids, e.ID)
	}
	return ids
}

// wantRefused checks that an append and a batch on s fail with an
// EUnavailable error saying each of says and that nothing was written,
// and that the store still holds exactly want.
func wantRefused(t *testing.T, s *Store, want []uuid.UUID, says ...string) {
	t.Helper()
	ctx := context.Background()
	_, err := s.Append(ctx, "a", domain.Any, oneEvent(`{}`))
	_, berr := s.AppendBatch(ctx, []domain.AppendRequest{{Stream: "b", Expected: domain.Any, Events: oneEvent(`{}`)}})
	for i, err := range []error{err, berr} {
		if domain.ErrorCode(err) != domain.EUnavailable {
			t.Fatalf("append: got %v (code %q), want code %q", err, domain.ErrorCode(err), domain.EUnavailable)
		}
		names := []string{"append a: ", "append batch of 1 requests: "}
		for _, w := range append(says, names[i], "nothing was written") {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("append error %q does not say %q", err, w)
			}
		}
	}
	if got := readIDs(t, s); !slices.Equal(got, want) {
		t.Errorf("after the refused appends: events %v, want %v", got, want)
	}
}

func wantFiles(t *testing.T, dir string, want ...string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range ents {
		got = append(got, e.Name())
	}
	if !slices.Equal(got, want) {
		t.Errorf("files in %s: %v, want %v", dir, got, want)
	}
}

// TestOpenOnReadOnlyFS opens, without the ReadOnly option, a store that
// was closed cleanly (no -wal or -shm file) on a file system then
// remounted read-only: Open falls back to read-only, reads work, appends
// say why they are refused, and nothing is created.
func TestOpenOnReadOnlyFS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		emptyWAL bool // an empty -wal file was left (it holds nothing)
		opts     []Option
	}{
		{name: "no WAL"},
		{name: "empty WAL", emptyWAL: true},
		{name: "ReadOnly option", opts: []Option{ReadOnly()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := tmpfstest.Mount(t, 4<<20)
			path, ids := cleanStore(t, dir, 2)
			files := []string{"events.db"}
			if tc.emptyWAL {
				if err := os.WriteFile(path+"-wal", nil, 0o600); err != nil {
					t.Fatal(err)
				}
				files = append(files, "events.db-wal")
			}
			tmpfstest.Remount(t, dir, true)
			s, err := Open(path, tc.opts...)
			if err != nil {
				t.Fatalf("Open on a read-only file system: %v", err)
			}
			defer s.Close()
			if s.roQuery != "mode=ro&immutable=1" {
				t.Errorf("opened with %q, want immutable (nothing can write, nothing in a WAL)", s.roQuery)
			}
			if got := readIDs(t, s); !slices.Equal(got, ids) {
				t.Errorf("events: %v, want %v", got, ids)
			}
			if tc.opts == nil {
				if got, want := s.ReadOnlyReason(), "its file system is mounted read-only"; got != want {
					t.Errorf("ReadOnlyReason: %q, want %q", got, want)
				}
				wantRefused(t, s, ids, "read-only", "file system", path)
			} else {
				wantRefused(t, s, ids, "open read-only", path)
			}
			if err := s.SaveSnapshot(context.Background(), "p", domain.Position{Commit: 2, Prepare: 2}, []byte("x")); domain.ErrorCode(err) != domain.EUnavailable || !strings.Contains(err.Error(), "nothing was written") {
				t.Errorf("SaveSnapshot on a read-only store: %v, want an unavailable error saying nothing was written", err)
			}
			if _, _, ok, err := s.LoadSnapshot(context.Background(), "p"); ok || err != nil {
				t.Errorf("LoadSnapshot after a save on a read-only store: ok %v, err %v; want nothing", ok, err)
			}
			wantFiles(t, dir, files...)
		})
	}
}

// TestOpenOnReadOnlyFSReadsWAL opens a crash image (two committed events
// only in the -wal file, -shm present) on a read-only file system: the
// store reads them through SQLite's read-only WAL support, not the older
// state of the main file.
func TestOpenOnReadOnlyFSReadsWAL(t *testing.T) {
	dir := tmpfstest.Mount(t, 4<<20)
	path, ids := crashImage(t, dir, true)
	tmpfstest.Remount(t, dir, true)
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open on a read-only file system with a WAL: %v", err)
	}
	defer s.Close()
	t.Logf("opened read-only with %q", s.roQuery)
	if strings.Contains(s.roQuery, "immutable") {
		t.Errorf("opened with %q: immutable ignores the WAL", s.roQuery)
	}
	if got := readIDs(t, s); !slices.Equal(got, ids) {
		t.Fatalf("events: %v, want all 3 %v (2 of them only in the WAL)", got, ids)
	}
	wantRefused(t, s, ids, "read-only", "file system")
}

// TestOpenOnReadOnlyFSRefusesUnreadableWAL: a -wal file holding committed
// events with no -shm file, on a read-only file system, cannot be read by
// SQLite; Open must refuse and say why and what to do, not show the older
// state the main file holds. Made writable, the same file opens and shows
// every event, as the error promises.
func TestOpenOnReadOnlyFSRefusesUnreadableWAL(t *testing.T) {
	dir := tmpfstest.Mount(t, 4<<20)
	path, ids := crashImage(t, dir, false)
	tmpfstest.Remount(t, dir, true)
	for _, opts := range [][]Option{nil, {ReadOnly()}} {
		s, err := Open(path, opts...)
		if err == nil {
			got := readIDs(t, s)
			s.Close()
			t.Fatalf("Open(%d options): no error, events %v; want a refusal (the WAL holds 2 more)", len(opts), got)
		}
		for _, w := range []string{path + "-wal holds", "-shm", "read-only file system", "refusing to open rather than show an older state", "make the file system writable"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Open(%d options): error %q does not say %q", len(opts), err, w)
			}
		}
	}
	wantFiles(t, dir, "events.db", "events.db-wal")
	tmpfstest.Remount(t, dir, false)
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open once writable: %v", err)
	}
	defer s.Close()
	if got := readIDs(t, s); !slices.Equal(got, ids) {
		t.Errorf("events once writable: %v, want %v", got, ids)
	}
}

// TestOpenOnFullDisk opens, in a new process as it were, a store on a file
// system with not one byte free: Open falls back to read-only, reads
// work, an append says the disk was full and nothing was written, and the
// files SQLite made stay owner-only. Once space is freed a new Open writes
// again.
func TestOpenOnFullDisk(t *testing.T) {
	dir := tmpfstest.Mount(t, 4<<20)
	path, ids := cleanStore(t, dir, 2)
	filler := tmpfstest.Fill(t, dir)
	s, err := Open(path)
	if err != nil {
		t.Fatalf("Open on a full disk: %v", err)
	}
	t.Logf("opened read-only with %q: %s", s.roQuery, s.ReadOnlyReason())
	if r := s.ReadOnlyReason(); !strings.Contains(r, "full") {
		t.Errorf("ReadOnlyReason: %q, want it to say the disk was full", r)
	}
	if got := readIDs(t, s); !slices.Equal(got, ids) {
		t.Errorf("events: %v, want %v", got, ids)
	}
	wantRefused(t, s, ids, "was full when the store was opened", path)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(path + suffix)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s: %o, want 600", filepath.Base(path+suffix), got)
		}
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	s, err = Open(path)
	if err != nil {
		t.Fatalf("Open once there is room: %v", err)
	}
	defer s.Close()
	if r := s.ReadOnlyReason(); r != "" {
		t.Fatalf("ReadOnlyReason once there is room: %q, want writable", r)
	}
	ids = append(ids, appendN(t, s, 1)...)
	if got := readIDs(t, s); !slices.Equal(got, ids) {
		t.Errorf("events: %v, want %v", got, ids)
	}
}

// TestOpenOnFullDiskReadsWAL opens a crash image (two committed events
// only in the -wal file) on a full disk. Without the -shm file SQLite
// cannot make one of full size and Open falls back to read-only, reading
// the WAL; with it (32 KiB already there) the writable open succeeds and
// the append itself is refused. Either way all three events are read and
// the append says the disk is full.
func TestOpenOnFullDiskReadsWAL(t *testing.T) {
	for _, withSHM := range []bool{true, false} {
		t.Run("shm "+strconv.FormatBool(withSHM), func(t *testing.T) {
			dir := tmpfstest.Mount(t, 4<<20)
			path, ids := crashImage(t, dir, withSHM)
			tmpfstest.Fill(t, dir)
			s, err := Open(path)
			if err != nil {
				t.Fatalf("Open on a full disk with a WAL: %v", err)
			}
			defer s.Close()
			t.Logf("read-only: %q, opened with %q", s.ReadOnlyReason(), s.roQuery)
			if !withSHM && !strings.Contains(s.ReadOnlyReason(), "full") {
				t.Errorf("ReadOnlyReason: %q, want it to say the disk was full", s.ReadOnlyReason())
			}
			if strings.Contains(s.roQuery, "immutable") {
				t.Errorf("opened with %q: immutable ignores the WAL", s.roQuery)
			}
			if got := readIDs(t, s); !slices.Equal(got, ids) {
				t.Fatalf("events: %v, want all 3 %v (2 of them only in the WAL)", got, ids)
			}
			wantRefused(t, s, ids, "full", "nothing was written")
		})
	}
}

// TestOpenNewFileOnFullDisk: a new store cannot be made on a full disk;
// Open says so and leaves no store behind to open read-only.
func TestOpenNewFileOnFullDisk(t *testing.T) {
	dir := tmpfstest.Mount(t, 1<<20)
	tmpfstest.Fill(t, dir)
	s, err := Open(filepath.Join(dir, "new.db"))
	if err == nil {
		s.Close()
		t.Fatal("Open of a new file on a full disk: no error")
	}
	if domain.ErrorCode(err) != domain.EUnavailable || !strings.Contains(err.Error(), "full") {
		t.Errorf("Open of a new file on a full disk: %v (code %q), want an %q error saying the disk is full", err, domain.ErrorCode(err), domain.EUnavailable)
	}
}
