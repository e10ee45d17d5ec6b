package checkpoints

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/mod/sumdb/note"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/domain"
)

// A checkpoint file is shipped elsewhere by whoever lists the directory
// (docs/PROOFS.md), and Keep itself reads the newest one back before the
// next. So a file named checkpoint-*.txt must never be seen empty or half
// written: not by a reader while Keep writes it, nor after a crash in the
// middle (CI once saw "malformed note" from a server test reading the
// directory while the server wrote). The test stops Keep at the moment the
// bytes are written and not yet published, and looks.
func TestKeepNeverShowsAHalfWrittenCheckpoint(t *testing.T) {
	ctx := context.Background()
	skey, _, err := note.GenerateKey(nil, "grantledger-test")
	if err != nil {
		t.Fatal(err)
	}
	signer, _ := note.NewSigner(skey)
	store := memstore.New()
	for i := 0; i < 3; i++ {
		if _, err := store.Append(ctx, "s", domain.Any, []domain.EventData{{ID: uuid.New(), Type: "T", Data: []byte(`{}`), Metadata: []byte(`{}`)}}); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	s := &Service{Store: store, Signer: signer, Dir: dir, Now: func() time.Time { return time.Date(2026, 12, 1, 4, 0, 0, 0, time.UTC) }}
	var seen []string
	beforePublish = func() {
		names, _ := filepath.Glob(filepath.Join(dir, "checkpoint-*.txt"))
		for _, n := range names {
			b, _ := os.ReadFile(n)
			seen = append(seen, n+": "+string(b))
		}
	}
	t.Cleanup(func() { beforePublish = nil })
	kept, err := s.Keep(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 0 {
		t.Fatalf("before Keep published its checkpoint, the directory showed %q", seen)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(names) != 1 {
		t.Fatalf("after Keep the directory holds %v, want the one checkpoint", names)
	}
	b, _ := os.ReadFile(names[0])
	if string(b) != kept.Note || kept.Note == "" {
		t.Fatalf("kept file holds %q, Keep returned %q", b, kept.Note)
	}
	if _, ok, err := Newest(dir); err != nil || !ok {
		t.Fatalf("Newest after Keep: ok %v, %v", ok, err)
	}
}
