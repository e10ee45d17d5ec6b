package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/adapters/httpapi"
	"github.com/grantledger/grantledger/adapters/metrics"
	toks "github.com/grantledger/grantledger/adapters/tokens"
	"github.com/grantledger/grantledger/app/access"
	"github.com/grantledger/grantledger/app/command"
	"github.com/grantledger/grantledger/cmd/internal/wiring"
	"github.com/grantledger/grantledger/domain"
)

// loadPhase is what one phase of the load command measured.
type loadPhase struct {
	Name      string  `json:"name"`
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// OfferedPerSecond is the fixed rate an open-loop phase sends at (0
	// for a closed loop, where each client sends when its answer came).
	OfferedPerSecond float64 `json:"offered_per_second,omitempty"`
	P50Millis        float64 `json:"p50_ms"`
	P90Millis        float64 `json:"p90_ms"`
	P99Millis        float64 `json:"p99_ms"`
	P999Millis       float64 `json:"p99_9_ms"`
	MaxMillis        float64 `json:"max_ms"`
	// CPUMicros is the CPU time of the whole process (server and the
	// load's own clients) per request, in microseconds.
	CPUMicros  float64 `json:"cpu_us_per_request"`
	FirstError string  `json:"first_error,omitempty"`
}

func cmdLoad(ctx context.Context, a *app, args []string) error {
	fs := a.flags("load", "", `
A bounded load test on loopback. It registers --agreements agreements in the
chosen store, starts the HTTP API on 127.0.0.1 (group commit on), and
drives it with --clients concurrent clients recording spending on random
agreements, each acknowledged only after its commit is durable. For a
baseline it first drives a bare net/http handler that does no work, with
the same clients, in the same run. Both phases stop at --duration or
--requests, whichever comes first. Use a throw-away --db: the load writes
to it. Results: docs/PERFORMANCE.md, section "Server".

--open-loop adds phases at fixed offered rates (commands per second, or
"half" for half the rate the API phase reached): requests are sent on a
schedule whatever the answers, by at most --clients senders, and each
latency counts from the moment the schedule meant the request to be sent,
so time spent waiting behind a slow answer is counted, not hidden
(coordinated omission). Each phase lasts --duration.

--rss-every samples the memory of this process (the server and the load's
own clients, which keep every latency: 8 bytes a request) while it runs,
with the commands the API has answered so far and the rate since the
sample before; with --baseline=false and a --db holding a large ledger
it shows whether the server's memory stays bounded and its rate steady
(docs/PERFORMANCE.md, "Scale").

The Go collector runs in every phase as in serve: GOGC 400 under a memory
limit of 180 MiB, or 1.5 times the live heap when that is more; GOGC or
GOMEMLIMIT in the environment overrides both.`)
	agreements := fs.Int("agreements", 1000, "agreements to spread the spending over (1..100000)")
	clients := fs.Int("clients", 64, "concurrent clients (1..1024)")
	duration := fs.Duration("duration", 10*time.Second, "time limit of each phase (at most 10m)")
	requests := fs.Int("requests", 200000, "request limit of each phase (at most 5000000)")
	group := fs.Int("group-commit", 256, "most appends that share one durable commit")
	cacheEvents := cacheEventsFlag(fs)
	cacheEncoded := cacheEncodedFlag(fs)
	asJSON := fs.Bool("json", false, "print the result as JSON")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the server phase (client included) to this file")
	openLoop := fs.String("open-loop", "", `comma-separated offered rates for open-loop phases, commands/s or "half", e.g. half,2000`)
	rssEvery := fs.Duration("rss-every", 0, "sample this process's resident memory (server and clients) and the commands answered at this interval, from before the set-up to the end, and report the series (Linux; 0: off)")
	baseline := fs.Bool("baseline", true, "run the bare handler phase first (false: only the server phases, e.g. for a long memory run)")
	if err := parse(fs, args); err != nil {
		return err
	}
	rates, err := parseRates(*openLoop)
	if err != nil {
		return err
	}
	switch {
	case *agreements < 1 || *agreements > 100000:
		return usagef("--agreements %d: 1 to 100000", *agreements)
	case *clients < 1 || *clients > 1024:
		return usagef("--clients %d: 1 to 1024", *clients)
	case *duration <= 0 || *duration > 10*time.Minute:
		return usagef("--duration %s: more than 0, at most 10m", *duration)
	case *requests < 1 || *requests > 5000000:
		return usagef("--requests %d: 1 to 5000000", *requests)
	case *rssEvery < 0 || (*rssEvery > 0 && *rssEvery < time.Second):
		return usagef("--rss-every %s: 0 (off) or at least 1s", *rssEvery)
	}
	if err := checkCacheEvents(*cacheEvents); err != nil {
		return err
	}
	encoded, err := encodedBytes(*cacheEncoded)
	if err != nil {
		return err
	}
	// The collector as serve sets it (gctune.go), for every phase: the
	// bare handler's runs in this process too.
	defer tuneGCWhileRunning()()
	a.mayCreate = true // the load test appends
	a.serving = true   // checkpoints as serve has them (docs/STORAGE.md)
	raw, err := a.open(ctx)
	if err != nil {
		return err
	}
	m := metrics.New()
	wired := wiring.New(wiring.Config{Store: raw, Metrics: m, GroupCommit: *group, Command: command.Options{Clock: a.now, MaxCachedEvents: *cacheEvents, MaxSpilledBytes: encoded}})
	store, svc := wired.Store, wired.Service
	a.store, a.wired = wired.Store, wired // closing the app stops the committer, then the store
	answered := &countingHandler{}        // what --rss-every's samples count
	stopRSS := func() *rssSummary { return nil }
	if *rssEvery > 0 {
		stop, err := startRSSSampler(*rssEvery, a.stderr, answered.n.Load)
		if err != nil {
			return err
		}
		stopRSS = func() *rssSummary { s := stop(); return &s }
	}
	run := uuid.NewString()[:8]
	const grantee, funder = "Load NGO", "Load Ministry"
	numbers, err := loadSetup(ctx, svc, run, *agreements, funder, grantee)
	if err != nil {
		return err
	}
	tokens, _ := toks.OpenTokens("") // in memory: the load's token is thrown away
	tok, _, err := tokens.Create(access.Principal{Name: "load", Role: access.RoleGrantee, Grantee: grantee})
	if err != nil {
		return err
	}
	srv, err := httpapi.New(httpapi.Config{Ledger: answered.wrap(wired.Measured), Reports: wired.Reads, Tokens: tokens,
		Store: store, Metrics: m.Handler(), Observer: m, Commands: m,
		// JSON request logs as 'serve' writes them, thrown away: the load
		// pays for encoding them but not for a terminal.
		Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))})
	if err != nil {
		return err
	}

	// Phase 1: a bare handler that does no work.
	bare, err := serveLoopback(ctx, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	}))
	if err != nil {
		return err
	}
	body := loadBodies(numbers)
	var base loadPhase
	if *baseline {
		base = drive(ctx, "bare net/http handler", bare.url+"/v1/commands", tok, *clients, *duration, *requests, body)
	}
	bare.stop()

	// Phase 2: the API, recording spending.
	api, err := serveLoopbackWith(ctx, srv)
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(*cpuProfile)
	if err != nil {
		api.stop()
		return err
	}
	full := drive(ctx, "grantledger serve, record_spending", api.url+"/v1/commands", tok, *clients, *duration, *requests, body)
	stopProfile()
	var open []loadPhase
	for _, r := range rates {
		if r == 0 { // "half"
			r = full.PerSecond / 2
		}
		if r < 1 {
			r = 1
		}
		open = append(open, driveOpen(ctx, fmt.Sprintf("serve, open loop at %.0f/s", r), api.url+"/v1/commands", tok, *clients, r, *duration, *requests, body))
	}
	api.stop()
	rss := stopRSS()
	cache := svc.CacheStats() // the cache of agreement states over the whole run

	ratio := 0.0
	if base.PerSecond > 0 {
		ratio = full.PerSecond / base.PerSecond
	}
	if *asJSON {
		enc := json.NewEncoder(a.stdout)
		enc.SetIndent("", "  ")
		out := map[string]any{"clients": *clients, "agreements": *agreements, "baseline": base, "server": full, "ratio": ratio}
		if len(open) > 0 {
			out["open_loop"] = open
		}
		if rss != nil {
			out["rss"] = rss
		}
		out["state_cache"] = cache
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		fmt.Fprintf(a.stdout, "%d clients, %d agreements, loopback\n", *clients, *agreements)
		fmt.Fprintf(a.stdout, "%-36s %9s %7s %10s %8s %8s %8s %8s %8s %9s\n", "phase", "requests", "errors", "per second", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms", "CPU µs/req")
		phases := append([]loadPhase{base, full}, open...)
		if !*baseline {
			phases = phases[1:]
		}
		for _, p := range phases {
			fmt.Fprintf(a.stdout, "%-36s %9d %7d %10.0f %8.2f %8.2f %8.2f %8.2f %8.2f %9.0f\n", p.Name, p.Requests, p.Errors, p.PerSecond, p.P50Millis, p.P90Millis, p.P99Millis, p.P999Millis, p.MaxMillis, p.CPUMicros)
		}
		fmt.Fprintf(a.stdout, "server / bare: %.3fx\n", ratio)
		bound := "no bound"
		if cache.Limit >= 0 {
			bound = fmt.Sprintf("bound %d", cache.Limit)
		}
		kept := "none kept encoded"
		if cache.EncodedLimit >= 0 {
			kept = fmt.Sprintf("%d KiB kept encoded, bound %d MiB (--cache-encoded-mb)", cache.Encoded>>10, cache.EncodedLimit>>20)
		}
		fmt.Fprintf(a.stdout, "agreement states: %d read from the ledger whole (first uses included), %d decoded from their encoding, %d dropped; %d events held at the end, %s (--cache-events); %s\n",
			cache.Reads, cache.Restored, cache.Dropped, cache.Events, bound, kept)
		if rss != nil {
			fmt.Fprintf(a.stdout, "resident memory every %s, %d samples: first %d KB, min %d KB, max %d KB, last %d KB; max of the first half %d KB, of the second half %d KB\n",
				rss.Every, len(rss.Samples), rss.FirstKB, rss.MinKB, rss.MaxKB, rss.LastKB, rss.MaxFirstHalfKB, rss.MaxSecondHalfKB)
		}
	}
	for _, p := range append([]loadPhase{full}, open...) {
		if p.FirstError != "" {
			fmt.Fprintf(a.stderr, "%s: first error: %s\n", p.Name, p.FirstError)
		}
	}
	for _, p := range append([]loadPhase{full}, open...) {
		if p.Errors > 0 {
			return exitf(exitFailure, "%s: %d of %d commands failed", p.Name, p.Errors, p.Requests+p.Errors)
		}
	}
	return nil
}

