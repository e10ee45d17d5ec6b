package metrics

import (
	"context"
	"time"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/domain"
)

// Service measures a ledger service: every command is counted by type and
// outcome and its latency recorded. It has the methods of *ledger.Service
// that the HTTP server uses.
type Service struct {
	*command.Service
	m *Metrics
}

// WrapService returns svc measured by m.
func WrapService(svc *command.Service, m *Metrics) *Service { return &Service{Service: svc, m: m} }

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

// Handle applies one command and measures it.
func (s *Service) Handle(ctx context.Context, env domain.Envelope) (command.Result, error) {
	start := time.Now()
	res, err := s.Service.Handle(ctx, env)
	s.m.ObserveCommand(env.Type, Outcome(res, err), time.Since(start))
	return res, err
}

// HandleCommand applies one command already decoded (see
// ledger.Service.HandleCommand) and measures it.
func (s *Service) HandleCommand(ctx context.Context, env domain.Envelope, cmd domain.Command) (command.Result, error) {
	start := time.Now()
	res, err := s.Service.HandleCommand(ctx, env, cmd)
	s.m.ObserveCommand(env.Type, Outcome(res, err), time.Since(start))
	return res, err
}

// HandleBatch applies a batch and measures each command; each is charged
// the latency of the whole batch, which is what its client waited.
func (s *Service) HandleBatch(ctx context.Context, envs []domain.Envelope) []command.BatchResult {
	start := time.Now()
	return s.observeBatch(envs, start, s.Service.HandleBatch(ctx, envs))
}

// HandleDecodedBatch is HandleBatch for commands already decoded (see
// ledger.Service.HandleDecodedBatch), measured the same way.
func (s *Service) HandleDecodedBatch(ctx context.Context, envs []domain.Envelope, cmds []domain.Command, errs []error) []command.BatchResult {
	start := time.Now()
	return s.observeBatch(envs, start, s.Service.HandleDecodedBatch(ctx, envs, cmds, errs))
}

func (s *Service) observeBatch(envs []domain.Envelope, start time.Time, out []command.BatchResult) []command.BatchResult {
	d := time.Since(start)
	for i, r := range out {
		s.m.ObserveCommand(envs[i].Type, Outcome(r.Result, r.Err), d)
	}
	return out
}
