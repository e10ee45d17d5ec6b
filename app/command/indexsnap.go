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
	"sort"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/merkle"
	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// The ledger-wide index (index.go) is saved as a named snapshot in the
// store, so that a process that records one command does not read and
// decode every event of the ledger to build it (issue 17, item 3): it
// loads the snapshot and folds only the events after it. The snapshot
// holds the names and the directories of the blocks of command ids
// (indexblocks.go), which are read on demand.
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
// Version 1 held every command id; version 2 holds the directory of the
// blocks that hold them (indexblocks.go). A version 1 snapshot is still
// read (its ids kept in memory until the next save writes version 2).
const (
	indexMagic     = "GLINDEX\n"
	indexVersion   = 2
	indexVersionV1 = 1
)

// indexHeader: magic, version, tree size (8 bytes), root (32 bytes),
// position (2 x 8 bytes).
const indexHeader = len(indexMagic) + 1 + 8 + 32 + 16

// IndexSaveEvery is how many events (or commands applied here) the index
// folds since its saved snapshot before a command saves it again (a
// merge of the ids folded since into the blocks, outside the command's
// own write), and so about how many ids it holds in memory at most; the
// default of Options.IndexSaveEvery.
const IndexSaveEvery = 10_000

// indexSaveAtEnd is how many events SaveIndex wants folded since the
// snapshot before it saves: a process that applied a handful of commands
// does not write the index at its end.
const indexSaveAtEnd = 1_000

// encodeNames writes the names part of a version 2 index: the stream
// names (the blocks give a command's stream by its number in them) and
// the agreement numbers. The number keys are a snapshot of their own
// (keysRef), read only by a registration. x.mu is held.
func (x *ledgerIndex) encodeNames() []byte {
	// An agreement's number is written with its stream's number in the
	// table (a registration without a command id names a stream no id
	// refers to: it is added to the table).
	numbers := x.nums()
	nums := make([]uint32, 0, len(numbers))
	for st := range numbers {
		n, ok := x.streamNumber(st)
		if !ok {
			n = x.addStream(st)
		}
		nums = append(nums, n)
	}
	slices.Sort(nums)
	b := make([]byte, 0, 64+len(x.streams)*80)
	b = binary.AppendUvarint(b, uint64(len(x.streams)))
	for _, s := range x.streams {
		b = appendString(b, s)
	}
	b = binary.AppendUvarint(b, uint64(len(nums)))
	for _, n := range nums {
		b = appendString(binary.AppendUvarint(b, uint64(n)), x.numbers[x.streams[n]])
	}
	return b
}

// appendTail ends the body of a version 2 index after its names part:
// the further streams of ids used on more than one, the directory of the
// blocks, and the SHA-256 of the body.
func appendTail(b []byte, more map[uuid.UUID][]string, keys *blockRef, runs [2][]blockRef) []byte {
	ids := slices.SortedFunc(maps.Keys(more), cmpID)
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = append(b, id[:]...)
		b = binary.AppendUvarint(b, uint64(len(more[id])))
		for _, s := range more[id] {
			b = appendString(b, s)
		}
	}
	if keys == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(keys.n))
		b = binary.AppendUvarint(b, uint64(keys.slot))
		b = append(b, keys.sum[:]...)
	}
	for _, run := range runs {
		b = binary.AppendUvarint(b, uint64(len(run)))
		for _, r := range run {
			b = append(b, r.first[:]...)
			b = binary.AppendUvarint(b, uint64(r.n))
			b = binary.AppendUvarint(b, uint64(r.slot))
			b = append(b, r.sum[:]...)
		}
	}
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
	b     []byte
	err   error
	whole string // when set, the bytes b is the end of, as a string
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
	if r.whole != "" {
		// A part of the one copy of the body: no allocation per name
		// (10 000 agreements' names are decoded by every process).
		at := len(r.whole) - len(r.b)
		if r.bytes(what, int(n)); r.err != nil {
			return ""
		}
		return r.whole[at : at+int(n)]
	}
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

