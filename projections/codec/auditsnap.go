package codec

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"strings"
	"sync"
	"time"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// The audit trail in a snapshot (version 4). It is most of a read model
// (one row per event, each with a 64-character hash) and most reports never
// read it, so a restored Ledger keeps it as the bytes it was stored in and
// decodes it on first need: an audit query, a new snapshot that cannot
// reuse it, or anything else that reads the rows. Apply does not need it:
// rows folded after a restore are held as usual and put after the stored
// ones when those are decoded.
//
// The section is a sequence of chunks, each self-contained, so a snapshot
// of a restored ledger writes the stored section unchanged and the rows
// folded since as one more chunk, without decoding anything; after
// maxAuditChunks chunks the whole trail is decoded and written as one.
//
// A chunk, in unsigned (u) and zig-zag signed (s) varints:
//
//	u rows
//	u flags           bit 0: every hash is 32 raw bytes (64 lowercase hex digits when held)
//	u names, then each name as u length and its bytes
//	each row:
//	  s commit - previous row's commit (0 before the first)
//	  s prepare - commit
//	  u revision
//	  s unix seconds - previous row's (0 before the first)
//	  u nanoseconds
//	  u stream, agreement, type, actor, reason, line: indices into the names
//	  16 bytes command id
//	  s year
//	  1 byte: 1 with an amount (then s amount), 0 without
//	  the hash: 32 bytes, or u length and its bytes
//
// The head of the snapshot holds the section's length, its CRC-32C, the
// number of rows (which must equal the events applied) and of chunks; a
// section whose checksum does not match is refused when the snapshot is
// read, so decoding it later can only fail through a bug in this file.

// maxAuditChunks is how many chunks a snapshot's audit section may have
// before a new snapshot decodes them and writes them as one.
const maxAuditChunks = 32

// auditChunk is how many rows a block of a projections.Ledger holds.
const auditChunk = projections.AuditBlock

// auditChunkFlagRawHashes marks a chunk whose hashes are stored as 32 bytes.
const auditChunkFlagRawHashes = 1

// minAuditRowBytes is the least a row takes in a chunk: one byte for each
// of its 13 numbers, the command id and one byte of hash.
const minAuditRowBytes = 13 + 16 + 1

// castagnoli is the CRC table, made on first use: making it costs about
// half a millisecond (the SSE4.2 tables), which every start of the program
// paid, reports or not (issue 17, start-up).
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// storedAudit is the audit section of a version 4 snapshot, kept by the
// restored Ledger (as its projections.StoredAudit) until something reads
// the rows; its checksum was checked when the snapshot was read.
type storedAudit struct {
	data   []byte
	rows   int
	chunks int
	crc    uint32
}

func (z *storedAudit) Rows() int { return z.rows }

func (z *storedAudit) Decode() ([][]projections.AuditEntry, error) {
	return decodeAuditSection(z.data, z.rows)
}

// keepStored says whether a new snapshot may write a restored ledger's
// stored audit section again unchanged: when it is this package's and has
// fewer than maxAuditChunks chunks.
func keepStored(s projections.StoredAudit) bool {
	z, ok := s.(*storedAudit)
	return ok && z.chunks < maxAuditChunks
}

// auditSection returns the audit section for a new snapshot of st (from
// Ledger.State(keepStored)): the stored section, unchanged, when the
// ledger still holds it undecoded, followed by a chunk of the rows folded
// since (tail); else one chunk of every row. ok is false when a row cannot
// be held exactly (a time outside UTC). loaded is never modified and may
// be shared.
func auditSection(st projections.LedgerState) (loaded, tail []byte, rows, chunks int, crc uint32, ok bool) {
	held := 0
	for _, blk := range st.Audit {
		held += len(blk)
	}
	if tail, ok = appendAuditChunk(nil, st.Audit, held); !ok {
		return nil, nil, 0, 0, 0, false
	}
	if held > 0 {
		chunks = 1
	}
	if z, _ := st.Stored.(*storedAudit); z != nil {
		return z.data, tail, z.rows + held, z.chunks + chunks, crc32.Update(z.crc, castagnoli(), tail), true
	}
	return nil, tail, held, chunks, crc32.Checksum(tail, castagnoli()), true
}

