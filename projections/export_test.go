package projections

import (
	"bytes"
	"encoding/gob"
)

// AuditUndecoded tells the tests whether l still holds the audit trail of
// the snapshot it was restored from undecoded.
func AuditUndecoded(l *Ledger) bool {
	if l.lazy == nil {
		return false
	}
	l.lazy.mu.Lock()
	defer l.lazy.mu.Unlock()
	return l.lazy.data != nil
}

// SnapshotAuditChunks returns the version and the number of audit chunks
// of a compact snapshot.
func SnapshotAuditChunks(blob []byte) (version, chunks int) {
	var h snapHead
	if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&h); err != nil {
		return 0, 0
	}
	return h.Version, h.AuditChunks
}

const MaxAuditChunks = maxAuditChunks
