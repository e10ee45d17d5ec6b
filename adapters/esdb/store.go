// Package esdb is grantledger's EventStoreDB (KurrentDB) store: a
// domain.EventStore over the official gRPC client
// github.com/EventStore/EventStore-Client-Go/v4.
//
// Streams, revisions, event ids and types map one to one. Event data is
// stored with content type JSON; grantledger's metadata JSON (actor,
// command id, hashes, schema version) is the event's custom metadata,
// byte for byte. Positions are EventStoreDB's commit/prepare positions.
// System streams and events (names starting with "$") are never returned.
// See docs/EVENTSTOREDB.md.
package esdb

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"google.golang.org/grpc/metadata"

	"github.com/grantledger/grantledger/domain"
)

// Timeouts applied when the caller's context has no deadline.
const (
	// DefaultOpenTimeout bounds Open: connecting and the first call.
	DefaultOpenTimeout = 15 * time.Second
	// DefaultCallTimeout bounds one append or one page of a read (each
	// attempt of it) unless the connection string sets defaultDeadline
	// (milliseconds), which then bounds them instead.
	DefaultCallTimeout = 30 * time.Second
	// DefaultResubscribeFor is how long a subscription keeps trying to
	// come back after its connection dropped before it reports the store
	// unavailable.
	DefaultResubscribeFor = 2 * time.Minute
)

// Store is a domain.EventStore on an EventStoreDB server or cluster. It is
// safe for concurrent use.
type Store struct {
	conf     client.Configuration
	redacted string // the connection string without its password
	server   string // the same without the adapter's own parameters: keys snapshot files

	mu     sync.Mutex
	cl     *client.Client
	closed bool
	subs   map[*subscription]struct{}

	tree treeCache // the Merkle log's hashes (merkle.go)

	// ResubscribeFor overrides DefaultResubscribeFor for subscriptions
	// opened afterwards (tests shorten it).
	ResubscribeFor time.Duration

	// MaxAppendSize is the most bytes (type + data + metadata of every
	// event) one append may carry, the server's MaxAppendSize; 0 means
	// DefaultMaxAppendSize. Open sets it from maxAppendSize= in the
	// connection string. A larger Append is refused before it is sent.
	MaxAppendSize int

	// SnapshotDir is the directory of read-model snapshot files (see
	// SaveSnapshot); "" turns snapshots off. Open sets it from
	// snapshotDir= in the connection string ("off": none), by default
	// grantledger/esdb under the user's cache directory.
	SnapshotDir string

	// BatchConcurrency bounds the appends of one AppendBatch in flight at
	// once; 0 means DefaultBatchConcurrency.
	BatchConcurrency int
}

var _ domain.EventStore = (*Store)(nil)

// Open connects to EventStoreDB at url, an esdb:// or esdb+discover://
// connection string as the official client reads it (single node, gossip
// seeds or DNS discovery; tls, tlsVerifyCert, tlsCAFile, credentials,
// nodePreference, defaultDeadline, keepAlive... as query parameters). It
// makes one call to prove the server answers and accepts the
// credentials, within ctx or DefaultOpenTimeout, and returns a
// domain.Error with code EInvalid for a malformed string or EUnavailable
// for a server it cannot use.
func Open(ctx context.Context, url string) (*Store, error) {
	redacted := redact(url)
	if !strings.HasPrefix(url, "esdb://") && !strings.HasPrefix(url, "esdb+discover://") {
		return nil, &domain.Error{Code: domain.EInvalid, Field: "store",
			Message: fmt.Sprintf("EventStoreDB connection string %q must start with esdb:// or esdb+discover://", redacted)}
	}
	url, snapDir, hasSnapDir := takeParam(url, snapshotDirParam)
	switch {
	case !hasSnapDir || snapDir == "":
		snapDir = defaultSnapshotDir()
	case snapDir == "off":
		snapDir = ""
	}
	url, maxAppend, err := takeMaxAppendSize(url)
	if err != nil {
		return nil, &domain.Error{Code: domain.EInvalid, Field: "store",
			Message: fmt.Sprintf("EventStoreDB connection string %q: %v", redacted, err)}
	}
	conf, err := client.ParseConnectionString(url)
	if err != nil {
		return nil, &domain.Error{Code: domain.EInvalid, Field: "store",
			Message: fmt.Sprintf("EventStoreDB connection string %q: %v", redacted, err)}
	}
	conf.Logger = nil // the client's own log lines would go to stderr
	if conf.DefaultDeadline == nil {
		// Without defaultDeadline the client cuts every non-streaming call
		// (appends) at 10 s of its own (options.go, configureGrpcCall), so
		// the adapter's DefaultCallTimeout would not hold.
		d := DefaultCallTimeout
		conf.DefaultDeadline = &d
	}
	s := &Store{conf: *conf, redacted: redacted, server: redact(url), MaxAppendSize: maxAppend, SnapshotDir: snapDir}
	if _, err := s.client(); err != nil {
		return nil, err
	}
	if _, has := ctx.Deadline(); !has {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultOpenTimeout)
		defer cancel()
	}
	// Discovery inside the client does not watch ctx, so the probe runs
	// aside and Open gives up when ctx does.
	probe := make(chan error, 1)
	go func() {
		_, err := s.lastRevision(ctx, "grantledger-connection-check")
		probe <- err
	}()
	select {
	case err = <-probe:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		s.Close()
		return nil, s.wrap("connect", err)
	}
	// Projections read $all, which only $admins and $ops may read under
	// the default ACL: say so now, not when the projector first reads.
	go func() { probe <- s.canReadAll(ctx) }()
	select {
	case err = <-probe:
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		s.Close()
		if code(err) == client.ErrorCodeAccessDenied {
			return nil, &domain.Error{Code: domain.EUnavailable, Err: err,
				Message: fmt.Sprintf("connect: EventStoreDB at %s does not let user %q read $all, which grantledger's reports and projections read (by default only $admins and $ops may): use an admin user, or grant the user read access to $all ($r in the $all stream's ACL)", s.redacted, s.conf.Username)}
		}
		return nil, s.wrap("read $all", err)
	}
	return s, nil
}

