package command

import (
	"sort"
)

// The service keeps the state of each agreement it has handled (the folded
// aggregate, its revision and hash, and a record of each command applied),
// so that the common command costs no read. Kept for every agreement, that
// grew without bound: about 1 KB per event on an import (issue 17). The
// states are therefore bounded by the events folded into them
// (Options.MaxCachedEvents): past the bound, the states used longest ago
// are dropped, down to nine tenths of it. A dropped state is kept encoded
// while the encodings fit in Options.MaxSpilledBytes (spill.go) and
// decoded when its agreement is next used, the events since read and
// checked from the store (catchUp); without an encoding it is read and
// checked again from the store whole. Correctness never rests on the
// cache: every append carries the exact revision it was decided on.

// account brings Service.cached up to date with st's size. st.mu is held.
func (s *Service) account(st *streamState) {
	size := int64(0)
	if st.agg != nil {
		size = st.rev + 1
	}
	if d := size - st.counted; d != 0 {
		st.counted = size
		s.cached.Add(d)
	}
}

// evictIfFull drops the states used longest ago while the cache is above
// its bound, keeping each encoded while the encodings fit in theirs
// (spill.go), and then throws away the encodings used longest ago while
// they do not. It is called with no stream lock held; one caller evicts
// at a time, and a state in use (its lock held) is skipped.
func (s *Service) evictIfFull() {
	if s.maxCached < 0 || s.cached.Load() <= s.maxCached {
		return
	}
	if !s.evicting.TryLock() {
		return // another command is evicting
	}
	defer s.evicting.Unlock()
	type cand struct {
		used int64
		st   *streamState
	}
	var cands, encoded []cand
	s.streams.Range(func(_, v any) bool {
		st := v.(*streamState)
		if st.mu.TryLock() {
			if st.counted > 0 {
				cands = append(cands, cand{st.used.Load(), st})
			}
			if st.spill != nil {
				encoded = append(encoded, cand{st.used.Load(), st})
			}
			st.mu.Unlock()
		}
		return true
	})
	sort.Slice(cands, func(i, j int) bool { return cands[i].used < cands[j].used })
	target := s.maxCached - s.maxCached/10
	for _, c := range cands {
		if s.cached.Load() <= target {
			break
		}
		if !c.st.mu.TryLock() {
			continue
		}
		if c.st.used.Load() == c.used && c.st.agg != nil { // not used since it was picked
			var b []byte
			if s.maxSpilled > 0 {
				if enc, err := encodeSpill(c.st); err == nil && int64(len(enc)) <= s.maxSpilled/4 {
					b = enc
				}
			}
			c.st.agg = nil // catchUp decodes b, or reads the stream
			c.st.commands = nil
			c.st.pending = nil
			c.st.rev = -1
			c.st.lastHash = ""
			s.dropSpill(c.st)
			if b != nil {
				c.st.spill = b
				s.spilled.Add(int64(len(b)))
			}
			s.account(c.st)
			s.dropped.Add(1)
		}
		c.st.mu.Unlock()
	}
	if s.spilled.Load() <= s.maxSpilled {
		return
	}
	sort.Slice(encoded, func(i, j int) bool { return encoded[i].used < encoded[j].used })
	for _, c := range encoded {
		if s.spilled.Load() <= s.maxSpilled-s.maxSpilled/10 {
			return
		}
		if !c.st.mu.TryLock() {
			continue
		}
		if c.st.used.Load() == c.used && c.st.agg == nil {
			s.dropSpill(c.st)
		}
		c.st.mu.Unlock()
	}
}

// CachedEvents returns how many events are folded into the agreement
// states kept in memory (for tests and metrics).
func (s *Service) CachedEvents() int64 { return s.cached.Load() }

// CacheStats is what the cache of agreement states holds and has done
// since the service began: the figures an operator needs to tell whether
// the agreements written to fit in the bound (serve exports them as
// metrics, docs/SERVER.md "Memory"). When Reads grows nearly as fast as
// the commands, most commands read their agreement's stream back whole.
type CacheStats struct {
	Events  int64  `json:"events"`  // events folded into the states held now
	Limit   int64  `json:"limit"`   // Options.MaxCachedEvents; negative: no bound
	Reads   uint64 `json:"reads"`   // states read from the store from their first event: first use, or after being dropped or found stale
	Dropped uint64 `json:"dropped"` // states dropped to keep the bound

	// The states decoded from the encodings of dropped states (not read
	// from the store), the encodings' bytes now, and their bound
	// (Options.MaxSpilledBytes; negative: none kept).
	Restored     uint64 `json:"restored"`
	Encoded      int64  `json:"encoded_bytes"`
	EncodedLimit int64  `json:"encoded_limit_bytes"`
}

// CacheStats returns the cache's figures now.
func (s *Service) CacheStats() CacheStats {
	return CacheStats{Events: s.cached.Load(), Limit: s.maxCached, Reads: s.reads.Load(), Dropped: s.dropped.Load(),
		Restored: s.restored.Load(), Encoded: s.spilled.Load(), EncodedLimit: s.maxSpilled}
}
