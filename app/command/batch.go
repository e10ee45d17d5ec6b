package command

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/grantledger/grantledger/adapters/wire"
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
		cmds[i], errs[i] = wire.DecodeCommand(env)
	}
	return s.HandleDecodedBatch(ctx, envs, cmds, errs)
}

// HandleDecodedBatch is HandleBatch for a caller that has already decoded
// and validated each envelope's command (cmds[i] and errs[i] are what
// wire.DecodeCommand(envs[i]) returned), so that decoding can run ahead, in
// another goroutine, while the previous batch is being written. A command
// whose decoding failed gets its error and is not applied.
func (s *Service) HandleDecodedBatch(ctx context.Context, envs []domain.Envelope, cmds []domain.Command, errs []error) []BatchResult {
	out := make([]BatchResult, len(envs))
	_, ok := s.store.(domain.BatchAppender)
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

	r := s.newBatchRun(envs, cmds, errs)
	defer r.releaseClaims()
	r.claim(ctx, false)
	r.lock(nil, false)
	r.decide(ctx)
	r.write(ctx)
	retry, _ := r.finish()
	r.unlock(nil)
	s.evictIfFull()
	// Commands that lost a race (or whose batch failed) go again one by one;
	// their command ids make this safe even if part had been written.
	for _, i := range retry {
		r.out[i].Result, r.out[i].Err = s.HandleCommand(ctx, envs[i], cmds[i])
	}
	return r.out
}

// batchRun is one batch of HandleDecodedBatch, in the steps that a
// Pipeline runs apart: claim the ledger-wide rules, lock the streams,
// decide every command on the cached states (applying each tentatively so
// later ones see it), write (the store's one durable commit, the only step
// that may run in another goroutine), and finish (settle what was written,
// undo the tentative state of what was not).
type batchRun struct {
	s        *Service
	envs     []domain.Envelope
	cmds     []domain.Command
	errs     []error
	out      []BatchResult
	names    []string
	touched  map[string]*streamState
	order    []string // the names of touched, sorted
	locked   []string // the streams this run locked itself
	releases []func()
	reqs     []domain.AppendRequest
	pend     []pendingAppend
	outcomes []domain.AppendOutcome
	werr     error
}

type pendingAppend struct {
	i int
	p *prepared
}

func (s *Service) newBatchRun(envs []domain.Envelope, cmds []domain.Command, errs []error) *batchRun {
	return &batchRun{s: s, envs: envs, cmds: cmds, errs: append([]error(nil), errs...),
		out: make([]BatchResult, len(envs)), names: make([]string, len(envs)), touched: map[string]*streamState{}}
}

// claim checks every command against the ledger-wide rules (index.go),
// also between the commands of this batch: a command id or number key
// reserved by an earlier one refuses a later one that would break them.
// With stopAtRefusal it stops at the first refusal and returns false,
// reserving nothing (a Pipeline claiming while the batch before is in
// flight: a refusal then may name that batch's commands as in flight
// where, one batch after the other, it would name them as applied).
func (r *batchRun) claim(ctx context.Context, stopAtRefusal bool) bool {
	for i := range r.envs {
		if r.errs[i] != nil {
			r.out[i].Err = r.errs[i]
			continue
		}
		r.names[i] = domain.StreamFor(r.cmds[i].AgreementNumber())
		release, err := r.s.claim(ctx, r.envs[i], r.cmds[i], r.names[i])
		if err != nil {
			if stopAtRefusal {
				r.releaseClaims()
				return false
			}
			r.errs[i], r.out[i].Err = err, err
			continue
		}
		r.releases = append(r.releases, release)
		r.touched[r.names[i]] = r.s.stream(r.names[i])
	}
	r.order = make([]string, 0, len(r.touched))
	for n := range r.touched {
		r.order = append(r.order, n)
	}
	sort.Strings(r.order)
	return true
}

func (r *batchRun) releaseClaims() {
	for _, rel := range r.releases {
		rel()
	}
	r.releases = nil
}

// lock locks every stream of the batch that held does not name (held
// streams are locked already, by the caller), in name order so batches
// never deadlock. With try it waits for no lock: when one is taken it
// unlocks what it locked and returns false.
func (r *batchRun) lock(held map[string]*streamState, try bool) bool {
	for _, n := range r.order {
		if _, ok := held[n]; ok {
			continue
		}
		st := r.touched[n]
		if try && !st.mu.TryLock() {
			for _, m := range r.locked {
				r.touched[m].mu.Unlock()
			}
			r.locked = nil
			return false
		}
		if !try {
			st.mu.Lock()
		}
		r.locked = append(r.locked, n)
	}
	return true
}

