package projections

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
)

// snapshotV2 is the compact form of a Ledger (snapshot version 3; version 2 was the same in one gob value). Most of
// a read model is its audit trail and its spending lists, one row per
// event; gob spends most of its time on such rows (a string header per
// field, a GobDecoder call per time.Time). This form keeps them in columns
// instead: repeating names (streams, types, actors, lines, reasons) as
// indices into one name table, times as seconds and nanoseconds, ids as
// bytes, and the strings that rarely repeat (hashes, documents,
// descriptions) concatenated, so that reading a snapshot back allocates
// one string for all of them. The aggregates' own spending maps are not
// stored: they hold nothing the spending rows do not, and are rebuilt from
// them. MarshalBinary falls back to version 1 (plain gob) for a read model
// that the columns cannot hold exactly (a time outside UTC).
type snapshotV2 struct {
	snapHead
	spendCols
	auditCols
	AHash packedStrings
}

// The parts of a compact snapshot are written as separate gob values:
// gob reads a value of more than 10 MiB in growing chunks, copying it, and
// the hashes alone are about 7 MB for 100 000 events.
type snapHead struct {
	Version    int
	AsOf       time.Time
	Position   domain.Position
	Applied    int
	Skipped    int
	Views      []*AgreementView // without Spendings and Agg.Spendings
	Names      []string
	SpendCount []uint32 // spending rows per view
}

type spendCols struct {
	SID                         []byte // 16 bytes a row
	SLine                       []uint32
	SYear, SAmount, SDate, SSec []int64
	SNsec                       []int32
	SReversed                   []bool
	SDocument, SDescription     packedStrings
}

type auditCols struct {
	APos, APrep, ARev, ASec    []uint64
	ANsec                      []int32
	AStream, AAgreement, AType []uint32
	AActor, AReason, ALine     []uint32
	ACommand                   []byte // 16 bytes a row
	AYear, AAmount             []int64
	AHasAmount                 []bool
}

// encode writes the parts in order.
func (s *snapshotV2) encode(w io.Writer) error {
	enc := gob.NewEncoder(w)
	for _, part := range []any{&s.snapHead, &s.spendCols, &s.auditCols, &s.AHash} {
		if err := enc.Encode(part); err != nil {
			return err
		}
	}
	return nil
}

// decode reads the parts; isV2 is false, with no error, when the first
// value is not the head of a compact snapshot (gob matches fields by
// name, so a version 1 snapshot decodes far enough to say so).
func (s *snapshotV2) decode(r io.Reader) (isV2 bool, err error) {
	dec := gob.NewDecoder(r)
	if err := dec.Decode(&s.snapHead); err != nil || s.Version != snapshotVersion2 {
		return false, nil
	}
	for _, part := range []any{&s.spendCols, &s.auditCols, &s.AHash} {
		if err := dec.Decode(part); err != nil {
			return true, err
		}
	}
	return true, nil
}

const snapshotVersion2 = 3 // 2 was one gob value; such a snapshot is rebuilt

// packedStrings holds strings back to back with their lengths.
type packedStrings struct {
	Data []byte
	Lens []uint32
}

func (p *packedStrings) add(s string) {
	p.Data = append(p.Data, s...)
	p.Lens = append(p.Lens, uint32(len(s)))
}

// unpack returns the strings, all pointing into one allocation.
func (p *packedStrings) unpack() ([]string, error) {
	all := string(p.Data)
	out := make([]string, len(p.Lens))
	at := 0
	for i, n := range p.Lens {
		if at+int(n) > len(all) {
			return nil, fmt.Errorf("packed string %d runs past the end of the data", i)
		}
		out[i] = all[at : at+int(n)]
		at += int(n)
	}
	return out, nil
}

// nameTable numbers distinct strings.
type nameTable struct {
	idx  map[string]uint32
	list []string
}

func (t *nameTable) id(s string) uint32 {
	if i, ok := t.idx[s]; ok {
		return i
	}
	i := uint32(len(t.list))
	t.idx[s] = i
	t.list = append(t.list, s)
	return i
}

// utcParts splits a UTC time into seconds and nanoseconds; ok is false for
// a time in another location, which the columns cannot restore exactly.
func utcParts(t time.Time) (int64, int32, bool) {
	if t.Location() != time.UTC {
		return 0, 0, false
	}
	return t.Unix(), int32(t.Nanosecond()), true
}

