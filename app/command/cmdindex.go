package command

import (
	"bytes"
	"slices"
	"sort"

	"github.com/google/uuid"
)

// cmdIndex maps every command id of the ledger to the stream it was used
// on (a number in ledgerIndex.streams). It is the one part of the
// ledger-wide index that grows with the commands, so it is kept compact
// (issue 17): the ids in one sorted array and their stream numbers in a
// parallel one, 20 bytes a command, with at most 1/16 of room to grow;
// the newest ids wait in a small map, of at most 1/16 as many entries
// as the sorted part (and at least recentMin), and are merged into the
// arrays when it is full. A Go map of every id cost 37.4 bytes a
// command at 300 000. docs/PERFORMANCE.md states the bound (24 bytes a
// command); TestIndexMemoryPerCommand measures it.
//
// Why not ask the store instead: the embedded store has had no index on
// event or command ids since schema version 2 (sqlite.go), and keeping
// one costs a random B-tree insert per command, 0.5 to 0.6x the plain
// insert rate when measured (BenchmarkIDIndexCost in adapters/sqlite).
// 24 bytes a command in memory is the cheaper side: 15 MB at 670 000
// commands.
type cmdIndex struct {
	ids    []uuid.UUID // sorted
	strm   []uint32    // strm[i] is the stream of ids[i]
	recent map[uuid.UUID]uint32
}

// recentMin is the least number of newest ids kept in the map before a
// merge, so that a small ledger does not merge at every command.
const recentMin = 4096

// get returns the stream number of id.
func (c *cmdIndex) get(id uuid.UUID) (uint32, bool) {
	if n, ok := c.recent[id]; ok {
		return n, true
	}
	i, ok := slices.BinarySearchFunc(c.ids, id, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	if !ok {
		return 0, false
	}
	return c.strm[i], true
}

// put adds id, which get does not know, on stream number n.
func (c *cmdIndex) put(id uuid.UUID, n uint32) {
	if c.recent == nil {
		c.recent = map[uuid.UUID]uint32{}
	}
	c.recent[id] = n
	if len(c.recent) >= max(recentMin, len(c.ids)/16) {
		c.merge()
	}
}

// merge moves the newest ids into the sorted arrays, in place from the
// back, growing them by 1/16 more than needed when they are full.
func (c *cmdIndex) merge() {
	m := len(c.recent)
	if m == 0 {
		return
	}
	add := make([]uuid.UUID, 0, m)
	for id := range c.recent {
		add = append(add, id)
	}
	sort.Slice(add, func(i, j int) bool { return bytes.Compare(add[i][:], add[j][:]) < 0 })
	old := len(c.ids)
	need := old + m
	if need > cap(c.ids) {
		capacity := need + need/16
		ids := make([]uuid.UUID, old, capacity)
		copy(ids, c.ids)
		strm := make([]uint32, old, capacity)
		copy(strm, c.strm)
		c.ids, c.strm = ids, strm
	}
	c.ids, c.strm = c.ids[:need], c.strm[:need]
	i, j := old-1, m-1
	for k := need - 1; j >= 0; k-- {
		if i >= 0 && bytes.Compare(c.ids[i][:], add[j][:]) > 0 {
			c.ids[k], c.strm[k] = c.ids[i], c.strm[i]
			i--
		} else {
			c.ids[k], c.strm[k] = add[j], c.recent[add[j]]
			j--
		}
	}
	clear(c.recent) // keeps its table, which the next, larger, round fills again
}
