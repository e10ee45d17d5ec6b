package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/grantledger/grantledger/adapters/checkpoints"
	"github.com/grantledger/grantledger/adapters/httpapi"
	"github.com/grantledger/grantledger/adapters/metrics"
	rpt "github.com/grantledger/grantledger/adapters/report"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/adapters/web"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/readmodel"
	"github.com/grantledger/grantledger/cmd/internal/wiring"
)

// defaultTokens is the token file of older versions when neither --tokens
// nor GRANTLEDGER_TOKENS says otherwise. Tokens now live in the ledger;
// such a file is moved in on first start (toks.Tokens.MoveIn).
const defaultTokens = "./grantledger-tokens.json"

// tokenFileWaiting reports whether a token file of an older version is
// still at path, not yet moved into the ledger.
func tokenFileWaiting(path string) (bool, error) {
	_, err := os.Stat(path)
	return err == nil, err
}

func (a *app) tokensPath(flagValue string) string {
	switch {
	case flagValue != "":
		return flagValue
	case a.getenv("GRANTLEDGER_TOKENS") != "":
		return a.getenv("GRANTLEDGER_TOKENS")
	}
	return defaultTokens
}

func cmdServe(ctx context.Context, a *app, args []string) error {
	fs := a.flags("serve", "", `
Serves the HTTP API (docs/SERVER.md): commands, reports, verify, tokens,
/healthz, /readyz, /metrics and /openapi.json, and the web pages
(docs/WEB.md; open / in a browser and sign in with a token). Every request but those four
needs a bearer token from 'grantledger token create'. Stops gracefully on
SIGTERM or Ctrl-C: no new connections, in-flight commands finish, and every
acknowledged command is durable.`)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	tokens := fs.String("tokens", "", "token file of an older version, moved into the ledger on first start (default $GRANTLEDGER_TOKENS, else "+defaultTokens+")")
	cert := fs.String("tls-cert", "", "TLS certificate file (with --tls-key: serve HTTPS)")
	key := fs.String("tls-key", "", "TLS private key file")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of one request")
	grace := fs.Duration("shutdown-grace", 30*time.Second, "how long shutdown waits for in-flight requests")
	maxBody := fs.Int64("max-body", 1<<20, "largest command body in bytes")
	maxBatch := fs.Int("max-batch", 1000, "most commands in one batch request")
	group := fs.Int("group-commit", 256, "most concurrent appends that share one durable commit (1: each commits alone)")
	cacheEvents := cacheEventsFlag(fs)
	cacheEncoded := cacheEncodedFlag(fs)
	logFormat := fs.String("log", "json", "log format on stderr: json or text")
	lang := fs.String("lang", defaultLang(), "default language of the web pages and of the API's CSV/XLSX/Markdown/HTML reports (?lang= chooses per request): en or lv (default: $"+langEnv+", else en)")
	allowBroken := fs.Bool("allow-broken-chain", false, "start even when verify finds a broken hash chain (reads only what is intact)")
	metricsAddr := fs.String("metrics-addr", defaultMetricsAddr, "separate address serving /metrics without authentication ('off': none); keep it loopback or firewalled")
	metricsTokenFile := fs.String("metrics-token-file", "", "file holding a secret (mode 0600): /metrics on --addr then answers 'Authorization: Bearer <secret>'")
	publicURL := fs.String("public-url", "", "the URL people reach the server at, e.g. https://ledger.example behind a TLS proxy: https turns on HSTS and Secure __Host- cookies")
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("serve takes no arguments")
	}
	if err := checkCacheEvents(*cacheEvents); err != nil {
		return err
	}
	encoded, err := encodedBytes(*cacheEncoded)
	if err != nil {
		return err
	}
	l, err := parseLang(*lang)
	if err != nil {
		return err
	}
	metricsToken, err := readMetricsToken(*metricsTokenFile)
	if err != nil {
		return err
	}
	var handler slog.Handler
	switch *logFormat {
	case "json":
		handler = slog.NewJSONHandler(a.stderr, nil)
	case "text":
		handler = slog.NewTextHandler(a.stderr, nil)
	default:
		return usagef("--log %q: json or text", *logFormat)
	}
	log := slog.New(handler)
	defer tuneGCWhileRunning()() // gctune.go: fewer collections while the heap is small
	a.mayCreate = true           // serve appends the commands it is sent
	a.serving = true             // checkpoints by load (docs/STORAGE.md)
	raw, err := a.open(ctx)
	if err != nil {
		return err
	}
	// The one read model of the process (wiring.Main.Reads), with the one
	// clock: the API, the web pages and the token store's organisation
	// check read through it. JSON reports and the pages name the log state
	// they come from, signed as a checkpoint when there is a key
	// (docs/PROOFS.md). Every store keeps the log (EventStoreDB in a local
	// cache).
	signer, err := a.signingKey("")
	if err != nil {
		return err // the app closes raw
	}
	m := metrics.New()
	wired := wiring.New(wiring.Config{Store: raw, Metrics: m, GroupCommit: *group,
		Command: command.Options{Clock: a.now, Warn: func(m string) { log.Warn(m) }, MaxCachedEvents: *cacheEvents, MaxSpilledBytes: encoded},
		Reads:   readmodel.ServiceOptions{Clock: a.now, Log: raw, Sealer: raw, Signer: signer},
		OnFold:  testOnFold})
	store, reads := wired.Store, wired.Reads
	a.store, a.wired = wired.Store, wired // closing the app closes what is wired, the committer, then the store
	tok, err := toks.OpenTokenStore(ctx, store, toks.TokenOptions{Now: a.now, Orgs: reads.Organisations})
	if err != nil {
		return err
	}
	legacy := a.tokensPath(*tokens)
	if n, err := tok.MoveIn(ctx, legacy, "grantledger serve (moved in)"); err != nil {
		return errorf("serve: %w", err)
	} else if n > 0 {
		log.Warn("moved the tokens of the token file into the ledger; the file was renamed and is no longer read", "tokens", n, "file", legacy, "renamed", legacy+toks.MovedSuffix, "ledger", a.spec())
	} else if waiting, _ := tokenFileWaiting(legacy); waiting {
		log.Warn("the token file is ignored: the ledger already holds tokens (manage them with 'grantledger token')", "file", legacy)
	}
	if len(tok.List()) == 0 {
		log.Warn("no tokens: every request but /healthz, /readyz, /metrics and /openapi.json will be refused; create one with 'grantledger token create'", "ledger", a.spec())
	}
	ver, err := reads.Verify(ctx)
	if err != nil {
		return errorf("serve: verify at start: %w", err)
	}
	if !ver.OK {
		b := ver.Breaks[0]
		msg := fmt.Sprintf("the ledger's hash chain is broken at %s revision %d (event %s): %s", b.Stream, b.Revision, b.EventID, b.Problem)
		if !*allowBroken {
			return exitf(exitTampered, "the ledger's hash chain is broken at %s revision %d (event %s): %s; refusing to serve (run 'grantledger verify'; --allow-broken-chain serves anyway)", b.Stream, b.Revision, b.EventID, b.Problem)
		}
		log.Error("serving a broken ledger because --allow-broken-chain was given", "problem", msg)
	}
	// The Merkle log, every leaf (serve folds every event at start).
	if _, err := a.checkReads(ctx, raw, &merkle.Verified{}); err != nil {
		if !*allowBroken {
			return errorf("serve: refusing to start: %w", err)
		}
		log.Error("serving a ledger whose Merkle log is broken because --allow-broken-chain was given", "problem", err.Error())
	}
	svc := wired.Measured
	pages, err := web.New(web.Config{Ledger: svc, Reads: reads, Tokens: tok, Files: rpt.Files{}, Logger: log, Now: a.now, Lang: l,
		Secure: strings.HasPrefix(strings.ToLower(*publicURL), "https://")})
	if err != nil {
		return err
	}
	policy, err := a.checkpointPolicy(raw)
	if err != nil {
		return err
	}
	if policy != nil {
		go policy.follow(ctx, log)
	}
	srv, err := httpapi.New(httpapi.Config{
		Ledger: svc, Reports: reads, Tokens: tok, Store: store, Web: pages,
		Proofs:   &checkpoints.Service{Store: raw, Signer: signer, Dir: a.getenv("GRANTLEDGER_CHECKPOINT_DIR"), Now: a.now},
		Renderer: rpt.Renderer{Lang: l}, Metrics: m.Handler(), Observer: m, Commands: m, Logger: log,
		MaxBodyBytes: *maxBody, MaxBatch: *maxBatch, RequestTimeout: *timeout, ShutdownGrace: *grace,
		TLSCertFile: *cert, TLSKeyFile: *key, MetricsToken: metricsToken, PublicURL: *publicURL,
	})
	if err != nil {
		return usagef("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return errorf("serve: %w", err)
	}
	if *metricsAddr != "" && *metricsAddr != "off" {
		stop, err := serveMetrics(*metricsAddr, srv.MetricsHandler(), log)
		if err != nil {
			// The API still serves; only the scrape address is missing.
			log.Error("metrics: cannot listen; /metrics is not served on a separate address", "metrics_addr", *metricsAddr, "error", err.Error())
		} else {
			wired.OnClose(func() error { stop(); return nil })
		}
	}
	return srv.Serve(ctx, ln)
}

