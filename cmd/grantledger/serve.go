package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/grantledger/grantledger/adapters/checkpoints"
	"github.com/grantledger/grantledger/adapters/httpapi"
	"github.com/grantledger/grantledger/adapters/ledger"
	"github.com/grantledger/grantledger/adapters/merkle"
	"github.com/grantledger/grantledger/adapters/metrics"
	rpt "github.com/grantledger/grantledger/adapters/report"
	"github.com/grantledger/grantledger/adapters/web"
	"github.com/grantledger/grantledger/projections"
)

// defaultTokens is the token file when neither --tokens nor
// GRANTLEDGER_TOKENS says otherwise.
const defaultTokens = "./grantledger-tokens.json"

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
	tokens := fs.String("tokens", "", "token file (default $GRANTLEDGER_TOKENS, else "+defaultTokens+")")
	cert := fs.String("tls-cert", "", "TLS certificate file (with --tls-key: serve HTTPS)")
	key := fs.String("tls-key", "", "TLS private key file")
	timeout := fs.Duration("timeout", 30*time.Second, "time limit of one request")
	grace := fs.Duration("shutdown-grace", 30*time.Second, "how long shutdown waits for in-flight requests")
	maxBody := fs.Int64("max-body", 1<<20, "largest command body in bytes")
	maxBatch := fs.Int("max-batch", 1000, "most commands in one batch request")
	group := fs.Int("group-commit", 256, "most concurrent appends that share one durable commit (1: each commits alone)")
	logFormat := fs.String("log", "json", "log format on stderr: json or text")
	lang := fs.String("lang", "en", "language of CSV/XLSX/HTML reports: en or lv")
	allowBroken := fs.Bool("allow-broken-chain", false, "start even when verify finds a broken hash chain (reads only what is intact)")
	a.noVerifyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 0 {
		return usagef("serve takes no arguments")
	}
	l, err := rpt.ParseLang(*lang)
	if err != nil {
		return usagef("--lang: %v", err)
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
	tok, err := httpapi.OpenTokens(a.tokensPath(*tokens))
	if err != nil {
		return err
	}
	if len(tok.List()) == 0 {
		log.Warn("no tokens: every request but /healthz, /readyz, /metrics and /openapi.json will be refused; create one with 'grantledger token create'", "tokens", a.tokensPath(*tokens))
	}
	raw, err := a.open(ctx)
	if err != nil {
		return err
	}
	m := metrics.New()
	var store = metrics.WrapStore(raw, m)
	if *group > 1 {
		gc := httpapi.NewGroupCommit(store, *group)
		store = gc
		a.store = gc // closing the app stops the committer, then the store
	}
	reports := httpapi.NewLiveReports(store, m)
	reports.Log, _ = raw.(merkle.Log) // JSON reports name the log state they come from
	v, err := reports.Verify(ctx)
	if err != nil {
		return fmt.Errorf("serve: verify at start: %w", err)
	}
	if ver := v.(projections.Verification); !ver.OK {
		b := ver.Breaks[0]
		msg := fmt.Sprintf("the ledger's hash chain is broken at %s revision %d (event %s): %s", b.Stream, b.Revision, b.EventID, b.Problem)
		if !*allowBroken {
			return exitError{code: exitTampered, msg: msg + "; refusing to serve (run 'grantledger verify'; --allow-broken-chain serves anyway)"}
		}
		log.Error("serving a broken ledger because --allow-broken-chain was given", "problem", msg)
	}
	// The Merkle log, every leaf (serve folds every event at start).
	if _, err := a.checkReads(ctx, raw, &merkle.Verified{}); err != nil {
		if !*allowBroken {
			return fmt.Errorf("serve: refusing to start: %w", err)
		}
		log.Error("serving a ledger whose Merkle log is broken because --allow-broken-chain was given", "problem", err.Error())
	}
	svc := metrics.WrapService(ledger.New(store, ledger.Options{Clock: a.now}), m)
	rawLog, _ := raw.(merkle.Log) // nil for EventStoreDB: pages carry no log state
	pages, err := web.New(web.Config{Ledger: svc, Store: store, Tokens: tok, Logger: log, Now: a.now, Log: rawLog})
	if err != nil {
		return err
	}
	signer, err := a.signingKey("")
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
		Ledger: svc, Reports: reports, Tokens: tok, Store: store, Web: pages,
		Proofs:   &checkpoints.Service{Store: raw, Signer: signer, Dir: a.getenv("GRANTLEDGER_CHECKPOINT_DIR"), Now: a.now},
		Renderer: httpapi.ReportRenderer{Lang: l}, Metrics: m.Handler(), Observer: m, Commands: m, Logger: log,
		MaxBodyBytes: *maxBody, MaxBatch: *maxBatch, RequestTimeout: *timeout, ShutdownGrace: *grace,
		TLSCertFile: *cert, TLSKeyFile: *key,
	})
	if err != nil {
		return usagef("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	return srv.Serve(ctx, ln)
}
