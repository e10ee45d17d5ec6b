package esdb

import (
	"bufio"

	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	client "github.com/EventStore/EventStore-Client-Go/v4/esdb"
	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Read-model snapshots on EventStoreDB are kept in a local cache file per
// snapshot name and server, keyed by the $all position they were built up
// to (app/readmodel finds them through SaveSnapshot/LoadSnapshot, as
// it finds the SQLite store's table). A file, not a stream: a read model
// is many megabytes, over the server's 1 MiB append limit, and a snapshot
// only spares work, so losing the cache costs a replay, nothing more.
//
// A snapshot is bound to the log it was built from: its header names the
// event at its position (id, stream, revision), and LoadSnapshot reads
// $all at that position and ignores the snapshot unless that very event is
// there. A snapshot of another database, or of this one before it was
// wiped and refilled, is so never applied to the wrong log.

// snapshotFormat names the file format in its header.
const snapshotFormat = "grantledger-esdb-snapshot"

// snapshotVersion is the header version this code writes and reads.
const snapshotVersion = 1

// snapshotDirParam is the connection-string parameter that sets
// Store.SnapshotDir ("off" turns snapshots off).
const snapshotDirParam = "snapshotDir"

// snapshotHeader is the first line of a snapshot file, JSON; the blob
// follows the newline. Extra carries fields added by later versions or
// other features (a Merkle tree size and root hash binding the snapshot to
// the log, for instance) and is kept by readers that do not know them.
type snapshotHeader struct {
	Format   string          `json:"format"`
	Version  int             `json:"version"`
	Name     string          `json:"name"`
	Position domain.Position `json:"position"`
	// Event is the event at Position, or nil for an empty read model.
	Event      *snapshotEvent             `json:"event,omitempty"`
	BlobLen    int                        `json:"blob_len"`
	BlobSHA256 string                     `json:"blob_sha256"`
	Extra      map[string]json.RawMessage `json:"extra,omitempty"`
}

type snapshotEvent struct {
	ID       uuid.UUID `json:"id"`
	Stream   string    `json:"stream"`
	Revision uint64    `json:"revision"`
}

// defaultSnapshotDir is where snapshots go unless the connection string
// says otherwise: grantledger/esdb under the user's cache directory, or ""
// (no snapshots) when there is none.
func defaultSnapshotDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "grantledger", "esdb")
}

// snapshotPath is the file of a snapshot name on this store's server: the
// name, made safe, and a hash of the connection string without password
// and without the adapter's own parameters (maxAppendSize, snapshotDir).
func (s *Store) snapshotPath(name string) string {
	safe := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' || r == '_' {
			return r
		}
		return '_'
	}, name)
	sum := sha256.Sum256([]byte(s.server))
	return filepath.Join(s.SnapshotDir, safe+"."+hex.EncodeToString(sum[:8])+".snap")
}

// ReadOnlyReason reports why snapshots cannot be saved ("" when they can):
// app/readmodel then does not encode the read model for nothing.
func (s *Store) ReadOnlyReason() string {
	if s.SnapshotDir == "" {
		return "read-model snapshots are off: no snapshot directory (" + snapshotDirParam + "= in the connection string)"
	}
	return ""
}

// SaveSnapshot writes blob, the read model built up to position, to the
// snapshot file of name, replacing it whole (a new file renamed over the
// old one after it is synced), with the event at position read from $all
// to bind it to this log. Without a snapshot directory it does nothing.
func (s *Store) SaveSnapshot(ctx context.Context, name string, position domain.Position, blob []byte) error {
	if s.SnapshotDir == "" {
		return nil
	}
	h := snapshotHeader{Format: snapshotFormat, Version: snapshotVersion, Name: name, Position: position, BlobLen: len(blob)}
	sum := sha256.Sum256(blob)
	h.BlobSHA256 = hex.EncodeToString(sum[:])
	if !position.IsZero() {
		e, err := s.eventAt(ctx, position)
		if err != nil {
			return fmt.Errorf("save snapshot %s: %w", name, err)
		}
		if e == nil {
			return fmt.Errorf("save snapshot %s: no event at position %s in $all of %s; nothing was saved", name, position, s.redacted)
		}
		h.Event = &snapshotEvent{ID: e.ID, Stream: e.Stream, Revision: e.Revision}
		tree, err := s.treeAt(ctx, position)
		if err != nil {
			return fmt.Errorf("save snapshot %s: %w", name, err)
		}
		h.Extra = map[string]json.RawMessage{extraMerkle: tree}
	}
	head, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("save snapshot %s: %w", name, err)
	}
	path := s.snapshotPath(name)
	if err := writeFileAtomic(path, head, blob); err != nil {
		return fmt.Errorf("save snapshot %s to %s: %w (the read model will be rebuilt from the events next time)", name, path, err)
	}
	return nil
}