// isLowerHex64 reports whether s is 64 lowercase hexadecimal digits, the
// form of a SHA-256 that the chunk can hold as 32 bytes and give back
// exactly.
func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// nibble is the value of a lowercase hexadecimal digit.
func nibble(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return c - 'a' + 10
}

// appendAuditChunk appends one chunk holding the first n rows of blocks to
// dst (nothing when n is 0); ok is false when a row's time is outside UTC.
func appendAuditChunk(dst []byte, blocks [][]projections.AuditEntry, n int) ([]byte, bool) {
	if n == 0 {
		return dst, true
	}
	names := nameTable{idx: map[string]uint32{}}
	ids := make([]uint32, 0, 6*n)
	raw := true
	seen := 0
	for _, blk := range blocks {
		for i := range blk {
			r := &blk[i]
			if _, _, ok := utcParts(r.RecordedAt); !ok {
				return nil, false
			}
			raw = raw && isLowerHex64(r.Hash)
			ids = append(ids, names.id(r.Stream), names.id(r.Agreement), names.id(r.Type), names.id(r.Actor), names.id(r.Reason), names.id(r.Line))
			seen++
		}
	}
	if seen != n {
		panic(fmt.Sprintf("codec: the audit trail holds %d rows, its count says %d", seen, n))
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	flags := uint64(0)
	if raw {
		flags |= auditChunkFlagRawHashes
	}
	dst = binary.AppendUvarint(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(len(names.list)))
	for _, s := range names.list {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	var prevCommit uint64
	var prevSec int64
	k := 0
	for _, blk := range blocks {
		for i := range blk {
			r := &blk[i]
			sec, nsec, _ := utcParts(r.RecordedAt)
			dst = binary.AppendVarint(dst, int64(r.Position.Commit-prevCommit))
			dst = binary.AppendVarint(dst, int64(r.Position.Prepare-r.Position.Commit))
			dst = binary.AppendUvarint(dst, r.Revision)
			dst = binary.AppendVarint(dst, sec-prevSec)
			dst = binary.AppendUvarint(dst, uint64(nsec))
			prevCommit, prevSec = r.Position.Commit, sec
			for _, id := range ids[6*k : 6*k+6] {
				dst = binary.AppendUvarint(dst, uint64(id))
			}
			dst = append(dst, r.CommandID[:]...)
			dst = binary.AppendVarint(dst, int64(r.Year))
			if r.HasValue {
				dst = append(dst, 1)
				dst = binary.AppendVarint(dst, int64(r.Value))
			} else {
				dst = append(dst, 0)
			}
			if raw {
				for j := 0; j < 64; j += 2 { // checked by isLowerHex64
					dst = append(dst, nibble(r.Hash[j])<<4|nibble(r.Hash[j+1]))
				}
			} else {
				dst = binary.AppendUvarint(dst, uint64(len(r.Hash)))
				dst = append(dst, r.Hash...)
			}
			k++
		}
	}
	return dst, true
}

// sectionReader reads a section of a snapshot, remembering the first
// problem.
type sectionReader struct {
	b    []byte
	off  int
	err  error
	what string // the section's name in errors ("audit" when empty)
}

func (r *sectionReader) fail(what string) {
	if r.err == nil {
		sec := r.what
		if sec == "" {
			sec = "audit"
		}
		r.err = fmt.Errorf("at byte %d of the %s section: %s", r.off, sec, what)
	}
}

func (r *sectionReader) uvarint(what string) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail(what + " is cut off or too large")
		return 0
	}
	r.off += n
	return v
}

func (r *sectionReader) varint(what string) int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail(what + " is cut off or too large")
		return 0
	}
	r.off += n
	return v
}

// count reads a length that must fit in what is left, each item taking at
// least per bytes.
func (r *sectionReader) count(what string, per int) int {
	v := r.uvarint(what)
	if r.err == nil && v > uint64(len(r.b)-r.off)/uint64(per) {
		r.fail(fmt.Sprintf("%s (%d) is more than the %d bytes left can hold", what, v, len(r.b)-r.off))
		return 0
	}
	return int(v)
}

func (r *sectionReader) bytes(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b)-r.off {
		r.fail(what + " runs past the end")
		return nil
	}
	b := r.b[r.off : r.off+n]
	r.off += n
	return b
}

