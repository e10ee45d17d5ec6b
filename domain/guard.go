package domain

import (
	"context"
	"errors"
)

// AppendGuard lets a writer keep a rule that spans streams (a command id
// used once in the whole ledger, agreement numbers people can tell apart)
// under concurrent writers, also in other processes. The writer keeps an
// index of the ledger up to position After; the store, holding its write
// lock (for the embedded store, inside the write transaction, so across
// processes), passes Check every event written after After, in global
// order, before it writes anything. When Check returns an error nothing of
// the append is written and the error is returned (errors.Is
// ErrGuardRefused when Check wrapped it). Check must not call the store.
type AppendGuard struct {
	After Position
	Check func(newer []RecordedEvent) error
}

// ErrGuardRefused is wrapped by an AppendGuard's Check to say that events
// written since its index refuse the append.
var ErrGuardRefused = errors.New("events written meanwhile refuse this append")

// GuardedAppender is what a store offering guards (Offers.Guards) does: it
// checks an AppendGuard atomically with a batch of appends (the embedded
// store, and the server's group commit over it).
// AppendGuarded is AppendBatch (see BatchAppender) with the guard checked
// first, under the same lock. A store without a write lock may keep the
// rules its own way and report GuardsUnderLock false (EventStoreDB:
// reservation streams, adapters/esdb/reserve.go, refusing with
// ErrGuardRefused as Check would).
type GuardedAppender interface {
	AppendGuarded(ctx context.Context, reqs []AppendRequest, g AppendGuard) ([]AppendOutcome, error)
}

// LockedGuards says whether a store checks append guards under its write
// lock, so that a rule it guards holds across processes (the embedded
// store: yes; EventStoreDB, memstore: no; a decorator: as the store it
// wraps).
type LockedGuards interface {
	GuardsUnderLock() bool
}

// RulesKeeper says whether a store keeps the ledger-wide rules across
// processes by itself, without a write lock (EventStoreDB's
// reservation streams): an append that breaks one is refused by the store
// whatever the caller's index knew. The command service then need not
// catch its index up before every command.
type RulesKeeper interface {
	KeepsLedgerRules() bool
}