// decide decides every claimed command and applies it tentatively to its
// stream's cached state, so later commands of the batch see it.
func (r *batchRun) decide(ctx context.Context) {
	for i, env := range r.envs {
		if r.errs[i] != nil {
			continue
		}
		st := r.touched[r.names[i]]
		p, dup, err := r.s.decide(ctx, env, st, r.names[i], r.cmds[i], true)
		switch {
		case err != nil:
			r.out[i].Err = err
			continue
		case dup != nil:
			r.out[i].Result = *dup
			continue
		}
		r.out[i].Result = r.s.commit(st, p, domain.AppendResult{NextRevision: uint64(st.rev + int64(len(p.data)))})
		r.reqs = append(r.reqs, domain.AppendRequest{Stream: p.name, Expected: p.expected, Events: p.data})
		r.pend = append(r.pend, pendingAppend{i, p})
	}
}

// write appends the decided commands in one durable commit. It touches no
// cached state, so it may run in another goroutine while the next batch
// is decided; its guard must be built after the batch before has finished
// (the guard reads from the index's position, which finish moves).
func (r *batchRun) write(ctx context.Context) {
	if len(r.reqs) == 0 {
		return
	}
	if ga, ok := r.s.store.(domain.GuardedAppender); ok {
		cs := make([]claimed, len(r.pend))
		for k, pd := range r.pend {
			cs[k] = claimed{r.envs[pd.i], r.cmds[pd.i], pd.p.name}
		}
		// A refusal by the guard fails the whole batch, writing
		// nothing; every command then goes again on its own, and the
		// one that breaks a rule is refused by name.
		r.outcomes, r.werr = ga.AppendGuarded(ctx, r.reqs, r.s.guard(cs))
		return
	}
	r.outcomes, r.werr = r.s.store.(domain.BatchAppender).AppendBatch(ctx, r.reqs)
}

// finish takes the store's answer: the written commands are recorded in
// the index and settled; for a stream with a command not written, its
// tentative state is dropped (read again from the store when next used)
// and the command is to go again on its own (retry). clean reports that
// the store wrote every decided command as decided, so that the cached
// states are exactly what they were tentatively. The streams stay locked.
func (r *batchRun) finish() (retry []int, clean bool) {
	s := r.s
	var settled []pendingAppend
	clean = r.werr == nil
	failed := map[string]bool{}
	for k, pd := range r.pend {
		var oerr error
		if r.werr != nil {
			oerr = r.werr
		} else {
			oerr = r.outcomes[k].Err
		}
		existing := oerr == nil && r.outcomes[k].Result.Existing
		if oerr == nil && !existing && !failed[pd.p.name] {
			evs := r.out[pd.i].Result.Events
			evs[len(evs)-1].Position = r.outcomes[k].Result.Position
			s.applied(r.envs[pd.i], r.cmds[pd.i], pd.p.name, r.outcomes[k].Result.Position)
			settled = append(settled, pd)
			continue
		}
		clean = false
		// The tentative state of this stream is wrong from here on.
		r.touched[pd.p.name].agg = nil
		r.out[pd.i].Result = Result{}
		if oerr == nil && !existing {
			// The store wrote an append that was built on an earlier
			// one it refused: domain.BatchAppender forbids this, and
			// the stream's chain now has a wrong link. Say so; do not
			// apply the command again on top of it.
			r.out[pd.i].Err = &domain.Error{Code: domain.EInternal, Field: "store",
				Message: fmt.Sprintf("the event store wrote command %s to %s at position %v after refusing an earlier append to that stream in the same batch; run 'grantledger verify'", pd.p.env.CommandID, pd.p.name, r.outcomes[k].Result.Position)}
			continue
		}
		failed[pd.p.name] = true
		// A command the store found already applied (by a process this
		// state had not seen) goes again too, and is then answered as
		// the duplicate it is.
		if r.werr != nil || existing || errors.Is(oerr, domain.ErrConcurrency) {
			retry = append(retry, pd.i)
		} else {
			r.out[pd.i].Err = oerr
		}
	}
	for _, pd := range settled {
		if st := r.touched[pd.p.name]; st.agg != nil {
			st.settle(pd.p.env.CommandID)
		}
	}
	return retry, clean
}

// unlock unlocks the batch's streams, except those keep names (a
// Pipeline keeps the locks of the streams the next batch uses).
func (r *batchRun) unlock(keep map[string]*streamState) {
	for _, n := range r.order {
		if _, ok := keep[n]; ok {
			continue
		}
		r.s.account(r.touched[n])
		r.touched[n].mu.Unlock()
	}
}
