package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// applyMemoryLimit is the Go runtime's memory limit during a large apply
// and while serve or load runs:
// the collector may let the heap grow (GOGC 400) until the process's Go
// memory nears it, and then collects, and the runtime gives freed pages
// back to the system to stay under it. Measured on the 670 000-command
// import of issue 17 (docs/PERFORMANCE.md): peak RSS 265 MiB with the
// default collector (GOGC 100: the heap grows to twice the live heap
// between collections), 222 MiB with this limit and GOGC 400, in the same
// time; and apply of 100 000 spendings ran about a tenth faster.
const applyMemoryLimit = 180 << 20

// memoryLimitFor is the limit for a live heap of live bytes: the applied
// limit, or one and a half times the live heap when that is more, so that
// a ledger whose live heap nears the limit does not make the collector run
// without pause (it then collects as the default would, at 1.5x rather
// than 2x the live heap). It only grows.
func memoryLimitFor(live uint64, current int64) int64 {
	return max(current, applyMemoryLimit, int64(live/2*3))
}

// gcTuner sets the collector for a long apply (gctune.go's figures), or
// for serve and load, and puts it back after. A GOGC or GOMEMLIMIT set by
// the user in the environment is left alone.
//
// In serve the same setting means fewer collections while the live heap
// is small: under 64 writers a collection ran about every 0.6 s, each
// taking one of the two cores' worth of marking for 35–50 ms
// (GODEBUG=gctrace=1). Alternating four rounds of 'grantledger load'
// with and without it (docs/PERFORMANCE.md, "Server"): the server's
// requests per second +10 % and its CPU per request −7 % (medians), with
// the bare handler's phase, which runs in the same process under the same
// setting, faster by about as much. The price is memory: the heap may
// grow to the limit before it is collected.
type gcTuner struct {
	mu        sync.Mutex // adjust and restore, when keepAdjusting runs
	prevPct   int
	prevLimit int64
	limit     int64
	on        bool
	sample    []metrics.Sample
}

func newGCTuner() *gcTuner {
	t := &gcTuner{}
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return t
	}
	t.on = true
	t.sample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t.limit = applyMemoryLimit
	t.prevLimit = debug.SetMemoryLimit(t.limit)
	t.prevPct = debug.SetGCPercent(400)
	return t
}

// adjust raises the limit when the live heap has grown near it; apply
// calls it after every batch.
func (t *gcTuner) adjust() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.on {
		return
	}
	metrics.Read(t.sample)
	if t.sample[0].Value.Kind() != metrics.KindUint64 {
		return
	}
	if l := memoryLimitFor(t.sample[0].Value.Uint64(), t.limit); l != t.limit {
		t.limit = l
		debug.SetMemoryLimit(l)
	}
}

// keepAdjusting calls adjust every interval until stop is called, for a
// process (serve, load) that has no batches to call it after; stop waits
// for the last call to end.
func (t *gcTuner) keepAdjusting(every time.Duration) (stop func()) {
	done, ended := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(ended)
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				t.adjust()
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(done); <-ended }) }
}

// tuneGCWhileRunning sets the collector for a process that runs until it
// is stopped and has no batches to adjust after (serve, load): the tuner,
// adjusted every second. undo stops the adjusting and puts the collector
// back.
func tuneGCWhileRunning() (undo func()) {
	t := newGCTuner()
	stop := t.keepAdjusting(time.Second)
	return func() { stop(); t.restore() }
}

// restore puts the collector back as it was.
func (t *gcTuner) restore() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.on {
		debug.SetGCPercent(t.prevPct)
		debug.SetMemoryLimit(t.prevLimit)
		t.on = false
	}
}
