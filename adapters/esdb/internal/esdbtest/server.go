// Package esdbtest is an in-process TEST server that speaks EventStoreDB's
// gRPC protocol, for the EventStoreDB adapter's tests and the store
// contract suite. It is never offered as a store.
//
// It serves the generated service definitions shipped inside the official
// client module (github.com/EventStore/EventStore-Client-Go/v4/protos) and
// implements the documented semantics of the RPCs the adapter uses:
//
//   - ServerFeatures.GetSupportedMethods, which the client calls on connect;
//   - Streams.Append: expected revision any / no-stream / stream-exists /
//     exact, the wrong-expected-version reply carrying the current and the
//     expected revision, idempotent repeats by event id;
//   - Streams.Read: stream reads forwards and backwards, stream-not-found as
//     a read response, $all reads by commit/prepare position, and catch-up
//     subscriptions to a stream or to $all, filtered by stream name or
//     event type (prefixes or a regular expression), with checkpoints every
//     search window times checkpoint multiplier events scanned, and a
//     caught-up message when the catch-up phase ends.
//
// What it does not do: persistence (the log lives in memory and survives
// Stop/Restart only), clustering and gossip, deletes and tombstones, stream
// metadata and ACLs, projections, persistent subscriptions, BatchAppend,
// link resolution. Every other RPC answers Unimplemented. It listens on
// 127.0.0.1 only.
package esdbtest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"fmt"
	"math/big"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	features "github.com/EventStore/EventStore-Client-Go/v4/protos/serverfeatures"
	"github.com/EventStore/EventStore-Client-Go/v4/protos/shared"
	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Version is the server version the test server reports to clients.
const Version = "24.10.0"

// Options configure a test server.
type Options struct {
	// TLS serves TLS with a freshly generated self-signed certificate for
	// 127.0.0.1. The client must then skip certificate verification
	// (URL does this) since no CA signs it.
	TLS bool

	// Username and Password, when set, are required (HTTP basic
	// authorization, as the client sends them) on every Streams call:
	// wrong credentials answer Unauthenticated, missing ones
	// PermissionDenied. The client only sends credentials over TLS, so
	// these imply TLS.
	Username, Password string

	// NoSystemEvents leaves out the system event ($settings) the server
	// otherwise writes first, as a fresh database does.
	NoSystemEvents bool

	// Now returns the time events are stamped with; time.Now if nil.
	Now func() time.Time

	// MaxAppendSize is the most bytes one append may carry, counted as
	// the server's Event.SizeOnDisk does since 24.10.4: data + custom
	// metadata + the type's UTF-16 length times 2, for every event; 0
	// means 1 048 576, the server's default. A larger append is refused with InvalidArgument "Maximum
	// Append Size of N Exceeded" and writes nothing.
	MaxAppendSize int

	// RefuseMidStream refuses an append over MaxAppendSize as soon as the
	// message that passes it is read, as a real server does, instead of
	// after reading the whole append; the client may then see a bare EOF
	// on its next send rather than the status.
	RefuseMidStream bool

	// AppendDelay, if set, returns how long an append to a stream waits
	// before it is applied (a slow server or disk), to test timeouts and
	// concurrency.
	AppendDelay func(stream string) time.Duration

	// LeaderAddr, if set, makes this server a follower of the server at
	// that host:port: a call that carries the "requires-leader: true"
	// header is refused with the not-leader exception naming the leader
	// (trailers exception, leader-endpoint-host, leader-endpoint-port), as
	// a real follower does; a call without it is served here (on a real
	// cluster a write would be forwarded to the leader and a read could
	// lag behind it).
	LeaderAddr string

	// DenyAllRead refuses reads of $all (and subscriptions to it) with
	// PermissionDenied "Access denied", as a real server does for a user
	// who is not in $admins or $ops under the default ACL.
	DenyAllRead bool

	// Checkpoints chooses the checkpoints a filtered $all subscription
	// gets: the real-shaped ones only (the zero value), or those plus one
	// of the faulty patterns real servers have sent.
	Checkpoints CheckpointMode
}

// CheckpointMode is a pattern of checkpoints sent to a filtered $all
// subscription. Every mode also sends the periodic real-shaped checkpoint
// (every filter interval of events scanned, at the next record's position
// with prepare 0).
type CheckpointMode int

