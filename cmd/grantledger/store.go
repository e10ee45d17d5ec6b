package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/grantledger/grantledger/adapters/memstore"
	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/port"
)

// defaultDB is the embedded ledger's file when nothing else is said.
const defaultDB = "./grantledger.db"

// spec returns the store spec from the flags, then the environment, then
// the default.
func (a *app) spec() string {
	switch {
	case a.storeSpec != "":
		return a.storeSpec
	case a.getenv("GRANTLEDGER_STORE") != "":
		return a.getenv("GRANTLEDGER_STORE")
	case a.getenv("GRANTLEDGER_DB") != "":
		return "sqlite:" + a.getenv("GRANTLEDGER_DB")
	}
	return "sqlite:" + defaultDB
}

// open opens the chosen store once. An embedded ledger file that does not
// exist is refused (exit 1, naming the path) unless the command writes and
// said so with a.mayCreate: a mistyped --db must not yield an empty ledger
// that verifies clean.
func (a *app) open(ctx context.Context) (port.Store, error) {
	if a.store != nil {
		return a.store, nil
	}
	if !a.mayCreate {
		if err := ledgerMustExist(a.spec()); err != nil {
			return nil, err
		}
	}
	var opts []sqlite.Option
	if a.serving {
		opts = append(opts, sqlite.CheckpointsByLoad())
	}
	s, err := openStore(ctx, a.spec(), opts...)
	if err != nil {
		return nil, err
	}
	a.store = s
	return s, nil
}

// service opens the store and returns a ledger service over it. Only
// commands that write use it, so it may create the ledger.
func (a *app) service(ctx context.Context) (*command.Service, error) {
	a.mayCreate = true
	s, err := a.open(ctx)
	if err != nil {
		return nil, err
	}
	// A store that opened read-only (a read-only file system or folder, a
	// full disk) refuses every append: say so once, before any line,
	// rather than once per line.
	if err := s.ReadOnlyError(); err != nil {
		return nil, errorf("%w (this command writes, so it stopped before reading any input)", err)
	}
	return command.New(s, command.Options{Clock: a.now, Warn: func(m string) { fmt.Fprintln(a.stderr, tr(a.lang, "grantledger: warning: %s", m)) },
		IndexSaveEvery: batchIndexSaveEvery}), nil
}

// batchIndexSaveEvery is how often the commands that write in a batch
// (apply, import, work, demo) save the command-id index while they run:
// less often than a server (command.IndexSaveEvery), since each save
// rewrites the index's newer run; the 670 000-command import ran about
// 7 % faster than with saves every 10 000 (docs/PERFORMANCE.md, issue 17).
// apply and import end with a save of their own (SaveIndex).
const batchIndexSaveEvery = 50_000

func (a *app) close() {
	// A read model still being saved is written before its store closes;
	// run has taken the saves' errors already when it returns normally.
	if err := a.finishSaves(nil); err != nil {
		fmt.Fprintln(a.stderr, "grantledger: warning:", err)
	}
	if a.wired != nil {
		a.wired.Close() // what it wired, then its store chain (a.store)
		a.wired, a.store = nil, nil
		return
	}
	if a.store != nil {
		a.store.Close()
		a.store = nil
	}
}

// openStore opens a store from its spec: sqlite:PATH (or a bare path;
// opts apply to it), esdb://… or esdb+discover://…, or mem: (in memory,
// for tests).
func openStore(ctx context.Context, spec string, opts ...sqlite.Option) (port.Store, error) {
	switch {
	case strings.HasPrefix(spec, "sqlite:"):
		return openSQLite(strings.TrimPrefix(spec, "sqlite:"), opts...)
	case spec == "mem:":
		return memstore.New(), nil
	case strings.HasPrefix(spec, "esdb://"), strings.HasPrefix(spec, "esdb+discover://"):
		return openESDB(ctx, spec)
	case strings.Contains(spec, "://"):
		return nil, usagef("store %q: unknown kind; use sqlite:PATH or esdb://host:2113", spec)
	}
	return openSQLite(spec, opts...)
}

// ledgerMustExist refuses the spec of an embedded ledger whose file does
// not exist. Other stores (EventStoreDB, memory) have no file to mistype.
func ledgerMustExist(spec string) error {
	switch {
	case spec == "mem:", strings.Contains(spec, "://"):
		return nil
	}
	path := strings.TrimPrefix(spec, "sqlite:")
	if path == "" {
		return nil // openSQLite says what is wrong
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return errorf("no ledger at %s: this command only reads and does not create one (check --db, --store, GRANTLEDGER_DB and GRANTLEDGER_STORE; apply, import, demo, serve or token create start a new ledger)", path)
	}
	return nil
}

func openSQLite(path string, opts ...sqlite.Option) (port.Store, error) {
	if path == "" {
		return nil, usagef("store: empty path; use sqlite:PATH")
	}
	// No checkpoint when the process closes the ledger (issue 17): a
	// command's commit is its only fsync; SQLite checkpoints when the WAL
	// is large, and the next process reads the WAL (docs/STORAGE.md).
	s, err := sqlite.Open(path, append([]sqlite.Option{sqlite.WithTreeProgress(treeProgress), sqlite.NoCheckpointOnClose()}, opts...)...)
	if err != nil {
		return nil, errorf("open ledger %s: %w", path, err)
	}
	return s, nil
}
