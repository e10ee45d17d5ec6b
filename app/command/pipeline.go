package command

import (
	"context"
)

// Pipeline applies batches of commands in order, with the outcomes
// Handle gives one batch after the other, but decides each
// batch while the batch before it is being written: on two cores the
// store's durable commit (the larger part of a batch) and the next
// batch's decisions run side by side (docs/PERFORMANCE.md).
//
// Batch k+1 is decided on the cached states as batch k left them
// tentatively, before the store has answered for batch k. It is kept only
// when the store then wrote every command of batch k as decided (the
// states are then exactly what they would have been one batch after the
// other). Otherwise nothing of batch k+1 has been written (its write
// starts only after batch k's answer), its tentative states are dropped,
// its reservations released, the commands of batch k go again one by one
// as in Handle, and batch k+1 is decided afresh. Batch k+1 is
// also decided afresh, after batch k, when one of its commands is refused
// by the ledger-wide rules (the refusal would name batch k's command as in
// flight, not as applied) or when a stream it needs is locked by another
// command (it waits for no lock while holding batch k's).
//
// The streams of the batch in flight stay locked, from its decision to
// the store's answer, as in Handle; a stream in both batches
// passes from one to the next still locked. A Pipeline is used by one
// goroutine; the Service stays safe for other callers meanwhile.
type Pipeline struct {
	s      *Service
	ctx    context.Context
	flight *batchRun     // being written, or nil
	done   chan struct{} // closed when flight's write has returned
	ready  []Outcome     // a batch handled without the pipeline, not yet returned
	has    bool          // ready holds a batch
}

// NewPipeline returns a Pipeline over s; every batch runs with ctx.
func (s *Service) NewPipeline(ctx context.Context) *Pipeline {
	return &Pipeline{s: s, ctx: ctx}
}

// Push hands over the next batch (as for Handle) and returns the outcomes
// of the batch pushed before, in its order (ok false on the first Push).
// The outcomes of the last batch come from Flush. Pipeline is the command
// line's fast path for long files, not a second way in for consumers: it
// is a Handle whose batches overlap.
func (p *Pipeline) Push(reqs []Request) (prev []Outcome, ok bool) {
	batches := p.s.store.Offers().Batch
	if !batches || len(reqs) == 1 {
		prev, ok = p.Flush()
		p.ready, p.has = p.s.Handle(p.ctx, reqs), true
		return prev, ok
	}
	var ahead *batchRun
	if p.flight != nil {
		// Decide ahead, on the tentative states of the batch in flight.
		ahead = p.s.newBatchRun(reqs)
		if !ahead.claim(p.ctx, true) {
			ahead = nil
		} else if !ahead.lock(p.flight.touched, true) {
			ahead.releaseClaims()
			ahead = nil
		} else {
			ahead.decide(p.ctx)
		}
	}
	prev, ok, kept := p.finishFlight(ahead)
	if p.has {
		// The batch before was handled on its own (nothing in flight).
		prev, ok = p.ready, true
		p.ready, p.has = nil, false
	}
	r := ahead
	if !kept {
		// Not decided ahead, or dropped: decide it now, nothing in flight.
		r = p.s.newBatchRun(reqs)
		r.claim(p.ctx, false)
		r.lock(nil, false)
		r.decide(p.ctx)
	}
	p.start(r)
	return prev, ok
}

// Flush waits for the batch in flight and returns its results (ok false
// when there was none). The Pipeline holds no lock afterwards and may be
// pushed to again.
func (p *Pipeline) Flush() ([]Outcome, bool) {
	if p.has {
		out := p.ready
		p.ready, p.has = nil, false
		return out, true
	}
	if p.flight == nil {
		return nil, false
	}
	out, ok, _ := p.finishFlight(nil)
	return out, ok
}

func (p *Pipeline) start(r *batchRun) {
	p.flight, p.done = r, make(chan struct{})
	go func(done chan struct{}) {
		defer close(done)
		r.write(p.ctx)
	}(p.done)
}

// finishFlight waits for the batch in flight and finishes it. next, when
// not nil, was decided ahead on its tentative states, and is kept (its
// streams stay locked) only when the batch in flight was written exactly
// as decided; otherwise next's states are dropped, its reservations
// released and its locks undone, for the caller to decide it afresh.
func (p *Pipeline) finishFlight(next *batchRun) (out []Outcome, ok, kept bool) {
	r := p.flight
	if r == nil {
		return nil, false, false
	}
	<-p.done
	p.flight, p.done = nil, nil
	retry, clean := r.finish()
	s := p.s
	kept = next != nil && clean
	if kept {
		r.unlock(next.touched)
	} else {
		if next != nil {
			// Decided on states that are not what the store holds:
			// drop them (catchUp reads them again) and undo the rest.
			for _, st := range next.touched {
				st.agg = nil
			}
			next.releaseClaims()
			for _, n := range next.locked {
				s.account(next.touched[n])
				next.touched[n].mu.Unlock()
			}
			next.locked = nil
		}
		r.unlock(nil)
	}
	s.evictIfFull()
	for _, i := range retry {
		r.out[i].Result, r.out[i].Err = s.handleOne(p.ctx, r.in[i])
	}
	r.releaseClaims()
	return r.out, true, kept
}