// marshalV2 encodes l in the compact form; ok is false when it cannot
// hold l exactly and the caller must use version 1.
func (l *Ledger) marshalV2() ([]byte, bool, error) {
	s := snapshotV2{snapHead: snapHead{Version: snapshotVersion2, AsOf: l.asOf, Position: l.position, Applied: l.applied, Skipped: l.skipped}}
	names := nameTable{idx: map[string]uint32{}}
	s.Views = make([]*AgreementView, len(l.order))
	for i, v := range l.order {
		if len(v.Agg.Spendings) != len(v.Spendings) {
			return nil, false, nil
		}
		for k := range v.Spendings {
			r := &v.Spendings[k]
			sp := v.Agg.Spendings[r.ID]
			if sp == nil || *sp != (domain.Spending{ID: r.ID, Line: r.Line, Year: r.Year, Amount: r.Amount, Reversed: r.Reversed}) {
				return nil, false, nil
			}
			sec, nsec, ok := utcParts(r.RecordedAt)
			if !ok {
				return nil, false, nil
			}
			s.SID = append(s.SID, r.ID[:]...)
			s.SLine = append(s.SLine, names.id(r.Line))
			s.SYear = append(s.SYear, int64(r.Year))
			s.SAmount = append(s.SAmount, int64(r.Amount))
			s.SDate = append(s.SDate, int64(r.Date))
			s.SSec, s.SNsec = append(s.SSec, sec), append(s.SNsec, nsec)
			s.SReversed = append(s.SReversed, r.Reversed)
			s.SDocument.add(r.Document)
			s.SDescription.add(r.Description)
		}
		s.SpendCount = append(s.SpendCount, uint32(len(v.Spendings)))
		agg := *v.Agg
		agg.Spendings = nil
		cp := *v
		cp.Agg, cp.Spendings = &agg, nil
		s.Views[i] = &cp
	}
	for _, blk := range l.audit {
		for k := range blk {
			r := &blk[k]
			sec, nsec, ok := utcParts(r.RecordedAt)
			if !ok {
				return nil, false, nil
			}
			s.APos, s.APrep, s.ARev = append(s.APos, r.Position.Commit), append(s.APrep, r.Position.Prepare), append(s.ARev, r.Revision)
			s.ASec, s.ANsec = append(s.ASec, uint64(sec)), append(s.ANsec, nsec)
			s.AStream = append(s.AStream, names.id(r.Stream))
			s.AAgreement = append(s.AAgreement, names.id(r.Agreement))
			s.AType = append(s.AType, names.id(r.Type))
			s.AActor = append(s.AActor, names.id(r.Actor))
			s.AReason = append(s.AReason, names.id(r.Reason))
			s.ALine = append(s.ALine, names.id(r.Line))
			s.ACommand = append(s.ACommand, r.CommandID[:]...)
			s.AHash.add(r.Hash)
			s.AYear = append(s.AYear, int64(r.Year))
			s.AAmount = append(s.AAmount, int64(r.amount))
			s.AHasAmount = append(s.AHasAmount, r.hasAmount)
		}
	}
	s.Names = names.list
	var b bytes.Buffer
	if err := s.encode(&b); err != nil {
		return nil, false, fmt.Errorf("encode read model snapshot: %w", err)
	}
	return b.Bytes(), true, nil
}

// unmarshalV2 decodes the compact form into a new Ledger. isV2 is false,
// with no error, when data holds another version.
func unmarshalV2(data []byte) (l *Ledger, isV2 bool, err error) {
	var s snapshotV2
	if isV2, err := s.decode(bytes.NewReader(data)); !isV2 || err != nil {
		if err != nil {
			err = fmt.Errorf("decode read model snapshot: %w", err)
		}
		return nil, isV2, err
	}
	l, err = s.ledger()
	return l, true, err
}

