package command

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// The saved command ids (issue 17, item 1): the ids of every command up
// to the saved index's position are kept in the store, not in memory, as
// blocks of sorted ids, each a snapshot of its own (IndexSnapshotName +
// "/" + a slot number), listed by the index snapshot's directories with
// each block's first id, count, slot and SHA-256. There are two runs of
// blocks: the base run and a newer one of at most deltaIDs ids, which
// holds the ids of the last saves (mergeRuns). A lookup reads the block
// of each run whose range holds the id (a small cache keeps the last
// few); the ids folded since the save are in memory (ledgerIndex.cmds),
// at most about IndexSaveEvery of them when the store can save.
//
// A process that looks up many ids (an import, a server) would read a
// block per command; after blockReadsBeforeFilter reads it reads every
// block once and keeps a fingerprint of each saved id (its first 4
// bytes, sorted: 4 bytes a command), so that an id not in the blocks, as
// a new command's is, is answered without a read; an id whose
// fingerprint is there (a retry, or one chance in 2^32/N) reads its block.
//
// A block is read only after its SHA-256 matches the directory's, and the
// directory is in the index snapshot, which is checked against the Merkle
// log (checkIndexSnapshot). A block missing or not matching (damaged,
// cut, or overwritten by another process's later save) makes the index
// rebuilt from the events, as a refused snapshot does.

// blockIDs is how many ids a block holds when written: 4 096 ids, about
// 75 KB. A block grown past twice that by a save is split. A variable
// only so that tests can make small ledgers have many blocks.
var blockIDs = 4096

// cachedBlocks is how many decoded blocks a process keeps.
const cachedBlocks = 8

// blockReadsBeforeFilter is how many blocks lookups read before the
// process reads them all to keep the fingerprints.
const blockReadsBeforeFilter = 32

// blockRef is one entry of the directory.
type blockRef struct {
	first uuid.UUID // the least id of the block; the block holds the ids from first up to the next block's first
	n     int
	slot  int
	sum   [sha256.Size]byte
}

// block is a decoded block.
type block struct {
	ids  []uuid.UUID
	strm []uint32
}

func blockName(slot int) string { return IndexSnapshotName + "/" + strconv.Itoa(slot) }

func cmpID(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) }

// find returns the index in run of the block whose range holds id, or -1
// when id is below the first block's first id (no block holds it).
func findBlock(run []blockRef, id uuid.UUID) int {
	i, found := slices.BinarySearchFunc(run, id, func(b blockRef, id uuid.UUID) int { return cmpID(b.first, id) })
	if found {
		return i
	}
	return i - 1
}

func encodeBlock(ids []uuid.UUID, strm []uint32) []byte {
	b := make([]byte, 0, 8+len(ids)*19)
	b = binary.AppendUvarint(b, uint64(len(ids)))
	for _, id := range ids {
		b = append(b, id[:]...)
	}
	for _, s := range strm {
		b = binary.AppendUvarint(b, uint64(s))
	}
	return b
}

// decodeBlock decodes the blob of ref, checking it against ref's sum and
// count and that its ids are sorted, begin at ref.first and stay below
// next (when next is not nil); streams is the number of streams named.
func decodeBlock(ref blockRef, next *uuid.UUID, blob []byte, streams int) (*block, error) {
	if sha256.Sum256(blob) != ref.sum {
		return nil, fmt.Errorf("block %s (%d bytes) does not match the SHA-256 its directory gives", blockName(ref.slot), len(blob))
	}
	r := &indexReader{b: blob}
	n := int(r.uvarint("block count", uint64(len(blob))/16))
	raw := r.bytes("block ids", 16*n)
	if r.err == nil && (n != ref.n || n == 0) {
		r.fail(fmt.Sprintf("block %s holds %d ids, its directory says %d", blockName(ref.slot), n, ref.n))
	}
	if r.err != nil {
		return nil, r.err
	}
	k := &block{ids: make([]uuid.UUID, n), strm: make([]uint32, n)}
	for i := range n {
		copy(k.ids[i][:], raw[16*i:])
		if i > 0 && cmpID(k.ids[i-1], k.ids[i]) >= 0 {
			return nil, fmt.Errorf("the index snapshot is damaged: block %s has its ids out of order", blockName(ref.slot))
		}
	}
	if k.ids[0] != ref.first || next != nil && cmpID(k.ids[n-1], *next) >= 0 {
		return nil, fmt.Errorf("the index snapshot is damaged: block %s holds ids outside its range", blockName(ref.slot))
	}
	for i := 0; i < n && r.err == nil; i++ {
		k.strm[i] = uint32(r.uvarint("a command's stream", uint64(max(streams, 1)-1)))
	}
	if r.err == nil && streams == 0 {
		r.fail("commands without streams")
	}
	if r.err == nil && len(r.b) != 0 {
		r.fail("bytes after a block's end")
	}
	if r.err != nil {
		return nil, r.err
	}
	return k, nil
}

