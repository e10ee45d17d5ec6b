package esdb

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/grantledger/grantledger/domain"
)

// checkpointMultiplier times the client's search window (32) is the number
// of events the server scans between two checkpoints.
const checkpointMultiplier = 4

// Subscribe implements domain.EventStore with a catch-up subscription to
// $all, filtered on the server to streams whose name starts with
// streamPrefix (or, for "", to every stream that is not a system stream).
// It delivers the events after from, then new ones as they are written.
// When the connection drops, it subscribes again from the last event the
// server sent it, so no event is missed or repeated; after ResubscribeFor
// of failures it reports the store unavailable.
//
// Server checkpoints are not trusted, neither to drop events nor as resume
// points: real servers have sent checkpoints at or past events they had
// not sent yet (KurrentDB #4970 in 24.10.4 and 25.0; the extra going-live
// checkpoint before #4023/#4035), and an event at or before a checkpoint
// would then be lost with no error. Duplicates are filtered against the
// last event received only. The price is that a resubscription makes the
// server scan again the events its filter left out since the last one it
// sent.
func (s *Store) Subscribe(ctx context.Context, from domain.Position, streamPrefix string) (domain.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	giveUp := s.ResubscribeFor
	if giveUp <= 0 {
		giveUp = DefaultResubscribeFor
	}
	pctx, cancel := context.WithCancel(context.Background())
	sub := &subscription{
		s: s, prefix: streamPrefix, last: from, giveUp: giveUp,
		ctx: pctx, cancel: cancel,
		items: make(chan item, 256),
	}
	// The first subscribe is made here so that a server that refuses it
	// fails Subscribe rather than the first Next.
	first, err := sub.open(ctx)
	if err != nil {
		cancel()
		return nil, s.wrap("subscribe to $all", err)
	}
	if err := s.track(sub); err != nil {
		first.Close()
		cancel()
		return nil, err
	}
	sub.wg.Add(1)
	go sub.pump(first)
	return sub, nil
}

// item is an event, or the error that ended the subscription.
type item struct {
	ev  domain.RecordedEvent
	err error
}

type subscription struct {
	s      *Store
	prefix string
	giveUp time.Duration

	ctx    context.Context // ends the pump
	cancel context.CancelFunc
	wg     sync.WaitGroup
	items  chan item
	once   sync.Once

	// last is the position after which a new subscription starts: that
	// of the last event the server sent (queued, or left out as a system
	// event), or from. Only the pump uses it.
	last domain.Position

	failed error // set once Next has returned the pump's final error
}

func (u *subscription) filter() *client.SubscriptionFilter {
	if u.prefix == "" {
		return &client.SubscriptionFilter{Type: client.StreamFilterType, Regex: `^[^\$]`}
	}
	return &client.SubscriptionFilter{Type: client.StreamFilterType, Prefixes: []string{u.prefix}}
}

// open subscribes from u.last.
func (u *subscription) open(ctx context.Context) (*client.Subscription, error) {
	opts := client.SubscribeToAllOptions{
		From:               client.Start{},
		Filter:             u.filter(),
		CheckpointInterval: checkpointMultiplier,
	}
	if !u.last.IsZero() {
		opts.From = client.Position{Commit: u.last.Commit, Prepare: u.last.Prepare}
	}
	var sub *client.Subscription
	err := u.s.do(ctx, func(_ context.Context, cl *client.Client) error {
		// The subscription outlives the call: it runs on the pump's
		// context, not the per-call one.
		var err error
		sub, err = cl.SubscribeToAll(u.s.leaderCtx(u.ctx), opts)
		return err
	})
	return sub, err
}

// pump receives from the server and queues events until the subscription
// is closed, subscribing again after a drop.
func (u *subscription) pump(sub *client.Subscription) {
	defer u.wg.Done()
	for {
		err := u.drain(sub)
		sub.Close()
		if u.ctx.Err() != nil {
			return
		}
		if u.s.isClosed() {
			u.fail(domain.Errorf(domain.EUnavailable, "subscription ended: the EventStoreDB store was closed"))
			return
		}
		sub, err = u.reopen(err)
		if err != nil {
			u.fail(err)
			return
		}
	}
}

// drain queues the events of one server subscription until it drops.
func (u *subscription) drain(sub *client.Subscription) error {
	for {
		msg := sub.Recv()
		switch {
		case msg.SubscriptionDropped != nil:
			return msg.SubscriptionDropped.Error
		case msg.CheckPointReached != nil:
			// Ignored on purpose; see Subscribe.
		case msg.EventAppeared != nil:
			e := fromClient(msg.EventAppeared)
			if !u.last.Less(e.Position) && !u.last.IsZero() {
				continue // at or before the resume point: already queued
			}
			u.last = e.Position
			if isSystem(e.Stream, e.Type) || reserved(e.Stream) || !strings.HasPrefix(e.Stream, u.prefix) {
				continue
			}
			select {
			case u.items <- item{ev: e}:
			case <-u.ctx.Done():
				return u.ctx.Err()
			}
		}
	}
}

// reopen subscribes again after a drop, with growing pauses, until it
// works, the subscription is closed, or giveUp has passed.
func (u *subscription) reopen(cause error) (*client.Subscription, error) {
	deadline := time.Now().Add(u.giveUp)
	pause := 50 * time.Millisecond
	for {
		select {
		case <-u.ctx.Done():
			return nil, u.ctx.Err()
		case <-time.After(pause):
		}
		sub, err := u.open(u.ctx)
		if err == nil {
			return sub, nil
		}
		cause = err
		if !transient(err) || time.Now().After(deadline) {
			return nil, u.s.wrap(fmt.Sprintf("subscription to $all dropped and could not resume from %s", u.last), cause)
		}
		pause = min(2*pause, 2*time.Second)
	}
}

func (u *subscription) fail(err error) {
	select {
	case u.items <- item{err: err}:
	case <-u.ctx.Done():
	}
}

// Next implements domain.Subscription.
func (u *subscription) Next(ctx context.Context) (domain.RecordedEvent, error) {
	if u.failed != nil {
		return domain.RecordedEvent{}, u.failed
	}
	select {
	case it := <-u.items:
		if it.err != nil {
			u.failed = it.err
			return domain.RecordedEvent{}, it.err
		}
		return it.ev, nil
	case <-ctx.Done():
		return domain.RecordedEvent{}, ctx.Err()
	case <-u.ctx.Done():
		return domain.RecordedEvent{}, domain.Errorf(domain.EUnavailable, "subscription closed")
	}
}

// Close implements domain.Subscription. It stops the server subscription
// and waits for the receiving goroutine to end.
func (u *subscription) Close() error {
	u.once.Do(func() {
		u.cancel()
		u.wg.Wait()
		u.s.untrack(u)
	})
	return nil
}
