package esdb

import (
	"context"
	"errors"
	"sync"

	"github.com/grantledger/grantledger/domain"
)

// DefaultBatchConcurrency bounds how many appends of one
// Concurrent.AppendBatch are in flight at once.
const DefaultBatchConcurrency = 64

// Concurrent is the store with a domain.BatchAppender made for
// EventStoreDB, for group commit (`serve --group-commit`) and `apply`
// batches. EventStoreDB has no multi-stream transaction and a gRPC append
// is durable when answered, so a batch gains nothing from a shared commit;
// what it gains is that its appends do not wait for each other.
//
// It differs from the batches of a store with one shared commit (SQLite)
// in one way, which is why *Store itself does not offer it and the store
// contract suite runs on *Store: requests to different streams are written
// concurrently, so their positions in $all need not follow the order of the
// requests. Nothing in grantledger relies on that order (each command's
// position is its own request's); requests to one stream keep their order.
type Concurrent struct {
	*Store
}

var _ domain.BatchAppender = Concurrent{}

// AppendBatch implements domain.BatchAppender. Each request is one Append
// (atomic on its own, size-checked, retried as Append is). Requests to
// different streams run concurrently, at most BatchConcurrency (default
// DefaultBatchConcurrency) at a time. Requests to one stream form a chain
// and are sent one after the other, in order: once one fails or is
// answered as a retry of events already there (Existing), the later ones
// to that stream are not sent and fail with a *domain.ConcurrencyError
// whose AfterFailed is set. Each append has its own timeout (the call
// timeout: DefaultCallTimeout, or defaultDeadline from the connection
// string) counted from when it is sent; a deadline on ctx does not bound
// the whole batch (one slow append must not use up the others' time), but
// cancelling ctx stops the appends not yet answered. Since requests fail
// one by one, the error return only reports a ctx already done (nothing
// was written).
func (c Concurrent) AppendBatch(ctx context.Context, reqs []domain.AppendRequest) ([]domain.AppendOutcome, error) {
	s := c.Store
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Per-append deadlines instead of the caller's batch deadline; the
	// caller's cancellation still stops the batch.
	bctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		if errors.Is(ctx.Err(), context.Canceled) {
			cancel()
		}
	})
	defer stop()

	out := make([]domain.AppendOutcome, len(reqs))
	// The chain of each stream, in the batch's order.
	var order []string
	chains := map[string][]int{}
	for i, r := range reqs {
		if _, seen := chains[r.Stream]; !seen {
			order = append(order, r.Stream)
		}
		chains[r.Stream] = append(chains[r.Stream], i)
	}
	limit := s.BatchConcurrency
	if limit <= 0 {
		limit = DefaultBatchConcurrency
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for _, stream := range order {
		chain := chains[stream]
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			s.appendChain(bctx, reqs, chain, out)
		}()
	}
	wg.Wait()
	return out, nil
}

// appendChain appends the requests of one stream in order, stopping the
// chain at the first that fails or was already there.
func (s *Store) appendChain(ctx context.Context, reqs []domain.AppendRequest, chain []int, out []domain.AppendOutcome) {
	for k, i := range chain {
		r := reqs[i]
		out[i].Result, out[i].Err = s.Append(ctx, r.Stream, r.Expected, r.Events)
		if out[i].Err == nil && !out[i].Result.Existing {
			continue
		}
		if len(chain) == k+1 {
			return
		}
		actual := int64(-1)
		if last, err := s.lastEvent(ctx, r.Stream); err == nil && last != nil {
			actual = int64(last.Revision)
		}
		for _, j := range chain[k+1:] {
			out[j].Err = &domain.ConcurrencyError{Stream: r.Stream, Expected: reqs[j].Expected, Actual: actual, AfterFailed: true}
		}
		return
	}
}