// loadSetup registers the agreements with a plan for line L1 in year 1.
func loadSetup(ctx context.Context, svc command.Handler, run string, n int, funder, grantee string) ([]string, error) {
	y1 := domain.Period{From: domain.NewDate(2024, time.January, 1), To: domain.NewDate(2024, time.December, 31)}
	var numbers []string
	var envs []domain.Envelope
	flush := func() error {
		for i, r := range handleEnvelopes(ctx, svc, envs) {
			if r.Err != nil {
				return fmt.Errorf("load setup: %s: %w", envs[i].Type, r.Err)
			}
		}
		envs = envs[:0]
		return nil
	}
	for i := 0; i < n; i++ {
		num := fmt.Sprintf("LOAD-%s-%05d", run, i)
		numbers = append(numbers, num)
		envs = append(envs,
			domain.NewEnvelope(uuid.New(), "load setup", "", domain.RegisterAgreement{Ref: domain.Ref{Agreement: num}, Kind: domain.KindGrant,
				Title: "Load " + num, Grantee: grantee, Funder: funder, Period: y1, Years: []domain.YearSpec{{Year: 1, From: y1.From, To: y1.To}},
				Lines: []domain.LineSpec{{Line: "L1", Name: "Load line"}}}),
			domain.NewEnvelope(uuid.New(), "load setup", "", domain.PlanBudget{Ref: domain.Ref{Agreement: num}, Line: "L1", Year: 1, Amount: domain.MustMoney("100000000.00")}))
		if len(envs) >= 1000 {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	return numbers, flush()
}

// startCPUProfile starts a CPU profile into path ("" profiles nothing) and
// returns the function that stops it and closes the file.
func startCPUProfile(path string) (func(), error) {
	if path == "" {
		return func() {}, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

// loadBodies returns a function that makes the body of one record_spending
// command on a random agreement. The JSON of each agreement's command is
// encoded once; each body is a copy with a new random command id written
// over the placeholder, so that the load's own client costs little CPU
// while every request is still a new command.
func loadBodies(numbers []string) func(*rand.Rand) []byte {
	type template struct {
		b  []byte
		at int // offset of the command id's 36 characters
	}
	placeholder := uuid.Nil.String()
	tpls := make([]template, len(numbers))
	for i, n := range numbers {
		env := domain.NewEnvelope(uuid.Nil, "", "", domain.RecordSpending{Ref: domain.Ref{Agreement: n},
			Line: "L1", Year: 1, Amount: 1, Date: domain.NewDate(2024, time.March, 1), Document: "load"})
		b, _ := json.Marshal(env)
		tpls[i] = template{b: b, at: bytes.Index(b, []byte(placeholder))}
	}
	return func(rng *rand.Rand) []byte {
		t := tpls[rng.IntN(len(tpls))]
		b := append([]byte(nil), t.b...)
		var id uuid.UUID
		binary.LittleEndian.PutUint64(id[:8], rng.Uint64())
		binary.LittleEndian.PutUint64(id[8:], rng.Uint64())
		id[6] = id[6]&0x0f | 0x40 // version 4
		id[8] = id[8]&0x3f | 0x80 // RFC 4122 variant
		copy(b[t.at:], id.String())
		return b
	}
}

type loopback struct {
	url  string
	stop func()
}

// serveLoopback serves h on 127.0.0.1 with a random port.
func serveLoopback(ctx context.Context, h http.Handler) (loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return loopback{}, err
	}
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go hs.Serve(ln)
	return loopback{url: "http://" + ln.Addr().String(), stop: func() {
		sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
	}}, nil
}

// serveLoopbackWith runs the API server on 127.0.0.1 with a random port.
func serveLoopbackWith(ctx context.Context, srv *httpapi.Server) (loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return loopback{}, err
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { srv.Serve(sctx, ln); close(done) }()
	return loopback{url: "http://" + ln.Addr().String(), stop: func() { cancel(); <-done }}, nil
}

// loadClient is the HTTP client of a load phase: keep-alive connections,
// at most clients of them, each request bounded at 30 s.
func loadClient(clients int) *http.Client {
	tr := &http.Transport{MaxIdleConns: clients, MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// postCommand sends one command body with the bearer token and reads the
// whole answer: its status and body, or the error that kept it from coming.
func postCommand(ctx context.Context, client *http.Client, url, token string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, msg, nil
}

// drive sends POSTs from clients goroutines until the time or request
// budget is spent, and measures each request.
func drive(ctx context.Context, name, url, token string, clients int, limit time.Duration, budget int, body func(*rand.Rand) []byte) loadPhase {
	client := loadClient(clients)
	defer client.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var left atomic.Int64
	left.Store(int64(budget))
	var mu sync.Mutex
	var all []time.Duration
	var errs int
	var firstErr string
	var wg sync.WaitGroup
	cpu0 := processCPU()
	start := time.Now()
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, rand.Uint64())) // random per run: command ids never repeat across runs
			var lat []time.Duration
			var bad int
			var first string
			for ctx.Err() == nil && left.Add(-1) >= 0 {
				b := body(rng)
				t0 := time.Now()
				status, msg, err := postCommand(ctx, client, url, token, b)
				if err != nil {
					if ctx.Err() != nil {
						break // the time limit, not a failure
					}
					bad++
					if first == "" {
						first = err.Error()
					}
					continue
				}
				lat = append(lat, time.Since(t0))
				if status != http.StatusCreated {
					bad++
					if first == "" {
						first = fmt.Sprintf("%d %s", status, msg)
					}
				}
			}
			mu.Lock()
			all = append(all, lat...)
			errs += bad
			if firstErr == "" {
				firstErr = first
			}
			mu.Unlock()
		}(uint64(c) + 1)
	}
	wg.Wait()
	return summarise(name, all, errs, firstErr, time.Since(start), processCPU()-cpu0)
}

// summarise turns a phase's latencies into its figures. Percentiles are
// exact (every latency is kept and sorted): the p-th is the smallest
// latency that at least p of the requests did not exceed.
func summarise(name string, all []time.Duration, errs int, firstErr string, elapsed, cpu time.Duration) loadPhase {
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	pct := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(math.Ceil(p*float64(len(all)))) - 1
		i = max(0, min(i, len(all)-1))
		return float64(all[i].Microseconds()) / 1000
	}
	out := loadPhase{Name: name, Requests: len(all), Errors: errs, Seconds: elapsed.Seconds(),
		PerSecond: float64(len(all)) / elapsed.Seconds(), P50Millis: pct(0.50), P90Millis: pct(0.90), P99Millis: pct(0.99),
		P999Millis: pct(0.999), MaxMillis: pct(1), FirstError: firstErr}
	if len(all) > 0 {
		out.CPUMicros = float64(cpu.Microseconds()) / float64(len(all))
	}
	return out
}

