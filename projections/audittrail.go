package projections

import (
	"bytes"
	"fmt"
	"sync"
)

// MaxAuditChunks is how many chunks beyond one per AuditBlock rows a
// trail may have before State merges the small ones (each snapshot of a
// restored ledger adds one small chunk: the rows folded since, fewer than
// AuditBlock).
const MaxAuditChunks = 32

// auditTrail is a Ledger's audit trail: the rows folded into the open
// block, AuditBlock rows at most, as structs; every earlier row encoded
// (auditchunk.go), a full block at a time as Apply fills it, or as the
// snapshot the ledger was restored from stored it. A query decodes the
// chunks it needs one by one and keeps none of them.
type auditTrail struct {
	segs    []auditSeg
	open    []AuditEntry
	rows    int // in segs and open
	enc     chunkEncoder
	scratch []byte
}

// auditSeg is a part of the audit trail before the open block: encoded
// chunks, or a block of rows as structs that could not be encoded (a time
// outside UTC).
type auditSeg struct {
	sec   AuditSection // encoded when sec.Data is not nil
	plain []AuditEntry
	// bounded says minSec and maxSec bound the rows' recorded_at (unix
	// seconds): known for a block Apply encoded and for the chunks of a
	// split section.
	bounded        bool
	minSec, maxSec int64
	split          *auditSplit // a section of several chunks: its chunks, found on first need
}

// auditSplit is the chunks of a stored section, found by reading it once
// (a chunk does not say its length).
type auditSplit struct {
	once  sync.Once
	parts []auditSeg
}

// chunks returns a seg of several chunks as one seg per chunk.
func (s *auditSeg) chunks() []auditSeg {
	if s.split == nil {
		return []auditSeg{*s}
	}
	sp := s.split
	sp.once.Do(func() {
		err := walkChunks(s.sec.Data, s.sec.Rows, nil, func(b []byte, rows int, lo, hi int64) {
			sp.parts = append(sp.parts, auditSeg{sec: AuditSection{Data: b, Rows: rows, Chunks: 1}, bounded: true, minSec: lo, maxSec: hi})
		})
		if err == nil && len(sp.parts) != s.sec.Chunks {
			err = fmt.Errorf("the section holds %d chunks, its head says %d", len(sp.parts), s.sec.Chunks)
		}
		if err != nil {
			// The codec checked the section (its checksum) when the
			// snapshot was read, so the bytes are the ones written.
			panic(fmt.Sprintf("projections: the audit trail of the restored snapshot cannot be read although it was checked when read "+
				"(a bug in projections; delete the snapshot to rebuild the read model from the events): %v", err))
		}
	})
	return sp.parts
}

// add appends a row, encoding the open block when it is full.
func (t *auditTrail) add(row AuditEntry) {
	if t.open == nil {
		t.open = make([]AuditEntry, 0, AuditBlock)
	}
	t.open = append(t.open, row)
	t.rows++
	if len(t.open) == AuditBlock {
		t.seal()
	}
}

// seal encodes the open block into a seg of its own.
func (t *auditTrail) seal() {
	b, lo, hi, ok := t.enc.append(t.scratch[:0], t.open)
	if !ok {
		t.segs = append(t.segs, auditSeg{plain: t.open})
		t.open = nil
		return
	}
	t.scratch = b
	t.segs = append(t.segs, auditSeg{sec: AuditSection{Data: bytes.Clone(b), Rows: len(t.open), Chunks: 1}, bounded: true, minSec: lo, maxSec: hi})
	clear(t.open) // the rows' strings (the hashes above all) go now
	t.open = t.open[:0]
}

// addSection appends a stored section of chunks.
func (t *auditTrail) addSection(s AuditSection) error {
	if s.Rows <= 0 || s.Chunks <= 0 || s.Chunks > s.Rows || len(s.Data) < s.Rows*MinAuditRowBytes {
		return fmt.Errorf("restore read model: an audit section of %d bytes cannot hold %d rows in %d chunks", len(s.Data), s.Rows, s.Chunks)
	}
	if len(t.open) > 0 {
		return fmt.Errorf("restore read model: an audit section after rows held as structs")
	}
	seg := auditSeg{sec: s}
	if s.Chunks > 1 {
		seg.split = &auditSplit{}
	}
	t.segs = append(t.segs, seg)
	t.rows += s.Rows
	return nil
}

// auditScan says which rows a scan of the trail wants. Zero fields select
// everything.
type auditScan struct {
	// names is asked with a chunk's names whether any of its rows can be
	// wanted (a row names its stream, agreement, type, actor, reason and
	// line from them).
	names func(names []string) bool
	// from and to (unix seconds, when set) bound the rows' times: chunks
	// wholly outside are not read.
	from, to       int64
	hasFrom, hasTo bool
	// pick is asked of each row, before its hash is made.
	pick func(e *AuditEntry) bool
}

