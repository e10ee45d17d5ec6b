package sqlite

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/internal/testsupport/storetest"
)

// MustOpen opens a store in a new file of a temp dir and closes it when the
// test ends.
func MustOpen(tb testing.TB, opts ...Option) *Store {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "events.db"), opts...)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func factory(driver string) storetest.Factory {
	return storetest.Factory{
		New: func(t *testing.T) port.Store {
			s, err := Open(filepath.Join(t.TempDir(), "events.db"), withDriver(driver), WithPollInterval(20*time.Millisecond))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			return s
		},
		Reopen: func(t *testing.T, old port.Store) port.Store {
			path := old.(*Store).Path()
			if err := old.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			s, err := Open(path, withDriver(driver))
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			return s
		},
		KeepsTree: true,
	}
}

func TestContract(t *testing.T) {
	storetest.Run(t, factory(defaultDriver))
}

func oneEvent(data string) []domain.EventData {
	return []domain.EventData{{ID: uuid.New(), Type: "T", Data: []byte(data), Metadata: []byte(`{}`)}}
}

func TestFilePermissions(t *testing.T) {
	s := MustOpen(t)
	if _, err := s.Append(context.Background(), "a", domain.Any, oneEvent(`{}`)); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal"} {
		fi, err := os.Stat(s.Path() + suffix)
		if err != nil {
			t.Fatalf("stat %s: %v", s.Path()+suffix, err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("mode of %s: got %o, want 600", filepath.Base(s.Path()+suffix), got)
		}
	}
}

