package projections

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"time"
	"unsafe"

	"github.com/grantledger/grantledger/domain"
)

// The audit trail's encoded form: the one encoding of audit rows, used both
// by a Ledger, which keeps its trail as chunks of bytes while it folds
// (issue 17: the audit trail stays out of RAM until asked for), and by the
// snapshots of package projections/codec, whose audit section is these
// chunks back to back, written as the Ledger holds them.
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
// A chunk does not say its length in bytes: its end is found by reading
// its rows.

// auditChunkFlagRawHashes marks a chunk whose hashes are stored as 32 bytes.
const auditChunkFlagRawHashes = 1

// MinAuditRowBytes is the least a row takes in a chunk: one byte for each
// of its 13 numbers, the command id and one byte of hash.
const MinAuditRowBytes = 13 + 16 + 1

// AuditSection is a run of encoded audit chunks (the form above) and what
// is known of it.
type AuditSection struct {
	Data   []byte
	Rows   int // rows in all its chunks
	Chunks int // chunks in Data
	// Sum is a checksum of Data that the codec keeps with it (projections
	// carries it unchanged); Summed says it is set.
	Sum    uint32
	Summed bool
}

// hexVal is the value of each lowercase hexadecimal digit, 0xff for any
// other byte.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c-'a') + 10
	}
	return t
}()

// rawHash appends to dst the 32 bytes that s, 64 lowercase hexadecimal
// digits (the form of a SHA-256), stands for; ok is false for any other
// s (a chunk then keeps its hashes as text, to give them back exactly).
func rawHash(dst []byte, s string) ([]byte, bool) {
	if len(s) != 64 {
		return dst, false
	}
	var b [32]byte
	bad := byte(0)
	for j := 0; j < 32; j++ {
		hi, lo := hexVal[s[2*j]], hexVal[s[2*j+1]]
		bad |= hi | lo
		b[j] = hi<<4 | lo
	}
	if bad&0xf0 != 0 {
		return dst, false
	}
	return append(dst, b[:]...), true
}

// utcParts splits a UTC time into seconds and nanoseconds; ok is false for
// a time in another location, which a chunk cannot give back exactly.
func utcParts(t time.Time) (int64, int32, bool) {
	if t.Location() != time.UTC {
		return 0, 0, false
	}
	return t.Unix(), int32(t.Nanosecond()), true
}

// chunkEncoder encodes chunks, keeping its name table and index buffer
// from one chunk to the next.
type chunkEncoder struct {
	idx    map[string]uint32
	list   []string
	ids    []uint32
	hashes []byte    // the rows' hashes as 32 bytes each, while every one allows
	last   [6]string // the last name of each of a row's six, and its id
	lastID [6]uint32
}

// name is the id of a row's k-th name s: the one before it in that place
// is the same most of the time (rows of one agreement follow each other).
func (c *chunkEncoder) name(k int, s string) uint32 {
	if s == c.last[k] && c.lastID[k] != ^uint32(0) {
		return c.lastID[k]
	}
	i := c.id(s)
	c.last[k], c.lastID[k] = s, i
	return i
}

func (c *chunkEncoder) id(s string) uint32 {
	if i, ok := c.idx[s]; ok {
		return i
	}
	i := uint32(len(c.list))
	c.idx[s] = i
	c.list = append(c.list, s)
	return i
}

// AppendAuditChunk appends one chunk holding rows to dst (nothing when
// rows is empty); ok is false when a row's time is outside UTC.
func AppendAuditChunk(dst []byte, rows []AuditEntry) ([]byte, bool) {
	var c chunkEncoder
	out, _, _, ok := c.append(dst, rows)
	return out, ok
}

