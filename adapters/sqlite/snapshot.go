package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/grantledger/grantledger/app/port"
	"github.com/grantledger/grantledger/domain"
)

// SaveSnapshot stores blob under name with the position it was built up
// to, replacing what name held before. The position and the blob are
// written in one transaction, so after a crash both are the old ones or
// both the new ones; the write is durable when SaveSnapshot returns nil.
// Snapshots live in their own table and never touch the events.
// On a read-only store (see ReadOnlyReason) it writes nothing and says why,
// as an append does.
//
// A blob of more than snapshotPart bytes is stored in parts (see
// snapshotPart), in the same transaction.
func (s *Store) SaveSnapshot(ctx context.Context, name string, position domain.Position, blob []byte) error {
	return s.SaveSnapshotParts(ctx, name, position, blob)
}

// SaveSnapshotParts is SaveSnapshot of the blob that parts hold back to
// back, without putting them together in memory first
// (codec.EncodeParts): the rows of a large snapshot are cut from them.
func (s *Store) SaveSnapshotParts(ctx context.Context, name string, position domain.Position, parts ...[]byte) error {
	return s.saveSnapshots(ctx, name, "the one before was kept", []pendingSnapshot{{name, position, parts}})
}

// SaveSnapshots implements port.Snapshots: every snapshot of batch, in
// order, in one transaction, so one commit (and one fsync) serves them
// all, and after a crash all are saved or none is. Each is saved as
// SaveSnapshot saves it; when one cannot be, none is, and the ones
// before were kept. The command-id index saves its blocks so (issue 17).
func (s *Store) SaveSnapshots(ctx context.Context, batch []port.NamedSnapshot) error {
	if len(batch) == 0 {
		return nil
	}
	what := batch[0].Name
	if len(batch) > 1 {
		what = fmt.Sprintf("%s and %d more", what, len(batch)-1)
	}
	snaps := make([]pendingSnapshot, len(batch))
	for i, sn := range batch {
		snaps[i] = pendingSnapshot{sn.Name, sn.Position, [][]byte{sn.Blob}}
	}
	return s.saveSnapshots(ctx, what, "none of the batch was saved; the ones before were kept", snaps)
}

// pendingSnapshot is one snapshot to save: its blob is its parts back to
// back.
type pendingSnapshot struct {
	name     string
	position domain.Position
	parts    [][]byte
}

