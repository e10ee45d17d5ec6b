package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/domain"
)

// countingStore counts the events read through it, by either way of
// reading the global order.
type countingStore struct {
	*sqlite.Store
	read atomic.Int64
}

func (c *countingStore) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	evs, err := c.Store.ReadAll(ctx, from, max)
	c.read.Add(int64(len(evs)))
	return evs, err
}

func (c *countingStore) ReadAllInto(ctx context.Context, from domain.Position, max int, evs []domain.RecordedEvent, buf []byte) ([]domain.RecordedEvent, []byte, error) {
	evs, buf, err := c.Store.ReadAllInto(ctx, from, max, evs, buf)
	c.read.Add(int64(len(evs)))
	return evs, buf, err
}

// firstReport runs 'reconcile --year 1 --format json' over the ledger at
// db, through a store that counts the events read, and returns its
// output, error and that count.
func firstReport(t *testing.T, db string, extra ...string) (string, string, error, int64) {
	t.Helper()
	s, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingStore{Store: s}
	var out, errb bytes.Buffer
	a := &app{stdout: &out, stderr: &errb, now: time.Now, getenv: func(string) string { return "" }, store: cs}
	err = cmdReconcile(context.Background(), a, append([]string{"--year", "1", "--format", "json"}, extra...))
	a.close()
	return out.String(), errb.String(), err, cs.read.Load()
}

func countEvents(t *testing.T, db string) int64 {
	t.Helper()
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int64
	if err := conn.QueryRow(`SELECT COUNT(*) FROM events`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFirstReportReadsTheEventsOnce (issue 17): the first report after an
// import, which has no verified point and no snapshot, folds every event
// and checks every leaf, and reads each event once for both; an event
// edited in that range (its stream's chain recomputed, the tree left) is
// refused with exit 3, nothing shown, and no snapshot saved.
func TestFirstReportReadsTheEventsOnce(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "l.db")
	if _, errs, code := runCLI(t, twoAgreements(), "apply", "--db", db, "-"); code != 0 {
		t.Fatal(errs)
	}
	events := countEvents(t, db)
	if events < 10 {
		t.Fatalf("only %d events", events)
	}

	t.Run("honest", func(t *testing.T) {
		out, errs, err, read := firstReport(t, db)
		if err != nil {
			t.Fatalf("first report: %v\n%s", err, errs)
		}
		if read != events {
			t.Errorf("the first report read %d events of a ledger of %d: each must be read once, by the fold that also checks it", read, events)
		}
		var v struct {
			Checkpoint struct {
				Size     int64 `json:"size"`
				Verified bool  `json:"verified"`
			} `json:"checkpoint"`
		}
		if err := json.Unmarshal([]byte(out), &v); err != nil || v.Checkpoint.Size != events || !v.Checkpoint.Verified {
			t.Fatalf("report state %+v (%v), want every one of the %d events, verified\n%s", v.Checkpoint, err, events, out)
		}
		// The next report starts from the snapshot the first one saved
		// and reads nothing.
		if _, errs, err, read := firstReport(t, db); err != nil || read != 0 {
			t.Fatalf("second report read %d events: %v\n%s", read, err, errs)
		}
	})

	t.Run("an edited event", func(t *testing.T) {
		db2 := filepath.Join(dir, "edited.db")
		if _, errs, code := runCLI(t, twoAgreements(), "apply", "--db", db2, "-"); code != 0 {
			t.Fatal(errs)
		}
		f := openForger(t, db2)
		if n := f.exec(`UPDATE events SET data = CAST(replace(CAST(data AS TEXT), '9250.40', '925.04') AS BLOB) WHERE type = 'SpendingRecorded' AND stream = ?`, domain.StreamFor("DEMO-2")); n != 1 {
			t.Fatalf("edited %d events, want 1", n)
		}
		f.rechain(domain.StreamFor("DEMO-2"))
		f.close()
		out, errs, err, read := firstReport(t, db2)
		if code := report(err, io.Discard); code != exitTampered || !strings.Contains(err.Error(), "do not hash to leaf") {
			t.Fatalf("first report over an edited event: %v, want exit %d naming the leaf\n%s%s", err, exitTampered, out, errs)
		}
		if out != "" {
			t.Errorf("the refused report printed:\n%s", out)
		}
		if read > events {
			t.Errorf("the refused report read %d events of %d", read, events)
		}
		conn, _ := sql.Open("sqlite", db2)
		defer conn.Close()
		var snaps int
		conn.QueryRow(`SELECT COUNT(*) FROM snapshots`).Scan(&snaps)
		if snaps != 0 {
			t.Errorf("a refused read saved %d snapshots", snaps)
		}
		// --no-verify reads it, says so, and saves nothing.
		out, errs, err, _ = firstReport(t, db2, "--no-verify")
		var v struct {
			Checkpoint struct {
				Verified *bool `json:"verified"`
			} `json:"checkpoint"`
		}
		if err != nil || !strings.Contains(errs, "--no-verify: the Merkle log was NOT checked") ||
			json.Unmarshal([]byte(out), &v) != nil || v.Checkpoint.Verified == nil || *v.Checkpoint.Verified {
			t.Fatalf("--no-verify: %v\n%s%s", err, out, errs)
		}
		conn.QueryRow(`SELECT COUNT(*) FROM snapshots`).Scan(&snaps)
		if snaps != 0 {
			t.Errorf("--no-verify saved %d snapshots", snaps)
		}
	})
}
