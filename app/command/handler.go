package command

import (
	"context"
	"fmt"

	"github.com/grantledger/grantledger/domain"
)

// Handler is the one way into the command service, for every consumer
// (the HTTP API, the web pages, the command line) and every decorator
// around it (metrics.Service): a decorator implements the whole interface,
// so nothing reaches the service around it. *Service is the Handler that
// does the work.
type Handler interface {
	// Handle applies a batch of one or many commands in order, each
	// atomically on its own: a command that is refused appends nothing
	// and does not stop the others. The result has one Outcome per
	// Request, in order. A command id applied before is answered with its
	// first result (Result.Duplicate) and appends nothing.
	Handle(ctx context.Context, reqs []Request) []Outcome
	// View calls fn with the current state of an agreement, read from the
	// store and checked against its hash chain (a server reads an
	// agreement's funder and grantee from it to authorize a command). fn
	// runs while commands on that agreement wait, and must neither keep
	// nor modify the state. An agreement not registered is a
	// domain.ErrNotFound.
	View(ctx context.Context, number string, fn func(*domain.Agreement) error) error
}

// Request is one command for the service: its envelope (id, actor, reason,
// correlation) and its command, decoded and validated from the envelope's
// data by the adapter that owns the wire format. The service trusts
// Command to be what decoding Envelope gave; it does no JSON.
type Request struct {
	Envelope domain.Envelope
	Command  domain.Command
}

// Outcome is the answer to one Request: its Result, or the error that
// refused it (nothing was appended then).
type Outcome struct {
	Result Result
	Err    error
}

var _ Handler = (*Service)(nil)

// check refuses a request that a caller built wrong (no command, or a
// command of another type than its envelope's): the command's hash and
// events come from Command, the metadata from Envelope, and they must
// agree.
func (r Request) check() error {
	if r.Command == nil {
		return &domain.Error{Code: domain.EInvalid, Field: "data",
			Message: fmt.Sprintf("command %s (%s) was not decoded: the request carries no command; nothing was applied", r.Envelope.CommandID, r.Envelope.Type)}
	}
	if t := r.Command.CommandType(); t != r.Envelope.Type {
		return &domain.Error{Code: domain.EInvalid, Field: "type",
			Message: fmt.Sprintf("command %s: the envelope says %q but the decoded command is %q; nothing was applied", r.Envelope.CommandID, r.Envelope.Type, t)}
	}
	return nil
}

// HandleEnvelopes decodes each envelope's command with decode (the wire
// format's, app/wire.DecodeCommand: this package reads no wire format) and
// hands those that decode to h in one batch, in order. The result has one
// Outcome per envelope: one that did not decode gets its decoding error
// and was not handed over.
func HandleEnvelopes(ctx context.Context, h Handler, envs []domain.Envelope, decode func(domain.Envelope) (domain.Command, error)) []Outcome {
	out := make([]Outcome, len(envs))
	reqs := make([]Request, 0, len(envs))
	idx := make([]int, 0, len(envs))
	for i, env := range envs {
		cmd, err := decode(env)
		if err != nil {
			out[i].Err = err
			continue
		}
		reqs = append(reqs, Request{Envelope: env, Command: cmd})
		idx = append(idx, i)
	}
	if len(reqs) > 0 {
		for k, o := range h.Handle(ctx, reqs) {
			out[idx[k]] = o
		}
	}
	return out
}