// ledger rebuilds the read model from the columns, checking that they fit
// together.
func (s *snapshotV2) ledger() (*Ledger, error) {
	bad := func(what string) error {
		return fmt.Errorf("decode read model snapshot: %s do not fit together", what)
	}
	name := func(i uint32) (string, bool) {
		if int(i) >= len(s.Names) {
			return "", false
		}
		return s.Names[i], true
	}
	n := NewLedger(s.AsOf)
	n.position, n.applied, n.skipped = s.Position, s.Applied, s.Skipped

	ns := len(s.SLine)
	if len(s.SpendCount) != len(s.Views) || len(s.SID) != 16*ns || len(s.SYear) != ns || len(s.SAmount) != ns || len(s.SDate) != ns ||
		len(s.SSec) != ns || len(s.SNsec) != ns || len(s.SReversed) != ns || len(s.SDocument.Lens) != ns || len(s.SDescription.Lens) != ns {
		return nil, bad("the spending columns")
	}
	docs, err := s.SDocument.unpack()
	if err != nil {
		return nil, fmt.Errorf("decode read model snapshot: documents: %w", err)
	}
	descs, err := s.SDescription.unpack()
	if err != nil {
		return nil, fmt.Errorf("decode read model snapshot: descriptions: %w", err)
	}
	at := 0
	for vi, v := range s.Views {
		if v == nil || v.Agg == nil {
			return nil, bad("the views")
		}
		fixAgreement(v.Agg)
		cnt := int(s.SpendCount[vi])
		if at+cnt > ns {
			return nil, bad("the spending counts")
		}
		v.Spendings = make([]SpendingRow, cnt)
		sps := make([]domain.Spending, cnt) // one allocation for the aggregate's map values
		for k := 0; k < cnt; k++ {
			j := at + k
			line, ok := name(s.SLine[j])
			if !ok {
				return nil, bad("the spending lines")
			}
			var id uuid.UUID
			copy(id[:], s.SID[16*j:16*j+16])
			v.Spendings[k] = SpendingRow{ID: id, Line: line, Year: int(s.SYear[j]), Amount: domain.Money(s.SAmount[j]), Date: domain.Date(s.SDate[j]),
				Document: docs[j], Description: descs[j], RecordedAt: time.Unix(s.SSec[j], int64(s.SNsec[j])).UTC(), Reversed: s.SReversed[j]}
			sps[k] = domain.Spending{ID: id, Line: line, Year: int(s.SYear[j]), Amount: domain.Money(s.SAmount[j]), Reversed: s.SReversed[j]}
			v.Agg.Spendings[id] = &sps[k]
		}
		at += cnt
		n.views[v.Stream] = v
		n.byNumber[v.Agg.Number] = v
		n.order = append(n.order, v)
	}

	na := len(s.APos)
	if len(s.APrep) != na || len(s.ARev) != na || len(s.ASec) != na || len(s.ANsec) != na || len(s.AStream) != na || len(s.AAgreement) != na ||
		len(s.AType) != na || len(s.AActor) != na || len(s.AReason) != na || len(s.ALine) != na || len(s.ACommand) != 16*na ||
		len(s.AHash.Lens) != na || len(s.AYear) != na || len(s.AAmount) != na || len(s.AHasAmount) != na {
		return nil, bad("the audit columns")
	}
	hashes, err := s.AHash.unpack()
	if err != nil {
		return nil, fmt.Errorf("decode read model snapshot: hashes: %w", err)
	}
	for j := 0; j < na; j++ {
		var e auditEntry
		var ok [6]bool
		e.Stream, ok[0] = name(s.AStream[j])
		e.Agreement, ok[1] = name(s.AAgreement[j])
		e.Type, ok[2] = name(s.AType[j])
		e.Actor, ok[3] = name(s.AActor[j])
		e.Reason, ok[4] = name(s.AReason[j])
		e.Line, ok[5] = name(s.ALine[j])
		if ok != [6]bool{true, true, true, true, true, true} {
			return nil, bad("the audit names")
		}
		e.Position = domain.Position{Commit: s.APos[j], Prepare: s.APrep[j]}
		e.Revision = s.ARev[j]
		e.RecordedAt = time.Unix(int64(s.ASec[j]), int64(s.ANsec[j])).UTC()
		copy(e.CommandID[:], s.ACommand[16*j:16*j+16])
		e.Hash = hashes[j]
		e.Year = int(s.AYear[j])
		e.amount, e.hasAmount = domain.Money(s.AAmount[j]), s.AHasAmount[j]
		if n.rows%auditChunk == 0 {
			n.audit = append(n.audit, make([]auditEntry, 0, auditChunk))
		}
		blk := &n.audit[len(n.audit)-1]
		*blk = append(*blk, e)
		n.rows++
	}
	return n, nil
}
