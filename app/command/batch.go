package command

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/grantledger/grantledger/domain"
)

// Handle is Handler.Handle. When the store can commit many appends at
// once (domain.BatchAppender), a batch of many costs one durable commit;
// otherwise, and for a batch of one, each command is appended by itself.
func (s *Service) Handle(ctx context.Context, reqs []Request) []Outcome {
	ok := s.store.Offers().Batch
	if !ok || len(reqs) == 1 {
		out := make([]Outcome, len(reqs))
		for i, req := range reqs {
			if out[i].Err = req.check(); out[i].Err == nil {
				out[i].Result, out[i].Err = s.handleOne(ctx, req)
			}
		}
		return out
	}

	r := s.newBatchRun(reqs)
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
		r.out[i].Result, r.out[i].Err = s.handleOne(ctx, reqs[i])
	}
	return r.out
}

// batchRun is one batch of Handle, in the steps that a
// Pipeline runs apart: claim the ledger-wide rules, lock the streams,
// decide every command on the cached states (applying each tentatively so
// later ones see it), write (the store's one durable commit, the only step
// that may run in another goroutine), and finish (settle what was written,
// undo the tentative state of what was not).
type batchRun struct {
	s        *Service
	in       []Request
	errs     []error // a request's refusal before its decision (check, claim)
	out      []Outcome
	names    []string
	touched  map[string]*streamState
	order    []string // the names of touched, sorted
	locked   []string // the streams this run locked itself
	releases []func()
	appends  []domain.AppendRequest
	pend     []pendingAppend
	outcomes []domain.AppendOutcome
	werr     error
}

type pendingAppend struct {
	i int
	p *prepared
}

func (s *Service) newBatchRun(reqs []Request) *batchRun {
	r := &batchRun{s: s, in: reqs, errs: make([]error, len(reqs)),
		out: make([]Outcome, len(reqs)), names: make([]string, len(reqs)), touched: map[string]*streamState{}}
	for i, req := range reqs {
		r.errs[i] = req.check()
	}
	return r
}

// claim checks every command against the ledger-wide rules (index.go),
// also between the commands of this batch: a command id or number key
// reserved by an earlier one refuses a later one that would break them.
// With stopAtRefusal it stops at the first refusal and returns false,
// reserving nothing (a Pipeline claiming while the batch before is in
// flight: a refusal then may name that batch's commands as in flight
// where, one batch after the other, it would name them as applied).
func (r *batchRun) claim(ctx context.Context, stopAtRefusal bool) bool {
	for i, req := range r.in {
		if r.errs[i] != nil {
			r.out[i].Err = r.errs[i]
			continue
		}
		r.names[i] = domain.StreamFor(req.Command.AgreementNumber())
		release, err := r.s.claim(ctx, req.Envelope, req.Command, r.names[i])
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
	for i, req := range r.in {
		if r.errs[i] != nil {
			continue
		}
		st := r.touched[r.names[i]]
		p, dup, err := r.s.decide(ctx, req.Envelope, st, r.names[i], req.Command, true)
		switch {
		case err != nil:
			r.out[i].Err = err
			continue
		case dup != nil:
			r.out[i].Result = *dup
			continue
		}
		r.out[i].Result = r.s.commit(st, p, domain.AppendResult{NextRevision: uint64(st.rev + int64(len(p.data)))}, true)
		r.appends = append(r.appends, domain.AppendRequest{Stream: p.name, Expected: p.expected, Events: p.data})
		r.pend = append(r.pend, pendingAppend{i, p})
	}
}

// write appends the decided commands in one durable commit. It touches no
// cached state, so it may run in another goroutine while the next batch
// is decided; its guard must be built after the batch before has finished
// (the guard reads from the index's position, which finish moves).
func (r *batchRun) write(ctx context.Context) {
	if len(r.appends) == 0 {
		return
	}
	if r.s.store.Offers().Guards {
		cs := make([]claimed, len(r.pend))
		for k, pd := range r.pend {
			cs[k] = claimed{r.in[pd.i].Envelope, r.in[pd.i].Command, pd.p.name}
		}
		// A refusal by the guard fails the whole batch, writing
		// nothing; every command then goes again on its own, and the
		// one that breaks a rule is refused by name.
		r.outcomes, r.werr = r.s.store.AppendGuarded(ctx, r.appends, r.s.guard(cs))
		return
	}
	r.outcomes, r.werr = r.s.store.AppendBatch(ctx, r.appends)
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
			s.applied(r.in[pd.i].Envelope, r.in[pd.i].Command, pd.p.name, r.outcomes[k].Result.Position)
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
