package command

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// The ledger-wide index (index.go) is saved as a named snapshot in the
// store, so that a process that records one command does not read and
// decode every event of the ledger to build it (issue 17, item 3): it
// loads the snapshot and folds only the events after it.
//
// The snapshot is bound to the log as the read model's are
// (app/readmodel/treebind.go): it records the Merkle tree size and
// root at its position, and loading refuses it unless the log has that
// many events and the same root there (a truncated, replaced or rewritten
// ledger). A store that does not keep the log gets no index snapshot: the
// index is built from the events, as before.
//
// The index keeps rules (one command id, one agreement; no look-alike
// numbers); it is no proof of anything. A snapshot forged by someone who
// can write the file and knows the code, with this log's own size and
// root, can make the index forget a command id or a number, so that a
// command breaking a rule gets in; `grantledger verify` lists such rule
// breaks from the events (Lint). docs/PROOFS.md, threat model.

// IndexSnapshotName is the name the ledger-wide index is saved under,
// distinct from the read model's (projector.DefaultSnapshotName).
const IndexSnapshotName = "ledger.index"

// indexMagic and indexVersion begin every index snapshot; a snapshot of
// another version is ignored and the index rebuilt from the events.
const (
	indexMagic   = "GLINDEX\n"
	indexVersion = 1
)

// indexHeader: magic, version, tree size (8 bytes), root (32 bytes),
// position (2 x 8 bytes).
const indexHeader = len(indexMagic) + 1 + 8 + 32 + 16

// IndexSaveEvery is how many events (or commands applied here) the index
// folds since its saved snapshot before a command saves it again
// (a write of some 20 bytes a command, outside the command's own write).
const IndexSaveEvery = 10_000

// indexSaveAtEnd is how many events SaveIndex wants folded since the
// snapshot before it saves: a process that applied a handful of commands
// does not write the index at its end.
const indexSaveAtEnd = 1_000

// encode writes the index's committed part (not the commands in flight).
// x.mu is held.
func (x *ledgerIndex) encode() []byte {
	x.cmds.merge()
	n := len(x.cmds.ids)
	b := make([]byte, 0, 64+n*18+len(x.streams)*24)
	b = binary.AppendUvarint(b, uint64(len(x.streams)))
	for _, s := range x.streams {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(n))
	for _, id := range x.cmds.ids {
		b = append(b, id[:]...)
	}
	for _, s := range x.cmds.strm {
		b = binary.AppendUvarint(b, uint64(s))
	}
	ids := slices.SortedFunc(maps.Keys(x.more), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = append(b, id[:]...)
		b = binary.AppendUvarint(b, uint64(len(x.more[id])))
		for _, s := range x.more[id] {
			b = appendString(b, s)
		}
	}
	b = appendMap(b, x.numbers)
	b = appendMap(b, x.keys)
	sum := sha256.Sum256(b)
	return append(b, sum[:]...)
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

func appendMap(b []byte, m map[string]string) []byte {
	b = binary.AppendUvarint(b, uint64(len(m)))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = appendString(appendString(b, k), m[k])
	}
	return b
}

// indexReader reads the body of an index snapshot; the first error stops it.
type indexReader struct {
	b   []byte
	err error
}

func (r *indexReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("the index snapshot is damaged: %s", what)
	}
}

func (r *indexReader) uvarint(what string, limit uint64) uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > limit {
		r.fail(what)
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *indexReader) bytes(what string, n int) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail(what)
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *indexReader) string(what string) string {
	n := r.uvarint(what, uint64(len(r.b)))
	return string(r.bytes(what, int(n)))
}

func (r *indexReader) stringMap(what string) map[string]string {
	n := r.uvarint(what, uint64(len(r.b))/2)
	m := make(map[string]string, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := r.string(what)
		m[k] = r.string(what)
	}
	return m
}