// get returns the stream number of id in block k.
func (k *block) get(id uuid.UUID) (uint32, bool) {
	i, ok := slices.BinarySearchFunc(k.ids, id, cmpID)
	if !ok {
		return 0, false
	}
	return k.strm[i], true
}

// readBlock reads and checks block i of run.
func readBlock(ctx context.Context, store port.Store, run []blockRef, i, streams int) (*block, error) {
	ref := run[i]
	var next *uuid.UUID
	if i+1 < len(run) {
		next = &run[i+1].first
	}
	var k *block
	ok, err := readSnapshot(ctx, store, blockName(ref.slot), func(_ domain.Position, blob []byte) error {
		var derr error
		k, derr = decodeBlock(ref, next, blob, streams)
		return derr
	})
	if err == nil && !ok {
		err = fmt.Errorf("block %s of the saved command-id index is missing", blockName(ref.slot))
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// readSnapshot is how stores without ReadSnapshot (Offers.LendsSnapshots)
// are read: LoadSnapshot is used then.
func readSnapshot(ctx context.Context, store port.Store, name string, fn func(domain.Position, []byte) error) (bool, error) {
	if store.Offers().LendsSnapshots {
		return store.ReadSnapshot(ctx, name, fn)
	}
	pos, blob, ok, err := store.LoadSnapshot(ctx, name)
	if err != nil || !ok {
		return ok, err
	}
	return true, fn(pos, blob)
}

// blockCache keeps the last cachedBlocks blocks read, by slot and sum.
type blockCache struct {
	ents [cachedBlocks]struct {
		ref  blockRef
		k    *block
		used uint64
	}
	tick uint64
}

func (c *blockCache) get(ref blockRef) *block {
	for i := range c.ents {
		if e := &c.ents[i]; e.k != nil && e.ref.slot == ref.slot && e.ref.sum == ref.sum {
			c.tick++
			e.used = c.tick
			return e.k
		}
	}
	return nil
}

func (c *blockCache) put(ref blockRef, k *block) {
	old := 0
	for i := range c.ents {
		if c.ents[i].k == nil {
			old = i
			break
		}
		if c.ents[i].used < c.ents[old].used {
			old = i
		}
	}
	c.tick++
	c.ents[old].ref, c.ents[old].k, c.ents[old].used = ref, k, c.tick
}

func (c *blockCache) clear() { *c = blockCache{} }

// fingerprint is the first 4 bytes of an id.
func fingerprint(id uuid.UUID) uint32 { return binary.BigEndian.Uint32(id[:4]) }

// mayHold reports whether the fingerprints (sorted) have id's.
func mayHold(fp []uint32, id uuid.UUID) bool {
	_, ok := slices.BinarySearch(fp, fingerprint(id))
	return ok
}

// mergeFingerprints adds the fingerprints of ids (any order) to fp.
func mergeFingerprints(fp []uint32, ids []uuid.UUID) []uint32 {
	add := make([]uint32, len(ids))
	for i, id := range ids {
		add[i] = fingerprint(id)
	}
	slices.Sort(add)
	out := make([]uint32, 0, len(fp)+len(add))
	i, j := 0, 0
	for i < len(fp) || j < len(add) {
		if j == len(add) || i < len(fp) && fp[i] <= add[j] {
			out = append(out, fp[i])
			i++
		} else {
			out = append(out, add[j])
			j++
		}
	}
	return out
}

// pin is what the blocks say of the command id of a command in flight:
// read once, at its claim, so that its append's guard, which runs inside
// the store's write, reads nothing from the store. The blocks do not
// change while a command is in flight (a save only adds ids folded
// before it, which the in-memory part holds until the save is installed).
type pin struct {
	streams [2]string // the stream the base and the newer run give the id ("": none)
	refs    int
}

// pinFromMemory pins what the blocks in memory say of id, and returns in
// need the block of each run that must be read first (-1: none).
// x.mu is held.
func (x *ledgerIndex) pinFromMemory(id uuid.UUID) (p *pin, need [2]int) {
	p = &pin{refs: 1}
	need = [2]int{-1, -1}
	if x.fpOK && !mayHold(x.fp, id) {
		return p, need
	}
	for r, run := range x.runs {
		i := findBlock(run, id)
		if i < 0 {
			continue
		}
		if k := x.cache.get(run[i]); k != nil {
			if n, ok := k.get(id); ok {
				p.streams[r] = x.streams[n]
			}
			continue
		}
		need[r] = i
	}
	return p, need
}

// resolve pins what the saved blocks say of id, reading the block of each
// run whose range holds id when neither a pin, the cache nor the
// fingerprints answer. A block that cannot be read or is refused makes
// the index rebuilt from the events (warned). x.mu is not held.
func (x *ledgerIndex) resolve(ctx context.Context, store port.Store, id uuid.UUID, warn func(string)) error {
	x.mu.Lock()
	if p, ok := x.pins[id]; ok {
		p.refs++
		x.mu.Unlock()
		return nil
	}
	p, need := x.pinFromMemory(id)
	if need == [2]int{-1, -1} {
		x.pins[id] = p
		x.mu.Unlock()
		return nil
	}
	runs, gen, streams := x.runs, x.gen, len(x.streams)
	x.mu.Unlock()

	var ks [2]*block
	var err error
	for r, i := range need {
		if i >= 0 && err == nil {
			ks[r], err = readBlock(ctx, store, runs[r], i, streams)
		}
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("read the saved command-id index: %w", err)
		}
		if x.gen == gen {
			warn("the saved command-id index is ignored and rebuilt from the events: " + err.Error())
			if err := x.rebuild(ctx, store); err != nil {
				return err
			}
		}
		return x.pinLocked(ctx, store, id)
	}
	if x.gen != gen {
		// The blocks changed while these were read: ask again (rare).
		return x.pinLocked(ctx, store, id)
	}
	for r, k := range ks {
		if k == nil {
			continue
		}
		x.blockReads++
		x.blockBytes += int64(16 * len(k.ids))
		x.cache.put(runs[r][need[r]], k)
		if n, ok := k.get(id); ok {
			p.streams[r] = x.streams[n]
		}
	}
	if q, ok := x.pins[id]; ok { // pinned by another command meanwhile
		q.refs++
		return nil
	}
	x.pins[id] = p
	return nil
}

// pinLocked pins id after the blocks changed under resolve: the new ones
// are read with x.mu held (rare: a rebuild, or a save installed meanwhile).
func (x *ledgerIndex) pinLocked(ctx context.Context, store port.Store, id uuid.UUID) error {
	if p, ok := x.pins[id]; ok {
		p.refs++
		return nil
	}
	p, need := x.pinFromMemory(id)
	for r, i := range need {
		if i < 0 {
			continue
		}
		k, err := readBlock(ctx, store, x.runs[r], i, len(x.streams))
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("read the saved command-id index: %w", err)
			}
			// Rebuilt already once for this command: fail it, keep the rule.
			return &domain.Error{Code: domain.EInternal, Field: "command_id",
				Message: fmt.Sprintf("the saved command-id index could not be read (%v); command %s was not applied; run it again", err, id)}
		}
		x.cache.put(x.runs[r][i], k)
		if n, ok := k.get(id); ok {
			p.streams[r] = x.streams[n]
		}
	}
	x.pins[id] = p
	return nil
}