// LoadSnapshot returns the snapshot saved under name. ok is false, with no
// error, when there is none, or when the file is unreadable, of another
// format, damaged, or bound to an event that is not at its position in
// this server's $all: the read model is then rebuilt from the events.
func (s *Store) LoadSnapshot(ctx context.Context, name string) (position domain.Position, blob []byte, ok bool, err error) {
	if s.SnapshotDir == "" {
		return domain.Position{}, nil, false, nil
	}
	h, blob, good := readSnapshotFile(s.snapshotPath(name), name)
	if !good {
		return domain.Position{}, nil, false, nil
	}
	if h.Position.IsZero() {
		return h.Position, blob, h.Event == nil, nil
	}
	if h.Event == nil {
		return domain.Position{}, nil, false, nil
	}
	e, err := s.eventAt(ctx, h.Position)
	if err != nil {
		return domain.Position{}, nil, false, fmt.Errorf("load snapshot %s: check it against $all: %w", name, err)
	}
	if e == nil || e.ID != h.Event.ID || e.Stream != h.Event.Stream || e.Revision != h.Event.Revision {
		return domain.Position{}, nil, false, nil // another log: rebuild
	}
	if rec, has := h.Extra[extraMerkle]; has {
		tree, err := s.treeAt(ctx, h.Position)
		if err != nil {
			return domain.Position{}, nil, false, fmt.Errorf("load snapshot %s: %w", name, err)
		}
		if !sameTree(rec, tree) {
			return domain.Position{}, nil, false, nil // folded from other events: rebuild
		}
	}
	return h.Position, blob, true, nil
}

// readSnapshotFile reads and checks a snapshot file.
func readSnapshotFile(path, name string) (snapshotHeader, []byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return snapshotHeader{}, nil, false
	}
	defer f.Close()
	br := bufio.NewReader(f)
	line, err := br.ReadBytes('\n')
	if err != nil {
		return snapshotHeader{}, nil, false
	}
	var h snapshotHeader
	if json.Unmarshal(line, &h) != nil || h.Format != snapshotFormat || h.Version != snapshotVersion || h.Name != name || h.BlobLen < 0 {
		return snapshotHeader{}, nil, false
	}
	blob := make([]byte, h.BlobLen)
	if _, err := io.ReadFull(br, blob); err != nil {
		return snapshotHeader{}, nil, false
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		return snapshotHeader{}, nil, false // trailing bytes
	}
	sum := sha256.Sum256(blob)
	if hex.EncodeToString(sum[:]) != h.BlobSHA256 {
		return snapshotHeader{}, nil, false
	}
	return h, blob, true
}

// writeFileAtomic writes head, a newline and blob to a new file next to
// path, syncs it, renames it over path and syncs the directory.
func writeFileAtomic(path string, head, blob []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	w := bufio.NewWriterSize(tmp, 1<<20)
	w.Write(head)
	w.WriteByte('\n')
	w.Write(blob)
	if err := w.Flush(); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// eventAt returns the event of $all at position exactly (nil if none).
func (s *Store) eventAt(ctx context.Context, position domain.Position) (*domain.RecordedEvent, error) {
	var found *domain.RecordedEvent
	err := s.do(ctx, func(ctx context.Context, cl *client.Client) error {
		found = nil
		rs, err := cl.ReadAll(ctx, client.ReadAllOptions{Direction: client.Forwards,
			From: client.Position{Commit: position.Commit, Prepare: position.Prepare}}, 1)
		if err != nil {
			return err
		}
		defer rs.Close()
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if e := fromClient(ev); e.Position == position {
			found = &e
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap("read $all at "+position.String(), err)
	}
	return found, nil
}
