package main

import (
	"os"
	"runtime/debug"
	"runtime/metrics"
)

// applyMemoryLimit is the Go runtime's memory limit during a large apply:
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

// gcTuner sets the collector for a long apply (gctune.go's figures) and
// puts it back after. A GOGC or GOMEMLIMIT set by the user in the
// environment is left alone.
type gcTuner struct {
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

// restore puts the collector back as it was.
func (t *gcTuner) restore() {
	if t.on {
		debug.SetGCPercent(t.prevPct)
		debug.SetMemoryLimit(t.prevLimit)
		t.on = false
	}
}