// decodeIndexV1 decodes the body of a version 1 index snapshot (every
// command id in it) into a new index at pos, or says what is wrong with it.
func decodeIndexV1(body []byte, pos domain.Position) (*ledgerIndex, error) {
	if len(body) < sha256.Size {
		return nil, errors.New("the index snapshot is damaged: too short")
	}
	data, sum := body[:len(body)-sha256.Size], body[len(body)-sha256.Size:]
	if got := sha256.Sum256(data); !bytes.Equal(got[:], sum) {
		return nil, errors.New("the index snapshot is damaged: its checksum does not match")
	}
	r := &indexReader{b: data, whole: string(data)}
	x := newLedgerIndex()
	ns := r.uvarint("stream count", uint64(len(r.b)))
	x.streams = make([]string, 0, ns)
	x.ids = make(map[string]uint32, ns)
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

// decodeIndexV2 decodes the body of a version 2 index snapshot (names,
// further streams, the directory of blocks) into a new index at pos.
func decodeIndexV2(body []byte, pos domain.Position) (*ledgerIndex, error) {
	if len(body) < sha256.Size {
		return nil, errors.New("the index snapshot is damaged: too short")
	}
	data, sum := body[:len(body)-sha256.Size], body[len(body)-sha256.Size:]
	if got := sha256.Sum256(data); !bytes.Equal(got[:], sum) {
		return nil, errors.New("the index snapshot is damaged: its checksum does not match")
	}
	r := &indexReader{b: data, whole: string(data)}
	x := newLedgerIndex()
	ns := r.uvarint("stream count", uint64(len(r.b)))
	x.streams = make([]string, 0, ns)
	x.ids = nil // built when needed (streamNumber); a name twice is harmless (both numbers name it)
	for i := uint64(0); i < ns && r.err == nil; i++ {
		x.streams = append(x.streams, r.string("stream name"))
	}
	nn := r.uvarint("agreement numbers", ns)
	x.numsRaw = make([]numEntry, 0, nn)
	for i := uint64(0); i < nn && r.err == nil; i++ {
		st := r.uvarint("an agreement's stream", max(ns, 1)-1)
		num := r.string("agreement number")
		x.numsRaw = append(x.numsRaw, numEntry{uint32(st), num})
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
	slots := map[int]bool{}
	switch f := r.bytes("number keys", 1); {
	case r.err != nil:
	case f[0] == 1:
		ref := &blockRef{}
		ref.n = int(r.uvarint("number keys' count", 1<<30))
		ref.slot = int(r.uvarint("number keys' slot", 1<<30))
		copy(ref.sum[:], r.bytes("number keys' SHA-256", sha256.Size))
		x.keysRef, x.keysOK = ref, false
		slots[ref.slot] = true
	case f[0] != 0:
		r.fail("number keys")
	}
	for ri := range x.runs {
		nb := r.uvarint("block count", uint64(len(r.b))/(16+2+32))
		run := make([]blockRef, 0, nb)
		for i := uint64(0); i < nb && r.err == nil; i++ {
			var ref blockRef
			copy(ref.first[:], r.bytes("a block's first id", 16))
			ref.n = int(r.uvarint("a block's count", 1<<24))
			ref.slot = int(r.uvarint("a block's slot", 1<<30))
			copy(ref.sum[:], r.bytes("a block's SHA-256", sha256.Size))
			if r.err == nil && (ref.n == 0 || slots[ref.slot] || len(run) > 0 && cmpID(run[len(run)-1].first, ref.first) >= 0) {
				r.fail("its directory of blocks is not in order")
			}
			slots[ref.slot] = true
			run = append(run, ref)
		}
		x.runs[ri] = run
	}
	if r.err == nil && len(x.runs[0])+len(x.runs[1]) > 0 && ns == 0 {
		r.fail("commands without streams")
	}
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
// x.mu held, before the first catch-up. Of a version 2 snapshot only the
// directory is read; the blocks are read when an id is looked up.
func (x *ledgerIndex) loadSnapshot(ctx context.Context, store port.Store, warn func(string)) {
	if !store.Offers().Snapshots {
		return
	}
	var y *ledgerIndex
	var problem string
	ok, err := readSnapshot(ctx, store, IndexSnapshotName, func(pos domain.Position, blob []byte) error {
		y, problem = checkIndexSnapshot(ctx, store, pos, blob)
		return nil
	})
	if err != nil || !ok {
		if err != nil {
			warn(fmt.Sprintf("the saved command-id index was not read (%v); it is rebuilt from the events", err))
		}
		return
	}
	if problem != "" {
		warn("the saved command-id index is ignored and rebuilt from the events: " + problem)
		return
	}
	x.pos, x.cmds, x.more, x.streams, x.ids, x.numbers, x.keys, x.runs = y.pos, y.cmds, y.more, y.streams, y.ids, y.numbers, y.keys, y.runs
	x.numsRaw, x.scans = y.numsRaw, 0
	x.keysOK, x.keysRef = y.keysOK, y.keysRef
	x.gen++
	x.cache.clear()
	x.fp, x.fpOK = nil, len(x.runs[0])+len(x.runs[1]) == 0
	x.saved = y.pos
	if len(x.cmds.ids) > 0 {
		// A version 1 snapshot: its ids are in memory until the next
		// save writes them to blocks, which SaveIndex does whatever
		// their number.
		x.since = indexSaveAtEnd + int64(len(x.cmds.ids))
	}
}

// checkIndexSnapshot decodes an index snapshot saved at pos after checking
// its version and that it was folded from this log; problem says why it
// cannot be used.
func checkIndexSnapshot(ctx context.Context, l merkle.Tree, pos domain.Position, blob []byte) (*ledgerIndex, string) {
	if len(blob) < indexHeader || string(blob[:len(indexMagic)]) != indexMagic {
		return nil, "it is not an index snapshot this program wrote"
	}
	v := blob[len(indexMagic)]
	if v != indexVersion && v != indexVersionV1 {
		return nil, fmt.Sprintf("it is of version %d; this program reads versions %d and %d", v, indexVersionV1, indexVersion)
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
	decode := decodeIndexV2
	if v == indexVersionV1 {
		decode = decodeIndexV1
	}
	y, err := decode(blob[indexHeader:], pos)
	if err != nil {
		return nil, err.Error()
	}
	return y, ""
}

// headSlots returns the slots of the blocks the index snapshot in blob
// lists (none when it lists none or cannot be read): a save does not
// write over them, so that a process reading them keeps reading them.
func headSlots(pos domain.Position, blob []byte) []int {
	if len(blob) < indexHeader || string(blob[:len(indexMagic)]) != indexMagic || blob[len(indexMagic)] != indexVersion {
		return nil
	}
	y, err := decodeIndexV2(blob[indexHeader:], pos)
	if err != nil {
		return nil
	}
	var slots []int
	if y.keysRef != nil {
		slots = append(slots, y.keysRef.slot)
	}
	for _, run := range y.runs {
		for _, r := range run {
			slots = append(slots, r.slot)
		}
	}
	return slots
}

// saveState is what a save takes from the index when it begins.
type saveState struct {
	pos     domain.Position
	gen     uint64
	runs    [2][]blockRef
	frozen  *cmdIndex
	streams []string
	names   []byte
	more    map[uuid.UUID][]string
	fp      []uint32
	fpOK    bool
	keys    []byte    // the number keys to write, or nil to keep keysRef
	keysN   int       // how many
	keysRef *blockRef // the saved number keys, kept when keys is nil
}

// snapshot begins a save, or returns ok false when the index should not
// be saved now: not built, a save running, fewer than min events folded
// since the last save, or nothing new. With commands in flight it saves
// only when the store checks guards under its lock (guarded): there the
// index's position is moved only by a guard, which folds every event
// written before it, or by a command's own append; elsewhere a command
// in flight may have been written before the position the index reached
// without being folded yet. What cmds held is frozen (the save writes
// it to blocks); cmds starts empty.
func (x *ledgerIndex) snapshot(min int64, guarded bool) (st saveState, ok bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if !x.built || x.saving || x.since < min || x.pos == x.saved || !guarded && (len(x.pendCmd) > 0 || len(x.pendKey) > 0) {
		return st, false
	}
	if !x.keysOK && len(x.keys) > 0 {
		return st, false // the saved keys are to be read first (saveIndexOnce)
	}
	x.saving = true
	x.cmds.merge()
	fr := x.cmds
	x.frozen = &fr
	x.cmds = cmdIndex{}
	names := x.encodeNames() // first: it may add streams to the table
	st = saveState{pos: x.pos, gen: x.gen, runs: x.runs, frozen: x.frozen, streams: x.streams[:len(x.streams):len(x.streams)],
		names: names, more: maps.Clone(x.more), fp: x.fp, fpOK: x.fpOK, keysRef: x.keysRef}
	if x.keysOK && len(x.keys) > 0 {
		st.keys, st.keysN, st.keysRef = appendMap(nil, x.keys)[0:], len(x.keys), nil
	}
	return st, true
}

// errBadBlock marks a block that could not be read or was refused.
type errBadBlock struct{ err error }

func (e errBadBlock) Error() string { return e.err.Error() }

// deltaIDs is how many ids the newer run holds at most (16 blocks): a
// save merges the ids folded since the last one into the newer run, and
// into the base run (emptying the newer one) only when the newer run
// would grow past this. With random ids every block of a run gets new
// ids at every merge, so a run is rewritten whole: keeping the ids of
// the last saves apart rewrites at most 16 blocks per save, and the
// base run once every 64 000 ids or so (see docs/PERFORMANCE.md).
func deltaIDs() int { return 16 * blockIDs }

// writeBlocks merges the sorted ids (and their stream numbers) into run:
// a block whose range gets no new id is kept as it is (not read, not
// written); one that does is read, merged and written to a free slot
// (split when it grew past twice blockIDs). An id a block holds on
// another stream is added to more. It returns the new directory.
func writeBlocks(ctx context.Context, store port.Store, w *snapWriter, st *saveState, run []blockRef, add []uuid.UUID, strm []uint32, taken map[int]bool) (out []blockRef, err error) {
	slot := 0
	write := func(ids []uuid.UUID, strm []uint32) error {
		for taken[slot] {
			slot++
		}
		taken[slot] = true
		blob := encodeBlock(ids, strm)
		if err := w.save(ctx, blockName(slot), domain.Position{}, blob); err != nil {
			return err
		}
		out = append(out, blockRef{first: ids[0], n: len(ids), slot: slot, sum: sha256.Sum256(blob)})
		return nil
	}
	chunks := func(ids []uuid.UUID, strm []uint32) error {
		parts := max(1, (len(ids)+blockIDs-1)/blockIDs)
		if len(ids) <= 2*blockIDs && len(run) > 0 {
			parts = 1
		}
		size := (len(ids) + parts - 1) / parts
		for len(ids) > 0 {
			n := min(size, len(ids))
			if err := write(ids[:n], strm[:n]); err != nil {
				return err
			}
			ids, strm = ids[n:], strm[n:]
		}
		return nil
	}
	if len(run) == 0 {
		if len(add) > 0 {
			if err := chunks(add, strm); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	j := 0
	for i, ref := range run {
		end := len(add)
		if i+1 < len(run) {
			end = j + sort.Search(len(add)-j, func(k int) bool { return cmpID(add[j+k], run[i+1].first) >= 0 })
		}
		if end == j {
			out = append(out, ref)
			continue
		}
		k, err := readBlock(ctx, store, run, i, len(st.streams))
		if err != nil {
			if ctx.Err() != nil {
				return nil, err
			}
			return nil, errBadBlock{err}
		}
		ids, ss := mergeSorted(st, k.ids, k.strm, add[j:end], strm[j:end])
		j = end
		if err := chunks(ids, ss); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// snapWriter writes the snapshots of one index save. On a store that
// offers snapshot batches it gathers them and saves them in one commit,
// the index snapshot last, after the blocks it names (flush); a save of
// more than snapBatchBytes (a merge into the base run of a large ledger)
// saves its blocks in commits of about that size as it goes, and the
// index snapshot with the last of them. Elsewhere each is saved as it
// comes. Either way a crash part-way leaves only blocks in slots that no
// saved index snapshot names, as before the save.
type snapWriter struct {
	store   port.Store
	batch   bool
	pending []port.NamedSnapshot
	bytes   int
}

// snapBatchBytes bounds the blobs a save holds for one commit (about
// 400 000 ids in blocks): one commit per save but for the merges into
// the base run of ledgers of more than that many commands, and a bound
// on what a save holds besides the ids it merges.
const snapBatchBytes = 8 << 20

func (w *snapWriter) save(ctx context.Context, name string, pos domain.Position, blob []byte) error {
	if !w.batch {
		return w.store.SaveSnapshot(ctx, name, pos, blob)
	}
	w.pending = append(w.pending, port.NamedSnapshot{Name: name, Position: pos, Blob: blob})
	w.bytes += len(blob)
	if w.bytes >= snapBatchBytes && name != IndexSnapshotName {
		return w.flush(ctx)
	}
	return nil
}

// flush saves what save gathered, in one commit.
func (w *snapWriter) flush(ctx context.Context) error {
	if len(w.pending) == 0 {
		return nil
	}
	err := w.store.SaveSnapshots(ctx, w.pending)
	clear(w.pending)
	w.pending, w.bytes = w.pending[:0], 0
	return err
}

// mergeSorted merges the sorted ids b into a (both with their stream
// numbers); an id in both keeps a's stream, and b's, when another, is
// added to st.more.
func mergeSorted(st *saveState, a []uuid.UUID, as []uint32, b []uuid.UUID, bs []uint32) ([]uuid.UUID, []uint32) {
	ids := make([]uuid.UUID, 0, len(a)+len(b))
	strm := make([]uint32, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		c := 0
		switch {
		case i == len(a):
			c = 1
		case j == len(b):
			c = -1
		default:
			c = cmpID(a[i], b[j])
		}
		switch {
		case c < 0:
			ids, strm = append(ids, a[i]), append(strm, as[i])
			i++
		case c > 0:
			ids, strm = append(ids, b[j]), append(strm, bs[j])
			j++
		default:
			if as[i] != bs[j] {
				s := st.streams[bs[j]]
				if !slices.Contains(st.more[b[j]], s) {
					st.more[b[j]] = append(st.more[b[j]], s)
				}
			}
			ids, strm = append(ids, a[i]), append(strm, as[i])
			i++
			j++
		}
	}
	return ids, strm
}

// readRun reads every block of run, in order.
func readRun(ctx context.Context, store port.Store, st *saveState, run []blockRef) ([]uuid.UUID, []uint32, error) {
	var ids []uuid.UUID
	var strm []uint32
	for i := range run {
		k, err := readBlock(ctx, store, run, i, len(st.streams))
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, err
			}
			return nil, nil, errBadBlock{err}
		}
		ids, strm = append(ids, k.ids...), append(strm, k.strm...)
	}
	return ids, strm, nil
}

// mergeRuns writes the frozen ids into the newer run, or, when it would
// grow past deltaIDs, the newer run and them into the base run.
func mergeRuns(ctx context.Context, store port.Store, w *snapWriter, st *saveState, taken map[int]bool) ([2][]blockRef, error) {
	fz := st.frozen
	inDelta := 0
	for _, r := range st.runs[1] {
		inDelta += r.n
	}
	if inDelta+len(fz.ids) <= deltaIDs() {
		delta, err := writeBlocks(ctx, store, w, st, st.runs[1], fz.ids, fz.strm, taken)
		return [2][]blockRef{st.runs[0], delta}, err
	}
	ids, strm, err := readRun(ctx, store, st, st.runs[1])
	if err != nil {
		return [2][]blockRef{}, err
	}
	ids, strm = mergeSorted(st, ids, strm, fz.ids, fz.strm)
	base, err := writeBlocks(ctx, store, w, st, st.runs[0], ids, strm, taken)
	return [2][]blockRef{base, nil}, err
}

// saveIndex saves the index when at least min events were folded into it
// since its saved snapshot (and, on a store that does not check guards
// under its lock, no commands are in flight): the ids folded since are
// merged into the blocks, then the index snapshot naming them is written.
// It runs outside every command's write; its failure fails no command. A
// block found damaged makes the index rebuilt from the events, and saved
// whole.
func (s *Service) saveIndex(ctx context.Context, min int64) error {
	err := s.saveIndexOnce(ctx, min)
	var bad errBadBlock
	if errors.As(err, &bad) {
		x := s.index
		s.warnf("the saved command-id index is ignored and rebuilt from the events: " + bad.Error())
		x.mu.Lock()
		err = x.rebuild(ctx, s.store)
		x.mu.Unlock()
		if err != nil {
			return err
		}
		return s.saveIndexOnce(ctx, 1)
	}
	return err
}

func (s *Service) saveIndexOnce(ctx context.Context, min int64) error {
	x := s.index
	if !s.store.Offers().Snapshots || ctx.Err() != nil { // a stopped process saves nothing (and says nothing of it)
		return nil
	}
	if s.store.ReadOnlyReason() != "" {
		// Snapshots cannot be saved (a read-only file; EventStoreDB
		// without a snapshot directory, whose SaveSnapshot writes
		// nothing): the ids stay in memory, as they are not in blocks.
		return nil
	}
	x.mu.Lock()
	need := !x.keysOK && len(x.keys) > 0
	x.mu.Unlock()
	if need {
		if err := x.loadKeys(ctx, s.store, s.warnf); err != nil {
			return err
		}
	}
	st, ok := x.snapshot(min, s.guarded())
	if !ok {
		return nil
	}
	var runs [2][]blockRef
	var keys *blockRef
	err := func() error {
		size, root, err := merkle.FoldedAt(ctx, s.store, st.pos)
		if err != nil {
			return err
		}
		// Slots of the blocks in use: ours, and those of the index
		// snapshot in the store now (another process's save may have
		// replaced ours, and processes may be reading its blocks).
		taken := map[int]bool{}
		for _, run := range st.runs {
			for _, r := range run {
				taken[r.slot] = true
			}
		}
		if st.keysRef != nil {
			taken[st.keysRef.slot] = true
		}
		if _, err := readSnapshot(ctx, s.store, IndexSnapshotName, func(pos domain.Position, blob []byte) error {
			for _, sl := range headSlots(pos, blob) {
				taken[sl] = true
			}
			return nil
		}); err != nil {
			return err
		}
		w := &snapWriter{store: s.store, batch: s.store.Offers().SnapshotBatches}
		runs, err = mergeRuns(ctx, s.store, w, &st, taken)
		if err != nil {
			return err
		}
		keys = st.keysRef
		if st.keys != nil {
			slot := 0
			for taken[slot] {
				slot++
			}
			if err := w.save(ctx, blockName(slot), domain.Position{}, st.keys); err != nil {
				return err
			}
			keys = &blockRef{n: st.keysN, slot: slot, sum: sha256.Sum256(st.keys)}
		}
		blob := make([]byte, 0, indexHeader+len(st.names)+64+(len(runs[0])+len(runs[1]))*56)
		blob = append(blob, indexMagic...)
		blob = append(blob, indexVersion)
		blob = binary.BigEndian.AppendUint64(blob, uint64(size))
		blob = append(blob, root[:]...)
		blob = binary.BigEndian.AppendUint64(blob, st.pos.Commit)
		blob = binary.BigEndian.AppendUint64(blob, st.pos.Prepare)
		blob = append(blob, appendTail(st.names, st.more, keys, runs)...)
		if err := w.save(ctx, IndexSnapshotName, st.pos, blob); err != nil {
			return err
		}
		return w.flush(ctx)
	}()
	x.mu.Lock()
	defer x.mu.Unlock()
	x.saving = false
	// Counted from here even when saving failed: a store that cannot
	// save is not asked again at every command.
	x.since = 0
	if x.gen != st.gen {
		return err // rebuilt meanwhile: what was frozen is folded again
	}
	if err != nil {
		// The frozen ids go back to the in-memory part.
		fz := x.frozen
		x.frozen = nil
		for i, id := range fz.ids {
			x.use(id, st.streams[fz.strm[i]])
		}
		var bad errBadBlock
		if errors.As(err, &bad) {
			return err
		}
		return fmt.Errorf("save the command-id index at %s: %w (the commands stay applied; the index is rebuilt from the events next time)", st.pos, err)
	}
	x.runs, x.gen, x.keysRef = runs, x.gen+1, keys
	for id, ss := range st.more {
		for _, s := range ss {
			if !slices.Contains(x.more[id], s) {
				x.more[id] = append(x.more[id], s)
			}
		}
	}
	if st.fpOK {
		x.fp, x.fpOK = mergeFingerprints(st.fp, x.frozen.ids), true
	}
	x.frozen = nil
	x.saved = st.pos
	return nil
}

// SaveIndex saves the ledger-wide index in the store when the index has
// folded many events since it was last saved (1 000 or more), so that
// the next process loads it instead of reading the whole ledger. apply
// and import call it at their end. A failure is only worth a warning: the
// index is rebuilt from the events when there is no snapshot.
// It first waits for a save running beside the commands
// (Options.SaveIndexBeside).
func (s *Service) SaveIndex(ctx context.Context) error {
	s.WaitIndexSave()
	return s.saveIndex(ctx, indexSaveAtEnd)
}

// WaitIndexSave waits for the save of the index that runs beside the
// commands (Options.SaveIndexBeside), if one does. A server calls it
// before it closes the store.
func (s *Service) WaitIndexSave() {
	s.besideMu.Lock()
	on := s.besideOn
	s.besideMu.Unlock()
	if on != nil {
		<-on
	}
}

// maybeSaveIndex is called at the start of a command: it saves the index
// when it has folded IndexSaveEvery events since its snapshot, in line or
// (Options.SaveIndexBeside) in a goroutine of its own, which outlives the
// command and so does not take its context's end.
func (s *Service) maybeSaveIndex(ctx context.Context) {
	x := s.index
	x.mu.Lock()
	due := x.since >= s.saveEvery && !x.saving
	x.mu.Unlock()
	if !due {
		return
	}
	if !s.beside {
		if err := s.saveIndex(ctx, s.saveEvery); err != nil {
			s.warnf(err.Error())
		}
		return
	}
	s.besideMu.Lock()
	if s.besideOn != nil {
		s.besideMu.Unlock()
		return // one save at a time
	}
	on := make(chan struct{})
	s.besideOn = on
	s.besideMu.Unlock()
	go func() {
		defer close(on)
		defer func() {
			s.besideMu.Lock()
			s.besideOn = nil
			s.besideMu.Unlock()
		}()
		if err := s.saveIndex(context.WithoutCancel(ctx), s.saveEvery); err != nil {
			s.warnf(err.Error())
		}
	}()
}

// warnf passes msg to Options.Warn, if set.
func (s *Service) warnf(msg string) {
	if s.warn != nil {
		s.warn(msg)
	}
}
