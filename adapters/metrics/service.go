package metrics

import (
	"context"
	"time"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
)

// Service measures a command service: every command handed to it is
// counted by type and outcome and its latency recorded. It is a
// decorator of command.Handler that implements the whole interface itself
// (nothing is embedded), so a method added to the interface does not
// compile here until it is measured or deliberately passed through.
type Service struct {
	next command.Handler
	m    *Metrics
}

var _ command.Handler = (*Service)(nil)

// WrapService returns next measured by m.
func WrapService(next command.Handler, m *Metrics) *Service { return &Service{next: next, m: m} }

// Outcome names the outcome of a command for the commands metric: "ok",
// "duplicate", or the domain error code.
func Outcome(res command.Result, err error) string {
	switch {
	case err != nil:
		return domain.ErrorCode(err)
	case res.Duplicate:
		return "duplicate"
	}
	return "ok"
}

// Handle applies a batch and measures each command; each is charged the
// latency of the whole batch, which is what its client waited (for a batch
// of one, its own).
func (s *Service) Handle(ctx context.Context, reqs []command.Request) []command.Outcome {
	start := time.Now()
	out := s.next.Handle(ctx, reqs)
	d := time.Since(start)
	for i, o := range out {
		s.m.ObserveCommand(reqs[i].Envelope.Type, Outcome(o.Result, o.Err), d)
	}
	return out
}

// View reads an agreement's state through the service. It is a read, not
// a command, and is not counted.
func (s *Service) View(ctx context.Context, number string, fn func(*domain.Agreement) error) error {
	return s.next.View(ctx, number, fn)
}