const (
	// CheckpointsReal sends the periodic checkpoints only.
	CheckpointsReal CheckpointMode = iota
	// CheckpointsAtEndOfLog also sends, every time the subscription has
	// sent all there is, a checkpoint at the end of the log (end, end):
	// the position the next event is written at (KurrentDB #4970, in
	// 24.10.4 and 25.0: an empty page read checkpoints at the end of the
	// log).
	CheckpointsAtEndOfLog
	// CheckpointsAheadOfEvents also sends, before the events written while
	// the subscription is live, a checkpoint at the end of the log, past
	// those events (#4970: checkpoints ahead of undelivered events).
	CheckpointsAheadOfEvents
	// CheckpointsGoingLive also sends, before the last page of the
	// catch-up, an extra checkpoint at the end of the log (the extra
	// going-live checkpoint of servers before #4023/#4035).
	CheckpointsGoingLive
	// CheckpointsRepeatedLive also sends, once live, one checkpoint at the
	// live position and then the same one again after every live event,
	// behind the events already sent (22.10, #3697).
	CheckpointsRepeatedLive
)

// String names the mode for test output.
func (m CheckpointMode) String() string {
	switch m {
	case CheckpointsReal:
		return "real"
	case CheckpointsAtEndOfLog:
		return "at-end-of-log"
	case CheckpointsAheadOfEvents:
		return "ahead-of-events"
	case CheckpointsGoingLive:
		return "going-live"
	case CheckpointsRepeatedLive:
		return "repeated-live"
	}
	return fmt.Sprintf("mode-%d", int(m))
}

// Server is a running (or stopped) test server. Its event log lives in
// memory and survives Stop and Restart, so tests can drop every client
// connection and bring the same server back on the same port.
type Server struct {
	opts Options
	cert tls.Certificate

	mu      sync.Mutex
	log     []record
	streams map[string][]int // stream -> indexes into log
	next    uint64           // log offset of the next record
	changed chan struct{}    // closed and replaced on every write

	lmu  sync.Mutex // guards the listener state below
	addr string
	gs   *grpc.Server
	done chan struct{}

	appends   atomic.Int64
	leaderReq atomic.Int64
	inFlight  atomic.Int64
	maxFlight atomic.Int64
	subSeq    atomic.Int64
	liveSubs  atomic.Int64
	connected atomic.Int64
}

// Start starts a test server on 127.0.0.1 and a free port.
func Start(opts Options) (*Server, error) {
	if opts.Username != "" || opts.Password != "" {
		opts.TLS = true
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxAppendSize <= 0 {
		opts.MaxAppendSize = 1 << 20
	}
	s := &Server{opts: opts, streams: map[string][]int{}, next: firstPosition, changed: make(chan struct{})}
	if opts.TLS {
		cert, err := selfSigned()
		if err != nil {
			return nil, fmt.Errorf("esdbtest: certificate: %w", err)
		}
		s.cert = cert
	}
	if !opts.NoSystemEvents {
		s.mu.Lock()
		s.appendLocked("$settings", expectation{kind: expectAny}, []proposed{{
			id: newID(), typ: "$settings", contentType: "application/json",
			data: []byte(`{"$userStreamAcl":{"$r":"$all","$w":"$all"}}`),
		}}, ticks(opts.Now()))
		s.mu.Unlock()
	}
	if err := s.listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *Server) listen(addr string) error {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("esdbtest: listen on %s: %w", addr, err)
	}
	opts := []grpc.ServerOption{
		// The client pings every 10 s even without streams; a default
		// server would answer "too many pings" and drop it.
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{MinTime: time.Second, PermitWithoutStream: true}),
		grpc.MaxRecvMsgSize(17 * 1024 * 1024),
	}
	if s.opts.TLS {
		opts = append(opts, grpc.Creds(credentials.NewServerTLSFromCert(&s.cert)))
	}
	gs := grpc.NewServer(opts...)
	api.RegisterStreamsServer(gs, &streamsService{s: s})
	features.RegisterServerFeaturesServer(gs, &featuresService{s: s})
	done := make(chan struct{})
	s.lmu.Lock()
	s.addr, s.gs, s.done = lis.Addr().String(), gs, done
	s.lmu.Unlock()
	go func() {
		defer close(done)
		_ = gs.Serve(lis)
	}()
	return nil
}

// Addr returns host:port the server listens (or listened) on.
func (s *Server) Addr() string {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	return s.addr
}

// URL returns a connection string for the official client: tls=false for a
// plain server; for a TLS server, certificate verification off and the
// configured credentials, if any. A short discovery budget keeps tests
// that reach a stopped server quick.
func (s *Server) URL() string {
	user := ""
	if s.opts.Username != "" {
		user = s.opts.Username + ":" + s.opts.Password + "@"
	}
	return s.URLWithCredentials(user)
}