// canReadAll reads one event of $all, from the end backwards.
func (s *Store) canReadAll(ctx context.Context) error {
	return s.do(ctx, func(ctx context.Context, cl *client.Client) error {
		rs, err := cl.ReadAll(ctx, client.ReadAllOptions{Direction: client.Backwards, From: client.End{}}, 1)
		if err != nil {
			return err
		}
		defer rs.Close()
		if _, err := rs.Recv(); err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		return nil
	})
}

// client returns the current client, making one if the last one closed
// itself (the official client gives up for good when a rediscovery fails).
func (s *Store) client() (*client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, domain.Errorf(domain.EUnavailable, "EventStoreDB store %s is closed", s.redacted)
	}
	if s.cl == nil {
		conf := s.conf
		cl, err := client.NewClient(&conf)
		if err != nil {
			return nil, &domain.Error{Code: domain.EInvalid, Field: "store",
				Message: fmt.Sprintf("EventStoreDB connection string %q: %v", s.redacted, err)}
		}
		s.cl = cl
	}
	return s.cl, nil
}

// retire drops cl, which closed itself, if it is still the current
// client, so that the next call makes a fresh one. It is not closed again:
// the official client's Close on a client whose connection loop has ended
// can make a goroutine still reporting an error to that loop panic.
func (s *Store) retire(cl *client.Client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cl == cl {
		s.cl = nil
	}
}

// do runs op with the current client, retrying up to twice when the
// connection failed (each retry on a fresh client if the old one closed
// itself). Appends are safe to retry: their event ids make the server
// drop a repeat.
func (s *Store) do(ctx context.Context, op func(ctx context.Context, cl *client.Client) error) error {
	var err error
	for attempt := range 3 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return err
			case <-time.After(time.Duration(attempt*attempt) * 100 * time.Millisecond):
			}
		}
		var cl *client.Client
		cl, err = s.client()
		if err != nil {
			return err
		}
		// Every call, and every retry, gets its own timeout; an earlier
		// deadline of ctx still wins.
		callCtx, cancel := context.WithTimeout(s.leaderCtx(ctx), s.callTimeout())
		err = runCtx(callCtx, func() error { return op(callCtx, cl) })
		cancel()
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if code(err) == client.ErrorCodeConnectionClosed {
			s.retire(cl)
		}
	}
	return err
}

// leaderCtx adds the "requires-leader: true" header to ctx's outgoing
// gRPC metadata when the connection string asks for the leader
// (nodePreference=leader, the client's default). Client v4.2.0 means to
// send it but builds it with metadata.NewIncomingContext (esdb/options.go,
// configureGrpcCall, line 55), which gRPC never sends; it derives its call
// context from ours, so outgoing metadata set here reaches the server. A
// follower then refuses with not-leader (naming the leader, to which the
// client reconnects and do retries) instead of forwarding a write or
// answering a read from behind the leader.
func (s *Store) leaderCtx(ctx context.Context) context.Context {
	if s.conf.NodePreference != client.NodePreferenceLeader {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, "requires-leader", "true")
}

