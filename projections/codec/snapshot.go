package codec

import (
	"bytes"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	"github.com/google/uuid"

	"github.com/grantledger/grantledger/domain"
	"github.com/grantledger/grantledger/projections"
)

// snapshotV2 is the compact form of a Ledger (snapshot versions 3 and 4;
// version 2 was version 3 in one gob value and is rebuilt). Most of a read
// model is its audit trail and its spending lists, one row per event; gob
// spends most of its time on such rows (a string header per field, a
// GobDecoder call per time.Time, reflection per number). This form keeps
// them apart from the rest: repeating names (streams, types, actors,
// lines, reasons) as indices into a name table, times as seconds and
// nanoseconds, ids as bytes, and the strings that rarely repeat (hashes,
// documents, descriptions) back to back, so that reading a snapshot
// allocates one string for all of them. The aggregates' own spending maps
// are not stored: they hold nothing the spending rows do not, and are
// rebuilt from them. Encode falls back to version 1 (plain gob) for
// a read model that this form cannot hold exactly (a time outside UTC).
//
// Version 4, the one written, is one gob value (snapHead: the views
// without their spending rows, and the sizes of what follows) and then two
// sections of its own: the spending rows (decoded when the snapshot is
// read; see spendWriter) and the audit trail (kept undecoded by the
// restored Ledger until something reads it; see auditsnap.go). Version 3
// stored both as gob columns (spendCols, auditCols, AHash) and is still
// read.
type snapshotV2 struct {
	snapHead
	spendCols               // version 3
	auditCols               // version 3
	AHash     packedStrings // version 3
	spend     []byte        // version 4: the spending section, inside the data read
	audit     []byte        // version 4: the audit section, inside the data read
}

// snapHead is the first gob value of a compact snapshot. Version 3 wrote
// spendCols, auditCols and AHash as further gob values, because gob reads a
// value of more than 10 MiB in growing, copied chunks.
type snapHead struct {
	Version    int
	AsOf       time.Time
	Position   domain.Position
	Applied    int
	Skipped    int
	Views      []*viewGob // without Spendings and Agg.Spendings
	Names      []string   // spending lines
	SpendCount []uint32   // spending rows per view
	// Version 4: the lengths of the spending and audit sections that
	// follow, in that order, and the audit section's CRC-32C, rows and
	// chunks.
	SpendLen    int
	AuditLen    int
	AuditCRC    uint32
	AuditRows   int
	AuditChunks int
}

// spendCols is the spending rows of a version 3 snapshot.
type spendCols struct {
	SID                         []byte // 16 bytes a row
	SLine                       []uint32
	SYear, SAmount, SDate, SSec []int64
	SNsec                       []int32
	SReversed                   []bool
	SDocument, SDescription     packedStrings
}

// auditCols is the audit trail of a version 3 snapshot.
type auditCols struct {
	APos, APrep, ARev, ASec    []uint64
	ANsec                      []int32
	AStream, AAgreement, AType []uint32
	AActor, AReason, ALine     []uint32
	ACommand                   []byte // 16 bytes a row
	AYear, AAmount             []int64
	AHasAmount                 []bool
}

const (
	snapshotVersion3 = 3 // spending rows and audit trail as gob columns; read, no longer written
	snapshotVersion4 = 4 // both as sections of their own, the audit trail decoded on first need
	// snapshotVersion5 is version 4 whose aggregates may hold money that
	// moves (domain.CashState: disbursements, dues, refunds). Its layout is
	// version 4's; the number changed so that a program that predates it
	// refuses the snapshot (and rebuilds) instead of silently dropping
	// the payments. A version 4 (or 3, or 1) snapshot is still read
	// unless it holds returns or recoveries, which are dues now named by
	// event id that it cannot give: domain.Agreement.CashConsistent
	// refuses it and the projector rebuilds from the events.
	snapshotVersion5 = 5
	// snapshotVersion6 is version 5 whose aggregates and views may hold
	// issue 15's state: deliveries by event id (for reverse_delivery),
	// parties, reporting obligations and their seals, documents. Same
	// layout; the number changed so that an older program refuses it
	// instead of dropping that state. A version 5 (or older) snapshot is
	// still read unless it holds indicator deliveries, which it cannot
	// name by event id: domain.Agreement.WorkConsistent refuses it and the
	// projector rebuilds from the events.
	snapshotVersion6 = 6
)