// decodeIndex decodes the body of an index snapshot into a new index at
// pos, or says what is wrong with it.
func decodeIndex(body []byte, pos domain.Position) (*ledgerIndex, error) {
	if len(body) < sha256.Size {
		return nil, errors.New("the index snapshot is damaged: too short")
	}
	data, sum := body[:len(body)-sha256.Size], body[len(body)-sha256.Size:]
	if got := sha256.Sum256(data); !bytes.Equal(got[:], sum) {
		return nil, errors.New("the index snapshot is damaged: its checksum does not match")
	}
	r := &indexReader{b: data}
	x := newLedgerIndex()
	ns := r.uvarint("stream count", uint64(len(r.b)))
	x.streams = make([]string, 0, ns)
	for i := uint64(0); i < ns && r.err == nil; i++ {
		s := r.string("stream name")
		if _, dup := x.ids[s]; dup {
			r.fail("a stream named twice")
		}
		x.ids[s] = uint32(len(x.streams))
		x.streams = append(x.streams, s)
	}
	n := int(r.uvarint("command count", uint64(len(r.b))/16))
	raw := r.bytes("command ids", 16*n)
	if r.err == nil {
		x.cmds.ids = make([]uuid.UUID, n, n+n/16)
		x.cmds.strm = make([]uint32, n, n+n/16)
		for i := range n {
			copy(x.cmds.ids[i][:], raw[16*i:])
			if i > 0 && bytes.Compare(x.cmds.ids[i-1][:], x.cmds.ids[i][:]) >= 0 {
				r.fail("command ids out of order")
				break
			}
		}
		for i := 0; i < n && r.err == nil; i++ {
			x.cmds.strm[i] = uint32(r.uvarint("a command's stream", ns-1))
		}
		if ns == 0 && n > 0 {
			r.fail("commands without streams")
		}
	}
	nm := r.uvarint("count of ids on more streams", uint64(len(r.b))/17)
	for i := uint64(0); i < nm && r.err == nil; i++ {
		var id uuid.UUID
		copy(id[:], r.bytes("command id", 16))
		k := r.uvarint("stream count", uint64(len(r.b)))
		for j := uint64(0); j < k && r.err == nil; j++ {
			x.more[id] = append(x.more[id], r.string("stream name"))
		}
	}
	x.numbers = r.stringMap("agreement numbers")
	x.keys = r.stringMap("number keys")
	if r.err == nil && len(r.b) != 0 {
		r.fail("bytes after its end")
	}
	if r.err != nil {
		return nil, r.err
	}
	x.pos = pos
	return x, nil
}

// loadSnapshot replaces the empty index x with the saved snapshot, when
// the store keeps one that is bound to this log; otherwise it leaves x
// as it is (the caller folds every event) and, when a snapshot was there
// but refused, says why through warn. Service.claim calls it once, with
// x.mu held, before the first catch-up.
func (x *ledgerIndex) loadSnapshot(ctx context.Context, store port.Store, warn func(string)) {
	snaps, l := store, store
	if !store.Offers().Snapshots {
		return
	}
	pos, blob, ok, err := snaps.LoadSnapshot(ctx, IndexSnapshotName)
	if err != nil || !ok {
		if err != nil {
			warn(fmt.Sprintf("the saved command-id index was not read (%v); it is rebuilt from the events", err))
		}
		return
	}
	y, problem := checkIndexSnapshot(ctx, l, pos, blob)
	if problem != "" {
		warn("the saved command-id index is ignored and rebuilt from the events: " + problem)
		return
	}
	x.pos, x.cmds, x.more, x.streams, x.ids, x.numbers, x.keys = y.pos, y.cmds, y.more, y.streams, y.ids, y.numbers, y.keys
	x.saved = y.pos
}