// unpin drops one reference to id's pin. x.mu is held.
func (x *ledgerIndex) unpin(id uuid.UUID) {
	if p, ok := x.pins[id]; ok {
		if p.refs--; p.refs <= 0 {
			delete(x.pins, id)
		}
	}
}

// maybeFilter reads every block to keep their fingerprints once lookups
// read blockReadsBeforeFilter blocks. x.mu is not held.
func (x *ledgerIndex) maybeFilter(ctx context.Context, store port.Store, warn func(string)) {
	x.mu.Lock()
	due := !x.fpOK && x.blockReads >= blockReadsBeforeFilter
	runs, gen, streams := x.runs, x.gen, len(x.streams)
	x.mu.Unlock()
	if !due {
		return
	}
	total := 0
	type at struct{ r, i int }
	var all []at
	for r, run := range runs {
		for i, b := range run {
			total += b.n
			all = append(all, at{r, i})
		}
	}
	fp := make([]uint32, 0, total)
	for _, a := range all {
		k, err := readBlock(ctx, store, runs[a.r], a.i, streams)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			x.mu.Lock()
			defer x.mu.Unlock()
			if x.gen == gen {
				warn("the saved command-id index is ignored and rebuilt from the events: " + err.Error())
				if err := x.rebuild(ctx, store); err != nil {
					warn(err.Error())
				}
			}
			return
		}
		x.mu.Lock()
		x.blockBytes += int64(16 * len(k.ids))
		x.mu.Unlock()
		for _, id := range k.ids {
			fp = append(fp, fingerprint(id))
		}
	}
	slices.Sort(fp)
	x.mu.Lock()
	if x.gen == gen {
		x.fp, x.fpOK = fp, true
	}
	x.mu.Unlock()
}

