package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/domain"
)

// serve and load open an embedded ledger with sqlite.CheckpointsByLoad
// (a.serving); the other commands keep SQLite's checkpoints
// (docs/STORAGE.md, "Durability and integrity settings"). After ten
// one-event commits the writer checkpoints at 250 pages with it, and at
// SQLite's 1 000 without.
func TestServingLedgerCheckpointsByLoad(t *testing.T) {
	for _, serving := range []bool{true, false} {
		t.Run(fmt.Sprintf("serving=%v", serving), func(t *testing.T) {
			ctx := context.Background()
			a := &app{stdout: io.Discard, stderr: io.Discard, now: time.Now, getenv: func(string) string { return "" },
				storeSpec: "sqlite:" + filepath.Join(t.TempDir(), "l.db"), mayCreate: true, serving: serving}
			store, err := a.open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			s, ok := store.(*sqlite.Store)
			if !ok {
				t.Fatalf("open gave %T, want the embedded store", store)
			}
			for i := range 10 {
				ev := domain.EventData{ID: uuid.New(), Type: "Tested", Data: []byte(`{}`), Metadata: []byte(`{}`)}
				if _, err := s.Append(ctx, fmt.Sprintf("agreement-%d", i), domain.NoStream, []domain.EventData{ev}); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.CheckpointPages(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := 1000
			if serving {
				want = 250
			}
			if got != want {
				t.Errorf("the writer checkpoints at %d pages, want %d", got, want)
			}
		})
	}
}
