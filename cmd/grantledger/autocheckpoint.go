package main

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/grantledger/grantledger/adapters/checkpoints"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// Automatic checkpoints (docs/PROOFS.md): when a signing key
// ($GRANTLEDGER_SIGNING_KEY) and a checkpoint directory
// ($GRANTLEDGER_CHECKPOINT_DIR) are set, apply and serve add a signed
// checkpoint to the directory after a close_year, and otherwise once at
// least $GRANTLEDGER_CHECKPOINT_EVENTS events (default 1000) or
// $GRANTLEDGER_CHECKPOINT_INTERVAL (default 1h) have passed since the
// newest one, whichever comes first.
type checkpointPolicy struct {
	svc    *checkpoints.Service
	events int64
	every  time.Duration
}

// checkpointPolicy returns the policy, or nil when no key or no directory
// is set.
func (a *app) checkpointPolicy(store port.Store) (*checkpointPolicy, error) {
	dir := a.getenv("GRANTLEDGER_CHECKPOINT_DIR")
	if dir == "" || a.getenv("GRANTLEDGER_SIGNING_KEY") == "" {
		return nil, nil
	}
	signer, err := a.signingKey("")
	if err != nil {
		return nil, err
	}
	p := &checkpointPolicy{svc: &checkpoints.Service{Store: store, Signer: signer, Dir: dir, Now: a.now}, events: 1000, every: time.Hour}
	if v := a.getenv("GRANTLEDGER_CHECKPOINT_EVENTS"); v != "" {
		if p.events, err = strconv.ParseInt(v, 10, 64); err != nil || p.events < 1 {
			return nil, usagef("GRANTLEDGER_CHECKPOINT_EVENTS=%q: want a whole number of events, at least 1", v)
		}
	}
	if v := a.getenv("GRANTLEDGER_CHECKPOINT_INTERVAL"); v != "" {
		if p.every, err = time.ParseDuration(v); err != nil || p.every <= 0 {
			return nil, usagef("GRANTLEDGER_CHECKPOINT_INTERVAL=%q: want a duration such as 15m", v)
		}
	}
	return p, nil
}

// maybe adds a checkpoint when one is due (always after a close_year, if
// the log grew). It returns the checkpoint kept, if any.
func (p *checkpointPolicy) maybe(ctx context.Context, closedYear bool) (*merkle.Checkpoint, error) {
	last, ok, err := checkpoints.Newest(p.svc.Dir)
	if err != nil {
		return nil, err
	}
	l, err := merkle.LogOf(ctx, p.svc.Store)
	if err != nil {
		return nil, err
	}
	n, err := l.TreeSize(ctx)
	if err != nil {
		return nil, err
	}
	grew := !ok || n > last.Size
	due := grew && (closedYear || !ok || n-last.Size >= p.events || p.svc.Now().Sub(last.Time) >= p.every)
	if !due || n == 0 {
		return nil, nil
	}
	sc, err := p.svc.Keep(ctx)
	if err != nil {
		return nil, err
	}
	return &sc.Checkpoint, nil
}

// follow runs the policy in serve: every few seconds it looks at the
// events appended since it last looked (a close_year makes a checkpoint
// due at once) until ctx ends. A log that does not extend the newest
// checkpoint is logged as an error and not signed.
//
// A close_year counts when it is not yet under the newest checkpoint (its
// leaf index, the count of events before it, is at least that
// checkpoint's size): one recorded while the server was down is signed on
// the first look, as one recorded while it runs.
func (p *checkpointPolicy) follow(ctx context.Context, log *slog.Logger) {
	tick := min(p.every, 5*time.Second)
	t := time.NewTicker(tick)
	defer t.Stop()
	var from domain.Position
	var seen int64 // events read so far: the leaf index of the next
	for {
		var signed int64
		if last, ok, err := checkpoints.Newest(p.svc.Dir); err == nil && ok {
			signed = last.Size
		}
		closed := false
		for {
			evs, err := p.svc.Store.ReadAll(ctx, from, 4096)
			if err != nil || len(evs) == 0 {
				break
			}
			for _, e := range evs {
				closed = closed || (e.Type == domain.TypeYearClosed && seen >= signed)
				seen++
			}
			from = evs[len(evs)-1].Position
		}
		if c, err := p.maybe(ctx, closed); err != nil && ctx.Err() == nil {
			log.Error("checkpoint not made", "problem", err.Error())
		} else if c != nil {
			log.Info("checkpoint made", "size", c.Size, "root", c.Root.String(), "dir", p.svc.Dir)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// afterApply runs the policy once at the end of apply.
func (a *app) afterApply(ctx context.Context, closedYear bool) error {
	store, err := a.open(ctx)
	if err != nil {
		return err
	}
	p, err := a.checkpointPolicy(store)
	if err != nil || p == nil {
		return err
	}
	c, err := p.maybe(ctx, closedYear)
	if err != nil {
		return errorf("checkpoint after apply: %w", err)
	}
	if c != nil {
		fmt.Fprint(a.stderr, tr(a.lang, "checkpoint of %d events (root %s) added to %s\n", c.Size, c.Root, p.svc.Dir))
	}
	return nil
}
