package sqlite

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/grantledger/grantledger/domain"
)

// roKind says why a store is read-only.
type roKind int

const (
	writable roKind = iota
	roAsked         // the ReadOnly option
	roFS            // the file system is mounted read-only
	roPerm          // this process may not write the file or its directory
	roFull          // the disk was full when the store was opened
)

// roCause is why a store is read-only, and what was seen.
type roCause struct {
	kind   roKind
	detail string
}

func (c roCause) reason() string {
	switch c.kind {
	case roAsked:
		return "it was opened with the ReadOnly option"
	case roFS:
		return "its file system is mounted read-only"
	case roPerm:
		return "this process may not write it (" + c.detail + ")"
	case roFull:
		return "the disk holding it was full when it was opened (" + c.detail + ")"
	}
	return ""
}

// ReadOnlyReason returns "" when the store can append, and otherwise why it
// cannot: it was opened with ReadOnly, its file system is mounted
// read-only, this process may not write it, or the disk was full when it
// was opened. A program may show it when it starts.
func (s *Store) ReadOnlyReason() string {
	if !s.readOnly {
		return ""
	}
	return s.ro.reason()
}

// readOnlyError is what an append or snapshot save on a read-only store
// returns.
func (s *Store) readOnlyError() error {
	switch s.ro.kind {
	case roFull:
		return domain.Errorf(domain.EUnavailable, "the disk holding the event store %s was full when the store was opened (%s), so it is open read-only; nothing was written (free space, then open the store again: restart the program)", s.path, s.ro.detail)
	case roFS, roPerm:
		return domain.Errorf(domain.EUnavailable, "the event store %s is open read-only because %s; nothing was written", s.path, s.ro.reason())
	}
	return domain.Errorf(domain.EUnavailable, "the event store %s is open read-only; nothing was written", s.path)
}

// lowSpace is how few free bytes count as a full disk when opening for
// writing failed: SQLite needs 32 KiB for the -shm file alone.
const lowSpace = 1 << 20

// SQLite primary result codes that opening for writing fails with when the
// file cannot be written.
const (
	sqlitePerm     = 3
	sqliteReadOnly = 8
	sqliteIOErr    = 10
	sqliteFull     = 13
	sqliteCantOpen = 14
)

// sqliteCode returns the SQLite result code of err and the driver's own
// message (without what wraps it), when the driver tells.
func sqliteCode(err error) (int, string, bool) {
	var c interface {
		error
		Code() int
	}
	if errors.As(err, &c) {
		return c.Code(), c.Error(), true
	}
	return 0, "", false
}

// whyNotWritable tells whether err, from opening the existing file at path
// for writing, comes from a reason that makes a read-only open the right
// answer, and which. Any other failure (a corrupt file, a file of another
// program, a lock held elsewhere, an I/O error on a disk with room) is
// returned to the caller as it is.
func whyNotWritable(path string, err error) (roCause, bool) {
	if fi, serr := os.Stat(path); serr != nil || fi.Size() == 0 {
		// A new file: there is nothing to read.
		return roCause{}, false
	}
	msg := err.Error()
	code, said, known := sqliteCode(err)
	if known {
		msg = said
	}
	full := false
	switch primary := code & 0xff; {
	case known && primary == sqliteFull:
		full = true
	case known && (primary == sqliteCantOpen || primary == sqliteReadOnly || primary == sqliteIOErr || primary == sqlitePerm):
	case known:
		return roCause{}, false
	case strings.Contains(msg, "disk is full"):
		full = true
	case strings.Contains(msg, "unable to open database file"), strings.Contains(msg, "disk I/O error"),
		strings.Contains(msg, "readonly database"), strings.Contains(msg, "read-only"):
	default:
		return roCause{}, false
	}
	if onReadOnlyFS(path) {
		return roCause{kind: roFS, detail: msg}, true
	}
	dir := filepath.Dir(path)
	if free, ok := freeBytes(dir); ok && free < lowSpace {
		return roCause{kind: roFull, detail: fmt.Sprintf("%d bytes free; SQLite: %s", free, msg)}, true
	} else if full {
		return roCause{kind: roFull, detail: "SQLite: " + msg}, true
	}
	if werr := mayWrite(path); werr != nil {
		return roCause{kind: roPerm, detail: werr.Error()}, true
	}
	if werr := mayWrite(dir); werr != nil {
		return roCause{kind: roPerm, detail: fmt.Sprintf("it may not create the -wal and -shm files in %s: %v", dir, werr)}, true
	}
	return roCause{}, false
}