// callTimeout bounds one call: defaultDeadline from the connection
// string, else DefaultCallTimeout.
func (s *Store) callTimeout() time.Duration {
	if s.conf.DefaultDeadline != nil && *s.conf.DefaultDeadline > 0 {
		return *s.conf.DefaultDeadline
	}
	return DefaultCallTimeout
}

// runCtx runs op and returns its error, or ctx's once ctx is done. The
// official client can block an operation that fails while it is
// rediscovering the server beyond its context; the caller is not held
// up by that.
func runCtx(ctx context.Context, op func() error) error {
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close ends every subscription, then closes the connection. Calls made
// after Close fail with EUnavailable.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for u := range subs {
		u.Close()
	}
	s.mu.Lock()
	cl := s.cl
	s.cl = nil
	s.mu.Unlock()
	if cl != nil {
		cl.Close()
	}
	return nil
}

// track registers a subscription for Close, or reports the store closed.
func (s *Store) track(u *subscription) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return domain.Errorf(domain.EUnavailable, "EventStoreDB store %s is closed", s.redacted)
	}
	if s.subs == nil {
		s.subs = map[*subscription]struct{}{}
	}
	s.subs[u] = struct{}{}
	return nil
}

func (s *Store) untrack(u *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, u)
}

func (s *Store) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// code returns the client's error code of err, or ErrorCodeUnknown.
func code(err error) client.ErrorCode {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return client.ErrorCodeUnknown
}

// transient reports whether err is a failure of the connection that a
// new attempt may not meet.
func transient(err error) bool {
	switch code(err) {
	case client.ErrorUnavailable, client.ErrorCodeConnectionClosed, client.ErrorAborted:
		return true
	case client.ErrorCodeNotLeader:
		// The client has already reconnected to the leader the follower
		// named; the next attempt goes there.
		return true
	case client.ErrorCodeUnknown:
		// A request sent on a connection the server had just closed: the
		// client reports gRPC's io.EOF from Send unclassified ("could not
		// send append request header. Reason: ... EOF"). Nothing reached
		// the server; gRPC reconnects on the next call.
		return errors.Is(err, io.EOF)
	}
	return false
}

// wrap turns a client error into a domain error that says what failed and
// what to check. Errors that already are domain errors pass through.
func (s *Store) wrap(op string, err error) error {
	var de *domain.Error
	if errors.As(err, &de) || errors.Is(err, domain.ErrNotFound) || errors.Is(err, domain.ErrConcurrency) {
		return err
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded) || code(err) == client.ErrorCodeDeadlineExceeded:
		return &domain.Error{Code: domain.EUnavailable, Err: err,
			Message: fmt.Sprintf("%s: EventStoreDB at %s did not answer in time (%v)", op, s.redacted, err)}
	case errors.Is(err, context.Canceled):
		return fmt.Errorf("%s: %w", op, err)
	}
	switch code(err) {
	case client.ErrorCodeUnauthenticated:
		return &domain.Error{Code: domain.EUnavailable, Err: err,
			Message: fmt.Sprintf("%s: EventStoreDB at %s refused the credentials of user %q: check the user and password in the connection string", op, s.redacted, s.conf.Username)}
	case client.ErrorCodeAccessDenied:
		return &domain.Error{Code: domain.EUnavailable, Err: err,
			Message: fmt.Sprintf("%s: EventStoreDB at %s denied access (user %q): give the user read and write access to grantledger's streams and read access to $all", op, s.redacted, s.conf.Username)}
	case client.ErrorUnavailable, client.ErrorCodeConnectionClosed, client.ErrorAborted:
		return &domain.Error{Code: domain.EUnavailable, Err: err,
			Message: fmt.Sprintf("%s: EventStoreDB at %s is unreachable: %v (is the server running, and does tls= match its setting?)", op, s.redacted, err)}
	}
	return fmt.Errorf("%s: EventStoreDB at %s: %w", op, s.redacted, err)
}

// redact removes the password from a connection string.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if at := strings.LastIndex(raw, "@"); at >= 0 {
			if scheme := strings.Index(raw, "://"); scheme >= 0 && scheme < at {
				return raw[:scheme+3] + "***@" + raw[at+1:]
			}
		}
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	return strings.Replace(u.String(), "%2A%2A%2A", "***", 1)
}
