// Package commandtest is test support for the command service: it hands
// command envelopes, as they arrive from outside, to a command.Handler the
// way an adapter does (decode and validate each envelope's command, then
// Handle), so that a test can send a seed or a hand-written envelope in one
// call. Decoding errors are returned as the adapter would meet them;
// nothing here decides or appends anything itself.
package commandtest

import (
	"context"
	"fmt"
	"sync"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// Request decodes and validates env's command and returns the request
// that carries both.
func Request(env domain.Envelope) (command.Request, error) {
	cmd, err := wire.DecodeCommand(env)
	if err != nil {
		return command.Request{}, err
	}
	return command.Request{Envelope: env, Command: cmd}, nil
}

// Handle decodes env's command and hands it to h alone (a batch of one).
// A command that does not decode is not handed over: its error is
// returned.
func Handle(ctx context.Context, h command.Handler, env domain.Envelope) (command.Result, error) {
	req, err := Request(env)
	if err != nil {
		return command.Result{}, err
	}
	out := h.Handle(ctx, []command.Request{req})[0]
	return out.Result, out.Err
}

// HandleBatch decodes every envelope's command and hands those that decode
// to h in one batch, in order (command.HandleEnvelopes with wire's
// decoding, as the command line does). The result has one Outcome per
// envelope: an envelope that did not decode gets its decoding error and
// was not handed over.
func HandleBatch(ctx context.Context, h command.Handler, envs []domain.Envelope) []command.Outcome {
	return command.HandleEnvelopes(ctx, h, envs, wire.DecodeCommand)
}

// HandleConcurrently hands total commands to h from writers goroutines,
// each with Handle: writer w sends commands w, w+writers, w+2*writers, …,
// and env(i) is command i. A writer stops at its first failure; the
// result is one of the failures (naming the command's number), or nil
// when every command was applied.
func HandleConcurrently(ctx context.Context, h command.Handler, writers, total int, env func(i int) domain.Envelope) error {
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < total; i += writers {
				if _, err := Handle(ctx, h, env(i)); err != nil {
					errs <- fmt.Errorf("command %d: %w", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs // nil when no writer failed
}
