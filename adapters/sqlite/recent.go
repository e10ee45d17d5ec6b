package sqlite

import (
	"time"

	"github.com/grantledger/grantledger/domain"
)

// Bounds of the events the writer keeps from its last commits (variables
// for the tests). A server's group commits carry up to 256 appends
// (groupcommit's default) and its guards lag a commit or two; a larger
// transaction, such as one of apply's batches of 1 000 commands, is not
// copied at all: copying it cost apply time and memory and spared it no
// read.
var (
	recentMaxEvents   = 1024
	recentMaxBytes    = 1 << 20
	recentMaxRequests = 256
)

// recentEvents keeps copies of the events the writer connection committed
// last, so that an append guard whose position lies among them is given
// them without reading them back. Under the server's load that read was
// about one event per command, inside the serial commit: the handlers
// build their guards while the commit before theirs is being written.
//
// While it holds events, they are every event from the first one's
// position to the last one in the file: only this connection writes
// while PRAGMA data_version holds (checkDataVersion empties it when
// another connection or process committed), and each commit of this
// connection adds its events, whose positions follow the file's last
// (appendLeaves checks them against the tree's size). A COMMIT that fails
// empties it, since whether it took is not known; a transaction rolled
// back before its COMMIT leaves it as it was, as it leaves the file.
type recentEvents struct {
	evs     []domain.RecordedEvent // contiguous positions, ending at the file's last
	bytes   int                    // data and metadata held in evs
	pending []domain.RecordedEvent // the open transaction's, added at its COMMIT
	skip    bool                   // the open transaction is too large to copy
}

// begin starts a transaction of n requests.
func (r *recentEvents) begin(n int) {
	r.rolledBack()
	r.skip = n > recentMaxRequests
}

// add copies the events an append is writing in the open transaction,
// the first at stream revision first and the last at position last, all
// stored as created at created.
func (r *recentEvents) add(stream string, first int64, events []domain.EventData, created time.Time, last int64) {
	if r.skip {
		return
	}
	pos := last - int64(len(events)) + 1
	for i := range events {
		e := &events[i]
		// The caller may reuse its buffers once the append returns: keep
		// copies, data and metadata in one allocation.
		buf := make([]byte, 0, len(e.Data)+len(e.Metadata))
		buf = append(append(buf, e.Data...), e.Metadata...)
		p := domain.Position{Commit: uint64(pos + int64(i)), Prepare: uint64(pos + int64(i))}
		r.pending = append(r.pending, domain.RecordedEvent{
			Stream: stream, Revision: uint64(first + int64(i)), Position: p, ID: e.ID, Type: e.Type,
			Data: buf[:len(e.Data):len(e.Data)], Metadata: buf[len(e.Data):], Created: created,
		})
	}
}

// committed moves the open transaction's events in after its COMMIT.
func (r *recentEvents) committed() {
	if r.skip {
		r.forget() // the file now ends with events not kept
		return
	}
	if len(r.pending) == 0 {
		return
	}
	if n := len(r.evs); n > 0 && r.evs[n-1].Position.Commit+1 != r.pending[0].Position.Commit {
		// Not contiguous, which the invariant rules out: keep nothing and
		// let the guards read the file.
		r.forget()
		return
	}
	for _, e := range r.pending {
		r.bytes += len(e.Data) + len(e.Metadata)
	}
	r.evs = append(r.evs, r.pending...)
	clear(r.pending)
	r.pending = r.pending[:0]
	if len(r.evs) > 2*recentMaxEvents || r.bytes > 2*recentMaxBytes {
		r.trim()
	}
}

// trim drops the oldest events down to the bounds. It runs when twice
// the bounds are held, so that its copy is paid once per as many commits.
// The events kept go to a new array: slices of the old one handed to
// guards must not change under them.
func (r *recentEvents) trim() {
	k := 0
	for k < len(r.evs) && (len(r.evs)-k > recentMaxEvents || r.bytes > recentMaxBytes) {
		r.bytes -= len(r.evs[k].Data) + len(r.evs[k].Metadata)
		k++
	}
	r.evs = append(make([]domain.RecordedEvent, 0, 2*(len(r.evs)-k)), r.evs[k:]...)
}

// rolledBack drops the open transaction's events.
func (r *recentEvents) rolledBack() {
	clear(r.pending)
	r.pending = r.pending[:0]
}

// forget drops everything: the file may hold events this connection did
// not write. The array is let go, not cleared: guards may hold slices of
// it.
func (r *recentEvents) forget() {
	r.rolledBack()
	r.evs, r.bytes = nil, 0
}

// after returns the events after position after when they are all held,
// and whether they were. The slice shares the store's array, which is
// only ever appended to past it: its capacity is clipped so that an
// append to it copies, and its events must not be changed.
func (r *recentEvents) after(after int64) ([]domain.RecordedEvent, bool) {
	n := len(r.evs)
	if n == 0 {
		return nil, false
	}
	if after >= int64(r.evs[n-1].Position.Commit) {
		return nil, true // nothing was written after it
	}
	first := int64(r.evs[0].Position.Commit)
	if after < first-1 {
		return nil, false // some of them are older than what is held
	}
	k := after + 1 - first
	return r.evs[k:n:n], true
}
