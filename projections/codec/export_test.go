package codec

import (
	"bytes"
	"encoding/gob"

	"github.com/grantledger/grantledger/projections"
)

// AuditUndecoded tells the tests whether l still holds the audit trail of
// the snapshot it was restored from undecoded.
func AuditUndecoded(l *projections.Ledger) bool { return l.AuditPending() }

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

// restoreTo is Restore in the form of the UnmarshalBinary the tests were
// written against: on success it replaces *dst, on failure it leaves it.
func restoreTo(dst **projections.Ledger, data []byte) error {
	l, err := Restore(data)
	if err != nil {
		return err
	}
	*dst = l
	return nil
}
