package readmodel_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/domain"
)

// A read model saved again and again as events come (loaded, folded
// further, saved) holds the same as one folded at once: the refold of
// verify finds it equal every time (the crash test of adapters/reliability
// found this false alarm in a first version that compared the encodings).
func TestIncrementallySavedSnapshotsPassTheRefold(t *testing.T) {
	ctx := context.Background()
	mem, _ := randomStore(t, 2, 3, 200)
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "l.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	evs, _ := mem.ReadAll(ctx, domain.Position{}, 0)
	for i, e := range evs {
		if _, err := s.Append(ctx, e.Stream, domain.Any, []domain.EventData{{ID: e.ID, Type: e.Type, Data: e.Data, Metadata: e.Metadata}}); err != nil {
			t.Fatal(err)
		}
		if i%37 == 5 {
			if _, err := readmodel.Open(ctx, s, readmodel.Options{}); err != nil {
				t.Fatal(err)
			}
			if _, problem, _, err := readmodel.CheckSnapshot(ctx, s, ""); err != nil || problem != "" {
				t.Fatalf("after %d events: %q %v", i+1, problem, err)
			}
		}
	}
}
