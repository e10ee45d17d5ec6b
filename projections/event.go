// Package projections holds grantledger's read models: pure folds that take
// stored events one at a time and answer the questions accountants and
// auditors ask (yearly delegation reports, reconciliation of planned against
// actual, indicators, the audit trail). Nothing here does I/O or reads a
// clock: the runner in app/readmodel feeds the events, and callers pass
// in "today" and "as of" moments.
package projections

import (
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// Meta is the part of an event's metadata the read models keep.
type Meta struct {
	EventID       uuid.UUID
	CommandID     uuid.UUID
	Actor         string
	Reason        string
	Hash          string
	RecordedAt    time.Time
	SchemaVersion int
}

// Event is one stored event, decoded, as the projections fold it.
type Event struct {
	Position domain.Position
	Stream   string
	Revision uint64
	ID       uuid.UUID
	Type     string
	Meta     Meta
	Data     domain.Event
}