// decodeAuditSection decodes every chunk of an audit section into blocks
// of projections.AuditBlock rows; the section must hold exactly rows rows.
func decodeAuditSection(data []byte, rows int) ([][]projections.AuditEntry, error) {
	r := &sectionReader{b: data}
	blocks := make([][]projections.AuditEntry, 0, (rows+auditChunk-1)/auditChunk)
	total := 0
	var hashLens []uint32
	for r.err == nil && r.off < len(data) {
		n := r.count("the chunk's row count", minAuditRowBytes)
		if r.err == nil && (n == 0 || n > rows-total) {
			r.fail(fmt.Sprintf("a chunk of %d rows after %d, of %d in all", n, total, rows))
		}
		flags := r.uvarint("the chunk's flags")
		if flags&^auditChunkFlagRawHashes != 0 {
			r.fail(fmt.Sprintf("unknown chunk flags %#x", flags))
		}
		raw := flags&auditChunkFlagRawHashes != 0
		nn := r.count("the number of names", 1)
		start := r.off
		span := make([]int, 2*nn) // offset and length of each name from start
		for i := 0; i < nn && r.err == nil; i++ {
			m := r.count("a name's length", 1)
			span[2*i], span[2*i+1] = r.off-start, m
			r.bytes(m, "a name")
		}
		if r.err != nil {
			break
		}
		all := string(data[start:r.off]) // one allocation for every name of the chunk
		names := make([]string, nn)
		for i := range names {
			names[i] = all[span[2*i] : span[2*i]+span[2*i+1]]
		}
		name := func(what string) string {
			i := r.uvarint(what)
			if r.err == nil && i >= uint64(nn) {
				r.fail(fmt.Sprintf("%s names entry %d of %d", what, i, nn))
				return ""
			}
			if r.err != nil {
				return ""
			}
			return names[i]
		}
		var hashes strings.Builder
		if raw {
			hashes.Grow(64 * n)
		} else {
			hashLens = hashLens[:0]
		}
		var hexBuf [64]byte
		first := total
		var prevCommit uint64
		var prevSec int64
		for k := 0; k < n && r.err == nil; k++ {
			var e projections.AuditEntry
			e.Position.Commit = prevCommit + uint64(r.varint("a commit position"))
			e.Position.Prepare = e.Position.Commit + uint64(r.varint("a prepare position"))
			e.Revision = r.uvarint("a revision")
			sec := prevSec + r.varint("a time")
			nsec := r.uvarint("a time's nanoseconds")
			if r.err == nil && nsec >= 1e9 {
				r.fail(fmt.Sprintf("nanoseconds %d are not below one second", nsec))
			}
			prevCommit, prevSec = e.Position.Commit, sec
			e.RecordedAt = time.Unix(sec, int64(nsec)).UTC()
			e.Stream = name("the stream")
			e.Agreement = name("the agreement")
			e.Type = name("the type")
			e.Actor = name("the actor")
			e.Reason = name("the reason")
			e.Line = name("the line")
			copy(e.CommandID[:], r.bytes(16, "a command id"))
			e.Year = int(r.varint("a year"))
			switch has := r.bytes(1, "an amount flag"); {
			case r.err != nil:
			case has[0] == 1:
				e.Value, e.HasValue = domain.Money(r.varint("an amount")), true
			case has[0] != 0:
				r.fail(fmt.Sprintf("amount flag %d is neither 0 nor 1", has[0]))
			}
			if raw {
				if h := r.bytes(32, "a hash"); h != nil {
					hex.Encode(hexBuf[:], h)
					hashes.Write(hexBuf[:])
				}
			} else {
				m := r.count("a hash's length", 1)
				hashes.Write(r.bytes(m, "a hash"))
				hashLens = append(hashLens, uint32(m))
			}
			if total%auditChunk == 0 { // a block for the rows left, at most auditChunk
				blocks = append(blocks, make([]projections.AuditEntry, 0, min(auditChunk, rows-total)))
			}
			last := &blocks[len(blocks)-1]
			*last = append(*last, e)
			total++
		}
		if r.err != nil {
			break
		}
		hs, at := hashes.String(), 0 // one allocation for every hash of the chunk
		for g := first; g < total; g++ {
			m := 64
			if !raw {
				m = int(hashLens[g-first])
			}
			blocks[g/auditChunk][g%auditChunk].Hash = hs[at : at+m]
			at += m
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	if total != rows {
		return nil, fmt.Errorf("the audit section holds %d rows, its head says %d", total, rows)
	}
	return blocks, nil
}
