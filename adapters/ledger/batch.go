package ledger

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/grantledger/grantledger/domain"
)

// BatchResult is the outcome of one command of a batch.
type BatchResult struct {
	Result Result
	Err    error
}

// HandleBatch applies commands in order, each atomically on its own: a
// command that is refused appends nothing and does not stop the others.
// When the store can commit many appends at once (domain.BatchAppender), the
// whole batch costs one durable commit; otherwise each command is appended
// by itself. The result has one entry per command, in order.
func (s *Service) HandleBatch(ctx context.Context, envs []domain.Envelope) []BatchResult {
	cmds := make([]domain.Command, len(envs))
	errs := make([]error, len(envs))
	for i, env := range envs {
		cmds[i], errs[i] = env.DecodeCommand()
	}
	return s.HandleDecodedBatch(ctx, envs, cmds, errs)
}

// HandleDecodedBatch is HandleBatch for a caller that has already decoded
// and validated each envelope's command (cmds[i] and errs[i] are what
// envs[i].DecodeCommand() returned), so that decoding can run ahead, in
// another goroutine, while the previous batch is being written. A command
// whose decoding failed gets its error and is not applied.
func (s *Service) HandleDecodedBatch(ctx context.Context, envs []domain.Envelope, cmds []domain.Command, errs []error) []BatchResult {
	out := make([]BatchResult, len(envs))
	ba, ok := s.store.(domain.BatchAppender)
	if !ok || len(envs) == 1 {
		for i, env := range envs {
			if errs[i] != nil {
				out[i].Err = errs[i]
				continue
			}
			out[i].Result, out[i].Err = s.HandleCommand(ctx, env, cmds[i])
		}
		return out
	}

	names := make([]string, len(envs))
	touched := map[string]*streamState{}
	errs = append([]error(nil), errs...)
	var releases []func()
	defer func() {
		for _, r := range releases {
			r()
		}
	}()
	for i := range envs {
		if errs[i] != nil {
			out[i].Err = errs[i]
			continue
		}
		names[i] = domain.StreamFor(cmds[i].AgreementNumber())
		// Ledger-wide rules (index.go), also between the commands of
		// this batch: a command id or number key reserved by an earlier
		// one refuses a later one that would break them.
		release, err := s.claim(ctx, envs[i], cmds[i], names[i])
		if err != nil {
			errs[i], out[i].Err = err, err
			continue
		}
		releases = append(releases, release)
		touched[names[i]] = s.stream(names[i])
	}
	// Lock every stream of the batch, in name order so batches never deadlock.
	order := make([]string, 0, len(touched))
	for n := range touched {
		order = append(order, n)
	}
	sort.Strings(order)
	for _, n := range order {
		touched[n].mu.Lock()
	}

	type pending struct {
		i int
		p *prepared
	}
	var reqs []domain.AppendRequest
	var pend []pending
	for i, env := range envs {
		if errs[i] != nil {
			continue
		}
		st := touched[names[i]]
		p, dup, err := s.decide(ctx, env, st, names[i], cmds[i], true)
		switch {
		case err != nil:
			out[i].Err = err
			continue
		case dup != nil:
			out[i].Result = *dup
			continue
		}
		// Apply tentatively so later commands of the batch see this one.
		out[i].Result = s.commit(st, p, domain.AppendResult{NextRevision: uint64(st.rev + int64(len(p.data)))})
		reqs = append(reqs, domain.AppendRequest{Stream: p.name, Expected: p.expected, Events: p.data})
		pend = append(pend, pending{i, p})
	}

	var retry []int
	var settled []pending
	if len(reqs) > 0 {
		var outcomes []domain.AppendOutcome
		var err error
		if ga, ok := s.store.(domain.GuardedAppender); ok {
			cs := make([]claimed, len(pend))
			for k, pd := range pend {
				cs[k] = claimed{envs[pd.i], cmds[pd.i], pd.p.name}
			}
			// A refusal by the guard fails the whole batch, writing
			// nothing; every command then goes again on its own, below,
			// and the one that breaks a rule is refused by name.
			outcomes, err = ga.AppendGuarded(ctx, reqs, s.guard(cs))
		} else {
			outcomes, err = ba.AppendBatch(ctx, reqs)
		}
		failed := map[string]bool{}
		for k, pd := range pend {
			var oerr error
			if err != nil {
				oerr = err
			} else {
				oerr = outcomes[k].Err
			}
			existing := oerr == nil && outcomes[k].Result.Existing
			if oerr == nil && !existing && !failed[pd.p.name] {
				evs := out[pd.i].Result.Events
				evs[len(evs)-1].Position = outcomes[k].Result.Position
				s.applied(envs[pd.i], cmds[pd.i], pd.p.name, outcomes[k].Result.Position)
				settled = append(settled, pd)
				continue
			}
			// The tentative state of this stream is wrong from here on.
			touched[pd.p.name].agg = nil
			out[pd.i].Result = Result{}
			if oerr == nil && !existing {
				// The store wrote an append that was built on an earlier
				// one it refused: domain.BatchAppender forbids this, and
				// the stream's chain now has a wrong link. Say so; do not
				// apply the command again on top of it.
				out[pd.i].Err = &domain.Error{Code: domain.EInternal, Field: "store",
					Message: fmt.Sprintf("the event store wrote command %s to %s at position %v after refusing an earlier append to that stream in the same batch; run 'grantledger verify'", pd.p.env.CommandID, pd.p.name, outcomes[k].Result.Position)}
				continue
			}
			failed[pd.p.name] = true
			// A command the store found already applied (by a process this
			// state had not seen) goes again too, and is then answered as
			// the duplicate it is.
			if err != nil || existing || errors.Is(oerr, domain.ErrConcurrency) {
				retry = append(retry, pd.i)
			} else {
				out[pd.i].Err = oerr
			}
		}
	}
	for _, pd := range settled {
		if st := touched[pd.p.name]; st.agg != nil {
			st.settle(pd.p.env.CommandID)
		}
	}
	for _, n := range order {
		s.account(touched[n])
		touched[n].mu.Unlock()
	}
	s.evictIfFull()
	// Commands that lost a race (or whose batch failed) go again one by one;
	// their command ids make this safe even if part had been written.
	for _, i := range retry {
		out[i].Result, out[i].Err = s.HandleCommand(ctx, envs[i], cmds[i])
	}
	return out
}
