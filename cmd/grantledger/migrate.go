package main

import (
	"context"
	"fmt"

	"github.com/grantledger/grantledger/app/migrate"
)

func cmdMigrate(ctx context.Context, a *app, args []string) error {
	fs := a.flags("migrate", "", `
Copies every event from one store to another — for example from the embedded
file to EventStoreDB when one machine is outgrown — preserving event ids,
types, data and metadata bytes, so every hash chain still verifies. Events
are appended per stream with exact expected revisions: an interrupted
migration is resumed by running it again, and nothing is ever duplicated.
Afterwards both stores are compared event by event.

Example:
  grantledger migrate --from sqlite:./grantledger.db --to 'esdb://localhost:2113?tls=false'`)
	from := fs.String("from", "", "source store spec (sqlite:PATH or esdb://…) (required)")
	to := fs.String("to", "", "target store spec (required)")
	skipVerify := fs.Bool("no-verify", false, "skip the event-by-event comparison after copying")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		fs.Usage()
		return usagef("migrate needs --from and --to")
	}
	if *from == *to {
		return usagef("migrate: --from and --to name the same store")
	}
	if err := ledgerMustExist(*from); err != nil {
		return err
	}
	src, err := openStore(ctx, *from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := openStore(ctx, *to)
	if err != nil {
		return err
	}
	defer dst.Close()
	p := newProgress(a.stderr, "migrate")
	rep, err := migrate.Copy(ctx, src, dst, p.update)
	p.done()
	if err != nil {
		return errorf("migrate: %w (events copied before the error stay in the target; run again to resume)", err)
	}
	fmt.Fprint(a.stdout, tr(a.lang, "copied %s (%d were already there) in %s\n", count(rep.Copied, "event", "events"), rep.Skipped, count(rep.Streams, "stream", "streams")))
	if *skipVerify {
		return nil
	}
	vr, err := migrate.Verify(ctx, src, dst)
	if err != nil {
		return errorf("migrate: verification failed: %w", err)
	}
	fmt.Fprint(a.stdout, tr(a.lang, "verified: %s in %s identical, every hash chain intact\n", count(vr.Events, "event", "events"), count(vr.Streams, "stream", "streams")))
	return nil
}