// head returns room zero bytes followed by the gob head, which must
// already hold the sections' lengths and the audit checksum.
func (s *snapshotV2) head(room int) ([]byte, error) {
	b := bytes.NewBuffer(make([]byte, room, room+4096))
	if err := gob.NewEncoder(b).Encode(&s.snapHead); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// encode returns a version 4 snapshot (without room before it): the head,
// then parts, back to back: the spending section, then the audit section
// (as the stored part loaded from the last snapshot followed by the rows
// encoded since).
func (s *snapshotV2) encode(parts ...[]byte) ([]byte, error) {
	head, err := s.head(0)
	if err != nil {
		return nil, err
	}
	return join(append([][]byte{head}, parts...)), nil
}

// join returns parts back to back in one allocation of their size.
func join(parts [][]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// decode reads the parts; isV2 is false, with no error, when the first
// value is not the head of a compact snapshot (gob matches fields by
// name, so a version 1 snapshot decodes far enough to say so). For version
// 4, s.spend and s.audit are the sections, inside data, the audit
// section's checksum checked.
func (s *snapshotV2) decode(data []byte) (isV2 bool, err error) {
	r := bytes.NewReader(data)
	dec := gob.NewDecoder(r)
	if err := dec.Decode(&s.snapHead); err != nil || (s.Version != snapshotVersion3 && s.Version != snapshotVersion4 && s.Version != snapshotVersion5 && s.Version != snapshotVersion6) {
		return false, nil
	}
	if s.Version == snapshotVersion3 {
		for _, part := range []any{&s.spendCols, &s.auditCols, &s.AHash} {
			if err := dec.Decode(part); err != nil {
				return true, err
			}
		}
		return true, nil
	}
	// gob reads a bytes.Reader message by message, never beyond.
	switch {
	case s.SpendLen < 0 || s.AuditLen < 0 || s.SpendLen+s.AuditLen != r.Len():
		return true, fmt.Errorf("the spending and audit sections should be %d and %d bytes and %d follow the head", s.SpendLen, s.AuditLen, r.Len())
	case s.AuditRows != s.Applied:
		return true, fmt.Errorf("the audit section holds %d rows and the read model applied %d events: one row each", s.AuditRows, s.Applied)
	case s.AuditRows < s.AuditChunks || s.AuditChunks < 0 || (s.AuditRows > 0) != (s.AuditLen > 0) || s.AuditRows > s.AuditLen/minAuditRowBytes:
		return true, fmt.Errorf("an audit section of %d bytes cannot hold %d rows in %d chunks", s.AuditLen, s.AuditRows, s.AuditChunks)
	}
	rest := data[len(data)-r.Len():]
	s.spend, s.audit = rest[:s.SpendLen], rest[s.SpendLen:]
	if got := crc32.Checksum(s.audit, castagnoli()); got != s.AuditCRC {
		return true, fmt.Errorf("the audit section's checksum is %08x, the head says %08x: the snapshot is damaged", got, s.AuditCRC)
	}
	return true, nil
}

// packedStrings holds strings back to back with their lengths (version 3).
type packedStrings struct {
	Data []byte
	Lens []uint32
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

// encodeV2 encodes l in the compact form (version 4 layout); ok is false
// when it cannot hold l exactly and the caller must use version 1.
func encodeV2(l *projections.Ledger, room int) ([][]byte, bool, error) {
	st := l.State()
	s := snapshotV2{snapHead: snapHead{Version: snapshotVersion6, AsOf: st.AsOf, Position: st.Position, Applied: st.Applied, Skipped: st.Skipped}}
	// The audit trail (about half the encoding of a large read model) is
	// encoded on another goroutine while the views and spendings are: the
	// two read disjoint parts of the ledger state (auditSection only the
	// audit trail, the loop below only the views), and
	// the caller keeps the ledger from changing meanwhile (issue 17: the
	// first report's save).
	type auditResult struct {
		parts        [][]byte
		rows, chunks int
		crc          uint32
		ok           bool
	}
	auditDone := make(chan auditResult, 1)
	go func() {
		var a auditResult
		a.parts, a.rows, a.chunks, a.crc, a.ok = auditSection(st)
		auditDone <- a
	}()
	audit := func() auditResult { return <-auditDone }
	names := nameTable{idx: map[string]uint32{}}
	s.Views = make([]*viewGob, len(st.Views))
	s.SpendCount = make([]uint32, len(st.Views))
	var sp spendWriter
	sp.reserve(st.Views)
	for i, v := range st.Views {
		agg := v.Agg.State()
		if len(agg.Spendings) != len(v.Spendings) {
			audit()
			return nil, false, nil
		}
		for k := range v.Spendings {
			r := &v.Spendings[k]
			if sp := agg.Spendings[r.ID]; sp == nil || *sp != (domain.Spending{ID: r.ID, Line: r.Line, Year: r.Year, Amount: r.Amount, Reversed: r.Reversed}) {
				audit()
				return nil, false, nil
			}
			if !sp.add(r, names.id(r.Line)) {
				audit()
				return nil, false, nil
			}
		}
		s.SpendCount[i] = uint32(len(v.Spendings))
		agg.Spendings = nil
		s.Views[i] = toGob(v, &agg, nil)
	}
	s.Names = names.list
	a := audit()
	if !a.ok {
		return nil, false, nil
	}
	auditLen := 0
	for _, p := range a.parts {
		auditLen += len(p)
	}
	s.SpendLen, s.AuditLen, s.AuditCRC, s.AuditRows, s.AuditChunks = sp.sectionLen(), auditLen, a.crc, a.rows, a.chunks
	head, err := s.head(room)
	if err != nil {
		return nil, false, fmt.Errorf("encode read model snapshot: %w", err)
	}
	return append([][]byte{head, sp.lenPrefix(), sp.strs, sp.rows}, a.parts...), true, nil
}

// The spending section of a version 4 snapshot holds every spending row
// of every view, in the order of the views (head.SpendCount says how many
// each has), in unsigned (u) and zig-zag signed (s) varints:
//
//	u length of the strings, then the strings: every row's document and
//	  description back to back, in row order
//	each row:
//	  16 bytes id
//	  u line: an index into head.Names
//	  s year, s amount
//	  s date - previous row's date (0 before the first)
//	  s unix seconds recorded - previous row's (0 before the first)
//	  u nanoseconds
//	  1 byte: 1 reversed, 0 not
//	  u length of the document, u length of the description
type spendWriter struct {
	rows, strs        []byte
	prevDate, prevSec int64
}

// minSpendRowBytes is the least a row takes: its id and one byte for each
// of its other nine fields.
const minSpendRowBytes = 16 + 9

// add appends a row; ok is false when its time is outside UTC.
func (w *spendWriter) add(r *projections.SpendingRow, line uint32) (ok bool) {
	sec, nsec, ok := utcParts(r.RecordedAt)
	if !ok {
		return false
	}
	b := append(w.rows, r.ID[:]...)
	b = binary.AppendUvarint(b, uint64(line))
	b = binary.AppendVarint(b, int64(r.Year))
	b = binary.AppendVarint(b, int64(r.Amount))
	b = binary.AppendVarint(b, int64(r.Date)-w.prevDate)
	b = binary.AppendVarint(b, sec-w.prevSec)
	b = binary.AppendUvarint(b, uint64(nsec))
	if r.Reversed {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.AppendUvarint(b, uint64(len(r.Document)))
	b = binary.AppendUvarint(b, uint64(len(r.Description)))
	w.rows, w.prevDate, w.prevSec = b, int64(r.Date), sec
	w.strs = append(append(w.strs, r.Document...), r.Description...)
	return true
}

// reserve sizes the writer's buffers for the spending rows of views: the
// strings exactly, the rows at a typical size (a row of a few varints
// takes about 40 bytes), so that a large read model's rows are not copied
// again and again as the buffers grow.
func (w *spendWriter) reserve(views []*projections.AgreementView) {
	rows, strs := 0, 0
	for i := range views {
		rows += len(views[i].Spendings)
		for k := range views[i].Spendings {
			r := &views[i].Spendings[k]
			strs += len(r.Document) + len(r.Description)
		}
	}
	w.rows = make([]byte, 0, rows*40)
	w.strs = make([]byte, 0, strs)
}

// lenPrefix is the start of the spending section: the strings' length
// (an unsigned varint). The section is lenPrefix, strs, rows.
func (w *spendWriter) lenPrefix() []byte {
	return binary.AppendUvarint(nil, uint64(len(w.strs)))
}

// sectionLen is the length of the spending section.
func (w *spendWriter) sectionLen() int {
	return len(w.lenPrefix()) + len(w.strs) + len(w.rows)
}

// decodeV2 decodes the compact form into a new Ledger. isV2 is false,
// with no error, when data holds another version.
func decodeV2(data []byte) (l *projections.Ledger, isV2 bool, err error) {
	var s snapshotV2
	if isV2, err := s.decode(data); !isV2 || err != nil {
		if err != nil {
			err = fmt.Errorf("decode read model snapshot: %w", err)
		}
		return nil, isV2, err
	}
	l, err = s.ledger()
	return l, true, err
}

// ledger rebuilds the read model, checking that the parts fit together.
func (s *snapshotV2) ledger() (*projections.Ledger, error) {
	bad := func(what string) error {
		return fmt.Errorf("decode read model snapshot: %s do not fit together", what)
	}
	name := func(i uint32) (string, bool) {
		if int(i) >= len(s.Names) {
			return "", false
		}
		return s.Names[i], true
	}
	st := projections.LedgerState{AsOf: s.AsOf, Position: s.Position, Applied: s.Applied, Skipped: s.Skipped}
	if len(s.SpendCount) != len(s.Views) {
		return nil, bad("the views and their spending counts")
	}
	var rows spendRows
	if s.Version >= snapshotVersion4 {
		rows = &spendReader{r: sectionReader{b: s.spend, what: "spending"}, names: s.Names}
	} else {
		c, err := s.spendCols.reader(name)
		if err != nil {
			return nil, err
		}
		rows = c
	}
	for vi, g := range s.Views {
		if g == nil || g.Agg == nil {
			return nil, bad("the views")
		}
		cnt := int(s.SpendCount[vi])
		if !rows.fits(cnt) {
			return nil, bad("the spending counts and rows")
		}
		if g.Agg.Spendings == nil {
			g.Agg.Spendings = make(map[uuid.UUID]*domain.Spending, cnt) // filled below: no growing
		}
		g.Spendings = make([]projections.SpendingRow, cnt)
		sps := make([]domain.Spending, cnt) // one allocation for the aggregate's map values
		for k := 0; k < cnt; k++ {
			r := &g.Spendings[k]
			if err := rows.next(r); err != nil {
				return nil, fmt.Errorf("decode read model snapshot: %w", err)
			}
			sps[k] = domain.Spending{ID: r.ID, Line: r.Line, Year: r.Year, Amount: r.Amount, Reversed: r.Reversed}
			g.Agg.Spendings[r.ID] = &sps[k]
		}
		v, err := g.view()
		if err != nil {
			return nil, err
		}
		st.Views = append(st.Views, v)
	}
	if err := rows.end(); err != nil {
		return nil, fmt.Errorf("decode read model snapshot: %w", err)
	}

	if s.Version >= snapshotVersion4 {
		if s.AuditRows > 0 {
			// Restore must not keep data: the section is copied.
			st.Audit = []projections.AuditSection{{Data: bytes.Clone(s.audit), Rows: s.AuditRows, Chunks: s.AuditChunks, Sum: s.AuditCRC, Summed: true}}
		}
		return restore(st)
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
	st.AuditRows = make([]projections.AuditEntry, 0, na)
	for j := 0; j < na; j++ {
		var e projections.AuditEntry
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
		e.Value, e.HasValue = domain.Money(s.AAmount[j]), s.AHasAmount[j]
		st.AuditRows = append(st.AuditRows, e)
	}
	return restore(st)
}

// restore is projections.RestoreLedger with this package's error prefix.
func restore(st projections.LedgerState) (*projections.Ledger, error) {
	l, err := projections.RestoreLedger(st)
	if err != nil {
		return nil, fmt.Errorf("decode read model snapshot: %w", err)
	}
	return l, nil
}

// spendRows gives the spending rows of a snapshot one by one.
type spendRows interface {
	fits(n int) bool // whether n more rows can be there
	next(r *projections.SpendingRow) error
	end() error // after the last row: nothing may be left
}

// spendReader reads the spending section of a version 4 snapshot.
type spendReader struct {
	r                 sectionReader
	names             []string
	strs              string
	at                int // next string byte
	started           bool
	prevDate, prevSec int64
}

func (p *spendReader) start() {
	p.started = true
	n := p.r.count("the length of the strings", 1)
	p.strs = string(p.r.bytes(n, "the strings")) // one allocation for every document and description
}

func (p *spendReader) fits(n int) bool {
	if !p.started {
		p.start()
	}
	return p.r.err == nil && n <= (len(p.r.b)-p.r.off)/minSpendRowBytes
}

func (p *spendReader) next(s *projections.SpendingRow) error {
	r := &p.r
	copy(s.ID[:], r.bytes(16, "an id"))
	line := r.uvarint("a line")
	if r.err == nil && line >= uint64(len(p.names)) {
		r.fail(fmt.Sprintf("line %d of %d names", line, len(p.names)))
	}
	if r.err == nil {
		s.Line = p.names[line]
	}
	s.Year = int(r.varint("a year"))
	s.Amount = domain.Money(r.varint("an amount"))
	p.prevDate += r.varint("a date")
	s.Date = domain.Date(p.prevDate)
	p.prevSec += r.varint("a time")
	nsec := r.uvarint("a time's nanoseconds")
	if r.err == nil && nsec >= 1e9 {
		r.fail(fmt.Sprintf("nanoseconds %d are not below one second", nsec))
	}
	s.RecordedAt = time.Unix(p.prevSec, int64(nsec)).UTC()
	switch rev := r.bytes(1, "the reversed flag"); {
	case r.err != nil:
	case rev[0] <= 1:
		s.Reversed = rev[0] == 1
	default:
		r.fail(fmt.Sprintf("reversed flag %d is neither 0 nor 1", rev[0]))
	}
	nd := r.uvarint("a document's length")
	ns := r.uvarint("a description's length")
	if r.err == nil && (nd > uint64(len(p.strs)-p.at) || ns > uint64(len(p.strs)-p.at)-nd) {
		r.fail("a document or description runs past the strings")
	}
	if r.err != nil {
		return r.err
	}
	s.Document = p.strs[p.at : p.at+int(nd)]
	p.at += int(nd)
	s.Description = p.strs[p.at : p.at+int(ns)]
	p.at += int(ns)
	return nil
}

func (p *spendReader) end() error {
	if !p.started {
		p.start()
	}
	switch {
	case p.r.err != nil:
		return p.r.err
	case p.r.off != len(p.r.b):
		return fmt.Errorf("%d bytes of the spending section are left after the last row", len(p.r.b)-p.r.off)
	case p.at != len(p.strs):
		return fmt.Errorf("%d bytes of the spending strings are left after the last row", len(p.strs)-p.at)
	}
	return nil
}

// colReader gives the spending rows of a version 3 snapshot.
type colReader struct {
	c           *spendCols
	name        func(uint32) (string, bool)
	docs, descs []string
	j           int
}

func (c *spendCols) reader(name func(uint32) (string, bool)) (*colReader, error) {
	ns := len(c.SLine)
	if len(c.SID) != 16*ns || len(c.SYear) != ns || len(c.SAmount) != ns || len(c.SDate) != ns ||
		len(c.SSec) != ns || len(c.SNsec) != ns || len(c.SReversed) != ns || len(c.SDocument.Lens) != ns || len(c.SDescription.Lens) != ns {
		return nil, errors.New("decode read model snapshot: the spending columns do not fit together")
	}
	docs, err := c.SDocument.unpack()
	if err != nil {
		return nil, fmt.Errorf("decode read model snapshot: documents: %w", err)
	}
	descs, err := c.SDescription.unpack()
	if err != nil {
		return nil, fmt.Errorf("decode read model snapshot: descriptions: %w", err)
	}
	return &colReader{c: c, name: name, docs: docs, descs: descs}, nil
}

func (r *colReader) fits(n int) bool { return r.j+n <= len(r.c.SLine) }

func (r *colReader) next(s *projections.SpendingRow) error {
	c, j := r.c, r.j
	line, ok := r.name(c.SLine[j])
	if !ok {
		return errors.New("the spending lines do not fit together")
	}
	var id uuid.UUID
	copy(id[:], c.SID[16*j:16*j+16])
	*s = projections.SpendingRow{ID: id, Line: line, Year: int(c.SYear[j]), Amount: domain.Money(c.SAmount[j]), Date: domain.Date(c.SDate[j]),
		Document: r.docs[j], Description: r.descs[j], RecordedAt: time.Unix(c.SSec[j], int64(c.SNsec[j])).UTC(), Reversed: c.SReversed[j]}
	r.j++
	return nil
}

func (r *colReader) end() error {
	if r.j != len(r.c.SLine) {
		return fmt.Errorf("%d spending rows are left after the last view", len(r.c.SLine)-r.j)
	}
	return nil
}
