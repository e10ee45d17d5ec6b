// Command applyfloor is a measuring tool for docs/PERFORMANCE.md, not a
// product: it records the commands of stdin (one JSON line each) into an
// embedded ledger the way `grantledger apply -` does — the same strict
// decoding (app/wire), command service (app/command) and store
// (adapters/sqlite, no checkpoint at close) — but links nothing else: no
// EventStoreDB client, no server, no metrics, no reports. Its start-up and
// its one-command process time are the floor that a separate, apply-only
// binary would have, which tells whether splitting the binary would meet
// issue 17's start-up and one-command goals.
//
//	go build -o /tmp/applyfloor ./cmd/grantledger/internal/applyfloor
//	echo '{…}' | /tmp/applyfloor --db ledger.db
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/grantledger/grantledger/adapters/sqlite"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
)

func main() {
	db := flag.String("db", "", "the ledger file (an existing embedded ledger)")
	flag.Parse()
	if *db == "" {
		fmt.Fprintln(os.Stderr, "applyfloor: --db is required")
		os.Exit(2)
	}
	if err := run(*db); err != nil {
		fmt.Fprintln(os.Stderr, "applyfloor:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	s, err := sqlite.Open(path, sqlite.NoCheckpointOnClose())
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer s.Close()
	svc := command.New(s, command.Options{Warn: func(m string) { fmt.Fprintln(os.Stderr, "applyfloor: warning:", m) }})
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 0, 64<<10), wire.MaxEnvelopeBytes)
	for n := 1; sc.Scan(); n++ {
		env, err := wire.DecodeEnvelope(sc.Bytes())
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		cmd, err := wire.DecodeCommand(env)
		if err != nil {
			return fmt.Errorf("line %d: %w", n, err)
		}
		out := svc.Handle(context.Background(), []command.Request{{Envelope: env, Command: cmd}})
		if out[0].Err != nil {
			return fmt.Errorf("line %d: %w", n, out[0].Err)
		}
		fmt.Printf("line %d: %d event(s)\n", n, len(out[0].Result.Events))
	}
	return sc.Err()
}