// parseRates reads --open-loop: a comma-separated list of commands per
// second (1 to 1 000 000), or "half", returned as 0.
func parseRates(s string) ([]float64, error) {
	if s == "" {
		return nil, nil
	}
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "half" {
			out = append(out, 0)
			continue
		}
		r, err := strconv.ParseFloat(f, 64)
		if err != nil || r < 1 || r > 1_000_000 || math.IsNaN(r) {
			return nil, usagef("--open-loop: %q is not a rate from 1 to 1000000 commands/s or \"half\"", f)
		}
		out = append(out, r)
	}
	if len(out) > 8 {
		return nil, usagef("--open-loop: at most 8 rates, got %d", len(out))
	}
	return out, nil
}

// driveOpen sends POSTs at a fixed rate for limit (or budget requests,
// whichever is fewer), whatever the answers: a schedule says when each
// request is due, at most clients senders take the due requests in order,
// and each latency is measured from the request's due time, so a request
// that waited for a free sender counts the wait (no coordinated omission).
// A request not answered within limit (at least 30 s) after the schedule
// ended counts as an error.
func driveOpen(ctx context.Context, name, url, token string, clients int, rate float64, limit time.Duration, budget int, body func(*rand.Rand) []byte) loadPhase {
	n := int(rate * limit.Seconds())
	n = max(1, min(n, budget))
	client := loadClient(clients)
	defer client.CloseIdleConnections()
	// The whole phase, draining included, is bounded: the schedule, then
	// at most limit again (at least 30 s, the client's own timeout) for
	// what is still queued.
	ctx, cancel := context.WithTimeout(ctx, limit+max(limit, 30*time.Second))
	defer cancel()
	due := make(chan time.Time, n) // never blocks the schedule
	cpu0 := processCPU()
	start := time.Now()
	go func() {
		defer close(due)
		interval := time.Duration(float64(time.Second) / rate)
		for i := 0; i < n; i++ {
			at := start.Add(time.Duration(i) * interval)
			if d := time.Until(at); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
			due <- at
		}
	}()
	var mu sync.Mutex
	var all []time.Duration
	var errs int
	var firstErr string
	fail := func(msg string) {
		mu.Lock()
		errs++
		if firstErr == "" {
			firstErr = msg
		}
		mu.Unlock()
	}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(seed uint64) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, rand.Uint64()))
			for at := range due {
				if ctx.Err() != nil {
					fail(fmt.Sprintf("not sent within %s after its due time", time.Since(at).Round(time.Millisecond)))
					continue
				}
				status, msg, err := postCommand(ctx, client, url, token, body(rng))
				if err != nil {
					fail(err.Error())
					continue
				}
				took := time.Since(at)
				if status != http.StatusCreated {
					fail(fmt.Sprintf("%d %s", status, msg))
					continue
				}
				mu.Lock()
				all = append(all, took)
				mu.Unlock()
			}
		}(uint64(c) + 1)
	}
	wg.Wait()
	// Requests the schedule never issued (cancelled) are failures too.
	mu.Lock()
	missing := n - len(all) - errs
	mu.Unlock()
	for ; missing > 0; missing-- {
		fail("not sent: the phase was cancelled")
	}
	out := summarise(name, all, errs, firstErr, time.Since(start), processCPU()-cpu0)
	out.OfferedPerSecond = rate
	return out
}

// countingHandler counts the commands a handler answered without an
// error (applied, or a duplicate's first answer), for the samples of
// --rss-every.
type countingHandler struct {
	command.Handler
	n atomic.Int64
}

// wrap makes c count what h answers, and returns c.
func (c *countingHandler) wrap(h command.Handler) command.Handler {
	c.Handler = h
	return c
}

func (c *countingHandler) Handle(ctx context.Context, reqs []command.Request) []command.Outcome {
	out := c.Handler.Handle(ctx, reqs)
	for _, o := range out {
		if o.Err == nil {
			c.n.Add(1)
		}
	}
	return out
}
