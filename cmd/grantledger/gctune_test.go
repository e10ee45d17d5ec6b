package main

import "testing"

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
