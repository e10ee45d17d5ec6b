package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// TestReadTreeRowsAsStored: ReadTreeRows gives, for any range, each tree
// row as a plain SELECT of that row returns it: from the aggregate of the
// range when it is whole, one by one when a row was lengthened or removed
// (then it stops before the missing row).
func TestReadTreeRowsAsStored(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "l.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for i := 0; i < 37; i++ {
		if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%4), domain.Any, []domain.EventData{{ID: uuid.New(), Type: "T", Data: []byte(`{}`), Metadata: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	stored := func(leaf int64) []byte {
		var b []byte
		if err := raw.QueryRow(`SELECT hash FROM tree WHERE idx = ?`, leaf).Scan(&b); err != nil {
			return nil
		}
		return b
	}
	check := func(first, end int64, wantUpTo int64) {
		t.Helper()
		next := first
		err := s.ReadTreeRows(ctx, first, end, func(leaf int64, row []byte) error {
			if leaf != next {
				t.Fatalf("range %d-%d: row of leaf %d, want %d", first, end, leaf, next)
			}
			if want := stored(leaf); !bytes.Equal(row, want) {
				t.Fatalf("range %d-%d: row of leaf %d is %x, stored %x", first, end, leaf, row, want)
			}
			next++
			return nil
		})
		if err != nil || next != wantUpTo {
			t.Fatalf("range %d-%d: rows up to %d (%v), want up to %d", first, end, next, err, wantUpTo)
		}
	}
	for _, r := range [][2]int64{{0, 37}, {0, 1}, {5, 16}, {31, 37}, {36, 37}} {
		check(r[0], r[1], r[1])
	}
	check(30, 45, 37) // the table ends at 37
	for _, q := range []string{
		`DROP TRIGGER tree_no_update`, `DROP TRIGGER tree_no_delete`,
		`UPDATE tree SET hash = hash || zeroblob(32) WHERE idx = 8`,
		`DELETE FROM tree WHERE idx = 20`,
	} {
		if _, err := raw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	check(0, 16, 16) // the lengthened row as it is
	check(0, 37, 20) // stops before the removed row
}