// schemaError is a file that opened but is not a store this program reads.
type schemaError struct{ version int }

func (e *schemaError) Error() string {
	return fmt.Sprintf("the file has schema version %d, want %d to %d (is it a grantledger event store?)", e.version, oldestSchema, schemaVersion)
}

// openReadOnly opens the pool read-only. The file is in WAL mode, and
// SQLite reads a WAL-mode file read-only in one of three ways, tried in
// this order:
//
//  1. mode=ro: with the -shm file (the WAL index) shared with other
//     processes, creating it and the -wal file if they are missing. Needs a
//     writable directory with room for 32 KiB, or both files present.
//  2. mode=ro&readonly_shm=1, when the -shm file exists but cannot be
//     written or grown (a read-only file system, a full disk): SQLite then
//     maps it read-only if a writer has it open, and otherwise builds the
//     WAL index in memory from the -wal file, reading every committed
//     change in it.
//  3. mode=ro&immutable=1, only on a file system mounted read-only (no
//     process can write the file), or when the file and its folder carry
//     no write bit for anyone (readOnlyFolder: no writer can create the
//     files it needs), and only when no -wal (or -journal) file
//     holds anything: immutable makes SQLite ignore those files, which
//     must then be empty or absent, or the store would show an older state
//     of the ledger. Otherwise Open refuses and says what to do.
func (s *Store) openReadOnly(driverName string) error {
	err := s.tryReadOnly(driverName, "mode=ro")
	var se *schemaError
	if err == nil || errors.As(err, &se) {
		return err
	}
	s.closeDB()
	_, serr := os.Stat(s.path + "-shm")
	shm := serr == nil
	if shm {
		err2 := s.tryReadOnly(driverName, "mode=ro&readonly_shm=1")
		if err2 == nil || errors.As(err2, &se) {
			return err2
		}
		s.closeDB()
		err = fmt.Errorf("%w; and with the -shm file read-only: %v", err, err2)
	}
	if !onReadOnlyFS(s.path) && !readOnlyFolder(s.path) {
		dir := filepath.Dir(s.path)
		if werr := mayWrite(dir); werr != nil && !shm {
			return fmt.Errorf("%w (to read a WAL-mode file SQLite needs %s-shm beside it, which is missing, and this process may not create files in %s: %v; "+
				"open the store once as a user who may, or copy it into a writable directory)", err, s.path, dir, werr)
		}
		return err
	}
	place, what := "on this read-only file system", "file system"
	if !onReadOnlyFS(s.path) {
		place, what = "in this read-only folder", "folder"
	}
	for _, f := range []struct{ suffix, holds string }{
		{"-wal", "changes that may not be in the main file yet (the last writer crashed or could not checkpoint)"},
		{"-journal", "an unfinished transaction that must be rolled back first"},
	} {
		fi, serr := os.Stat(s.path + f.suffix)
		switch {
		case serr == nil && fi.Size() > 0:
			why := fmt.Sprintf("without %s-shm, which is missing and cannot be created", s.path)
			if shm {
				why = fmt.Sprintf("(%v)", err)
			}
			return fmt.Errorf("%s%s holds %d bytes of %s, and SQLite cannot read it %s %s; "+
				"refusing to open rather than show an older state of the ledger. To read it, make the %s writable and open the store once "+
				"(any grantledger command), or copy %s and %s%s together into a writable directory and open the copy",
				s.path, f.suffix, fi.Size(), f.holds, place, why, what, s.path, s.path, f.suffix)
		case serr == nil || errors.Is(serr, fs.ErrNotExist):
		default:
			return fmt.Errorf("look for %s%s: %w", s.path, f.suffix, serr)
		}
	}
	return s.tryReadOnly(driverName, "mode=ro&immutable=1")
}

// tryReadOnly opens the read-only pool with the given URI query and checks
// the schema version.
func (s *Store) tryReadOnly(driverName, query string) error {
	if err := s.pool(driverName, query); err != nil {
		return err
	}
	ctx := context.Background()
	var v int
	if err := s.db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if v < oldestSchema || v > schemaVersion {
		return &schemaError{version: v}
	}
	s.hasTree = v >= 3
	if err := s.rst.prepare(ctx, s.db); err != nil {
		return err
	}
	s.roQuery = query
	return nil
}
