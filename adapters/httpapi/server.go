// Package httpapi is grantledger's HTTP API: commands (one or a batch),
// reports, verify, token administration, health, readiness, metrics and the
// OpenAPI document. Every request but the operational ones carries a bearer
// token; the token's role and scope decide what it may do, and the token's
// holder is the actor written into every event. Errors are
// application/problem+json (RFC 9457), their status taken from one table
// (statusByCode).
package httpapi

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/wire"
	"github.com/grantledger/grantledger/domain"
)

// Observer receives one observation per HTTP request; metrics.Metrics is one.
type Observer interface {
	ObserveHTTP(route, method string, status int, d time.Duration)
}

// CommandObserver counts commands the server refuses before they reach
// the Ledger (malformed, forbidden, unknown agreement); metrics.Metrics is
// one. Commands that reach the Ledger are counted by its decorator.
type CommandObserver interface {
	CountCommand(typ, outcome string)
}

// Config configures a Server. Ledger, Reports and Tokens are required.
type Config struct {
	Ledger  command.Handler // the command service (*command.Service, or a decorator such as metrics.Service)
	Reports Reports
	Tokens  Tokens
	Store   domain.EventStore // for /readyz; nil skips the store check
	Proofs  Proofs            // checkpoints and proofs of the Merkle log; nil answers 503

	Renderer Renderer        // CSV, XLSX, ... for reports; nil serves JSON only
	Metrics  http.Handler    // served at /metrics (see MetricsToken and MetricsHandler); nil serves 404
	Web      http.Handler    // web pages, served for every path outside the API's routes; nil: none
	Observer Observer        // nil observes nothing
	Commands CommandObserver // nil counts nothing
	Logger   *slog.Logger    // nil discards

	MaxBodyBytes   int64         // one command; default wire.MaxEnvelopeBytes
	MaxBatchBytes  int64         // one batch; default 16 MiB
	MaxBatch       int           // commands in one batch; default 1000
	RequestTimeout time.Duration // per request; default 30s
	ReadyTimeout   time.Duration // bound on the readiness checks; default 2s
	ShutdownGrace  time.Duration // how long shutdown waits for in-flight requests; default 30s
	TLSCertFile    string        // both set: serve HTTPS
	TLSKeyFile     string

	// MetricsToken, when set, lets /metrics on the API's address answer a
	// request bearing exactly this token (API tokens do not count). When
	// empty, /metrics is not served on the API's address; MetricsHandler
	// serves it on a separate listener.
	MetricsToken string
	// PublicURL is the address people reach the server at (e.g.
	// https://ledger.example, behind a TLS proxy). An https URL makes the
	// responses carry HSTS and the web cookies Secure even when the proxy
	// talks plain HTTP to this process.
	PublicURL string
}

// Server is the HTTP API.
type Server struct {
	cfg      Config
	log      *slog.Logger
	mux      *http.ServeMux
	routes   []route
	stopping atomic.Bool
	orgs     sync.Map // agreement number -> [2]string{funder, grantee}
	inflight atomic.Int64
	// httpsOutside: people reach the server over HTTPS (PublicURL), even
	// if a proxy speaks plain HTTP to it.
	httpsOutside bool
}

// New returns a Server; it does not listen until Serve.
func New(cfg Config) (*Server, error) {
	if cfg.Ledger == nil || cfg.Reports == nil || cfg.Tokens == nil {
		return nil, errors.New("httpapi: Ledger, Reports and Tokens are required")
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = wire.MaxEnvelopeBytes
	}
	if cfg.MaxBatchBytes <= 0 {
		cfg.MaxBatchBytes = 16 << 20
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 1000
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = 30 * time.Second
	}
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 2 * time.Second
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 30 * time.Second
	}
	if (cfg.TLSCertFile == "") != (cfg.TLSKeyFile == "") {
		return nil, errors.New("httpapi: TLS needs both a certificate and a key file")
	}
	httpsOutside := false
	if cfg.PublicURL != "" {
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return nil, fmt.Errorf("httpapi: public URL %q: give an absolute http:// or https:// URL", cfg.PublicURL)
		}
		httpsOutside = u.Scheme == "https"
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{cfg: cfg, log: log, mux: http.NewServeMux(), httpsOutside: httpsOutside}
	s.routes = s.routeTable()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.endpoint(rt))
	}
	return s, nil
}

// Handler returns the server's handler, with request ids, logging,
// metrics, time-outs and panic recovery around every route.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// Serve answers requests on ln until ctx is done, then shuts down
// gracefully: it stops accepting, lets in-flight requests finish (a command
// is acknowledged only after its events are durably appended, so none that
// was acknowledged is lost) and returns. It returns nil after a clean
// shutdown.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.RequestTimeout,
		WriteTimeout:      s.cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	tlsOn := s.cfg.TLSCertFile != ""
	if tlsOn {
		hs.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		if tlsOn {
			err = hs.ServeTLS(ln, s.cfg.TLSCertFile, s.cfg.TLSKeyFile)
		} else {
			err = hs.Serve(ln)
		}
		errc <- err
	}()
	s.log.Info("listening", "addr", ln.Addr().String(), "tls", tlsOn)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	s.stopping.Store(true)
	s.log.Info("shutting down: no new connections; waiting for in-flight requests", "in_flight", s.inflight.Load(), "grace", s.cfg.ShutdownGrace.String())
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		hs.Close()
		return fmt.Errorf("shutdown: %d requests still running after %s: %w", s.inflight.Load(), s.cfg.ShutdownGrace, err)
	}
	<-errc // http.ErrServerClosed
	s.log.Info("stopped cleanly")
	return nil
}
