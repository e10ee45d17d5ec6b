package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/envtest"
)

// TestMain runs the child process of the tests below when
// $NOCKPT_CHILD_DB is set (the tests start this binary again for it), and
// the tests otherwise.
func TestMain(m *testing.M) {
	if os.Getenv("NOCKPT_CHILD_DB") != "" {
		os.Exit(noCkptChild())
	}
	os.Exit(m.Run())
}

// noCkptChild is the child process: it opens the store named by
// $NOCKPT_CHILD_DB with NoCheckpointOnClose, appends one event to stream
// "s" for each id of $NOCKPT_CHILD_IDS, closes it and exits, as one
// 'grantledger apply -' does. It returns the exit code.
func noCkptChild() int {
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 1
	}
	s, err := Open(os.Getenv("NOCKPT_CHILD_DB"), NoCheckpointOnClose())
	if err != nil {
		return fail(err)
	}
	pad := strings.Repeat("x", len(os.Getenv("NOCKPT_CHILD_PAD")))
	for i, id := range strings.Fields(os.Getenv("NOCKPT_CHILD_IDS")) {
		data := fmt.Appendf(nil, `{"n":%d}`, i)
		if pad != "" {
			data = fmt.Appendf(nil, `{"n":%d,"pad":%q}`, i, pad)
		}
		ev := []domain.EventData{{ID: uuid.MustParse(id), Type: "T", Data: data, Metadata: []byte(`{}`)}}
		if _, err := s.Append(context.Background(), "s", domain.Any, ev); err != nil {
			return fail(err)
		}
	}
	if err := s.Close(); err != nil {
		return fail(err)
	}
	return 0
}

// runChild appends events with the given ids in a new process (the test
// binary, which runs noCkptChild), optionally under strace, and returns
// the child's output.
func runChild(t *testing.T, path string, ids []uuid.UUID, wrap ...string) string {
	t.Helper()
	var idText []string
	for _, id := range ids {
		idText = append(idText, id.String())
	}
	args := append(wrap, os.Args[0])
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "NOCKPT_CHILD_DB="+path, "NOCKPT_CHILD_IDS="+strings.Join(idText, " "))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child process: %v\n%s", err, out)
	}
	return string(out)
}

func newIDs(n int) []uuid.UUID {
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.New()
	}
	return ids
}

// countRowsWithoutWAL counts the events the main file holds on its own: a copy of
// the file without its -wal, opened by the driver directly.
func countRowsWithoutWAL(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	alone := filepath.Join(t.TempDir(), "alone.db")
	if err := os.WriteFile(alone, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open(defaultDriver, "file:"+alone)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM events").Scan(&n); err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return 0 // not even the tables were checkpointed
		}
		t.Fatalf("the main file alone: %v", err)
	}
	return n
}

// TestNoCheckpointOnCloseKeepsWAL: a process that appends with
// NoCheckpointOnClose and closes the store leaves its commits in the -wal
// file (the main file alone does not have them: no checkpoint ran at
// close), and the next process, opening the store as usual, recovers the
// WAL and reads every event, in order, as appended.
func TestNoCheckpointOnCloseKeepsWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	first, second := newIDs(3), newIDs(4)
	runChild(t, path, first)
	runChild(t, path, second)

	fi, err := os.Stat(path + "-wal")
	if err != nil || fi.Size() == 0 {
		t.Fatalf("after two processes closed the store: %s-wal: %v; want the WAL left in place, not checkpointed and removed", path, err)
	}
	if n := countRowsWithoutWAL(t, path); n >= len(first)+len(second) {
		t.Fatalf("the main file alone holds %d events, want fewer than the %d appended: Close checkpointed the WAL", n, len(first)+len(second))
	}

	// The next process: recovery of the WAL left by the others.
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ReadStream(context.Background(), "s", 0, domain.Forwards, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := append(append([]uuid.UUID{}, first...), second...)
	if len(got) != len(want) {
		t.Fatalf("the next process read %d events, want the %d appended", len(got), len(want))
	}
	for i, e := range got {
		if e.ID != want[i] || e.Revision != uint64(i) {
			t.Errorf("event %d: id %s revision %d, want id %s revision %d", i, e.ID, e.Revision, want[i], i)
		}
	}
	for i, e := range got[len(first):] {
		if wantData := fmt.Sprintf(`{"n":%d}`, i); string(e.Data) != wantData {
			t.Errorf("event %d of the second process: data %s, want %s", i, e.Data, wantData)
		}
	}
}

// TestNoCheckpointOnCloseCheckpointsLargeWAL: a process that leaves a WAL
// file over 1 MiB (walCheckpointAt) checkpoints it at Close and empties
// it, so the next process does not read it all again: the main file alone
// then holds every event.
func TestNoCheckpointOnCloseCheckpointsLargeWAL(t *testing.T) {
	path := filepath.Join(t.TempDir(), "events.db")
	ids := newIDs(300)
	t.Setenv("NOCKPT_CHILD_PAD", strings.Repeat("p", 6000)) // each event over a page: 300 events, over 1 MiB of WAL
	runChild(t, path, ids)
	if fi, err := os.Stat(path + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("after a process that wrote over 1 MiB of WAL: %s-wal holds %d bytes, want it checkpointed and emptied", path, fi.Size())
	}
	if n := countRowsWithoutWAL(t, path); n != len(ids) {
		t.Errorf("the main file alone holds %d events, want all %d", n, len(ids))
	}
}

// TestNoCheckpointOnCloseOneFsync: a process that opens an existing store
// with NoCheckpointOnClose, appends one event and closes it fsyncs the
// -wal file once (the commit) and the main file never (no checkpoint);
// before, it made five fsync calls: the commit, the checkpoint's fsyncs of
// the WAL and of the main file at close, and, since the WAL had been
// removed, the new WAL's header and its directory (issue 17). SQLite's
// unix VFS also fsyncs the directory once per process, at the first sync
// of a WAL file it opened with O_CREAT (it always does: unixOpen marks it
// UNIXFILE_DIRSYNC); the driver has no setting for that, so one directory
// fsync is allowed. Counted by strace, which names each fd's file (-y).
func TestNoCheckpointOnCloseOneFsync(t *testing.T) {
	strace, err := exec.LookPath("strace")
	if err != nil {
		envtest.Missing(t, "strace is not installed (apt-get install strace): it counts the fsync calls")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "events.db")
	runChild(t, path, newIDs(2)) // creates the file and its WAL
	trace := filepath.Join(t.TempDir(), "strace.out")
	out := runChild(t, path, newIDs(1), strace, "-f", "-y", "-o", trace, "-e", "trace=fsync,fdatasync")
	b, err := os.ReadFile(trace)
	if err != nil {
		envtest.Missing(t, "strace wrote no trace (ptrace not permitted here?): %v\n%s", err, out)
	}
	calls := map[string]int{}
	for _, m := range regexp.MustCompile(`(?:fsync|fdatasync)\(\d+<([^>]*)>\)\s*=\s*0`).FindAllStringSubmatch(string(b), -1) {
		calls[m[1]]++
	}
	total := 0
	for _, n := range calls {
		total += n
	}
	if calls[path+"-wal"] != 1 || calls[path] != 0 || calls[dir] > 1 || total != calls[path+"-wal"]+calls[dir] {
		t.Fatalf("one append in a process with an existing WAL: fsync calls by file %v; want the -wal file once (the commit), the main file never (no checkpoint), the directory at most once. strace:\n%s", calls, b)
	}
}
