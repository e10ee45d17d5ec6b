package merkle_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// editing wraps a store and changes one byte of the data of the event at
// one position as it is read, as an edit of the stored row would.
type editing struct {
	*memstore.Store
	at uint64
}

func (e editing) ReadAll(ctx context.Context, from domain.Position, max int) ([]domain.RecordedEvent, error) {
	evs, err := e.Store.ReadAll(ctx, from, max)
	for i := range evs {
		if evs[i].Position.Commit == e.at {
			evs[i].Data = append([]byte(nil), evs[i].Data...)
			evs[i].Data[0] ^= 1
		}
	}
	return evs, err
}

func filledStore(t *testing.T, n int) *memstore.Store {
	s := memstore.New()
	for i := 0; i < n; i++ {
		_, err := s.Append(context.Background(), fmt.Sprintf("s-%d", i%3), domain.Any,
			[]domain.EventData{{ID: uuid.New(), Type: "T", Data: []byte(fmt.Sprintf(`{"i":%d}`, i)), Metadata: []byte(`{}`)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func TestVerifyAndCheckFrom(t *testing.T) {
	ctx := context.Background()
	s := filledStore(t, 40)
	res, err := merkle.Verify(ctx, s, nil, nil)
	if err != nil || !res.OK || res.Events != 40 || !res.StoredTree {
		t.Fatalf("Verify of an intact store: %+v, %v", res, err)
	}
	root20, _ := merkle.Root(ctx, s, 20)
	good := merkle.Checkpoint{Size: 20, Root: root20}
	bad := merkle.Checkpoint{Size: 20, Root: res.Root}
	res, _ = merkle.Verify(ctx, s, []merkle.Checkpoint{good, bad, {Size: 50, Root: root20}}, nil)
	if res.OK || !res.Checkpoints[0].OK || res.Checkpoints[1].OK || res.Checkpoints[2].OK {
		t.Fatalf("checkpoints: %+v", res.Checkpoints)
	}
	// An edited event (position 13, leaf 12) is named by Verify and by
	// CheckFrom when it is after the starting point, not before it.
	ed := editing{s, 13}
	res, _ = merkle.Verify(ctx, ed, nil, nil)
	if res.OK || res.FirstBad == nil || res.FirstBad.Index != 12 {
		t.Fatalf("Verify of an edited event: %+v", res.FirstBad)
	}
	if _, bad, err := merkle.CheckFrom(ctx, ed, s, merkle.Verified{}, nil); err != nil || bad == nil || bad.Index != 12 {
		t.Fatalf("CheckFrom(0): %+v, %v", bad, err)
	}
	v, bad2, err := merkle.CheckFrom(ctx, ed, s, merkle.Verified{Size: 20, Root: root20}, nil)
	if err != nil || bad2 != nil || v.Size != 40 {
		t.Fatalf("CheckFrom(20) over an edit before 20: %+v, %v (only full verification sees it)", bad2, err)
	}
	// A verified point whose root the tree no longer has is a break.
	if _, bad, _ := merkle.CheckFrom(ctx, s, s, merkle.Verified{Size: 20, Root: res.Root}, nil); bad == nil {
		t.Fatal("CheckFrom accepted a verified point whose root is not the tree's")
	}
	// A signed checkpoint pinned beyond the log is a break.
	if _, bad, _ := merkle.CheckFrom(ctx, s, s, merkle.Verified{}, []merkle.Checkpoint{{Size: 41, Root: root20, Origin: "x"}}); bad == nil {
		t.Fatal("CheckFrom accepted a pinned checkpoint larger than the log")
	}
}