// rebuild drops the saved part and folds every event of the ledger, with
// x.mu held, so that no command is checked against a half-built index.
// The next save writes new blocks.
func (x *ledgerIndex) rebuild(ctx context.Context, store domain.EventStore) error {
	y := newLedgerIndex()
	x.pos, x.cmds, x.frozen, x.more, x.streams, x.ids, x.numbers, x.keys = y.pos, y.cmds, nil, y.more, y.streams, y.ids, y.numbers, y.keys
	x.numsRaw, x.scans = nil, 0
	x.keysOK, x.keysRef = true, nil
	x.runs, x.fp, x.fpOK = [2][]blockRef{}, nil, true // nothing saved
	x.gen++
	x.cache.clear()
	x.saved = domain.Position{}
	for {
		evs, err := store.ReadAll(ctx, x.pos, 4096)
		if err != nil {
			x.built = false
			return fmt.Errorf("read the ledger to index command ids and agreement numbers: %w", err)
		}
		for _, e := range evs {
			x.fold(e)
		}
		if len(evs) < 4096 {
			x.built = true
			return nil
		}
	}
}

// loadKeys reads the saved number keys, when they are not in memory
// yet: only a registration needs them (and a save that adds to them), so
// a process that records a spending does not read them. x.mu is not held.
func (x *ledgerIndex) loadKeys(ctx context.Context, store port.Store, warn func(string)) error {
	x.mu.Lock()
	if x.keysOK || x.keysRef == nil {
		x.mu.Unlock()
		return nil
	}
	ref, gen := *x.keysRef, x.gen
	x.mu.Unlock()
	var saved map[string]string
	ok, err := readSnapshot(ctx, store, blockName(ref.slot), func(_ domain.Position, blob []byte) error {
		if sha256.Sum256(blob) != ref.sum {
			return fmt.Errorf("the number keys %s (%d bytes) do not match the SHA-256 the index gives", blockName(ref.slot), len(blob))
		}
		r := &indexReader{b: blob}
		saved = r.stringMap("number keys")
		if r.err == nil && (len(saved) != ref.n || len(r.b) != 0) {
			r.fail("number keys of another count or with bytes after their end")
		}
		return r.err
	})
	if err == nil && !ok {
		err = fmt.Errorf("the number keys %s of the saved command-id index are missing", blockName(ref.slot))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.gen != gen || x.keysOK {
		return nil // rebuilt, or loaded by another command meanwhile
	}
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("read the saved command-id index: %w", err)
		}
		warn("the saved command-id index is ignored and rebuilt from the events: " + err.Error())
		return x.rebuild(ctx, store)
	}
	// The saved keys are older than those folded since: theirs win.
	for k, n := range x.keys {
		if _, had := saved[k]; !had {
			saved[k] = n
		}
	}
	x.keys, x.keysOK = saved, true
	return nil
}
