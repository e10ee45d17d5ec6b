package sqlite

import (
	"context"
	"database/sql/driver"
	"encoding/binary"
	"os"
	"reflect"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// NoCheckpointOnClose makes Close leave the WAL as it is instead of
// checkpointing it into the main file and removing it, by setting
// SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE on every connection. A process that
// appends one command and exits then pays one fsync (the commit) instead
// of five: the commit, the checkpoint's fsyncs of the WAL and of the main
// file at close, and, in the next process, the fsyncs of the new WAL's
// header and of its directory. Nothing is lost: every commit was fsynced
// into the WAL, and the next connection to open the file rebuilds the WAL
// index from the -wal file (SQLite's recovery, the same as after a crash).
// SQLite still checkpoints on its own, passively, after a commit that
// leaves the WAL at 1 000 pages or more (wal_autocheckpoint), and the WAL
// file is cut back to 4 MiB when it is restarted (journal_size_limit), so
// it stays bounded. Close checkpoints, and empties the WAL file, when that
// file is over 1 MiB: the next process reads the whole WAL when it opens
// the file (about 1 ms per MiB, measured: 3 to 7 ms for a 4 MiB WAL
// against about 1 ms with none), so one-command processes leave at most
// 1 MiB behind them and a large import checkpoints once, at its end.
//
// The file alone is then not the whole ledger: committed events may be in
// its -wal file only, so a copy must take the file with its -wal (or be
// made with a grantledger command that reads it, e.g. migrate).
//
// The driver (modernc.org/sqlite) has no setting for this flag, so it is
// set through sqlite3_db_config on the driver's connection handle; with a
// driver whose connections do not have that handle the option does
// nothing and Close checkpoints as before (TestNoCheckpointOnCloseKeepsWAL
// fails if the driver changes under it).
func NoCheckpointOnClose() Option { return func(o *options) { o.noCkptOnClose = true } }

// walSizeLimit is journal_size_limit on writable connections with
// NoCheckpointOnClose: the size, in bytes, the WAL file is cut back to when
// SQLite restarts it after a checkpoint.
const walSizeLimit = 4 << 20

// walCheckpointAt is the size of the -wal file above which Close
// checkpoints with NoCheckpointOnClose.
const walCheckpointAt = 1 << 20

// checkpointIfLarge checkpoints the WAL into the file and truncates it
// when the -wal file is over walCheckpointAt. It does not wait: with
// another connection reading or writing the WAL (another process), the
// checkpoint is left to a later Close or to SQLite's own. Errors are not
// returned: every commit is in the WAL already, and a checkpoint only
// spares the next process reading it.
func (s *Store) checkpointIfLarge() {
	fi, err := os.Stat(s.path + "-wal")
	if err != nil || fi.Size() <= walCheckpointAt {
		return
	}
	ctx := context.Background()
	if _, err := s.w.ExecContext(ctx, "PRAGMA busy_timeout = 0"); err != nil {
		return
	}
	s.w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
}

// setNoCheckpointOnClose sets SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE on a
// connection of modernc.org/sqlite. It reports whether the flag is now on;
// false means the connection is not one it knows (another driver, or a
// version whose connection lacks the fields used here).
func setNoCheckpointOnClose(c driver.Conn) bool {
	v := reflect.ValueOf(c)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return false
	}
	e := v.Elem()
	if e.Type().PkgPath() != "modernc.org/sqlite" {
		return false
	}
	db, tls := e.FieldByName("db"), e.FieldByName("tls")
	if !db.IsValid() || db.Kind() != reflect.Uintptr || !tls.IsValid() || tls.Type() != reflect.TypeFor[*libc.TLS]() {
		return false
	}
	handle := uintptr(db.Uint())
	t := (*libc.TLS)(tls.UnsafePointer())
	if handle == 0 || t == nil {
		return false
	}
	// sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, int onoff, int *pRes):
	// the variadic arguments go in 8-byte slots (libc.VaList), and pRes
	// reads the flag back.
	const slot = 8
	bp := libc.Xcalloc(t, 1, 2*slot+4)
	if bp == 0 {
		return false
	}
	defer libc.Xfree(t, bp)
	res := bp + 2*slot
	rc := sqlite3.Xsqlite3_db_config(t, handle, sqlite3.SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, libc.VaList(bp, int32(1), res))
	return rc == sqlite3.SQLITE_OK && binary.NativeEndian.Uint32(libc.GoBytes(res, 4)) == 1
}