// defaultMetricsAddr is where /metrics is served when --metrics-addr is
// not given: loopback only, the port Prometheus exporters often use.
const defaultMetricsAddr = "127.0.0.1:9464"

// serveMetrics serves h on addr until stop is called.
func serveMetrics(addr string, h http.Handler, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	if host, _, _ := net.SplitHostPort(ln.Addr().String()); !net.ParseIP(host).IsLoopback() {
		log.Warn("metrics: /metrics is served without authentication on a non-loopback address; firewall it", "metrics_addr", ln.Addr().String())
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second}
	go hs.Serve(ln)
	log.Info("metrics listening", "metrics_addr", ln.Addr().String())
	return func() { hs.Close() }, nil
}

// readMetricsToken reads the metrics bearer secret from a file only its
// owner may read.
func readMetricsToken(path string) (string, error) {
	if path == "" {
		return "", nil
	}
	st, err := os.Stat(path)
	if err != nil {
		return "", errorf("--metrics-token-file: %w", err)
	}
	if st.Mode().Perm()&0o077 != 0 {
		return "", errorf("--metrics-token-file %s: mode %04o lets others read it; run chmod 600 %s", path, st.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", errorf("--metrics-token-file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if len(tok) < 16 {
		return "", errorf("--metrics-token-file %s: the secret must be at least 16 characters", path)
	}
	return tok, nil
}

// cacheEventsFlag is --cache-events of serve and load: the bound of the
// command service's cached agreement states (command.Options.MaxCachedEvents).
func cacheEventsFlag(fs *flag.FlagSet) *int64 {
	return fs.Int64("cache-events", command.DefaultMaxCachedEvents, "most events held in the cached agreement states, the bound of their memory (about 250 bytes an event): past it the states used longest ago are dropped, kept encoded while --cache-encoded-mb allows, and read back when next needed (-1: no bound)")
}

// cacheEncodedFlag is --cache-encoded-mb of serve and load: the bound of
// the dropped agreement states kept encoded (command.Options.MaxSpilledBytes).
func cacheEncodedFlag(fs *flag.FlagSet) *int64 {
	return fs.Int64("cache-encoded-mb", command.DefaultMaxSpilledBytes>>20, "MiB for the agreement states dropped past --cache-events, kept encoded (at most 100 bytes an event against 250 cached): the next command on such an agreement decodes its state instead of reading its stream from the ledger (0: none kept)")
}

// encodedBytes checks --cache-encoded-mb and turns it into
// command.Options.MaxSpilledBytes (0 MiB: none kept, -1).
func encodedBytes(mb int64) (int64, error) {
	if mb < 0 || mb > 1<<20 {
		return 0, usagef("--cache-encoded-mb %d: from 0 (none kept) to 1048576", mb)
	}
	if mb == 0 {
		return -1, nil
	}
	return mb << 20, nil
}

// checkCacheEvents refuses a --cache-events that is neither positive nor -1.
func checkCacheEvents(n int64) error {
	if n < 1 && n != -1 {
		return usagef("--cache-events %d: at least 1, or -1 for no bound", n)
	}
	return nil
}