// URLWithCredentials is URL with "user:password@" (or "") of the caller's
// choosing, to test refused credentials.
func (s *Server) URLWithCredentials(userinfo string) string {
	q := "tls=false"
	if s.opts.TLS {
		q = "tls=true&tlsVerifyCert=false"
	}
	return fmt.Sprintf("esdb://%s%s?%s&maxDiscoverAttempts=3&discoveryInterval=50&gossipTimeout=2", userinfo, s.Addr(), q)
}

// Stop closes the listener and every connection, ending every call in
// flight (subscriptions see their stream fail). The log is kept.
func (s *Server) Stop() {
	s.lmu.Lock()
	gs, done := s.gs, s.done
	s.gs = nil
	s.lmu.Unlock()
	if gs == nil {
		return
	}
	gs.Stop()
	<-done
}

// Restart serves the kept log again on the same address.
func (s *Server) Restart() error {
	s.lmu.Lock()
	running, addr := s.gs != nil, s.addr
	s.lmu.Unlock()
	if running {
		return fmt.Errorf("esdbtest: restart: server on %s is running", addr)
	}
	var err error
	for range 50 { // the port may take a moment to be free again
		if err = s.listen(addr); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return err
}

// Close stops the server for good.
func (s *Server) Close() { s.Stop() }

// Appends returns how many Append calls the server answered with success
// or wrong-expected-version.
func (s *Server) Appends() int64 { return s.appends.Load() }

// RequiresLeaderCalls returns how many Streams calls carried the
// "requires-leader: true" header.
func (s *Server) RequiresLeaderCalls() int64 { return s.leaderReq.Load() }

// MaxConcurrentAppends returns the most appends the server was applying at
// once (between their last message and their answer).
func (s *Server) MaxConcurrentAppends() int64 { return s.maxFlight.Load() }

// LiveSubscriptions returns how many subscriptions are being served.
func (s *Server) LiveSubscriptions() int64 { return s.liveSubs.Load() }

// EventCount returns the number of events in the log, system events
// included.
func (s *Server) EventCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

// authorize checks the credentials of a call, when the server has any.
func (s *Server) authorize(ctx context.Context) error {
	if s.opts.Username == "" && s.opts.Password == "" {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return status.Error(codes.PermissionDenied, "Access denied")
	}
	raw, ok := strings.CutPrefix(vals[0], "Basic ")
	if !ok {
		return status.Error(codes.Unauthenticated, "Bad authorization scheme")
	}
	dec, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || string(dec) != s.opts.Username+":"+s.opts.Password {
		return status.Error(codes.Unauthenticated, "Bad username or password")
	}
	return nil
}

// checkLeader notes a call's requires-leader header and, on a follower,
// refuses such a call with the not-leader exception.
func (s *Server) checkLeader(ctx context.Context, setTrailer func(metadata.MD)) error {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("requires-leader")
	if len(vals) == 0 || vals[0] != "true" {
		return nil
	}
	s.leaderReq.Add(1)
	if s.opts.LeaderAddr == "" {
		return nil
	}
	host, port, err := net.SplitHostPort(s.opts.LeaderAddr)
	if err != nil {
		return status.Errorf(codes.Internal, "esdbtest: leader address %q: %v", s.opts.LeaderAddr, err)
	}
	setTrailer(metadata.Pairs("exception", "not-leader", "leader-endpoint-host", host, "leader-endpoint-port", port))
	return status.Error(codes.NotFound, "Leader info available")
}

// featuresService answers the client's connect-time probe.
type featuresService struct {
	features.UnimplementedServerFeaturesServer
	s *Server
}

// GetSupportedMethods lists the methods the test server implements.
func (f *featuresService) GetSupportedMethods(context.Context, *shared.Empty) (*features.SupportedMethods, error) {
	f.s.connected.Add(1)
	const svc = "event_store.client.streams.streams"
	return &features.SupportedMethods{
		EventStoreServerVersion: Version,
		Methods: []*features.SupportedMethod{
			{ServiceName: svc, MethodName: "read"},
			{ServiceName: svc, MethodName: "append"},
		},
	}, nil
}

// selfSigned makes a certificate for 127.0.0.1 valid for a day.
func selfSigned() (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "esdbtest"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, err
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// ticks converts a time to .NET ticks (100 ns) since the Unix epoch, the
// unit of the "created" system metadata.
func ticks(t time.Time) int64 { return t.UnixNano() / 100 }
