package codec

import (
	"bytes"
	"encoding/gob"

	"github.com/grantledger/grantledger/projections"
)

// AuditHeld is how many audit rows l holds decoded, as structs.
func AuditHeld(l *projections.Ledger) int { return l.AuditHeldRows() }

// SnapshotAuditChunks returns the version and the number of audit chunks
// of a compact snapshot.
func SnapshotAuditChunks(blob []byte) (version, chunks int) {
	var h snapHead
	if err := gob.NewDecoder(bytes.NewReader(blob)).Decode(&h); err != nil {
		return 0, 0
	}
	return h.Version, h.AuditChunks
}

const MaxAuditChunks = projections.MaxAuditChunks

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

// SnapshotAuditSection returns the audit section of a compact snapshot.
func SnapshotAuditSection(blob []byte) []byte {
	var s snapshotV2
	if ok, err := s.decode(blob); !ok || err != nil {
		return nil
	}
	return s.audit
}
