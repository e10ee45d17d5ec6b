package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// TestLargeSnapshotStoredInParts (issue 17, the first report's save): a
// snapshot of several MiB is not one row (a row of 100 MB made the driver
// and SQLite each copy the whole blob into fresh memory) but rows of at
// most 1 MiB, read back whole; a smaller one saved after it leaves no part
// behind, and a blob that happens to start like a manifest is stored as
// it is.
func TestLargeSnapshotStoredInParts(t *testing.T) {
	ctx := context.Background()
	s, raw := openWithRaw(t)
	rng := rand.New(rand.NewPCG(17, 3))
	big := make([]byte, 3<<20+12345)
	for i := range big {
		big[i] = byte(rng.Uint32())
	}
	at := domain.Position{Commit: 9, Prepare: 8}
	if err := s.SaveSnapshot(ctx, "m", at, big); err != nil {
		t.Fatal(err)
	}
	rows, largest := snapshotRowSizes(t, raw)
	if rows < 4 || largest > 1<<20 {
		t.Errorf("a snapshot of %d bytes is stored in %d rows, the largest %d bytes; want rows of at most 1 MiB", len(big), rows, largest)
	}
	readBack(t, s, "m", at, big)
	if _, got, ok, err := s.LoadSnapshot(ctx, "m"); err != nil || !ok || !bytes.Equal(got, big) {
		t.Errorf("LoadSnapshot: %d bytes, ok %v, err %v; want the %d saved", len(got), ok, err, len(big))
	}
	// Other names, also those that sort between m and its parts, are not
	// mistaken for a part, nor their parts for ours.
	for _, other := range []string{"m2", "m#other", "m!"} {
		if err := s.SaveSnapshot(ctx, other, at, big[:2<<20]); err != nil {
			t.Fatal(err)
		}
	}
	readBack(t, s, "m", at, big)
	readBack(t, s, "m#other", at, big[:2<<20])

	small := []byte(partsTag + "but a blob of its own")
	if err := s.SaveSnapshot(ctx, "m", domain.Position{Commit: 10, Prepare: 10}, small); err != nil {
		t.Fatal(err)
	}
	readBack(t, s, "m", domain.Position{Commit: 10, Prepare: 10}, small)
	readBack(t, s, "m2", at, big[:2<<20])
	var left int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM snapshots WHERE name LIKE 'm#part-%'`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 1 { // the small blob's one part
		t.Errorf("%d part rows of m left after a smaller save, want 1", left)
	}
	if err := s.SaveSnapshot(ctx, "m"+partSep+"1", at, small); err == nil {
		t.Error("a snapshot named like a part was saved")
	}
}

// TestSnapshotPartsDamaged: a stored snapshot whose parts do not match its
// manifest is refused with what is wrong, and the blob is not lent.
func TestSnapshotPartsDamaged(t *testing.T) {
	ctx := context.Background()
	big := bytes.Repeat([]byte("0123456789abcdef"), 200_000) // 3.2 MB
	at := domain.Position{Commit: 5, Prepare: 5}
	for _, c := range []struct {
		name, edit, want string
	}{
		{"a part deleted", `DELETE FROM snapshots WHERE name = 'm#part-00000001'`, "part 1"},
		{"the last part deleted", `DELETE FROM snapshots WHERE name = 'm#part-00000003'`, "3 of its 4 parts"},
		{"a part cut short", `UPDATE snapshots SET blob = substr(blob, 1, 100) WHERE name = 'm#part-00000000'`, "holds 100 bytes"},
		{"a part of another save", `UPDATE snapshots SET commit_pos = 4 WHERE name = 'm#part-00000002'`, "position"},
		{"a part too many", `INSERT INTO snapshots SELECT 'm#part-00000004', commit_pos, prepare_pos, blob, saved FROM snapshots WHERE name = 'm#part-00000000'`, "beyond"},
		{"the manifest's length changed", `UPDATE snapshots SET blob = substr(blob, 1, 8) || x'0000000000000010' || substr(blob, 17) WHERE name = 'm'`, "manifest says"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, raw := openWithRaw(t)
			if err := s.SaveSnapshot(ctx, "m", at, big); err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(c.edit); err != nil {
				t.Fatal(err)
			}
			ok, err := s.ReadSnapshot(ctx, "m", func(domain.Position, []byte) error {
				t.Error("a damaged snapshot was lent")
				return nil
			})
			if !ok || err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "damaged") {
				t.Errorf("ReadSnapshot: ok %v, err %v; want an error saying %q", ok, err, c.want)
			}
		})
	}
}

// TestSnapshotOneRowStillRead: a snapshot stored as one row, as this
// package wrote every snapshot before parts (and an older program still
// writes, leaving the parts of the one before), is read as it is.
func TestSnapshotOneRowStillRead(t *testing.T) {
	ctx := context.Background()
	s, raw := openWithRaw(t)
	big := bytes.Repeat([]byte("snapshot "), 400_000) // 3.6 MB
	at := domain.Position{Commit: 3, Prepare: 2}
	if err := s.SaveSnapshot(ctx, "m", at, big); err != nil {
		t.Fatal(err)
	}
	old := bytes.Repeat([]byte("one row "), 300_000)
	// The older program's save: the upsert of its time, the parts untouched.
	if _, err := raw.Exec(`INSERT INTO snapshots (name, commit_pos, prepare_pos, blob, saved) VALUES ('m', 7, 6, ?, 0)
		ON CONFLICT (name) DO UPDATE SET commit_pos = excluded.commit_pos, prepare_pos = excluded.prepare_pos, blob = excluded.blob, saved = excluded.saved`, old); err != nil {
		t.Fatal(err)
	}
	readBack(t, s, "m", domain.Position{Commit: 7, Prepare: 6}, old)
	// The next save takes the old parts away with it.
	if err := s.SaveSnapshot(ctx, "m", at, []byte("small")); err != nil {
		t.Fatal(err)
	}
	if rows, _ := snapshotRowSizes(t, raw); rows != 1 {
		t.Errorf("%d snapshot rows after saving a small one, want 1", rows)
	}
	readBack(t, s, "m", at, []byte("small"))
}

func openWithRaw(t *testing.T) (*Store, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close(); s.Close() })
	return s, raw
}

func snapshotRowSizes(t *testing.T, raw *sql.DB) (rows, largest int) {
	t.Helper()
	if err := raw.QueryRow(`SELECT COUNT(*), MAX(length(blob)) FROM snapshots`).Scan(&rows, &largest); err != nil {
		t.Fatal(err)
	}
	return rows, largest
}

func readBack(t *testing.T, s *Store, name string, at domain.Position, want []byte) {
	t.Helper()
	calls := 0
	ok, err := s.ReadSnapshot(context.Background(), name, func(pos domain.Position, blob []byte) error {
		calls++
		if pos != at || !bytes.Equal(blob, want) {
			t.Errorf("%s: lent position %v and %d bytes, want %v and the %d saved", name, pos, len(blob), at, len(want))
		}
		return nil
	})
	if !ok || err != nil || calls != 1 {
		t.Errorf("%s: ReadSnapshot ok %v, err %v, %d calls; want true, nil, 1", name, ok, err, calls)
	}
}

// TestSaveSnapshotParts: a snapshot given in parts (codec.EncodeParts) is
// stored as the blob they hold back to back, whatever their sizes and
// wherever the rows' bounds fall among them.
func TestSaveSnapshotParts(t *testing.T) {
	ctx := context.Background()
	s, raw := openWithRaw(t)
	rng := rand.New(rand.NewPCG(17, 4))
	bytesOf := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	at := domain.Position{Commit: 11, Prepare: 11}
	for _, c := range []struct {
		name  string
		parts [][]byte
	}{
		{"small, in three parts", [][]byte{bytesOf(10), nil, bytesOf(5000)}},
		{"large, rows across parts", [][]byte{bytesOf(48), bytesOf(3), bytesOf(snapshotPart - 20), {}, bytesOf(2*snapshotPart + 7), bytesOf(1), bytesOf(snapshotPart)}},
		{"large, one part", [][]byte{bytesOf(3*snapshotPart + 1)}},
		{"small, starts like a manifest across parts", [][]byte{[]byte(partsTag[:3]), []byte(partsTag[3:] + "x")}},
		{"nothing", nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			want := bytes.Join(c.parts, nil)
			if want == nil {
				want = []byte{}
			}
			if err := s.SaveSnapshotParts(ctx, "p", at, c.parts...); err != nil {
				t.Fatal(err)
			}
			readBack(t, s, "p", at, want)
			var largest int
			if err := raw.QueryRow(`SELECT MAX(length(blob)) FROM snapshots WHERE name = 'p' OR name LIKE 'p#part-%'`).Scan(&largest); err != nil {
				t.Fatal(err)
			}
			if largest > snapshotPart {
				t.Errorf("a row of %d bytes, want at most %d", largest, snapshotPart)
			}
		})
	}
}

// TestSnapshotPartsFailMidwayKeepTheOneBefore: a save that fails after some
// of its parts were written (here a trigger refuses the third; a crash
// there is the same to SQLite: the transaction is not committed) leaves
// the snapshot before it whole, and none of its own rows.
func TestSnapshotPartsFailMidwayKeepTheOneBefore(t *testing.T) {
	ctx := context.Background()
	s, raw := openWithRaw(t)
	before := bytes.Repeat([]byte("before "), 500_000) // 3.5 MB, 4 parts
	at := domain.Position{Commit: 4, Prepare: 4}
	if err := s.SaveSnapshot(ctx, "m", at, before); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(`CREATE TRIGGER refuse_part BEFORE INSERT ON snapshots WHEN NEW.name = 'm#part-00000002'
		BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`); err != nil {
		t.Fatal(err)
	}
	after := bytes.Repeat([]byte("after! "), 700_000) // 4.9 MB
	err := s.SaveSnapshot(ctx, "m", domain.Position{Commit: 9, Prepare: 9}, after)
	if err == nil || !strings.Contains(err.Error(), "part 3 of 5") || !strings.Contains(err.Error(), "the one before was kept") {
		t.Fatalf("save refused at its third part: %v; want an error naming part 3 of 5 and saying the one before was kept", err)
	}
	readBack(t, s, "m", at, before)
	if rows, _ := snapshotRowSizes(t, raw); rows != 5 {
		t.Errorf("%d snapshot rows after the failed save, want the 5 of the one before", rows)
	}
}