// append appends one chunk of rows to dst, and returns the least and the
// greatest unix second of the rows' times.
func (c *chunkEncoder) append(dst []byte, rows []AuditEntry) (out []byte, minSec, maxSec int64, ok bool) {
	n := len(rows)
	if n == 0 {
		return dst, 0, 0, true
	}
	if c.idx == nil {
		c.idx = map[string]uint32{}
	}
	clear(c.idx)
	c.list, c.ids, c.hashes = c.list[:0], c.ids[:0], c.hashes[:0]
	c.last = [6]string{}
	c.lastID = [6]uint32{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}
	raw := true
	for i := range rows {
		r := &rows[i]
		sec, _, ok := utcParts(r.RecordedAt)
		if !ok {
			return dst, 0, 0, false
		}
		if i == 0 || sec < minSec {
			minSec = sec
		}
		if i == 0 || sec > maxSec {
			maxSec = sec
		}
		if raw {
			c.hashes, raw = rawHash(c.hashes, r.Hash)
		}
		c.ids = append(c.ids, c.name(0, r.Stream), c.name(1, r.Agreement), c.name(2, r.Type), c.name(3, r.Actor), c.name(4, r.Reason), c.name(5, r.Line))
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	flags := uint64(0)
	if raw {
		flags |= auditChunkFlagRawHashes
	}
	dst = binary.AppendUvarint(dst, flags)
	dst = binary.AppendUvarint(dst, uint64(len(c.list)))
	for _, s := range c.list {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	var prevCommit uint64
	var prevSec int64
	for k := range rows {
		r := &rows[k]
		sec, nsec, _ := utcParts(r.RecordedAt)
		dst = binary.AppendVarint(dst, int64(r.Position.Commit-prevCommit))
		dst = binary.AppendVarint(dst, int64(r.Position.Prepare-r.Position.Commit))
		dst = binary.AppendUvarint(dst, r.Revision)
		dst = binary.AppendVarint(dst, sec-prevSec)
		dst = binary.AppendUvarint(dst, uint64(nsec))
		prevCommit, prevSec = r.Position.Commit, sec
		for _, id := range c.ids[6*k : 6*k+6] {
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
			dst = append(dst, c.hashes[32*k:32*k+32]...)
		} else {
			dst = binary.AppendUvarint(dst, uint64(len(r.Hash)))
			dst = append(dst, r.Hash...)
		}
	}
	clear(c.list) // let the names go
	c.last = [6]string{}
	return dst, minSec, maxSec, true
}

// chunkReader reads a section of chunks, remembering the first problem.
type chunkReader struct {
	b   []byte
	off int
	err error
}

func (r *chunkReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("at byte %d of the audit section: %s", r.off, what)
	}
}

func (r *chunkReader) uvarint(what string) uint64 {
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

func (r *chunkReader) varint(what string) int64 {
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
func (r *chunkReader) count(what string, per int) int {
	v := r.uvarint(what)
	if r.err == nil && v > uint64(len(r.b)-r.off)/uint64(per) {
		r.fail(fmt.Sprintf("%s (%d) is more than the %d bytes left can hold", what, v, len(r.b)-r.off))
		return 0
	}
	return int(v)
}

func (r *chunkReader) bytes(n int, what string) []byte {
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

// chunk is the head of one chunk being read.
type chunk struct {
	rows  int
	raw   bool
	nn    int      // names in its table
	names []string // nil when not asked for
}

// head reads the head of the chunk at r.off; names are made only when
// wantNames (else rows read name nothing).
func (r *chunkReader) head(rowsLeft int, wantNames bool) chunk {
	var c chunk
	c.rows = r.count("the chunk's row count", MinAuditRowBytes)
	if r.err == nil && (c.rows == 0 || c.rows > rowsLeft) {
		r.fail(fmt.Sprintf("a chunk of %d rows where %d are left", c.rows, rowsLeft))
	}
	flags := r.uvarint("the chunk's flags")
	if flags&^auditChunkFlagRawHashes != 0 {
		r.fail(fmt.Sprintf("unknown chunk flags %#x", flags))
	}
	c.raw = flags&auditChunkFlagRawHashes != 0
	c.nn = r.count("the number of names", 1)
	if r.err != nil {
		return c
	}
	start := r.off
	var span []int
	if wantNames {
		span = make([]int, 2*c.nn) // offset and length of each name from start
	}
	for i := 0; i < c.nn && r.err == nil; i++ {
		m := r.count("a name's length", 1)
		if wantNames {
			span[2*i], span[2*i+1] = r.off-start, m
		}
		r.bytes(m, "a name")
	}
	if r.err != nil || !wantNames {
		return c
	}
	all := string(r.b[start:r.off]) // one allocation for every name of the chunk
	c.names = make([]string, c.nn)
	for i := range c.names {
		c.names[i] = all[span[2*i] : span[2*i]+span[2*i+1]]
	}
	return c
}

// rowCursor reads the rows of one chunk one by one.
type rowCursor struct {
	r          *chunkReader
	c          chunk
	prevCommit uint64
	prevSec    int64
	hash       []byte // the last row's hash as stored (32 raw bytes when c.raw)
	hbuf       []byte // hashes made, see hashString
}

// next reads one row into e, all but its hash (which is left in cur.hash:
// see hashString); e.Amount stays nil.
func (cur *rowCursor) next(e *AuditEntry) {
	r := cur.r
	e.Position.Commit = cur.prevCommit + uint64(r.varint("a commit position"))
	e.Position.Prepare = e.Position.Commit + uint64(r.varint("a prepare position"))
	e.Revision = r.uvarint("a revision")
	sec := cur.prevSec + r.varint("a time")
	nsec := r.uvarint("a time's nanoseconds")
	if r.err == nil && nsec >= 1e9 {
		r.fail(fmt.Sprintf("nanoseconds %d are not below one second", nsec))
	}
	cur.prevCommit, cur.prevSec = e.Position.Commit, sec
	e.RecordedAt = time.Unix(sec, int64(nsec)).UTC()
	e.Stream = cur.name("the stream")
	e.Agreement = cur.name("the agreement")
	e.Type = cur.name("the type")
	e.Actor = cur.name("the actor")
	e.Reason = cur.name("the reason")
	e.Line = cur.name("the line")
	copy(e.CommandID[:], r.bytes(16, "a command id"))
	e.Year = int(r.varint("a year"))
	e.Value, e.HasValue = 0, false
	switch has := r.bytes(1, "an amount flag"); {
	case r.err != nil:
	case has[0] == 1:
		e.Value, e.HasValue = domain.Money(r.varint("an amount")), true
	case has[0] != 0:
		r.fail(fmt.Sprintf("amount flag %d is neither 0 nor 1", has[0]))
	}
	if cur.c.raw {
		cur.hash = r.bytes(32, "a hash")
	} else {
		m := r.count("a hash's length", 1)
		cur.hash = r.bytes(m, "a hash")
	}
	e.Hash = ""
}

func (cur *rowCursor) name(what string) string {
	r := cur.r
	i := r.uvarint(what)
	if r.err == nil && i >= uint64(cur.c.nn) {
		r.fail(fmt.Sprintf("%s names entry %d of %d", what, i, cur.c.nn))
		return ""
	}
	if r.err != nil || cur.c.names == nil {
		return ""
	}
	return cur.c.names[i]
}

// hashString is the last row's hash as it was folded. The hashes of a
// chunk's rows are written into buffers of the cursor's, never changed
// after: a new buffer (twice the last, up to the chunk's rows) when one is
// full, so that rows read one after another do not cost an allocation
// each.
func (cur *rowCursor) hashString() string {
	m := len(cur.hash)
	if cur.c.raw {
		m = 64
	}
	if m == 0 {
		return ""
	}
	if cap(cur.hbuf)-len(cur.hbuf) < m {
		n := max(16*64, 2*cap(cur.hbuf), m)
		if limit := cur.c.rows * 64; n > limit && !(limit < m) {
			n = limit
		}
		cur.hbuf = make([]byte, 0, n)
	}
	at := len(cur.hbuf)
	if cur.c.raw {
		cur.hbuf = cur.hbuf[:at+64]
		hex.Encode(cur.hbuf[at:], cur.hash)
	} else {
		cur.hbuf = append(cur.hbuf, cur.hash...)
	}
	return unsafe.String(&cur.hbuf[at], m)
}

// walkChunks reads the chunks of data, which must hold rows rows in all.
// With row set, each row is read whole and handed to row, which may stop
// the walk by returning false. With row nil the rows are read without
// names or hashes, only to find each chunk's end; either way each chunk
// read whole is reported to bounds (when not nil) with its bytes, rows and
// least and greatest second.
func walkChunks(data []byte, rows int, row func(e *AuditEntry) bool, bounds func(b []byte, rows int, minSec, maxSec int64)) error {
	r := &chunkReader{b: data}
	total := 0
	var e AuditEntry
	for r.err == nil && r.off < len(data) {
		start := r.off
		c := r.head(rows-total, row != nil)
		if r.err != nil {
			break
		}
		cur := rowCursor{r: r, c: c}
		var minSec, maxSec int64
		for k := 0; k < c.rows && r.err == nil; k++ {
			cur.next(&e)
			if r.err != nil {
				break
			}
			if k == 0 || cur.prevSec < minSec {
				minSec = cur.prevSec
			}
			if k == 0 || cur.prevSec > maxSec {
				maxSec = cur.prevSec
			}
			if row != nil {
				e.Hash = cur.hashString()
				if !row(&e) {
					return nil
				}
			}
		}
		if r.err != nil {
			break
		}
		total += c.rows
		if bounds != nil {
			bounds(data[start:r.off], c.rows, minSec, maxSec)
		}
	}
	if r.err != nil {
		return r.err
	}
	if total != rows {
		return fmt.Errorf("the audit section holds %d rows, its head says %d", total, rows)
	}
	return nil
}

// scanChunk reads the one chunk data holds: want is asked with its names
// whether any row can be wanted (nil: yes); pick is asked of each row
// before its hash is made (nil: every row); row gets the rows picked,
// hash set, and may stop the scan by returning false (then so does
// scanChunk).
func scanChunk(data []byte, rows int, want func(names []string) bool, pick func(e *AuditEntry) bool, row func(e *AuditEntry) bool) (bool, error) {
	r := &chunkReader{b: data}
	c := r.head(rows, true)
	if r.err == nil && c.rows != rows {
		r.fail(fmt.Sprintf("the chunk holds %d rows, %d were counted", c.rows, rows))
	}
	if r.err != nil {
		return false, r.err
	}
	if want != nil && !want(c.names) {
		return true, nil
	}
	cur := rowCursor{r: r, c: c}
	var e AuditEntry
	for k := 0; k < c.rows; k++ {
		cur.next(&e)
		if r.err != nil {
			return false, r.err
		}
		if pick != nil && !pick(&e) {
			continue
		}
		e.Hash = cur.hashString()
		if !row(&e) {
			return false, nil
		}
	}
	if r.off != len(data) {
		return false, fmt.Errorf("%d bytes follow the chunk's last row", len(data)-r.off)
	}
	return true, nil
}

// DecodeAuditSection decodes every chunk of a section that must hold
// exactly rows rows, in order (the tests' and old callers' form: a Ledger
// never holds them all).
func DecodeAuditSection(data []byte, rows int) ([]AuditEntry, error) {
	out := make([]AuditEntry, 0, min(rows, len(data)/MinAuditRowBytes))
	err := walkChunks(data, rows, func(e *AuditEntry) bool {
		out = append(out, *e)
		return true
	}, nil)
	if err != nil {
		return nil, err
	}
	return out, nil
}
