package codec

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"sync"

	"github.com/grantledger/grantledger/projections"
)

// The audit trail in a snapshot (version 4 and later). It is most of a
// read model (one row per event, each with a 64-character hash) and most
// reports never read it. A projections.Ledger holds it encoded, in chunks
// of projections.AuditBlock rows (projections/auditchunk.go: the one
// encoding of audit rows, and the chunk's layout), and decodes only what a
// query reads; the snapshot's audit section is those chunks back to back,
// written as the Ledger holds them, with the open block (fewer than
// AuditBlock rows) encoded as one more chunk. Restored, the section is
// handed to the Ledger as it is (projections.AuditSection), and a new
// snapshot of that Ledger writes it again unchanged.
//
// The head of the snapshot holds the section's length, its CRC-32C, the
// number of rows (which must equal the events applied) and of chunks; a
// section whose checksum does not match is refused when the snapshot is
// read, so reading it later can only fail through a bug.

// minAuditRowBytes is the least a row takes in a chunk.
const minAuditRowBytes = projections.MinAuditRowBytes

// castagnoli is the CRC table, made on first use: making it costs about
// half a millisecond (the SSE4.2 tables), which every start of the program
// paid, reports or not (issue 17, start-up).
var castagnoli = sync.OnceValue(func() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) })

// auditSection returns the audit section for a new snapshot of st (from
// Ledger.State): the ledger's chunks, as they are, to be written back to
// back; ok is false when the ledger holds a row a chunk cannot (a time
// outside UTC). The parts are the ledger's own and must not be modified.
func auditSection(st projections.LedgerState) (parts [][]byte, rows, chunks int, crc uint32, ok bool) {
	if !st.AuditEncoded {
		return nil, 0, 0, 0, false
	}
	for i, sec := range st.Audit {
		parts = append(parts, sec.Data)
		rows += sec.Rows
		chunks += sec.Chunks
		if i == 0 && sec.Summed { // the section of the snapshot the ledger was restored from
			crc = sec.Sum
			continue
		}
		crc = crc32.Update(crc, castagnoli(), sec.Data)
	}
	return parts, rows, chunks, crc, true
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
