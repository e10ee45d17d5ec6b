package sqlite

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/grantledger/grantledger/domain"
)

// TestReadSnapshot checks the lending read: nothing saved calls nothing,
// a saved blob is lent with its position, an error of the callback comes
// back as it is, and LoadSnapshot's blob is the caller's own.
func TestReadSnapshot(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	ok, err := s.ReadSnapshot(ctx, "m", func(domain.Position, []byte) error {
		t.Error("fn called for a name with nothing saved")
		return nil
	})
	if ok || err != nil {
		t.Fatalf("ReadSnapshot(missing): ok %v, err %v; want false, nil", ok, err)
	}
	want := bytes.Repeat([]byte("snapshot "), 100_000) // spans many overflow pages
	if err := s.SaveSnapshot(ctx, "m", domain.Position{Commit: 7, Prepare: 6}, want); err != nil {
		t.Fatal(err)
	}
	calls := 0
	ok, err = s.ReadSnapshot(ctx, "m", func(pos domain.Position, blob []byte) error {
		calls++
		if pos != (domain.Position{Commit: 7, Prepare: 6}) || !bytes.Equal(blob, want) {
			t.Errorf("lent position %v and %d bytes, want 7/6 and the %d saved", pos, len(blob), len(want))
		}
		return nil
	})
	if !ok || err != nil || calls != 1 {
		t.Fatalf("ReadSnapshot: ok %v, err %v, %d calls; want true, nil, 1", ok, err, calls)
	}
	boom := errors.New("boom")
	if ok, err := s.ReadSnapshot(ctx, "m", func(domain.Position, []byte) error { return boom }); !ok || err != boom {
		t.Errorf("ReadSnapshot with a failing fn: ok %v, err %v; want true and the fn's error unwrapped", ok, err)
	}
	_, first, _, err := s.LoadSnapshot(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	first[0] = 'X'
	if _, second, _, _ := s.LoadSnapshot(ctx, "m"); !bytes.Equal(second, want) {
		t.Error("changing one loaded blob changed the next one")
	}
}