// saveSnapshots saves snaps, in order, in one write transaction under the
// write lock; what names them in errors, kept says what a failure kept.
func (s *Store) saveSnapshots(ctx context.Context, what, kept string, snaps []pendingSnapshot) error {
	if s.readOnly {
		return fmt.Errorf("save snapshot %s: %w", what, s.readOnlyError())
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if s.isClosed() {
		return fmt.Errorf("save snapshot %s: %w", what, errClosed())
	}
	if _, err := s.wst.begin.ExecContext(ctx); err != nil {
		return fmt.Errorf("save snapshot %s: begin: %w", what, classify(err))
	}
	saved := s.now().UTC().UnixNano()
	var err error
	for _, sn := range snaps {
		if err = s.saveSnapshotInTx(ctx, sn.name, sn.position, saved, sn.parts); err != nil {
			break
		}
	}
	if err == nil {
		if _, cerr := s.wst.commit.ExecContext(context.WithoutCancel(ctx)); cerr != nil {
			err = fmt.Errorf("save snapshot %s: commit: %w", what, classify(cerr))
		}
	}
	if err != nil {
		s.wst.rollback.ExecContext(context.WithoutCancel(ctx))
		return fmt.Errorf("%w; %s", err, kept)
	}
	return nil
}

// saveSnapshotInTx replaces the snapshot name, inside the write
// transaction.
func (s *Store) saveSnapshotInTx(ctx context.Context, name string, position domain.Position, saved int64, parts [][]byte) error {
	if strings.Contains(name, partSep) {
		return fmt.Errorf("save snapshot %q: a snapshot's name may not hold %q, which names its parts", name, partSep)
	}
	// The old snapshot (and its parts) is deleted before the new one is
	// inserted, in one transaction, so the new one's overflow pages are
	// the old one's, taken back from the free list: an UPSERT of a blob of
	// another size writes the new pages before it frees the old, which
	// left one snapshot's size of free pages in the file after every save
	// (about 100 MB at 670 000 events; issue 17, docs/STORAGE.md).
	fail := func(what string, err error) error {
		return fmt.Errorf("save snapshot %s: %s%w", name, what, classify(err))
	}
	if _, err := s.w.ExecContext(ctx, "DELETE FROM snapshots WHERE name = ?1 OR (name >= ?2 AND name < ?3)", name, name+partSep, name+partEnd); err != nil {
		return fail("remove the one before: ", err)
	}
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	var head [len(partsTag)]byte
	copyParts(head[:], parts)
	if size <= snapshotPart && string(head[:]) != partsTag {
		if _, err := s.wst.saveSnap.ExecContext(ctx, name, int64(position.Commit), int64(position.Prepare), joinParts(parts, size), saved); err != nil {
			return fail("", err)
		}
		return nil
	}
	n := (size + snapshotPart - 1) / snapshotPart
	manifest := append([]byte(partsTag), make([]byte, 12)...)
	binary.BigEndian.PutUint64(manifest[len(partsTag):], uint64(size))
	binary.BigEndian.PutUint32(manifest[len(partsTag)+8:], uint32(n))
	if _, err := s.wst.saveSnap.ExecContext(ctx, name, int64(position.Commit), int64(position.Prepare), manifest, saved); err != nil {
		return fail("", err)
	}
	var buf []byte // a row that spans parts, put together
	for i := 0; i < n; i++ {
		row := cutRow(parts, i*snapshotPart, min(snapshotPart, size-i*snapshotPart), &buf)
		if _, err := s.wst.saveSnap.ExecContext(ctx, partName(name, i), int64(position.Commit), int64(position.Prepare), row, saved); err != nil {
			return fail(fmt.Sprintf("part %d of %d: ", i+1, n), err)
		}
	}
	return nil
}

// A snapshot of more than snapshotPart bytes (the read model of a large
// ledger: 100 MB at 670 000 events) is stored as rows of at most
// snapshotPart bytes each, named partName(name, i) in the order of the
// blob, and the row under name holds
//
//	partsTag | blob length (8 bytes, big-endian) | number of parts (4 bytes, big-endian)
//
// (as does a blob of any size that starts with partsTag, so that a row
// under name that starts with it is always this manifest). One row of
// 100 MB cost two more copies of the whole blob in fresh memory, which
// cost more than writing it: the driver copies a bound blob into memory
// of its own, and SQLite builds the whole record before it writes it; at
// most 1 MiB at a time, both reuse the same memory (issue 17, the first
// report's save). Reading gives the callers the blob whole, as before.
const (
	snapshotPart = 1<<20 - 64<<10 // a part and the allocators' headers stay in one 1 MiB class
	partsTag     = "GLPARTS1"
	partsHead    = len(partsTag) + 8 + 4
	partSep      = "#part-"
	partEnd      = "#part." // the least name after every name+partSep+digits
)

// partName names part i (from 0) of the snapshot name; the names sort in
// the order of the parts.
func partName(name string, i int) string {
	return fmt.Sprintf("%s%s%08d", name, partSep, i)
}

// copyParts copies into dst the first len(dst) bytes of the blob that
// parts hold back to back (fewer when it is shorter).
func copyParts(dst []byte, parts [][]byte) {
	for _, p := range parts {
		if len(dst) == 0 {
			return
		}
		dst = dst[copy(dst, p):]
	}
}

// joinParts returns the blob parts hold back to back, size bytes (never
// nil: the column is NOT NULL).
func joinParts(parts [][]byte, size int) []byte {
	if len(parts) == 1 && parts[0] != nil {
		return parts[0]
	}
	out := make([]byte, size)
	copyParts(out, parts)
	return out
}

// cutRow returns the n bytes at offset at of the blob parts hold back to
// back: inside one part, a slice of it; across parts, put together in
// *buf (reused from row to row).
func cutRow(parts [][]byte, at, n int, buf *[]byte) []byte {
	for i, p := range parts {
		if at >= len(p) {
			at -= len(p)
			continue
		}
		if at+n <= len(p) {
			return p[at : at+n]
		}
		if cap(*buf) < n {
			*buf = make([]byte, n)
		}
		out := (*buf)[:n]
		k := copy(out, p[at:])
		copyParts(out[k:], parts[i+1:])
		return out
	}
	return nil
}

// LoadSnapshot returns the position and blob last saved under name; ok is
// false, with no error, when nothing was saved under it.
func (s *Store) LoadSnapshot(ctx context.Context, name string) (position domain.Position, blob []byte, ok bool, err error) {
	ok, err = s.ReadSnapshot(ctx, name, func(pos domain.Position, b []byte) error {
		position, blob = pos, bytes.Clone(b)
		return nil
	})
	return position, blob, ok, err
}

// ReadSnapshot calls fn with the position and blob last saved under name,
// and reports ok true; ok is false, with no error and without a call of fn,
// when nothing was saved under it. The blob is valid only until fn
// returns: fn copies what it keeps. It is the driver's copy of the stored
// bytes (or, for a snapshot stored in parts, the parts put together in
// one buffer), which LoadSnapshot copies once more; a snapshot is read
// while its read transaction is open, so fn should not take long. An
// error from fn is returned as it is. A snapshot whose parts do not match
// its manifest (which no save writes: they are written in one
// transaction) is an error that says what is wrong, and fn is not called.
func (s *Store) ReadSnapshot(ctx context.Context, name string, fn func(position domain.Position, blob []byte) error) (ok bool, err error) {
	if s.isClosed() {
		return false, fmt.Errorf("load snapshot %s: %w", name, errClosed())
	}
	// One statement, so the row under name and its parts are read in one
	// read transaction: those of the same save. They sort by name: the
	// name first, then its parts in order. The range is one walk of the
	// names' index (a condition with OR made SQLite sort the rows, blobs
	// and all, through a temporary file); it also holds any other name
	// that starts with name and sorts before name+partEnd, which are
	// skipped.
	rows, err := s.rst.loadSnap.QueryContext(ctx, name, name+partEnd)
	if err != nil {
		return false, fmt.Errorf("load snapshot %s: %w", name, err)
	}
	defer rows.Close()
	var pos domain.Position
	var whole []byte // a blob put together from its parts
	var size, parts, got int
	for rows.Next() {
		var rowName string
		var c, p int64
		var blob sql.RawBytes // the driver's memory, valid until Next or Close
		if err := rows.Scan(&rowName, &c, &p, &blob); err != nil {
			return false, fmt.Errorf("load snapshot %s: %w", name, err)
		}
		rowPos := domain.Position{Commit: uint64(c), Prepare: uint64(p)}
		if rowName != name && !strings.HasPrefix(rowName, name+partSep) {
			continue // another snapshot's name
		}
		if !ok {
			if rowName != name {
				// Parts without their manifest: what an older program
				// leaves when it saves a snapshot stored in parts again
				// (it replaces the row under name only); nothing saved.
				return false, rows.Close()
			}
			ok, pos = true, rowPos
			if !bytes.HasPrefix(blob, []byte(partsTag)) {
				if err := fn(pos, blob); err != nil {
					return true, err
				}
				if err := rows.Close(); err != nil {
					return true, fmt.Errorf("load snapshot %s: %w", name, err)
				}
				return true, nil
			}
			if len(blob) != partsHead {
				return true, fmt.Errorf("load snapshot %s: its manifest is %d bytes, want %d; the snapshot is damaged (it only spares work: remove its rows to have it rebuilt from the events)", name, len(blob), partsHead)
			}
			size = int(binary.BigEndian.Uint64(blob[len(partsTag):]))
			parts = int(binary.BigEndian.Uint32(blob[len(partsTag)+8:]))
			if size < 0 || parts != (size+snapshotPart-1)/snapshotPart {
				return true, fmt.Errorf("load snapshot %s: its manifest says %d bytes in %d parts of at most %d; the snapshot is damaged (it only spares work: remove its rows to have it rebuilt from the events)", name, size, parts, snapshotPart)
			}
			// At most 256 MiB ahead of the parts read: a manifest
			// that names more than is stored fails below, without
			// having asked for all of it.
			whole = make([]byte, 0, min(size, 256<<20))
			continue
		}
		problem := ""
		switch {
		case got >= parts:
			problem = fmt.Sprintf("a part %q beyond the %d its manifest names", rowName, parts)
		case rowName != partName(name, got):
			problem = fmt.Sprintf("part %d (%q) is missing, %q follows", got, partName(name, got), rowName)
		case rowPos != pos:
			problem = fmt.Sprintf("part %d was saved at position %s, the snapshot at %s", got, rowPos, pos)
		case len(blob) != min(snapshotPart, size-len(whole)):
			problem = fmt.Sprintf("part %d holds %d bytes, want %d", got, len(blob), min(snapshotPart, size-len(whole)))
		}
		if problem != "" {
			return true, fmt.Errorf("load snapshot %s: %s; the snapshot is damaged (it only spares work: remove its rows to have it rebuilt from the events)", name, problem)
		}
		whole = append(whole, blob...)
		got++
	}
	if err := rows.Err(); err != nil {
		return ok, fmt.Errorf("load snapshot %s: %w", name, err)
	}
	if !ok {
		return false, nil
	}
	if got != parts {
		return true, fmt.Errorf("load snapshot %s: %d of its %d parts are stored; the snapshot is damaged (it only spares work: remove its rows to have it rebuilt from the events)", name, got, parts)
	}
	if err := rows.Close(); err != nil {
		return true, fmt.Errorf("load snapshot %s: %w", name, err)
	}
	return true, fn(pos, whole)
}
