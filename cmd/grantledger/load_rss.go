package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"runtime/metrics"
	"strconv"
	"sync"
	"time"
)

// rssSample is one reading of the load process's memory: its resident
// set (VmRSS of /proc/self/status) and the Go heap's live objects, with
// the commands the API had answered by then, so that the rate over the
// run shows too (a long run's total hides a rate that falls).
type rssSample struct {
	At       time.Duration `json:"at_ns"` // since the sampler started
	RSSKB    int64         `json:"rss_kb"`
	HeapKB   int64         `json:"heap_objects_kb"`
	Commands int64         `json:"commands"` // answered by the API so far
}

// rssSummary is what --rss-every reports at the end: every sample, and
// the figures docs/PERFORMANCE.md quotes.
type rssSummary struct {
	Every   string      `json:"every"`
	Samples []rssSample `json:"samples"`
	FirstKB int64       `json:"first_rss_kb"`
	MinKB   int64       `json:"min_rss_kb"`
	MaxKB   int64       `json:"max_rss_kb"`
	LastKB  int64       `json:"last_rss_kb"`
	// MaxFirstHalfKB and MaxSecondHalfKB are the largest RSS in each half
	// of the samples: memory that grew without bound would show in the
	// second.
	MaxFirstHalfKB  int64 `json:"max_rss_first_half_kb"`
	MaxSecondHalfKB int64 `json:"max_rss_second_half_kb"`
}

// vmRSS reads this process's resident set size in KB from /proc (Linux).
func vmRSS() (int64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("--rss-every reads /proc/self/status (Linux only): %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := bytes.CutPrefix([]byte(line), []byte("VmRSS:")); ok {
			f := bytes.Fields(rest)
			if len(f) >= 1 {
				return strconv.ParseInt(string(f[0]), 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("--rss-every: no VmRSS line in /proc/self/status")
}

// startRSSSampler reads the process's memory, and answered (the commands
// answered so far; nil: none counted), every interval, writing each
// sample to w as it is taken with the rate since the one before, until
// the returned stop is called; stop returns the summary. One reading is
// taken at once, to fail early where /proc is missing.
func startRSSSampler(every time.Duration, w io.Writer, answered func() int64) (stop func() rssSummary, err error) {
	if _, err := vmRSS(); err != nil {
		return nil, err
	}
	heap := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	start := time.Now()
	var mu sync.Mutex
	var samples []rssSample
	var lastAt time.Duration // of the sample before, unrounded
	take := func() {
		rss, err := vmRSS()
		if err != nil {
			return
		}
		metrics.Read(heap)
		now := time.Since(start)
		s := rssSample{At: now.Round(time.Second), RSSKB: rss, HeapKB: int64(heap[0].Value.Uint64() / 1024)}
		if answered != nil {
			s.Commands = answered()
		}
		mu.Lock()
		rate := 0.0
		if len(samples) > 0 && now > lastAt {
			rate = float64(s.Commands-samples[len(samples)-1].Commands) / (now - lastAt).Seconds()
		}
		lastAt = now
		samples = append(samples, s)
		mu.Unlock()
		fmt.Fprintf(w, "rss %6.0f s %8d KB  heap objects %8d KB  commands %9d  %7.0f commands/s\n", s.At.Seconds(), s.RSSKB, s.HeapKB, s.Commands, rate)
	}
	take()
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				take()
			case <-done:
				return
			}
		}
	}()
	return func() rssSummary {
		close(done)
		<-finished
		take()
		mu.Lock()
		defer mu.Unlock()
		out := rssSummary{Every: every.String(), Samples: samples, FirstKB: samples[0].RSSKB, MinKB: samples[0].RSSKB, LastKB: samples[len(samples)-1].RSSKB}
		for i, s := range samples {
			out.MinKB = min(out.MinKB, s.RSSKB)
			out.MaxKB = max(out.MaxKB, s.RSSKB)
			if i < len(samples)/2 {
				out.MaxFirstHalfKB = max(out.MaxFirstHalfKB, s.RSSKB)
			} else {
				out.MaxSecondHalfKB = max(out.MaxSecondHalfKB, s.RSSKB)
			}
		}
		return out
	}, nil
}
