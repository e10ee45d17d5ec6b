package main

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grantledger/grantledger/app/command"
)

// TestOpenLoopCountsTheWait: an open-loop phase sends on a schedule and
// counts each latency from the request's due time (docs/PERFORMANCE.md,
// "Server"), so a server that answers one request per 20 ms, driven by one
// sender at 200 requests/s, shows the queue building up: the last of 50
// requests, due at 245 ms, cannot be answered before 1 000 ms. A closed
// loop (or an open loop that measured from the send) would show about
// 20 ms. Only lower bounds are asserted: a slow machine can only add to
// them.
func TestOpenLoopCountsTheWait(t *testing.T) {
	var mu sync.Mutex
	slow, err := serveLoopback(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		time.Sleep(20 * time.Millisecond)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer slow.stop()
	body := func(*rand.Rand) []byte { return []byte("{}") }
	p := driveOpen(context.Background(), "slow", slow.url, "t", 1, 200, 250*time.Millisecond, 1000, body)
	if p.Requests != 50 || p.Errors != 0 {
		t.Fatalf("open loop at 200/s for 250 ms: %d answered, %d errors (%s), want 50 and 0", p.Requests, p.Errors, p.FirstError)
	}
	if p.MaxMillis < 750 || p.P99Millis < 750 {
		t.Errorf("p99 %.1f ms, max %.1f ms: want at least 750 ms, the wait behind a 20 ms server counted from the due time", p.P99Millis, p.MaxMillis)
	}
	if p.P50Millis < 200 {
		t.Errorf("p50 %.1f ms: the 25th request is answered no sooner than 500 ms after the start and was due at 120 ms", p.P50Millis)
	}
	if p.OfferedPerSecond != 200 {
		t.Errorf("offered rate %v, want 200", p.OfferedPerSecond)
	}
}

// TestOpenLoopKeepsTheSchedule: a fast server does not make the schedule
// run ahead: 30 requests at 100/s take at least the 290 ms until the last
// is due.
func TestOpenLoopKeepsTheSchedule(t *testing.T) {
	fast, err := serveLoopback(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer fast.stop()
	body := func(*rand.Rand) []byte { return []byte("{}") }
	p := driveOpen(context.Background(), "fast", fast.url, "t", 4, 100, 300*time.Millisecond, 1000, body)
	if p.Requests != 30 || p.Errors != 0 {
		t.Fatalf("%d answered, %d errors (%s), want 30 and 0", p.Requests, p.Errors, p.FirstError)
	}
	if p.Seconds < 0.29 {
		t.Errorf("the phase took %.3f s, want at least 0.29 s (the last request is due at 290 ms)", p.Seconds)
	}
}

func TestPercentilesAreNearestRank(t *testing.T) {
	var lat []time.Duration
	for i := 1000; i >= 1; i-- { // 1..1000 ms, unsorted
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	p := summarise("x", lat, 0, "", time.Second, 0)
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p50", p.P50Millis, 500}, {"p90", p.P90Millis, 900}, {"p99", p.P99Millis, 990}, {"p99.9", p.P999Millis, 999}, {"max", p.MaxMillis, 1000}} {
		if c.got != c.want {
			t.Errorf("%s of 1..1000 ms = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadOpenLoopFromTheCommandLine(t *testing.T) {
	out, errs, code := runCLI(t, "", "load", "--store", "mem:", "--agreements", "3", "--clients", "2",
		"--duration", "200ms", "--open-loop", "half,50", "--json")
	if code != 0 {
		t.Fatalf("load: exit %d: %s", code, errs)
	}
	var res struct {
		Server   loadPhase   `json:"server"`
		OpenLoop []loadPhase `json:"open_loop"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(res.OpenLoop) != 2 || res.OpenLoop[1].OfferedPerSecond != 50 || res.OpenLoop[1].Requests != 10 {
		t.Fatalf("open-loop phases %+v, want two, the second at 50/s with 10 requests", res.OpenLoop)
	}
	if half := res.OpenLoop[0].OfferedPerSecond; half < 1 || (res.Server.PerSecond >= 2 && half != res.Server.PerSecond/2) {
		t.Errorf(`"half" offered %v/s, the closed loop reached %v/s`, half, res.Server.PerSecond)
	}
	for _, bad := range []string{"0", "fast", "1,2,3,4,5,6,7,8,9"} {
		if _, _, code := runCLI(t, "", "load", "--store", "mem:", "--open-loop", bad); code != exitUsage {
			t.Errorf("--open-loop %s: exit %d, want %d", bad, code, exitUsage)
		}
	}
}

// TestLoadSamplesResidentMemory: --rss-every reports the process's
// resident set at each interval (issue 17: a long serve run shows whether
// memory stays bounded). What holds whatever the code: the resident set
// includes the Go heap's live objects, and a run of 2.5 s sampled every
// second, from before the set-up to the end, gives at least 3 samples.
func TestLoadSamplesResidentMemory(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("--rss-every reads /proc/self/status, Linux only")
	}
	out, errs, code := runCLI(t, "", "load", "--store", "mem:", "--agreements", "3", "--clients", "2",
		"--duration", "2500ms", "--baseline=false", "--rss-every", "1s", "--json")
	if code != 0 {
		t.Fatalf("load: exit %d: %s", code, errs)
	}
	var res struct {
		Baseline loadPhase  `json:"baseline"`
		Server   loadPhase  `json:"server"`
		RSS      rssSummary `json:"rss"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Baseline.Requests != 0 || res.Server.Requests == 0 {
		t.Fatalf("--baseline=false: baseline %d requests, server %d; want none and some", res.Baseline.Requests, res.Server.Requests)
	}
	if len(res.RSS.Samples) < 3 {
		t.Fatalf("%d samples over 2.5 s at 1 s, want at least 3: %+v", len(res.RSS.Samples), res.RSS)
	}
	for _, s := range res.RSS.Samples {
		if s.RSSKB <= 0 || s.HeapKB <= 0 || s.RSSKB < s.HeapKB {
			t.Fatalf("sample %+v: the resident set must be positive and hold the live heap", s)
		}
	}
	if res.RSS.MaxKB < res.RSS.MinKB || res.RSS.MaxKB != max(res.RSS.MaxFirstHalfKB, res.RSS.MaxSecondHalfKB) {
		t.Fatalf("summary %+v does not agree with itself", res.RSS)
	}
	if !strings.Contains(errs, "rss ") {
		t.Errorf("the samples are not written to standard error as they are taken: %q", errs)
	}
	// Each sample also counts the commands the API has answered so far
	// (issue 17: a 10-minute run's rate fell tenfold, which its total
	// hid): never falling, and at the end the server phase's requests as
	// its clients counted them, plus at most one a client: a request
	// still in flight when the phase's time ran out is answered by the
	// server but no longer counted by its client.
	prev := int64(-1)
	for _, s := range res.RSS.Samples {
		if s.Commands < prev {
			t.Fatalf("samples %+v: the count of answered commands fell", res.RSS.Samples)
		}
		prev = s.Commands
	}
	if got, want := prev, int64(res.Server.Requests); res.Server.Errors != 0 || got < want || got > want+2 {
		t.Errorf("last sample counts %d commands answered; the server phase's 2 clients had %d answered (%d errors)", got, want, res.Server.Errors)
	}
	if !strings.Contains(errs, "commands/s") {
		t.Errorf("the samples written as they are taken do not give the rate: %q", errs)
	}
	if _, _, code := runCLI(t, "", "load", "--store", "mem:", "--rss-every", "10ms"); code != exitUsage {
		t.Errorf("--rss-every 10ms: exit %d, want %d", code, exitUsage)
	}
}

// TestCacheEventsFlag: --cache-events bounds the cached agreement states of
// serve and load (docs/SERVER.md). A bound is positive or -1 (none); with a
// bound of one event every command finds its agreement's state dropped
// and reads it back from the ledger, and no command fails for it.
func TestCacheEventsFlag(t *testing.T) {
	for _, args := range [][]string{
		{"serve", "--store", "mem:", "--cache-events", "0"},
		{"serve", "--store", "mem:", "--cache-events", "-2"},
		{"load", "--store", "mem:", "--cache-events", "0"},
	} {
		_, errs, code := runCLI(t, "", args...)
		if code != exitUsage || !strings.Contains(errs, "--cache-events") {
			t.Errorf("%v: exit %d, stderr %q; want exit %d naming --cache-events", args, code, errs, exitUsage)
		}
	}
	out, errs, code := runCLI(t, "", "load", "--store", "mem:", "--agreements", "3", "--clients", "2",
		"--duration", "1s", "--requests", "300", "--baseline=false", "--cache-events", "1", "--json")
	if code != 0 {
		t.Fatalf("load --cache-events 1: exit %d: %s", code, errs)
	}
	var res struct {
		Server loadPhase          `json:"server"`
		Cache  command.CacheStats `json:"state_cache"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if res.Server.Requests == 0 || res.Server.Errors != 0 {
		t.Fatalf("load --cache-events 1: %d requests, %d failed; want some, none failed", res.Server.Requests, res.Server.Errors)
	}
	// The run reports what the cache did (docs/SERVER.md, "Memory"). A
	// bound of one event drops each state after its command, unless a
	// command of the other client holds it at that moment: most commands
	// find their agreement dropped and decode the encoding kept of it.
	// Only the three agreements' first uses read the ledger.
	if c := res.Cache; c.Limit != 1 || c.Reads != 3 || c.Restored < uint64(res.Server.Requests)/2 || c.Dropped < uint64(res.Server.Requests)/2 ||
		c.EncodedLimit != command.DefaultMaxSpilledBytes {
		t.Errorf("load --cache-events 1, %d commands: state_cache %+v; want limit 1, 3 reads, and most commands decoding and dropping a state", res.Server.Requests, c)
	}
	// With --cache-encoded-mb 0 none are kept encoded: most commands read
	// their agreement's stream.
	cases := []struct {
		args  []string
		check func(c command.CacheStats, requests int) bool
		want  string
	}{
		{[]string{"--cache-events", "1", "--cache-encoded-mb", "0"}, func(c command.CacheStats, n int) bool {
			return c.Reads >= uint64(n)/2 && c.Restored == 0 && c.Encoded == 0 && c.EncodedLimit == -1
		}, "most commands reading their stream, none decoded, none kept encoded (limit -1)"},
		// With no bound, each of the three agreements is read once, when
		// it is registered, and never dropped.
		{[]string{"--cache-events", "-1"}, func(c command.CacheStats, n int) bool {
			return c == (command.CacheStats{Events: c.Events, Limit: -1, Reads: 3, EncodedLimit: command.DefaultMaxSpilledBytes}) && c.Events >= 3+2*3
		}, "limit -1, 3 reads, none dropped or decoded, every event held (at least 9)"},
	}
	for _, tc := range cases {
		args := append([]string{"load", "--store", "mem:", "--agreements", "3", "--clients", "2",
			"--duration", "1s", "--requests", "300", "--baseline=false", "--json"}, tc.args...)
		out, errs, code = runCLI(t, "", args...)
		if code != 0 {
			t.Fatalf("load %v: exit %d: %s", tc.args, code, errs)
		}
		res.Cache = command.CacheStats{}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if !tc.check(res.Cache, res.Server.Requests) {
			t.Errorf("load %v, %d commands: state_cache %+v; want %s", tc.args, res.Server.Requests, res.Cache, tc.want)
		}
	}
	for _, bad := range []string{"-1", "2000000"} {
		if _, errs, code := runCLI(t, "", "load", "--store", "mem:", "--cache-encoded-mb", bad); code != exitUsage || !strings.Contains(errs, "--cache-encoded-mb") {
			t.Errorf("--cache-encoded-mb %s: exit %d, stderr %q; want exit %d naming the flag", bad, code, errs, exitUsage)
		}
	}
	out, _, code = runCLI(t, "", "load", "--store", "mem:", "--agreements", "3", "--clients", "2",
		"--duration", "1s", "--requests", "50", "--baseline=false")
	if code != 0 || !strings.Contains(out, "agreement states: 3 read from the ledger whole") {
		t.Errorf("load's text summary does not say what the cache did (exit %d): %s", code, out)
	}
}
