package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/merkle"
)

func cmdBackup(ctx context.Context, a *app, args []string) error {
	fs := a.flags("backup", "", `
Writes a consistent copy of the embedded ledger to one new file: every
event, the Merkle tree, saved read models and tokens, including the newest
commits, which the command line leaves in the ledger's -wal file
(docs/STORAGE.md). Copying the ledger file alone can miss them; this
command cannot. Commands may go on writing while it runs; the copy is the
ledger as of one moment. The copy is checked: its Merkle log must have the
ledger's size and root at that moment. An existing FILE is never
overwritten.`)
	out := fs.String("out", "", "the new file to write (required; must not exist)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		fs.Usage()
		return usagef("backup needs --out FILE and no other argument")
	}
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	// Only the embedded store writes a copy of itself to one file
	// (adapters/sqlite Backup).
	b := store
	if !store.Offers().Backup {
		return usagef("backup copies the embedded ledger (sqlite:PATH); for EventStoreDB use the server's own backup, or 'grantledger migrate' into a new file")
	}
	if err := b.Backup(ctx, *out); err != nil {
		if errors.Is(err, os.ErrExist) {
			return errorf("backup: %s exists; give a new file name (nothing was written)", *out)
		}
		return errorf("%v", err)
	}
	// Check the copy: its log, at its size, must have the root the
	// ledger's log has at that size (the ledger may have grown since).
	cp, err := sqlite.Open(*out, sqlite.ReadOnly())
	if err != nil {
		return errorf("backup: open the copy %s: %w", *out, err)
	}
	defer cp.Close()
	got, _, err := currentCheckpoint(ctx, cp, a.now())
	if err != nil {
		return errorf("backup: read the copy %s: %w", *out, err)
	}
	sl, err := merkle.LogOf(ctx, store)
	if err != nil {
		return err
	}
	n, err := sl.TreeSize(ctx)
	if err != nil {
		return err
	}
	if got.Size > n {
		return exitf(exitTampered, "backup: the copy %s has %d events, more than the ledger's %d; do not use it", *out, got.Size, n)
	}
	want, err := merkle.Root(ctx, sl, got.Size)
	if err != nil {
		return err
	}
	if got.Root != want {
		return exitf(exitTampered, "backup: the copy %s does not hold the ledger's log: root %x at size %d, the ledger's is %x; do not use it", *out, got.Root, got.Size, want)
	}
	fmt.Fprintln(a.stdout, tr(a.lang, "backup: %d events written to %s (Merkle root %x)", got.Size, *out, got.Root))
	return nil
}
