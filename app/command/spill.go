package command

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"sync"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// A state dropped to keep Options.MaxCachedEvents is not thrown away at
// once: it is kept encoded (its plain state, domain.AgreementState, and
// its command spans, in gob) while the encoded states hold less than
// Options.MaxSpilledBytes, and the next command on its agreement decodes
// it and reads only the events written since. On the data set of
// 'grantledger generate' an encoded state is about a third of its live
// size, and decoding one costs about a tenth of reading its stream back
// from the embedded store, which reads each event's row from another
// page (docs/PERFORMANCE.md, "Scale"): a server whose writers touch more
// agreements than the cache holds then pays a decode per command, not a
// stream read. The encoding is made from the state in memory and kept
// in memory, so it is trusted as the state itself was; the events after
// it are checked against its chain hash like any catch-up.
//
// The encoded states are bounded by their bytes; past the bound, the
// ones used longest ago are thrown away (evictIfFull), and their
// agreements are read from the store when next used.

// spilled is a dropped state in its encoded form.
type spilled struct {
	Agg      domain.AgreementState
	Rev      int64
	LastHash string
	IDs      []uuid.UUID // the command ids of the stream, and where their events are
	First    []uint64
	N        []uint32
}

// encodeSpill encodes st, whose lock is held and whose agg is set.
func encodeSpill(st *streamState) ([]byte, error) {
	sp := spilled{Agg: st.agg.State(), Rev: st.rev, LastHash: st.lastHash,
		IDs: make([]uuid.UUID, 0, len(st.commands)), First: make([]uint64, 0, len(st.commands)), N: make([]uint32, 0, len(st.commands))}
	for id, c := range st.commands {
		sp.IDs = append(sp.IDs, id)
		sp.First = append(sp.First, c.first)
		sp.N = append(sp.N, c.n)
	}
	var buf bytes.Buffer
	buf.WriteByte(0)
	if err := gob.NewEncoder(&buf).Encode(&sp); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	if p := spillTypes(); len(p) > 0 && bytes.HasPrefix(b[1:], p) {
		// The type descriptions every encoding begins with are kept once,
		// not in each: about 3 KB, half of a small state's encoding.
		b = append(b[:1:1], b[1+len(p):]...)
		b[0] = 1
		return b, nil
	}
	return bytes.Clone(b), nil // without the buffer's spare room
}

// spillTypes returns the gob type descriptions with which a new encoder
// begins every encoding of a spilled value: the messages before the
// first value, found by encoding an empty one. gob describes a type and
// its parts when it first meets the type, not its values, so every
// encoding begins with the same bytes; encodeSpill checks that it does,
// and keeps the whole encoding of one that does not.
var spillTypes = sync.OnceValue(func() []byte {
	var buf bytes.Buffer
	if gob.NewEncoder(&buf).Encode(&spilled{}) != nil {
		return nil
	}
	b := buf.Bytes()
	n := 0
	for n < len(b) {
		size, w := gobUint(b[n:])
		if w == 0 || uint64(len(b)-n-w) < size {
			return nil
		}
		msg := b[n+w : n+w+int(size)]
		id, _ := gobUint(msg)
		if id&1 == 0 { // a non-negative type id: the value itself
			return bytes.Clone(b[:n])
		}
		n += w + int(size)
	}
	return nil
})

// gobUint reads one of gob's unsigned integers (a byte below 128, or a
// negated byte count and that many big-endian bytes) and returns it with
// the bytes it took (0: malformed). A signed integer is the same with its
// sign in the lowest bit.
func gobUint(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, 0
	}
	if b[0] < 0x80 {
		return uint64(b[0]), 1
	}
	k := int(-int8(b[0]))
	if k > 8 || len(b) < 1+k {
		return 0, 0
	}
	var v uint64
	for _, c := range b[1 : 1+k] {
		v = v<<8 | uint64(c)
	}
	return v, 1 + k
}

// decodeSpill rebuilds a state from its encoding into st.
func decodeSpill(b []byte, st *streamState) error {
	if len(b) == 0 || b[0] > 1 {
		return fmt.Errorf("an encoding of %d bytes that begins with neither 0 nor 1", len(b))
	}
	var r io.Reader = bytes.NewReader(b[1:])
	if b[0] == 1 {
		r = io.MultiReader(bytes.NewReader(spillTypes()), r)
	}
	var sp spilled
	if err := gob.NewDecoder(r).Decode(&sp); err != nil {
		return err
	}
	if len(sp.First) != len(sp.IDs) || len(sp.N) != len(sp.IDs) {
		return fmt.Errorf("%d command ids, %d first revisions, %d counts", len(sp.IDs), len(sp.First), len(sp.N))
	}
	agg, err := domain.RestoreAgreement(sp.Agg)
	if err != nil {
		return err
	}
	st.agg, st.rev, st.lastHash = agg, sp.Rev, sp.LastHash
	st.commands = make(map[uuid.UUID]commandSpan, len(sp.IDs))
	for i, id := range sp.IDs {
		st.commands[id] = commandSpan{first: sp.First[i], n: sp.N[i]}
	}
	st.pending = nil
	return nil
}

// unspill restores st (agg nil, lock held) from its encoding, if it has
// one, and reports whether it did. An encoding that does not decode is
// thrown away; the caller then reads the stream.
func (s *Service) unspill(st *streamState) bool {
	b := st.spill
	if b == nil {
		return false
	}
	s.dropSpill(st)
	if err := decodeSpill(b, st); err != nil {
		st.agg = nil
		s.warnf(fmt.Sprintf("an agreement state kept encoded did not decode (%v); it is read from the ledger instead", err))
		return false
	}
	s.restored.Add(1)
	return true
}

// dropSpill throws st's encoding away (st's lock held).
func (s *Service) dropSpill(st *streamState) {
	if st.spill != nil {
		s.spilled.Add(-int64(len(st.spill)))
		st.spill = nil
	}
}