// checkIndexSnapshot decodes an index snapshot saved at pos after checking
// its version and that it was folded from this log; problem says why it
// cannot be used.
func checkIndexSnapshot(ctx context.Context, l merkle.Tree, pos domain.Position, blob []byte) (*ledgerIndex, string) {
	if len(blob) < indexHeader || string(blob[:len(indexMagic)]) != indexMagic {
		return nil, "it is not an index snapshot this program wrote"
	}
	if v := blob[len(indexMagic)]; v != indexVersion {
		return nil, fmt.Sprintf("it is of version %d; this program reads version %d", v, indexVersion)
	}
	h := blob[len(indexMagic)+1:]
	size := int64(binary.BigEndian.Uint64(h))
	var root merkle.Hash
	copy(root[:], h[8:40])
	inner := domain.Position{Commit: binary.BigEndian.Uint64(h[40:]), Prepare: binary.BigEndian.Uint64(h[48:])}
	if inner != pos {
		return nil, fmt.Sprintf("it says it was folded up to position %s but is saved at %s", inner, pos)
	}
	problem, err := merkle.CheckFoldedAt(ctx, l, pos, size, root)
	if err != nil {
		return nil, fmt.Sprintf("the log could not be read at its position %s (%v)", pos, err)
	}
	if problem != "" {
		return nil, problem
	}
	if size > 0 {
		p, err := merkle.PositionOf(ctx, l, size)
		if err != nil || p != pos {
			return nil, fmt.Sprintf("its position %s is not the position of event %d of the log", pos, size)
		}
	} else if !pos.IsZero() {
		return nil, fmt.Sprintf("it was folded from no events but is saved at position %s", pos)
	}
	y, err := decodeIndex(blob[indexHeader:], pos)
	if err != nil {
		return nil, err.Error()
	}
	return y, ""
}

// snapshot returns the index's position and encoding, or ok false when
// it should not be saved now: not built, commands in flight (their
// events may be written before the position the index has reached, but
// not yet folded), or fewer than min events folded since the last save.
func (x *ledgerIndex) snapshot(min int64) (pos domain.Position, body []byte, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.built || x.saving || x.since < min || len(x.pendCmd) > 0 || len(x.pendKey) > 0 || x.pos == x.saved {
		return pos, nil, false
	}
	x.saving = true
	return x.pos, x.encode(), true
}

// saveIndex saves the index when at least min events were folded into it
// since its saved snapshot, and there are no commands in flight. It runs
// outside every command's write; its failure fails no command.
func (s *Service) saveIndex(ctx context.Context, min int64) error {
	x := s.index
	snaps, l := s.store, s.store
	if !s.store.Offers().Snapshots || ctx.Err() != nil { // a stopped process saves nothing (and says nothing of it)
		return nil
	}
	pos, body, ok := x.snapshot(min)
	if !ok {
		return nil
	}
	err := func() error {
		size, root, err := merkle.FoldedAt(ctx, l, pos)
		if err != nil {
			return err
		}
		blob := make([]byte, 0, indexHeader+len(body))
		blob = append(blob, indexMagic...)
		blob = append(blob, indexVersion)
		blob = binary.BigEndian.AppendUint64(blob, uint64(size))
		blob = append(blob, root[:]...)
		blob = binary.BigEndian.AppendUint64(blob, pos.Commit)
		blob = binary.BigEndian.AppendUint64(blob, pos.Prepare)
		return snaps.SaveSnapshot(ctx, IndexSnapshotName, pos, append(blob, body...))
	}()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.saving = false
	// Counted from here even when saving failed: a store that cannot
	// save is not asked again at every command.
	x.since = 0
	if err != nil {
		return fmt.Errorf("save the command-id index at %s: %w (the commands stay applied; the index is rebuilt from the events next time)", pos, err)
	}
	x.saved = pos
	return nil
}

// SaveIndex saves the ledger-wide index in the store when the index has
// folded many events since it was last saved (1 000 or more), so that
// the next process loads it instead of reading the whole ledger. apply
// and import call it at their end. A failure is only worth a warning: the
// index is rebuilt from the events when there is no snapshot.
func (s *Service) SaveIndex(ctx context.Context) error { return s.saveIndex(ctx, indexSaveAtEnd) }

// maybeSaveIndex is called at the start of a command: it saves the index
// when it has folded IndexSaveEvery events since its snapshot.
func (s *Service) maybeSaveIndex(ctx context.Context) {
	x := s.index
	x.mu.Lock()
	due := x.since >= IndexSaveEvery
	x.mu.Unlock()
	if !due {
		return
	}
	if err := s.saveIndex(ctx, IndexSaveEvery); err != nil {
		s.warnf(err.Error())
	}
}

// warnf passes msg to Options.Warn, if set.
func (s *Service) warnf(msg string) {
	if s.warn != nil {
		s.warn(msg)
	}
}
