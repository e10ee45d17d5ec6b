package main

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/domain"
)

// Issue 17 item 3, docs/PROOFS.md threat table: the saved command-id index
// is a rule-keeper, not a proof. A forger who writes an index snapshot
// that forgets a command id, with the log's real size, root and position
// in its header, gets the same command id applied on another agreement;
// `grantledger verify` lists it.
func TestForgedIndexSnapshotReuseListedByVerify(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, cmds := filepath.Join(dir, "l.db"), filepath.Join(dir, "c.jsonl")
	if _, errs, code := runCLI(t, "", "generate", "--agreements", "15", "--out", cmds); code != 0 {
		t.Fatalf("generate: %d %s", code, errs)
	}
	if _, errs, code := runCLI(t, "", "apply", "--db", db, cmds); code != 0 {
		t.Fatalf("apply: %d %s", code, errs)
	}
	store, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	_, saved, ok, err := store.LoadSnapshot(ctx, command.IndexSnapshotName)
	store.Close()
	if err != nil || !ok {
		t.Fatalf("apply of 1 005 commands saved no index (%v, %v)", ok, err)
	}
	data, err := os.ReadFile(cmds)
	if err != nil {
		t.Fatal(err)
	}
	// A spending, and the number of another agreement of the same years.
	var spend, first, second string
	for _, l := range strings.Split(string(data), "\n") {
		if !strings.Contains(l, `"record_spending"`) {
			continue
		}
		i := strings.Index(l, `"agreement":"`)
		num := l[i : i+strings.Index(l[i+len(`"agreement":"`):], `"`)+len(`"agreement":"`)+1]
		if spend == "" {
			spend, first = l, num
		} else if num != first && num[:strings.LastIndex(num, "/")] == first[:strings.LastIndex(first, "/")] { // the same years
			second = num
			break
		}
	}
	if second == "" {
		t.Fatal("no spendings on two agreements in the generated file")
	}
	id := uuid.New().String()
	i := strings.Index(spend, `"command_id":"`) + len(`"command_id":"`)
	spend = spend[:i] + id + spend[i+36:]
	if _, errs, code := runCLI(t, spend+"\n", "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("apply the spending: %d %s", code, errs)
	}
	// Forge: the index saved before the id was used, under today's header.
	store, err = sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	n, err := store.TreeSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := merkle.Root(ctx, store, n)
	if err != nil {
		t.Fatal(err)
	}
	h := len("GLINDEX\n") + 1
	binary.BigEndian.PutUint64(saved[h:], uint64(n))
	copy(saved[h+8:], root[:])
	binary.BigEndian.PutUint64(saved[h+40:], uint64(n))
	binary.BigEndian.PutUint64(saved[h+48:], uint64(n))
	err = store.SaveSnapshot(ctx, command.IndexSnapshotName, domain.Position{Commit: uint64(n), Prepare: uint64(n)}, saved)
	store.Close()
	if err != nil {
		t.Fatal(err)
	}
	other := strings.Replace(spend, first, second, 1)
	if _, errs, code := runCLI(t, other+"\n", "apply", "--db", db, "-"); code != 0 {
		t.Fatalf("the forged index was refused (exit %d: %s): then this attack needs another test", code, errs)
	}
	out, _, _ := runCLI(t, "", "verify", "--db", db)
	if !strings.Contains(out, "FINDING command_id_reused") || !strings.Contains(out, id) {
		t.Fatalf("verify does not list the reused command id %s:\n%s", id, out)
	}
}