func TestAppendOnlyTriggers(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	if _, err := s.Append(ctx, "a", domain.Any, oneEvent(`{"amount":1}`)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE events SET data = '{"amount":2}'`,
		`DELETE FROM events`,
	} {
		t.Run(q, func(t *testing.T) {
			_, err := s.db.ExecContext(ctx, q)
			if err == nil {
				t.Fatalf("%s: got no error, want the append-only trigger to refuse it", q)
			}
			if want := "append-only"; !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %q does not say %q", q, err, want)
			}
		})
	}
	got, err := s.ReadStream(ctx, "a", 0, domain.Forwards, 10)
	if err != nil || len(got) != 1 || string(got[0].Data) != `{"amount":1}` {
		t.Fatalf("after refused edits: got %v, %v; want the one original event", got, err)
	}
}

func TestReadOnly(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	evs := oneEvent(`{"kept":true}`)
	if _, err := w.Append(ctx, "a", domain.NoStream, evs); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := Open(path, ReadOnly())
	if err != nil {
		t.Fatalf("Open read-only: %v", err)
	}
	defer r.Close()
	t.Run("reads", func(t *testing.T) {
		got, err := r.ReadStream(ctx, "a", 0, domain.Forwards, 10)
		if err != nil || len(got) != 1 || got[0].ID != evs[0].ID {
			t.Fatalf("ReadStream: got %v, %v; want the event written before", got, err)
		}
	})
	t.Run("append refused", func(t *testing.T) {
		_, err := r.Append(ctx, "a", domain.Any, oneEvent(`{}`))
		if domain.ErrorCode(err) != domain.EUnavailable {
			t.Fatalf("Append: got %v (code %q), want code %q", err, domain.ErrorCode(err), domain.EUnavailable)
		}
		if !strings.Contains(err.Error(), "read-only") || !strings.Contains(err.Error(), "append a") {
			t.Errorf("Append error %q does not name the stream and say read-only", err)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		if _, err := Open(filepath.Join(t.TempDir(), "absent.db"), ReadOnly()); err == nil {
			t.Fatal("Open(absent, ReadOnly): got no error")
		}
	})
}

// TestDiskFull makes the file unable to grow (max_page_count) and checks
// that an append says the disk is full, writes nothing, and that the store
// works again once there is room.
func TestDiskFull(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	if _, err := s.Append(ctx, "a", domain.NoStream, oneEvent(`{}`)); err != nil {
		t.Fatal(err)
	}
	var pages int64
	if err := s.w.QueryRowContext(ctx, "PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA max_page_count = "+strconv.FormatInt(pages, 10)); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 64<<10)
	for i := range big {
		big[i] = 'x'
	}
	_, err := s.Append(ctx, "a", domain.Exact(0), []domain.EventData{{ID: uuid.New(), Type: "T", Data: big}})
	if domain.ErrorCode(err) != domain.EUnavailable || !strings.Contains(err.Error(), "full") {
		t.Fatalf("Append on a full disk: got %v (code %q), want an %q error saying the disk is full", err, domain.ErrorCode(err), domain.EUnavailable)
	}
	if _, err := s.w.ExecContext(ctx, "PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(ctx, "a", domain.Exact(0), oneEvent(`{}`))
	if err != nil {
		t.Fatalf("Append once there is room: %v", err)
	}
	if res.NextRevision != 1 {
		t.Errorf("NextRevision: got %d, want 1 (the failed append must have written nothing)", res.NextRevision)
	}
}

func TestSnapshots(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "events.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("missing", func(t *testing.T) {
		_, _, ok, err := s.LoadSnapshot(ctx, "balances")
		if err != nil || ok {
			t.Fatalf("LoadSnapshot(missing): got ok %v, err %v; want false, nil", ok, err)
		}
	})
	t.Run("save, replace, reopen", func(t *testing.T) {
		if err := s.SaveSnapshot(ctx, "balances", domain.Position{Commit: 5, Prepare: 5}, []byte("v1")); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSnapshot(ctx, "balances", domain.Position{Commit: 9, Prepare: 8}, []byte("v2")); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveSnapshot(ctx, "other", domain.Position{Commit: 1, Prepare: 1}, nil); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s, err = Open(path)
		if err != nil {
			t.Fatal(err)
		}
		pos, blob, ok, err := s.LoadSnapshot(ctx, "balances")
		if err != nil || !ok {
			t.Fatalf("LoadSnapshot: ok %v, err %v", ok, err)
		}
		if want := (domain.Position{Commit: 9, Prepare: 8}); pos != want || string(blob) != "v2" {
			t.Errorf("LoadSnapshot: got %v %q, want %v %q", pos, blob, want, "v2")
		}
		if _, blob, ok, _ := s.LoadSnapshot(ctx, "other"); !ok || len(blob) != 0 {
			t.Errorf("LoadSnapshot(other): got ok %v blob %q, want an empty blob", ok, blob)
		}
	})
	s.Close()
}

// TestTwoProcesses opens the same file twice, as two processes would, and
// checks that revisions, conflicts and subscriptions see the other's
// appends.
func TestTwoProcesses(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	path := filepath.Join(t.TempDir(), "events.db")
	a, err := Open(path, WithPollInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := a.Append(ctx, "s", domain.NoStream, oneEvent(`{}`)); err != nil {
		t.Fatal(err)
	}
	sub, err := a.Subscribe(ctx, domain.Position{}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if _, err := sub.Next(ctx); err != nil {
		t.Fatal(err)
	}
	// b appends after a cached the stream's revision.
	if _, err := b.Append(ctx, "s", domain.Exact(0), oneEvent(`{"by":"b"}`)); err != nil {
		t.Fatalf("append by the second opener: %v", err)
	}
	_, err = a.Append(ctx, "s", domain.Exact(0), oneEvent(`{}`))
	var ce *domain.ConcurrencyError
	if !errors.As(err, &ce) || ce.Actual != 1 {
		t.Fatalf("stale append by the first opener: got %v, want a concurrency error at revision 1", err)
	}
	e, err := sub.Next(ctx)
	if err != nil || string(e.Data) != `{"by":"b"}` {
		t.Fatalf("subscription of the first opener: got %s, %v; want the second opener's event", e.Data, err)
	}
	if res, err := a.Append(ctx, "s", domain.Exact(1), oneEvent(`{}`)); err != nil || res.NextRevision != 2 {
		t.Fatalf("append at the right revision: got %+v, %v", res, err)
	}
}

func TestClosed(t *testing.T) {
	s := MustOpen(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := s.Append(ctx, "a", domain.Any, oneEvent(`{}`)); domain.ErrorCode(err) != domain.EUnavailable {
		t.Errorf("Append after Close: got %v, want an %q error", err, domain.EUnavailable)
	}
	if _, err := s.ReadAll(ctx, domain.Position{}, 10); domain.ErrorCode(err) != domain.EUnavailable {
		t.Errorf("ReadAll after Close: got %v, want an %q error", err, domain.EUnavailable)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// TestReadAllInto reads the global order into lent memory and compares it
// with ReadAll: the same events, a buffer that grows without moving the
// bytes already handed out, and each event's bytes capped so that appending
// to one never overwrites the next.
func TestReadAllInto(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	for i := 0; i < 50; i++ {
		if _, err := s.Append(ctx, "s-"+strconv.Itoa(i%3), domain.Any, oneEvent(`{"n":`+strconv.Itoa(i)+`,"pad":"`+strings.Repeat("x", i*40)+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	want, err := s.ReadAll(ctx, domain.Position{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var (
		evs []domain.RecordedEvent
		buf = make([]byte, 0, 16) // far too small: grows while reading
		got []domain.RecordedEvent
	)
	var from domain.Position
	for page := 0; page < 100; page++ {
		evs, buf, err = s.ReadAllInto(ctx, from, 7, evs, buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(evs) == 0 {
			break
		}
		for i, e := range evs {
			if c := cap(e.Data); c != len(e.Data) {
				t.Fatalf("event %d: Data has cap %d beyond its len %d", len(got)+i, c, len(e.Data))
			}
			if c := cap(e.Metadata); c != len(e.Metadata) {
				t.Fatalf("event %d: Metadata has cap %d beyond its len %d", len(got)+i, c, len(e.Metadata))
			}
			// Copy before the next call reuses the page.
			e.Data, e.Metadata = append([]byte(nil), e.Data...), append([]byte(nil), e.Metadata...)
			got = append(got, e)
		}
		from = evs[len(evs)-1].Position
	}
	if len(got) != len(want) {
		t.Fatalf("ReadAllInto read %d events, ReadAll %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.Stream != w.Stream || g.Revision != w.Revision || g.Position != w.Position || g.Type != w.Type ||
			string(g.Data) != string(w.Data) || string(g.Metadata) != string(w.Metadata) || !g.Created.Equal(w.Created) {
			t.Errorf("event %d: got %+v, want %+v", i, g, w)
		}
	}
	t.Run("closed", func(t *testing.T) {
		s2 := MustOpen(t)
		s2.Close()
		if _, _, err := s2.ReadAllInto(ctx, domain.Position{}, 10, nil, nil); domain.ErrorCode(err) != domain.EUnavailable {
			t.Errorf("ReadAllInto after Close: got %v, want an %q error", err, domain.EUnavailable)
		}
	})
}
