package main

import (
	"runtime/debug"
	"testing"
	"time"
)

// TestMemoryLimitFor: the rule gctune.go states — the limit is 180 MiB, or
// one and a half times the live heap when that is more, and never falls.
func TestMemoryLimitFor(t *testing.T) {
	const mib = 1 << 20
	for _, c := range []struct {
		live    uint64
		current int64
		want    int64
	}{
		{0, applyMemoryLimit, 180 * mib},
		{100 * mib, applyMemoryLimit, 180 * mib}, // 150 MiB is under the limit
		{120 * mib, applyMemoryLimit, 180 * mib}, // 1.5x is the limit exactly
		{200 * mib, applyMemoryLimit, 300 * mib}, // over it: 1.5x the live heap
		{100 * mib, 300 * mib, 300 * mib},        // it does not fall again
	} {
		if got := memoryLimitFor(c.live, c.current); got != c.want {
			t.Errorf("memoryLimitFor(%d MiB, %d MiB) = %d MiB, want %d MiB", c.live/mib, c.current/mib, got/mib, c.want/mib)
		}
	}
}

// gcPercent reads the collector's GOGC without changing it.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestGCTunerSetsAndRestores: serve, load and apply run under GOGC 400
// and the 180 MiB limit (gctune.go), and the settings before come back
// after; a GOGC or GOMEMLIMIT in the environment is left alone.
func TestGCTunerSetsAndRestores(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	pct0, lim0 := gcPercent(), debug.SetMemoryLimit(-1)
	g := newGCTuner()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != 400 || l != applyMemoryLimit {
		t.Errorf("tuned: GOGC %d, limit %d; want 400 and %d", p, l, applyMemoryLimit)
	}
	g.restore()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != pct0 || l != lim0 {
		t.Errorf("restored: GOGC %d, limit %d; want %d and %d as before", p, l, pct0, lim0)
	}

	t.Setenv("GOGC", "50")
	g = newGCTuner()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != pct0 || l != lim0 {
		t.Errorf("with GOGC=50 in the environment: GOGC %d, limit %d changed (want %d and %d)", p, l, pct0, lim0)
	}
	g.restore()
}

// TestKeepAdjustingAppliesTheRule: a server has no batches to adjust
// after, so keepAdjusting applies memoryLimitFor on its own, and stop ends
// it before restore puts the settings back.
func TestKeepAdjustingAppliesTheRule(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	pct0, lim0 := gcPercent(), debug.SetMemoryLimit(-1)
	g := newGCTuner()
	// As if the limit had been set to something the rule would not give:
	// the next adjust must put the rule's value back.
	g.mu.Lock()
	g.limit = 1
	g.mu.Unlock()
	debug.SetMemoryLimit(1 << 40)
	stop := g.keepAdjusting(5 * time.Millisecond)
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) != applyMemoryLimit && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	stop() // a second stop is harmless
	if l := debug.SetMemoryLimit(-1); l != applyMemoryLimit {
		t.Errorf("after keepAdjusting: limit %d, want %d", l, applyMemoryLimit)
	}
	g.restore()
	if p, l := gcPercent(), debug.SetMemoryLimit(-1); p != pct0 || l != lim0 {
		t.Errorf("restored: GOGC %d, limit %d; want %d and %d as before", p, l, pct0, lim0)
	}
}