// scan calls row with each row q wants, in global order, until row
// returns false. Chunks are decoded one at a time and not kept; e is valid
// only during the call.
func (t *auditTrail) scan(q auditScan, row func(e *AuditEntry) bool) {
	plain := func(rows []AuditEntry) bool {
		for i := range rows {
			if q.pick == nil || q.pick(&rows[i]) {
				e := rows[i]
				if !row(&e) {
					return false
				}
			}
		}
		return true
	}
	for i := range t.segs {
		s := &t.segs[i]
		if s.sec.Data == nil {
			if !plain(s.plain) {
				return
			}
			continue
		}
		for _, c := range s.chunks() {
			if c.bounded && (q.hasFrom && c.maxSec < q.from || q.hasTo && c.minSec > q.to) {
				continue
			}
			more, err := scanChunk(c.sec.Data, c.sec.Rows, q.names, q.pick, row)
			if err != nil {
				panic(fmt.Sprintf("projections: an audit chunk held in memory cannot be read (a bug in projections): %v", err))
			}
			if !more {
				return
			}
		}
	}
	plain(t.open)
}

// entryRow is e as an AuditRow, its amount a pointer.
func entryRow(e *AuditEntry) AuditRow {
	r := e.AuditRow
	if e.HasValue {
		m := e.Value
		r.Amount = &m
	}
	return r
}

// sections returns the trail as chunks to store, in order, the open
// block encoded as the last; ok is false when some row cannot be encoded
// (a time outside UTC). When the trail has more than MaxAuditChunks
// chunks beyond one per AuditBlock rows, runs of small chunks are merged
// (decoded and encoded again) into chunks of AuditBlock rows or more, so
// that every chunk but the last holds at least AuditBlock rows.
func (t *auditTrail) sections() (out []AuditSection, ok bool) {
	chunks := 0
	for i := range t.segs {
		if t.segs[i].sec.Data == nil {
			return nil, false
		}
		chunks += t.segs[i].sec.Chunks
	}
	var enc chunkEncoder
	var open []byte
	if len(t.open) > 0 {
		if open, _, _, ok = enc.append(nil, t.open); !ok {
			return nil, false
		}
		chunks++
	}
	if chunks <= t.rows/AuditBlock+MaxAuditChunks {
		for i := range t.segs {
			out = append(out, t.segs[i].sec)
		}
		if open != nil {
			out = append(out, AuditSection{Data: open, Rows: len(t.open), Chunks: 1})
		}
		return out, true
	}
	var all []AuditSection
	for i := range t.segs {
		for _, c := range t.segs[i].chunks() {
			all = append(all, c.sec)
		}
	}
	if open != nil {
		all = append(all, AuditSection{Data: open, Rows: len(t.open), Chunks: 1})
	}
	var group []AuditSection
	rows := 0
	flush := func() {
		switch len(group) {
		case 0:
		case 1:
			out = append(out, group[0])
		default:
			merged := make([]AuditEntry, 0, rows)
			for _, g := range group {
				err := walkChunks(g.Data, g.Rows, func(e *AuditEntry) bool { merged = append(merged, *e); return true }, nil)
				if err != nil {
					panic(fmt.Sprintf("projections: an audit chunk held in memory cannot be read (a bug in projections): %v", err))
				}
			}
			b, _, _, _ := enc.append(nil, merged) // every row came from a chunk: UTC
			out = append(out, AuditSection{Data: b, Rows: rows, Chunks: 1})
		}
		group, rows = group[:0], 0
	}
	for _, c := range all {
		if c.Rows > 2*AuditBlock { // a chunk of an older snapshot, one for the whole trail: kept as it is
			flush()
			out = append(out, c)
			continue
		}
		group = append(group, c)
		rows += c.Rows
		if rows >= AuditBlock {
			flush()
		}
	}
	flush()
	return out, true
}

// heldRows is how many rows the trail holds as structs.
func (t *auditTrail) heldRows() int {
	n := len(t.open)
	for i := range t.segs {
		n += len(t.segs[i].plain)
	}
	return n
}

// AuditHeldRows reports how many audit rows the ledger holds decoded, as
// structs: the open block (fewer than AuditBlock rows) and any block that
// could not be encoded (a time outside UTC). Every other row is held
// encoded, and decoded only while a query reads it.
func (l *Ledger) AuditHeldRows() int { return l.audit.heldRows() }

// AuditEncodedBytes reports how many bytes the encoded part of the audit
// trail takes.
func (l *Ledger) AuditEncodedBytes() int {
	n := 0
	for i := range l.audit.segs {
		n += len(l.audit.segs[i].sec.Data)
	}
	return n
}
